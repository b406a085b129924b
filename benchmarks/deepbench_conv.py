"""DeepBench inference convolutions at full size: compile time, modelled cycles, a simulated
run in strict mode checked against the reference backend, and the lane utilisation of the chosen
embedding beside TVM's fixed one.

    python benchmarks/deepbench_conv.py [--csv PATH] [--only kind/idx,...] [--no-simulate]
                                        [--config NAME] [--json out.json]

Each row is conv2d (NCHW int8 data, OIHW int8 weights) with the requantizing epilogue of
:func:`vtac.workloads.conv`. ``lane_util`` is the lane utilisation of the embedding chosen,
``fixed_lane_util`` that of TVM's fixed embedding on the same op (as ``vtac bench``: vtac-isel with
embedding=fixed, nothing compiled); rows with 1 or 3 input channels are also compiled with the
fixed embedding (``fixed_cycles``). ``roof/cyc`` is the useful MACs over the GEMM core's
peak, divided by the modelled cycles. Rows with the same shape as an earlier row (the
``conv_device`` rows repeat ``conv_server`` ones) reuse its results.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from importlib import resources
from pathlib import Path

import vtac
from vtac.bench import fixed_utilization
from vtac.compiler import compile_module, run_module
from vtac.runtime.config import resolve_config
from vtac.runtime.timing import time_program
from vtac.workloads import conv

COLUMNS = ("N", "C", "H", "W", "K", "R", "S", "pad_h", "pad_w", "stride_h", "stride_w")


def conv_text(d: dict[str, int]) -> str:
    """The row's conv2d with its epilogue, as IR text."""
    return conv(
        d["C"],
        d["H"],
        d["K"],
        d["R"],
        d["pad_h"],
        d["stride_h"],
        d["N"],
        w=d["W"],
        s=d["S"],
        pad_w=d["pad_w"],
        stride_w=d["stride_w"],
    )


def measure(d: dict[str, int], config_name: str | None, simulate: bool) -> dict[str, object]:
    """Compile (and simulate) one row; the fixed embedding too for 1 or 3 input channels."""
    config = resolve_config(config_name)
    text = conv_text(d)
    oh = (d["H"] + 2 * d["pad_h"] - d["R"]) // d["stride_h"] + 1
    ow = (d["W"] + 2 * d["pad_w"] - d["S"]) // d["stride_w"] + 1
    macs = d["N"] * d["K"] * oh * ow * d["C"] * d["R"] * d["S"]
    if simulate:
        report = run_module(vtac.parse_ir(text), config=config)
        compiled, timing = report.compiled, report.timing
    else:
        compiled = compile_module(vtac.parse_ir(text), config)
        timing = time_program(compiled.image.config, compiled.image.insns)
    result: dict[str, object] = {
        **d,
        "macs": macs,
        "instructions": len(compiled.image.insns),
        "compile_s": round(compiled.seconds, 3),
        "cycles": timing.cycles,
        "roof_over_cycles": round(macs / config.macs_per_gemm_uop / timing.cycles, 4),
        "utilization": round(compiled.utilization, 4),
        "embedding": str(compiled.embedding),
        "schedule": str(compiled.schedule),
    }
    if simulate:
        result["sim_s"] = round(report.sim_seconds, 3)
        result["correct"] = report.match
    result["fixed_utilization"] = round(fixed_utilization(vtac.parse_ir(text), config), 4)
    if d["C"] in (1, 3):
        fixed = compile_module(vtac.parse_ir(text), config, embedding="fixed")
        result["fixed_cycles"] = time_program(fixed.image.config, fixed.image.insns).cycles
        result["fixed_compile_s"] = round(fixed.seconds, 3)
    return result


def read_rows(path: str | None) -> list[dict[str, str]]:
    """The rows of the CSV at ``path``, or of the deepbench_conv.csv shipped with vtac (in
    vtac/data: the script runs without the shared workloads folder)."""
    if path:
        text = Path(path).read_text()
    else:
        text = (resources.files("vtac") / "data" / "deepbench_conv.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", help="workload CSV (DeepBench columns; default: vtac's own deepbench_conv.csv)"
    )
    parser.add_argument("--only", help="comma-separated rows, as kind/idx")
    parser.add_argument("--no-simulate", action="store_true", help="compile and time only")
    parser.add_argument("--config", help="hardware configuration (default: VTA's default)")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    rows = read_rows(args.csv)
    if args.only:
        wanted = set(args.only.split(","))
        rows = [r for r in rows if f"{r['kind']}/{r['idx']}" in wanted]
    header = f"{'workload':<16} {'N':>2} {'C':>4} {'HxW':>8} {'K':>5} {'RxS':>5} {'pad':>3} "
    header += f"{'str':>3} {'compile_s':>9} {'cycles':>11} {'roof/cyc':>8} {'lane_util':>9} "
    header += f"{'fixed_lane_util':>15} {'sim_s':>6} {'ok':>3}"
    print(header)
    results: list[dict[str, object]] = []
    seen: dict[tuple[int, ...], dict[str, object]] = {}
    start = time.perf_counter()
    for row in rows:
        d = {k: int(row[k]) for k in COLUMNS}
        key = tuple(d.values())
        name = f"{row['kind']}/{row['idx']}"
        if key in seen:
            result = {**seen[key], "workload": name, "same_as": seen[key]["workload"]}
        else:
            result = {"workload": name, **measure(d, args.config, not args.no_simulate)}
            seen[key] = result
        results.append(result)
        fixed = result["fixed_utilization"]
        ok = result.get("correct")
        print(
            f"{name:<16} {d['N']:>2} {d['C']:>4} {d['H']:>4}x{d['W']:<3} {d['K']:>5} "
            f"{d['R']:>2}x{d['S']:<2} {d['pad_h']:>3} {d['stride_h']:>3} "
            f"{result['compile_s']:>9.2f} {result['cycles']:>11} "
            f"{result['roof_over_cycles']:>8.3f} {result['utilization']:>9.3f} "
            f"{fixed:>15.3f} {result.get('sim_s', ''):>6} "
            f"{'' if ok is None else ('yes' if ok else 'NO'):>3}",
            flush=True,
        )
    print(f"total time: {time.perf_counter() - start:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r.get("correct", True) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
