"""The fast performance model against the timed simulator.

For every workload (ResNet-18 C1-C11, every DeepBench convolution and GEMM, and fuzzed programs
of :func:`vtac.testing.programs`) on each configuration (default, batch2, block32): the schedule
vtac chooses, estimated by :class:`vtac.runtime.fast_model.FastModel` and timed by the timed
simulator on the compiled program; the error per workload, the mean absolute percentage error,
the worst error, the model's time, the time of compiling that very schedule (forced, so no
search) and timing it, and their ratio.

    python benchmarks/perf_model.py [--json F] [--suites resnet18,deepbench-conv,...]
        [--configs default,batch2,block32] [--fuzz N] [--max-macs N] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import vtac
from vtac.backends.reference import find_function
from vtac.bench import _rows, _workload
from vtac.compiler import compile_module
from vtac.estimate import plan_function
from vtac.passes.schedule import TileOptions
from vtac.planning.contraction import workload_of
from vtac.planning.tiling import Schedule
from vtac.runtime.config import VTAConfig
from vtac.runtime.fast_model import FastModel
from vtac.runtime.target import Target
from vtac.runtime.timing import time_program
from vtac.testing import is_refusal

SUITES = ("resnet18", "deepbench-conv", "deepbench-gemm")


def forced(schedule: Schedule) -> TileOptions:
    """Options that make vtac-tile choose ``schedule`` again without searching."""
    return TileOptions(
        tiles=schedule.tile,
        vthreads=schedule.vthreads,
        order=schedule.order,
        acc_threads=schedule.acc_halves,
        epilogue="split" if schedule.split_tail else "whole",
        refine_layouts=schedule.refined_layouts,
        head=str(schedule.head) if schedule.head else "none",
        tail=str(schedule.tail) if schedule.tail else "none",
    )


def fuzzed(count: int, configs: list[VTAConfig]) -> list[tuple[str, str, VTAConfig, str]]:
    """``count`` programs drawn deterministically, spread over ``configs``: (name, IR text,
    configuration, embedding)."""
    from hypothesis import HealthCheck, Phase, given, settings

    from vtac.testing import Program, programs

    drawn: list[tuple[str, str, VTAConfig, str]] = []

    def collector(config: VTAConfig, share: int) -> Callable[[], None]:
        @settings(
            max_examples=share,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            deadline=None,
        )
        @given(programs(config=config))
        def collect(program: Program) -> None:
            name = f"fuzz/{config.name}/{sum(d[2] == config for d in drawn)}"
            drawn.append((name, program.text, config, program.embedding))

        return collect

    for index, config in enumerate(configs):
        share = count // len(configs) + (index < count % len(configs))
        if share:
            collector(config, share)()
    return drawn[:count]


def measure(
    name: str, text: str, config: VTAConfig, embedding: str = "auto"
) -> dict[str, object] | None:
    """One workload: the model's estimate of vtac's schedule and the timed simulation of it
    compiled (None if vtac refuses the program)."""
    target = Target.of(config)
    try:
        planned = plan_function(vtac.parse_ir(text), target, embedding=embedding)
    except Exception as err:  # noqa: BLE001 - a refusal is reported, anything else raised
        if is_refusal(err):
            return None
        raise
    estimate = FastModel(target).estimate(planned.stages)
    assert estimate is not None
    options: dict[str, object] = {"embedding": embedding}
    if len(planned.stages) == 1:
        options["tiling"] = forced(planned.stages[0][1])
    start = time.perf_counter()
    compiled = compile_module(vtac.parse_ir(text), config, **options)  # type: ignore[arg-type]
    report = time_program(config, compiled.image.insns, target.timing)
    truth_s = time.perf_counter() - start
    return {
        "workload": name,
        "config": config.name,
        "stages": len(planned.stages),
        "cycles": report.cycles,
        "est_cycles": estimate.cycles,
        "error": estimate.cycles / report.cycles - 1,
        "est_s": estimate.seconds,
        "compile_sim_s": truth_s,
        "ratio": truth_s / estimate.seconds,
        "schedule": "; ".join(str(s) for _, s in planned.stages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows and the summary to this file")
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--configs", default="default,batch2,block32")
    parser.add_argument("--fuzz", type=int, default=200, help="fuzzed programs (in all)")
    parser.add_argument("--max-macs", type=float, default=0, help="skip larger workloads")
    parser.add_argument("--limit", type=int, default=0, help="workloads per suite at most")
    args = parser.parse_args(argv)
    configs = [VTAConfig.named(c) for c in args.configs.split(",") if c]
    work: list[tuple[str, str, VTAConfig, str]] = []
    for suite in filter(None, args.suites.split(",")):
        rows = _rows(suite)
        if args.limit:
            step = max(1, len(rows) // args.limit)
            rows = rows[::step][: args.limit]
        for config in configs:
            for row in rows:
                name, text = _workload(row)
                work.append((name, text, config, "auto"))
    work += fuzzed(args.fuzz, configs) if args.fuzz else []
    rows_out = []
    for index, (name, text, config, embedding) in enumerate(work, start=1):
        if args.max_macs and workload_of(find_function(vtac.parse_ir(text))).macs > args.max_macs:
            continue
        print(f"[{index}/{len(work)}] {name} ({config.name})", file=sys.stderr, flush=True)
        row = measure(name, text, config, embedding)
        if row is None:
            continue
        rows_out.append(row)
        print(
            f"{name:<28} {config.name:<28} {row['cycles']:>11} {row['est_cycles']:>11} "
            f"{row['error']:>+8.3%} {row['est_s'] * 1e3:>9.2f} ms {row['compile_sim_s']:>7.2f} s "
            f"{row['ratio']:>8.0f}x",
            flush=True,
        )
    errors = [abs(r["error"]) for r in rows_out]  # type: ignore[arg-type]
    summary = {
        "workloads": len(rows_out),
        "mape": statistics.mean(errors) if errors else 0.0,
        "worst": max(errors, default=0.0),
        "worst_workload": max(rows_out, key=lambda r: abs(r["error"]))["workload"]  # type: ignore[arg-type]
        if rows_out
        else None,
        "median_est_s": statistics.median(r["est_s"] for r in rows_out) if rows_out else 0.0,
        "median_compile_sim_s": statistics.median(r["compile_sim_s"] for r in rows_out)
        if rows_out
        else 0.0,
        "median_ratio": statistics.median(r["ratio"] for r in rows_out) if rows_out else 0.0,
    }
    print(
        f"{summary['workloads']} workloads: MAPE {summary['mape']:.3%}, "
        f"worst {summary['worst']:.3%}"
        f" ({summary['worst_workload']}), median model {summary['median_est_s'] * 1e3:.2f} ms, "
        f"median compile+simulate {summary['median_compile_sim_s']:.2f} s, median ratio "
        f"{summary['median_ratio']:.0f}x"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows_out}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
