"""Searches that ignore the values: uniform random sampling and exhaustive enumeration."""

from __future__ import annotations

from vtac.explore.algorithms.base import Search
from vtac.explore.space import Point, Space

#: Points asked per batch (what the workers evaluate at once).
BATCH = 8


class RandomSearch(Search):
    """Points drawn uniformly without replacement."""

    name = "random"

    def __init__(self, space: Space, budget: int, seed: int) -> None:
        super().__init__(space, budget, seed)
        self.order = list(space.points)
        self.rng.shuffle(self.order)
        self.next = 0

    def ask(self, used: int) -> list[Point]:
        batch = self.order[self.next : self.next + BATCH]
        self.next += len(batch)
        return batch

    def tell(self, points: list[Point], values: list[float]) -> None:
        pass


class ExhaustiveSearch(RandomSearch):
    """Every point of the space, in order."""

    name = "exhaustive"

    def __init__(self, space: Space, budget: int, seed: int) -> None:
        super().__init__(space, budget, seed)
        self.order = list(space.points)
