"""Benchmark of `vtac explore`'s algorithms (after ConfuciuX's comparison, Kao et al. 2020).

For each board budget (pynq, ultra96 at full budget), the objective (ResNet-18 C1-C11 total
cycles with the compiler's schedules) is computed once for every configuration of the space
(the exhaustive pass, cached in ``--tables``: rerunning reuses it), then every algorithm runs
over ``--seeds`` seeds replaying values from that table: evaluations until within 1% of the
exhaustive optimum (median, worst; a run that never gets there counts as the budget, marked
">"), the best value after 100 evaluations (as a ratio to the optimum), and the algorithm's own
wall time (the objective's time is the exhaustive pass's, reported per evaluation). Then the
speedup of ``confuciux`` over each other method (ratio of median evaluations to 1%) beside
the paper's 4.7-24x.

    python benchmarks/explore.py [--json F] [--boards pynq,ultra96] [--seeds 10] [--budget 300]
        [--only C2,C11] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

from vtac.explore.algorithms import ALGORITHMS
from vtac.explore.evaluators import LocalEvaluator, ObjectiveSpec, TableEvaluator
from vtac.explore.objective import load_suite
from vtac.explore.resources import BOARDS
from vtac.explore.runner import explore
from vtac.explore.space import Space
from vtac.runtime.config import VTAConfig

PAPER = "4.7-24x"


def exhaustive_table(
    board: str, suite: str, path: Path, workers: int, only: set[str] | None = None
) -> dict:
    """Objective of every point of the board's space, from ``path`` when it holds them."""
    space = Space(BOARDS[board])
    workloads = [w for w in load_suite(suite) if not only or w.name in only]
    table = json.loads(path.read_text()) if path.exists() else {}
    values = {tuple(v["point"]): v for v in table.get("values", [])}
    missing = [p for p in space if p not in values]
    if missing:
        evaluator = LocalEvaluator(ObjectiveSpec(tuple(workloads), board), workers)
        start = time.perf_counter()
        chunk = 8 * workers
        for i in range(0, len(missing), chunk):
            part = missing[i : i + chunk]
            for point, (value, cycles) in zip(
                part, evaluator([space.config(p) for p in part]), strict=True
            ):
                values[point] = {"point": list(point), "value": value, "cycles": cycles}
            table = {
                "board": board,
                "suite": suite,
                "workloads": [w.name for w in workloads],
                "fields": dict(space.fields),
                "seconds": table.get("seconds", 0.0) + time.perf_counter() - start,
                "values": list(values.values()),
            }
            start = time.perf_counter()
            path.write_text(json.dumps(table))
            print(f"  {board}: {len(values)}/{len(space)} configurations", flush=True)
        evaluator.close()
    return table


def run_board(board: str, table: dict, seeds: int, budget: int) -> dict:
    space = Space(BOARDS[board])
    values = {tuple(v["point"]): (v["value"], v["cycles"]) for v in table["values"]}
    optimum_point = min(values, key=lambda p: values[p][0])
    optimum = values[optimum_point][0]
    default = values.get(space.point(VTAConfig()))
    evaluator = TableEvaluator(lambda c: values[space.point(c)])
    target = optimum * 1.01
    results: dict[str, dict] = {}
    for name in ALGORITHMS:
        if name == "exhaustive":
            continue
        to_target, to_optimum, after_100, seconds = [], [], [], []
        for seed in range(seeds):
            run = explore(space, name, evaluator, budget, seed)
            reached = run.evaluations_to(target)
            to_target.append(reached if reached is not None else math.inf)
            found = run.evaluations_to(optimum)
            to_optimum.append(found if found is not None else math.inf)
            after_100.append(run.best_after(100) / optimum)
            seconds.append(run.seconds)
        finite = [t for t in to_target if math.isfinite(t)]
        results[name] = {
            "evals_to_1pct": to_target,
            "median_evals_to_1pct": statistics.median(to_target),
            "worst_evals_to_1pct": max(to_target),
            "reached": len(finite),
            "evals_to_optimum": to_optimum,
            "median_evals_to_optimum": statistics.median(to_optimum),
            "worst_evals_to_optimum": max(to_optimum),
            "best_after_100_over_optimum": after_100,
            "median_best_after_100": statistics.median(after_100),
            "median_seconds": statistics.median(seconds),
        }
    for metric in ("1pct", "optimum"):
        conf = results["confuciux"][f"median_evals_to_{metric}"]
        for row in results.values():
            other = row[f"median_evals_to_{metric}"]
            row[f"confuciux_speedup_{metric}"] = other / conf if math.isfinite(conf) else None
    per_eval = table["seconds"] / max(1, len(values))
    return {
        "board": board,
        "workloads": table.get("workloads"),
        "space_size": len(space),
        "space_raw_size": space.raw_size,
        "optimum": optimum,
        "optimum_config": space.config(optimum_point).to_dict(),
        "default_cycles": default[0] if default else None,
        "within_1pct": sum(v[0] <= target for v in values.values()),
        "exhaustive_seconds": table["seconds"],
        "seconds_per_evaluation": per_eval,
        "budget": budget,
        "seeds": seeds,
        "algorithms": results,
    }


def show(report: dict) -> None:
    print(
        f"\n{report['board']}: {report['space_size']} configurations fit "
        f"(of {report['space_raw_size']} combinations); optimum {report['optimum']:,.0f} cycles, "
        f"VTA's default {report['default_cycles']:,.0f}; exhaustive pass "
        f"{report['exhaustive_seconds']:.0f} s ({report['seconds_per_evaluation']:.2f} s per "
        f"configuration)"
    )
    print(
        f"{report['within_1pct']} configurations are within 1% of the optimum. Evaluations until "
        "within 1% / until the optimum (median, worst, runs that got there):"
    )
    print(
        f"{'algorithm':<11} {'1%:med':>7} {'worst':>6} {'got':>6} {'opt:med':>7} {'worst':>6} "
        f"{'got':>6} {'best@100':>9} {'alg_s':>6} {'cfx speedup 1%/opt':>19}"
    )
    for name, row in report["algorithms"].items():

        def fmt(n: float) -> str:
            return f">{report['budget']}" if not math.isfinite(n) else f"{n:g}"

        def ratio(x: float | None) -> str:
            return "-" if x is None else f"{x:.2f}x"

        got_opt = sum(math.isfinite(t) for t in row["evals_to_optimum"])
        speedups = f"{ratio(row['confuciux_speedup_1pct'])} / "
        speedups += ratio(row["confuciux_speedup_optimum"])
        print(
            f"{name:<11} {fmt(row['median_evals_to_1pct']):>7} "
            f"{fmt(row['worst_evals_to_1pct']):>6} {row['reached']:>3}/{report['seeds']:<2} "
            f"{fmt(row['median_evals_to_optimum']):>7} {fmt(row['worst_evals_to_optimum']):>6} "
            f"{got_opt:>3}/{report['seeds']:<2} {row['median_best_after_100']:>9.4f} "
            f"{row['median_seconds']:>6.2f} "
            f"{speedups:>19}"
        )
    print(f"(paper: ConfuciuX reaches the optimised configuration {PAPER} faster)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--boards", default="pynq,ultra96")
    parser.add_argument("--suite", default="resnet18")
    parser.add_argument("--only", help="comma-separated workloads of the suite (default: all)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tables", default=".explore-tables", help="cache of exhaustive passes")
    parser.add_argument("--tables-only", action="store_true", help="only the exhaustive passes")
    args = parser.parse_args()
    folder = Path(args.tables)
    folder.mkdir(exist_ok=True)
    reports = []
    for board in args.boards.split(","):
        only = set(args.only.split(",")) if args.only else None
        tag = "_".join(sorted(only)) if only else "all"
        path = folder / f"{Path(args.suite).stem}_{tag}_{board}.json"
        table = exhaustive_table(board, args.suite, path, args.workers, only)
        if args.tables_only:
            continue
        report = run_board(board, table, args.seeds, args.budget)
        show(report)
        reports.append(report)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
