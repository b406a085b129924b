"""``vtac bench``: workload suites compiled, simulated, checked and timed.

Suites: ``resnet18`` (C1 to C11 with the requantizing epilogue), ``deepbench-gemm``,
``deepbench-conv``, or a CSV file with the columns of one of them. Each row reports modelled
cycles against the workload's roofline: max(useful MACs / MACs per cycle, minimum DRAM bytes /
the bytes per cycle the board's DMA sustains), where the minimum moves every input element the
op reads (a 1x1 stride-2 convolution reads a quarter of its input) and every weight, bias and
output byte once. ``lane_util`` is the lane utilisation (useful MACs over issued MACs) of the
embedding chosen, ``fixed_lane_util`` that of TVM's fixed embedding on the same op (vtac-isel with
embedding=fixed: one CP-SAT embedding, nothing compiled). ``est_cycles`` is the fast model's
estimate of the schedule chosen (``est_s`` the seconds it took, in the JSON rows) and
``roofline_cycles_8_bytes`` the roofline at the bus's nominal 8 bytes per cycle. ``--compare
fixed`` adds ``fixed_cycles``, the same tiler on TVM's fixed embedding. ``--compare tvm`` also
compiles TVM's published ResNet-18 schedules (fixed embedding, its tile splits, loop order and
virtual threads) into the same model, and reports the speedup.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import json
import math
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from vtac.errors import InvalidInputError
from vtac.runtime.timing_params import BOARDS, TimingParams
from vtac.workloads import conv, matmul

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp

    from vtac.runtime.config import VTAConfig
    from vtac.runtime.image import Workload

SUITES = {
    "resnet18": "resnet18_conv.csv",
    "deepbench-gemm": "deepbench_gemm.csv",
    "deepbench-conv": "deepbench_conv.csv",
}


TVM_SCHEDULES = "tvm_tophub_resnet18_pynq.csv"

#: The columns of each kind of workload a CSV may hold, told apart by the columns present
#: (a ``name`` column, or ``kind`` and ``idx``, names the rows; other columns are ignored).
COLUMNS = {
    "conv (resnet18)": (
        "batch",
        "height",
        "width",
        "in_channels",
        "out_channels",
        "kernel_h",
        "kernel_w",
        "pad_h",
        "pad_w",
        "stride_h",
        "stride_w",
    ),
    "conv (deepbench)": (
        "N",
        "C",
        "H",
        "W",
        "K",
        "R",
        "S",
        "pad_h",
        "pad_w",
        "stride_h",
        "stride_w",
    ),
    "gemm": ("M", "N", "K"),
}


def _data(name: str) -> str:
    return (resources.files("vtac") / "data" / name).read_text()


def _rows(source: str) -> list[dict[str, str]]:
    """Rows of a suite shipped with vtac, or of a CSV file (a missing file is a BenchError)."""
    if source in SUITES:
        text = _data(SUITES[source])
    else:
        try:
            text = Path(source).read_text()
        except OSError as err:
            raise BenchError(
                f"{source}: not a suite ({', '.join(SUITES)}) nor a readable CSV: {err.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise BenchError(f"{source}: not a text (CSV) file") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise BenchError(f"{source}: no workloads (a header line, then one line per workload)")
    return rows


class BenchError(InvalidInputError, ValueError):
    """A suite that does not exist or cannot be read."""

    what = "workload suite"


def _kind(row: dict[str, str]) -> str:
    """The kind of workload a row describes: the first of :data:`COLUMNS` whose columns are
    all present (a BenchError naming the columns missing from the closest kind otherwise)."""
    for kind, columns in COLUMNS.items():
        if all(c in row for c in columns):
            return kind
    closest = max(COLUMNS, key=lambda k: sum(c in row for c in COLUMNS[k]))
    missing = [c for c in COLUMNS[closest] if c not in row]
    kinds = "; ".join(f"{k}: {', '.join(c)}" for k, c in COLUMNS.items())
    raise BenchError(
        f"columns {', '.join(row)} describe no workload: a {closest} lacks {', '.join(missing)} "
        f"(the columns of each kind: {kinds})"
    )


def _workload(row: dict[str, str], number: int = 0) -> tuple[str, str]:
    """(name, IR text) of a CSV row of any suite (``number``: the row's, for messages and for
    the name of a row without a ``name`` or ``kind``/``idx`` column)."""
    kind = _kind(row)

    def value(column: str) -> int:
        raw = (row[column] or "").strip()
        try:
            result = int(raw)
        except ValueError:
            raise BenchError(f"row {number}: {column} {raw!r} is not an integer") from None
        if result < 0 or (result == 0 and not column.startswith("pad")):
            raise BenchError(f"row {number}: {column} = {result} must be positive")
        return result

    if row.get("name"):
        name = row["name"]
    elif row.get("kind") and row.get("idx"):
        name = f"{row['kind']}/{row['idx']}"
    else:
        name = f"row{number}"
    if kind == "gemm":
        return name, matmul(value("M"), value("N"), value("K"), True)
    if kind == "conv (resnet18)":
        n, c, h, w = (value(k) for k in ("batch", "in_channels", "height", "width"))
        k, r, s = value("out_channels"), value("kernel_h"), value("kernel_w")
    else:
        n, c, h, w, k, r, s = (value(x) for x in ("N", "C", "H", "W", "K", "R", "S"))
    ph, pw, sh, sw = (value(x) for x in ("pad_h", "pad_w", "stride_h", "stride_w"))
    return name, conv(c, h, k, r, ph, sh, n, w=w, s=s, pad_w=pw, stride_w=sw)


def workloads(source: str, only: set[str] | None = None) -> list[tuple[dict[str, str], str, str]]:
    """(row, name, IR text) of every workload of ``source`` (a suite or a CSV file), of the
    ``only`` ones if given (a name that is not there is a BenchError listing the names)."""
    found = []
    for number, row in enumerate(_rows(source), start=1):
        name, text = _workload(row, number)
        found.append((row, name, text))
    names = [name for _, name, _ in found]
    unknown = sorted(set(only or ()) - set(names))
    if unknown:
        raise BenchError(
            f"{source} has no workload {', '.join(unknown)}; its workloads: {', '.join(names)}"
        )
    return [w for w in found if not only or w[1] in only]


def fixed_utilization(
    module: ModuleOp, config: VTAConfig | None = None, name: str | None = None
) -> float:
    """Lane utilisation (useful MACs over issued MACs) of TVM's fixed embedding on the function
    ``name`` (or the only one): ``vtac-isel{embedding=fixed}`` alone, no tiling or compile. With
    several contractions, their MACs are summed. ``module`` itself is left unchanged."""
    from xdsl.context import Context
    from xdsl.dialects.builtin import ModuleOp

    from vtac.backends.reference import find_function
    from vtac.dialects.common import CONFIG_ATTR, config_attr
    from vtac.passes.isel import CONTRACTIONS, InstructionSelection
    from vtac.planning.contraction import read_embedding

    function = find_function(module, name)
    work = ModuleOp([function.clone()])
    work.attributes.update(module.attributes)
    if config is not None:
        work.attributes[CONFIG_ATTR] = config_attr(config)
    InstructionSelection(embedding="fixed").apply(Context(), work)
    chosen = [read_embedding(op) for op in work.walk() if isinstance(op, CONTRACTIONS)]
    return sum(e.useful_macs for e in chosen) / sum(e.issued_macs for e in chosen)


def roofline(work: Workload, config: VTAConfig, board: TimingParams) -> int:
    """The workload's bound in cycles: max(useful MACs / MACs per cycle, minimum DRAM bytes /
    the bytes per cycle the board's DMA sustains)."""
    compute = -(-work.macs // config.macs_per_gemm_uop)
    return max(compute, math.ceil(work.min_dram_bytes / board.stream_bytes_per_cycle))


#: TVM's tile-loop order for conv2d (vta_conv2d.py: output rows, channel blocks, columns, then
#: the reduction over input-channel blocks with the kernel window inside the GEMM).
TVM_ORDER = ("batch", "oh", "block_out", "ow", "block_in", "kh", "kw")


def tvm_schedule(row: dict[str, str], kernel: tuple[int, int]) -> dict[str, object]:
    """Compile options reproducing a TVM tophub schedule: the fixed embedding, its tile splits,
    its loop order and virtual threads, every buffer split between the threads, each tile's
    epilogue whole, TVM's layouts and no split first or last step."""
    threads = 2 if int(row["oc_nthread"]) * int(row["h_nthread"]) > 1 else 1
    tiles = {
        "batch": 1,
        "block_out": int(row["tile_co_inner"]),
        "oh": int(row["tile_h_inner"]),
        "ow": int(row["tile_w_inner"]),
        "block_in": int(row["tile_ci_inner"]),
        "kh": kernel[0],
        "kw": kernel[1],
    }
    return tvm_options(tiles, threads)


def tvm_options(tiles: dict[str, int], threads: int) -> dict[str, object]:
    """Compile options of a TVM schedule with these tile sizes and virtual threads (1 or 2):
    the fixed embedding, TVM's loop order, every buffer split between the threads, each tile's
    epilogue whole, TVM's layouts and no split first or last step."""
    from vtac.passes.schedule import TileOptions

    tiling = TileOptions(
        tiles,
        threads,
        TVM_ORDER,
        acc_threads=threads,
        epilogue="whole",
        refine_layouts=False,
        head="none",
        tail="none",
    )
    return {"embedding": "fixed", "tiling": tiling}


def run_suite(
    source: str,
    config: VTAConfig,
    board: TimingParams,
    compare_tvm: bool = False,
    only: set[str] | None = None,
    progress: bool = True,
    phases: bool = False,
    compare_fixed: bool = False,
    tuning_log: str | None = None,
) -> list[dict[str, object]]:
    """Compile, run, check and time the workloads of ``source`` (the ``only`` ones if given).
    ``progress`` prints a line on stderr as each workload starts; ``phases`` also the phase
    under way of a workload that runs over a second (:class:`vtac.progress.Progress`)."""
    chosen = workloads(source, only)  # every row checked before the compiler is loaded

    import vtac
    from vtac.compiler import compile_module, run_module
    from vtac.estimate import estimate_function
    from vtac.progress import Progress
    from vtac.runtime.timing import time_program
    from vtac.tune.log import best_options

    schedules = csv.DictReader(_data(TVM_SCHEDULES).splitlines()) if compare_tvm else []
    tvm = {r["layer"]: r for r in schedules}
    board_name = next((n for n, b in BOARDS.items() if b == board), "pynq")
    results = []
    for index, (row, name, text) in enumerate(chosen, start=1):
        if progress:
            print(f"[{index}/{len(chosen)}] {name}", file=sys.stderr, flush=True)
        with Progress(prefix=f"vtac bench {name}") if phases else _no_progress() as report_phase:
            module = vtac.parse_ir(text)
            tuned = best_options(tuning_log, module, None, config) if tuning_log else None
            report = run_module(
                module,
                config=config,
                progress=report_phase,
                board=board_name,
                **(tuned or {}),  # type: ignore[arg-type]
            )
            if report_phase:
                report_phase("fixed embedding (CP-SAT)")
            fixed = fixed_utilization(vtac.parse_ir(text), config)
            timing = time_program(config, report.compiled.image.insns, board)
            work = report.compiled.image.workload
            assert work is not None
            roof = roofline(work, config, board)
            if report_phase:
                report_phase("fast model estimate")
            _, estimate = estimate_function(vtac.parse_ir(text), config, board_name)
            result: dict[str, object] = {
                "workload": name,
                "macs": work.macs,
                "cycles": timing.cycles,
                "roofline_cycles": roof,
                "efficiency": roof / timing.cycles,
                "roofline_cycles_8_bytes": roofline(
                    work, config, dataclasses.replace(board, bus_efficiency=1.0)
                ),
                "est_cycles": estimate.cycles,
                "est_s": round(estimate.seconds, 6),
                "utilization": report.compiled.utilization,
                "fixed_utilization": fixed,
                "instructions": len(report.compiled.image.insns),
                "dram_bytes": sum(timing.dram_bytes.values()),
                "compile_s": round(report.compiled.seconds, 3),
                "sim_s": round(report.sim_seconds, 3),
                "correct": report.match,
                "embedding": str(report.compiled.embedding),
                "schedule": str(report.compiled.schedule),
            }
            if compare_fixed:
                if report_phase:
                    report_phase("fixed embedding")
                fixed_program = compile_module(
                    vtac.parse_ir(text), config, embedding="fixed", board=board_name
                )
                result["fixed_cycles"] = time_program(
                    config, fixed_program.image.insns, board
                ).cycles
            if name in tvm:
                if report_phase:
                    report_phase("TVM's schedule")
                kernel = (int(row["kernel_h"]), int(row["kernel_w"]))
                options = tvm_schedule(tvm[name], kernel)
                baseline = compile_module(vtac.parse_ir(text), config, **options)  # type: ignore[arg-type]
                tvm_cycles = time_program(config, baseline.image.insns, board).cycles
                result["tvm_cycles"] = tvm_cycles
                result["speedup"] = tvm_cycles / timing.cycles
                result["tvm_model_ms"] = tvm_cycles / (board.clock_mhz * 1e3)
                result["tvm_measured_ms"] = float(tvm[name]["measured_ms_pynq_100mhz"])
                result["tvm_model_error"] = result["tvm_model_ms"] / result["tvm_measured_ms"] - 1
        results.append(result)
    return results


@contextlib.contextmanager
def _no_progress() -> Iterator[None]:
    yield None


def print_table(results: list[dict[str, object]]) -> None:
    compare = any("tvm_cycles" in r for r in results)
    head = f"{'workload':<20} {'macs':>12} {'cycles':>11} {'roofline':>11} {'eff':>5}"
    head += f" {'lane_util':>9} {'fixed_lane_util':>15}"
    head += f" {'insns':>7} {'compile_s':>9} {'sim_s':>6} {'ok':>3} {'est_cycles':>11}"
    fixed = any("fixed_cycles" in r for r in results)
    head += f" {'fixed_cycles':>12}" if fixed else ""
    if compare:
        head += f" {'tvm_cycles':>11} {'speedup':>7} {'tvm_model_ms':>12} {'measured_ms':>11}"
        head += f" {'model_err':>9}"
    print(head)
    for r in results:
        line = (
            f"{r['workload']:<20} {r['macs']:>12} {r['cycles']:>11} {r['roofline_cycles']:>11} "
            f"{r['efficiency']:>5.2f} {r['utilization']:>9.3f} {r['fixed_utilization']:>15.3f} "
            f"{r['instructions']:>7} "
            f"{r['compile_s']:>9.2f} {r['sim_s']:>6.2f} {'yes' if r['correct'] else 'NO':>3}"
            f" {r['est_cycles']:>11}"
        )
        if fixed:
            line += f" {r.get('fixed_cycles', ''):>12}"
        if "tvm_cycles" in r:
            line += (
                f" {r['tvm_cycles']:>11} {r['speedup']:>7.2f} {r['tvm_model_ms']:>12.2f} "
                f"{r['tvm_measured_ms']:>11.2f} {r['tvm_model_error']:>+9.1%}"
            )
        print(line)

    def geomean(values: list[float]) -> float:
        return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")

    print(f"geometric-mean roofline efficiency: {geomean([r['efficiency'] for r in results]):.3f}")
    nominal = [r["roofline_cycles_8_bytes"] / r["cycles"] for r in results]  # type: ignore[operator]
    print(f"geometric-mean roofline efficiency at 8 bytes per cycle: {geomean(nominal):.3f}")
    errors = [abs(r["est_cycles"] / r["cycles"] - 1) for r in results]  # type: ignore[operator]
    if errors:
        print(f"fast model vs timed simulation: worst error {max(errors):.3%}")
    over_fixed = [r["fixed_cycles"] / r["cycles"] for r in results if "fixed_cycles" in r]  # type: ignore[operator]
    if over_fixed:
        print(
            f"speedup over the fixed embedding (same tiler): geometric mean "
            f"{geomean(over_fixed):.3f}, max {max(over_fixed):.2f}, min {min(over_fixed):.3f}"
        )
    speedups = [r["speedup"] for r in results if "speedup" in r]
    if speedups:
        compared = [r["efficiency"] for r in results if "speedup" in r]
        names = [str(r["workload"]) for r in results if "speedup" in r]
        print(
            f"geometric-mean roofline efficiency over the layers TVM ran on VTA "
            f"({names[0]} to {names[-1]}): {geomean(compared):.3f}"
        )
        print(f"geometric-mean speedup over TVM's schedules (same model): {geomean(speedups):.3f}")
        worst = max((r for r in results if "speedup" in r), key=lambda r: abs(r["tvm_model_error"]))
        print(
            f"model vs the board for TVM's schedules: worst error {worst['tvm_model_error']:+.1%} "
            f"({worst['workload']})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vtac bench", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suite", help=f"{', '.join(SUITES)}, or a CSV file with their columns")
    parser.add_argument("--config", help="hardware configuration (default: VTA's default)")
    parser.add_argument("--board", choices=sorted(BOARDS), default="pynq", help="timing parameters")
    parser.add_argument(
        "--compare",
        choices=["tvm", "fixed"],
        action="append",
        default=[],
        help="also time TVM's published schedules (tvm), or vtac's tiler on TVM's fixed "
        "embedding (fixed); may be given twice",
    )
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--tuning-log", metavar="F", help="apply the best record per workload")


def run(args: argparse.Namespace) -> int:
    from vtac.progress import wanted
    from vtac.runtime.config import resolve_config

    start = time.perf_counter()
    config = resolve_config(args.config)
    only = {n.strip() for n in args.only.split(",")} if args.only is not None else None
    if only is not None and not all(only):
        raise BenchError(f"--only {args.only!r}: expected workload names separated by commas")
    if args.json:
        folder = Path(args.json).parent
        if not folder.is_dir():
            raise BenchError(f"--json {args.json}: directory {folder} does not exist")
    results = run_suite(
        args.suite,
        config,
        BOARDS[args.board],
        compare_tvm="tvm" in args.compare,
        compare_fixed="fixed" in args.compare,
        only=only,
        phases=wanted(getattr(args, "progress", None)),
        tuning_log=args.tuning_log,
    )
    print_table(results)
    print(f"total time: {time.perf_counter() - start:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r["correct"] for r in results) else 1
