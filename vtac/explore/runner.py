"""The exploration loop: an algorithm asks for points, the evaluator values the ones not seen
yet, until the budget of distinct evaluations is spent; the history, the best configuration and
the Pareto front of cycles against memory blocks and DSP slices."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vtac.explore.algorithms import ALGORITHMS
from vtac.explore.evaluators import Evaluation
from vtac.explore.resources import estimate
from vtac.explore.space import Point, Space
from vtac.runtime.config import VTAConfig

#: Proposals an algorithm may make per evaluation of the budget (repeats are free; this bounds
#: a search that keeps proposing points it has seen).
PROPOSALS_PER_EVALUATION = 10


@dataclass
class Record:
    """One evaluation: its place in the run, the point and its objective."""

    index: int
    point: Point
    value: float
    cycles: dict[str, int | None]


@dataclass
class Run:
    """The outcome of one exploration."""

    space: Space
    algorithm: str
    seed: int
    history: list[Record] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def best(self) -> Record:
        return min(self.history, key=lambda r: (r.value, r.index))

    def best_after(self, evaluations: int) -> float:
        """The best value among the first ``evaluations``."""
        return min((r.value for r in self.history[:evaluations]), default=math.inf)

    def evaluations_to(self, target: float) -> int | None:
        """Evaluations until a value at or below ``target`` (None if never)."""
        best = math.inf
        for record in self.history:
            best = min(best, record.value)
            if best <= target:
                return record.index + 1
        return None

    def pareto_front(self) -> list[Record]:
        """Evaluated points no other beats or ties on the objective, memory blocks and DSP
        slices at once (finite objectives only), by objective."""
        board = self.space.board
        rows = []
        for record in self.history:
            if not math.isfinite(record.value):
                continue
            res = estimate(self.space.config(record.point), board)
            rows.append((record.value, res.memory_blocks, res.dsp, record))
        front = []
        for value, blocks, dsp, record in rows:
            dominated = any(
                v <= value and b <= blocks and d <= dsp and (v, b, d) != (value, blocks, dsp)
                for v, b, d, _ in rows
            )
            if not dominated and all(r.point != record.point for r in front):
                front.append(record)
        return sorted(front, key=lambda r: r.value)


def explore(
    space: Space,
    algorithm: str,
    evaluate: Callable[[list[VTAConfig]], list[Evaluation]],
    budget: int,
    seed: int = 0,
    progress: bool = False,
) -> Run:
    """Run ``algorithm`` over ``space`` for ``budget`` evaluations of distinct points (at most
    the space's size)."""
    budget = min(budget, len(space))
    search = ALGORITHMS[algorithm](space, budget, seed)
    run = Run(space, algorithm, seed)
    seen: dict[Point, float] = {}
    proposals = 0
    start = time.perf_counter()
    while len(seen) < budget and proposals < PROPOSALS_PER_EVALUATION * budget:
        batch = search.ask(len(seen))
        if not batch:
            break
        proposals += len(batch)
        new = list(dict.fromkeys(p for p in batch if p not in seen))[: budget - len(seen)]
        for point, (value, cycles) in zip(
            new, evaluate([space.config(p) for p in new]), strict=True
        ):
            seen[point] = value
            run.history.append(Record(len(run.history), point, value, cycles))
        told = [p for p in batch if p in seen]
        search.tell(told, [seen[p] for p in told])
        if progress:
            _progress(len(seen), budget, run.best.value if run.history else math.inf)
    if progress:
        print(file=sys.stderr)
    run.seconds = time.perf_counter() - start
    return run


def _progress(done: int, total: int, best: float) -> None:
    width = 30
    filled = width * done // max(1, total)
    bar = "#" * filled + "." * (width - filled)
    print(f"\r[{bar}] {done}/{total} best {best:,.0f}", end="", file=sys.stderr, flush=True)
