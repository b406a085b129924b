"""``vtac explore SUITE --board B``: the best VTA configuration for a workload suite on a board.

Prints the space's size, a progress bar, the best configuration against VTA's default, and
writes the best as a ``vta_config.json`` that ``--config`` accepts; ``--json`` writes the whole
run (best_config, best_cycles, default_cycles, history, pareto_front), ``--plot`` the
convergence and the front, ``--verify`` compiles and simulates the suite on the answer.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from pathlib import Path

from vtac.explore.resources import BOARDS as FPGA_BOARDS

ALGORITHM_NAMES = ("confuciux", "reinforce", "ga", "anneal", "random", "bayes", "exhaustive")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suite", help="resnet18, deepbench-gemm, deepbench-conv or a CSV file")
    parser.add_argument("--board", choices=sorted(FPGA_BOARDS), default="pynq")
    parser.add_argument("--algo", choices=ALGORITHM_NAMES, default="confuciux")
    parser.add_argument("--evals", type=int, default=200, help="distinct configurations valued")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--budget-fraction",
        type=float,
        default=1.0,
        help="share of the board's memory blocks, DSP slices and LUTs allowed",
    )
    parser.add_argument("--per-clock", action="store_true", help="minimise time, not cycles")
    parser.add_argument("--workers", type=int, help="local processes (default: the CPU count)")
    parser.add_argument("--ray", metavar="ADDR", help="evaluate on a Ray cluster: auto, local")
    parser.add_argument("-o", "--output", default="vta_config.json", help="best configuration")
    parser.add_argument("--json", help="write the run to this file")
    parser.add_argument("--plot", help="write convergence and Pareto plots (PNG)")
    parser.add_argument("--verify", action="store_true", help="compile and simulate the answer")


def run(args: argparse.Namespace) -> int:
    """The command; a missing optional package is a user error, not a traceback."""
    from vtac.cli import CliError

    try:
        return _explore(args, CliError)
    except ImportError as err:
        raise CliError(str(err)) from None


def _explore(args: argparse.Namespace, error: type[Exception]) -> int:
    from vtac.explore.evaluators import LocalEvaluator, ObjectiveSpec, RayEvaluator
    from vtac.explore.objective import load_suite
    from vtac.explore.resources import estimate, fits
    from vtac.explore.runner import explore
    from vtac.explore.space import Space
    from vtac.runtime.config import VTAConfig

    if args.evals < 1 or args.budget_fraction <= 0:
        raise error("--evals must be positive and --budget-fraction above 0")
    start = time.perf_counter()
    board = FPGA_BOARDS[args.board]
    workloads = load_suite(args.suite)
    space = Space(board, args.budget_fraction)
    if not len(space):
        raise error(f"no configuration fits {args.budget_fraction:.0%} of {board.name}'s resources")
    print(
        f"{len(space)} configurations fit {args.budget_fraction:.0%} of {board.name} "
        f"({board.part}; {space.raw_size} combinations of {', '.join(space.names)}); "
        f"{args.algo}, {min(args.evals, len(space))} evaluations, seed {args.seed}",
        file=sys.stderr,
    )
    spec = ObjectiveSpec(tuple(workloads), args.board, args.per_clock)
    if args.ray:
        evaluator = RayEvaluator(spec, args.ray, args.workers)
    else:
        evaluator = LocalEvaluator(spec, args.workers or os.cpu_count() or 1)
    try:
        result = explore(space, args.algo, evaluator, args.evals, args.seed, progress=True)
        default = VTAConfig()
        ((default_value, default_cycles),) = evaluator([default])
    finally:
        evaluator.close()
    best = result.best
    if not math.isfinite(best.value):
        raise error("no configuration evaluated fits every workload's tiles")
    config = dataclasses.replace(space.config(best.point), TARGET=board.name)
    config.save(args.output)
    resources = estimate(config, board)
    default_fits = fits(estimate(default, board), board, args.budget_fraction)
    unit = "us" if args.per_clock else "cycles"
    print(f"best: {config.name} {best.value:,.0f} {unit} (evaluation {best.index + 1})")
    print(
        f"VTA's default: {default.name} {default_value:,.0f} {unit}"
        f"{'' if default_fits else ' (does not fit this budget)'}; "
        f"speedup {default_value / best.value:.3f}x"
    )
    use = resources.utilization(board)
    print(
        f"resources: {resources.memory_blocks} {board.block_name} ({use['memory_blocks']:.0%}), "
        f"{resources.dsp} DSP ({use['dsp']:.0%}), {resources.luts} LUTs ({use['luts']:.0%})"
    )
    front = result.pareto_front()
    print(f"Pareto front (objective, {board.block_name}, DSP): {len(front)} configurations")
    print(f"wrote {args.output}; {time.perf_counter() - start:.1f} s")
    report: dict[str, object] = {
        "suite": args.suite,
        "board": board.name,
        "algorithm": args.algo,
        "seed": args.seed,
        "evals": len(result.history),
        "budget_fraction": args.budget_fraction,
        "objective": unit,
        "space_size": len(space),
        "space_fields": dict(space.fields),
        "best_config": config.to_dict(),
        "best_cycles": sum(c for c in best.cycles.values() if c is not None),
        "best_value": best.value,
        "best_workload_cycles": best.cycles,
        "best_resources": _resources(config, board),
        "default_config": default.to_dict(),
        "default_cycles": sum(c for c in default_cycles.values() if c is not None),
        "default_value": default_value,
        "default_fits": default_fits,
        "history": [_record(space, r, board) for r in result.history],
        "pareto_front": [_record(space, r, board) for r in front],
        "seconds": time.perf_counter() - start,
    }
    status = 0
    if args.verify:
        status = _verify(workloads, config, args.board, best.cycles, report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    if args.plot:
        from vtac.explore.plot import plot

        plot(result, args.plot, default_value)
    return status


def _resources(config: object, board: object) -> dict[str, int]:
    from vtac.explore.resources import estimate

    res = estimate(config, board)  # type: ignore[arg-type]
    return {"memory_blocks": res.memory_blocks, "dsp": res.dsp, "luts": res.luts}


def _record(space: object, record: object, board: object) -> dict[str, object]:
    config = space.config(record.point)  # type: ignore[attr-defined]
    return {
        "index": record.index,  # type: ignore[attr-defined]
        "config": {name: getattr(config, name) for name in space.names},  # type: ignore[attr-defined]
        "value": record.value if math.isfinite(record.value) else None,  # type: ignore[attr-defined]
        **_resources(config, board),
    }


def _verify(workloads: list, config: object, board: str, model: dict, report: dict) -> int:
    from vtac.explore.verify import verify

    checks = verify(workloads, config, board, model)  # type: ignore[arg-type]
    print(f"{'workload':<12} {'match':>5} {'model':>11} {'simulated':>11} {'error':>7}")
    for c in checks:
        error = "-" if c.error is None else f"{c.error:+.1%}"
        print(
            f"{c.workload:<12} {'yes' if c.match else 'NO':>5} {c.model_cycles or 0:>11} "
            f"{c.simulated_cycles:>11} {error:>7}"
        )
    report["verify"] = [dataclasses.asdict(c) | {"error": c.error} for c in checks]
    return 0 if all(c.match for c in checks) else 1
