"""Simulated annealing: a walk over neighbouring configurations (one field one step away, or
now and then a jump anywhere), accepting a worse one with the Metropolis probability on the log
of the objective, the temperature falling geometrically over the budget."""

from __future__ import annotations

import math

from vtac.explore.algorithms.base import Search, score
from vtac.explore.space import Point, Space

#: Temperatures (in log-objective units) at the start and the end of the budget.
T_START = 0.2
T_END = 0.002
JUMP = 0.05


class AnnealSearch(Search):
    name = "anneal"

    def __init__(self, space: Space, budget: int, seed: int) -> None:
        super().__init__(space, budget, seed)
        self.current: tuple[Point, float] | None = None
        self.worst = 0.0
        self.used = 0

    def ask(self, used: int) -> list[Point]:
        self.used = used
        if self.current is None:
            return [self.space.sample(self.rng)]
        around = self.space.neighbours(self.current[0])
        if not around or self.rng.random() < JUMP:
            return [self.space.sample(self.rng)]
        return [self.rng.choice(around)]

    def tell(self, points: list[Point], values: list[float]) -> None:
        for point, value in zip(points, values, strict=True):
            if math.isfinite(value):
                self.worst = max(self.worst, math.log(value))
            new = score(value, self.worst)
            if self.current is None:
                self.current = (point, new)
                continue
            progress = min(1.0, self.used / max(1, self.budget))
            temperature = T_START * (T_END / T_START) ** progress
            delta = new - self.current[1]
            if delta <= 0 or self.rng.random() < math.exp(-delta / temperature):
                self.current = (point, new)
