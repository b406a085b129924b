"""The interface every search algorithm implements: ask for a batch of points, be told their
values. Values are the objective (lower is better, ``inf`` where a workload fits no tiling);
the driver (:func:`vtac.explore.runner.explore`) counts evaluations of distinct points against
the budget, answers repeated points from its memo, and tells the algorithm every value."""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod

from vtac.explore.space import Point, Space


class Search(ABC):
    """A search over ``space`` with ``budget`` evaluations, seeded by ``seed``."""

    name = ""

    def __init__(self, space: Space, budget: int, seed: int) -> None:
        self.space = space
        self.budget = budget
        self.rng = random.Random(seed)
        self.seed = seed

    @abstractmethod
    def ask(self, used: int) -> list[Point]:
        """The next points to evaluate (empty: the search is over); ``used`` evaluations of
        the budget are spent."""

    @abstractmethod
    def tell(self, points: list[Point], values: list[float]) -> None:
        """The values of points asked for (in the same order)."""


def score(value: float, worst: float) -> float:
    """A value on the log scale searches compare on (lower is better): ``log(value)``, and for
    an infeasible ``inf`` a little above the ``worst`` finite log seen."""
    return math.log(value) if math.isfinite(value) and value > 0 else worst + 1.0
