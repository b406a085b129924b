"""DeepBench inference GEMMs at full size: compile time, program size and modelled cycles,
and optionally a simulated run checked against the reference backend.

    python benchmarks/deepbench_gemm.py [--csv PATH] [--epilogue] [--simulate] [--limit N]
                                        [--config NAME] [--json out.json]

Each row is C = A B (int8 A, B; int32 C), or with --epilogue requantized to int8 (shr, bias add,
clip, cast). Cycles come from the timed model (pynq); ``roof`` is the useful MACs over the GEMM
core's peak, so ``roof/cycles`` is the compute-bound efficiency.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from importlib import resources
from pathlib import Path

import vtac
from vtac.compiler import compile_module, run_module
from vtac.runtime.config import resolve_config
from vtac.runtime.timing import time_program
from vtac.workloads import matmul


def read_rows(path: str | None) -> list[dict[str, str]]:
    """The rows of the CSV at ``path``, or of the deepbench_gemm.csv shipped with vtac (in
    vtac/data: the script runs without the shared workloads folder)."""
    if path:
        text = Path(path).read_text()
    else:
        text = (resources.files("vtac") / "data" / "deepbench_gemm.csv").read_text()
    return list(csv.DictReader(text.splitlines()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", help="workload CSV (M, N, K columns; default: vtac's own deepbench_gemm.csv)"
    )
    parser.add_argument("--epilogue", action="store_true", help="requantize to int8")
    parser.add_argument("--simulate", action="store_true", help="simulate and check each row")
    parser.add_argument("--limit", type=int, help="only the first N rows")
    parser.add_argument("--config", help="hardware configuration (default: VTA's default)")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    config = resolve_config(args.config)
    rows = read_rows(args.csv)[: args.limit]
    results = []
    header = f"{'workload':<22} {'M':>6} {'N':>6} {'K':>7} {'insns':>7} {'compile_s':>9} "
    header += f"{'cycles':>12} {'roof/cyc':>8}"
    print(header + ("  sim_s  correct" if args.simulate else ""))
    for row in rows:
        m, n, k = int(row["M"]), int(row["N"]), int(row["K"])
        text = matmul(m, n, k, args.epilogue)
        start = time.perf_counter()
        if args.simulate:
            report = run_module(vtac.parse_ir(text), config=config)
            compiled, timing = report.compiled, report.timing
        else:
            compiled = compile_module(vtac.parse_ir(text), config)
            timing = time_program(compiled.image.config, compiled.image.insns)
        roof = m * n * k / config.macs_per_gemm_uop
        result = {
            "workload": f"{row.get('kind', 'gemm')}/{row.get('idx', len(results))}",
            "M": m,
            "N": n,
            "K": k,
            "macs": m * n * k,
            "instructions": len(compiled.image.insns),
            "compile_s": round(compiled.seconds, 3),
            "cycles": timing.cycles,
            "roofline_compute_cycles": round(roof),
            "embedding": str(compiled.embedding),
            "schedule": str(compiled.schedule),
        }
        line = (
            f"{result['workload']:<22} {m:>6} {n:>6} {k:>7} {result['instructions']:>7} "
            f"{compiled.seconds:>9.2f} {timing.cycles:>12} {roof / timing.cycles:>8.3f}"
        )
        if args.simulate:
            result["sim_s"] = round(report.sim_seconds, 3)
            result["correct"] = report.match
            line += f" {report.sim_seconds:>6.2f}  {report.match}"
        result["wall_s"] = round(time.perf_counter() - start, 3)
        print(line, flush=True)
        results.append(result)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r.get("correct", True) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
