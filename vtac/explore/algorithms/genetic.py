"""A genetic algorithm over the configuration fields: tournament selection, uniform crossover,
mutation by one step of a field, (mu + lambda) survival; children that leave the space are
redrawn."""

from __future__ import annotations

import math
from collections.abc import Sequence

from vtac.explore.algorithms.base import Search, score
from vtac.explore.space import Point, Space

POPULATION = 16
TOURNAMENT = 3
CROSSOVER = 0.9
#: Probability of a jump to a random value (else one step up or down) when a field mutates.
JUMP = 0.2
REDRAWS = 30


class GeneticSearch(Search):
    """GA with a population of :data:`POPULATION`; ``initial`` seeds the first population
    (ConfuciuX's fine-tuning starts from the RL stage's best)."""

    name = "ga"

    def __init__(
        self, space: Space, budget: int, seed: int, initial: Sequence[tuple[Point, float]] = ()
    ) -> None:
        super().__init__(space, budget, seed)
        self.population: list[tuple[float, Point]] = []
        self.known: dict[Point, float] = {}
        self.worst = 0.0
        if initial:
            self._merge([p for p, _ in initial], [v for _, v in initial])

    def _merge(self, points: list[Point], values: list[float]) -> None:
        for point, value in zip(points, values, strict=True):
            self.known[point] = value
        finite = [math.log(v) for v in self.known.values() if math.isfinite(v) and v > 0]
        self.worst = max(finite, default=0.0)
        ranked = sorted({(score(v, self.worst), p) for p, v in self.known.items()})
        self.population = ranked[:POPULATION]

    def _select(self) -> Point:
        picks = [self.rng.choice(self.population) for _ in range(TOURNAMENT)]
        return min(picks)[1]

    def mutate(self, point: Point) -> Point:
        """``point`` with one field moved, a step or (with probability JUMP) anywhere."""
        sizes = self.space.sizes
        field = self.rng.randrange(len(sizes))
        if self.rng.random() < JUMP:
            value = self.rng.randrange(sizes[field])
        else:
            value = min(max(point[field] + self.rng.choice((-1, 1)), 0), sizes[field] - 1)
        return (*point[:field], value, *point[field + 1 :])

    def child(self) -> Point:
        """A child of two selected parents, inside the space."""
        for _ in range(REDRAWS):
            mother, father = self._select(), self._select()
            if self.rng.random() < CROSSOVER:
                genes = tuple(
                    m if self.rng.random() < 0.5 else f for m, f in zip(mother, father, strict=True)
                )
            else:
                genes = mother
            genes = self.mutate(genes)
            while self.rng.random() < 0.3:
                genes = self.mutate(genes)
            if genes in self.space and genes not in self.known:
                return genes
        return self.space.sample(self.rng)

    def ask(self, used: int) -> list[Point]:
        if len(self.population) < 2:
            return [self.space.sample(self.rng) for _ in range(POPULATION)]
        return [self.child() for _ in range(POPULATION)]

    def tell(self, points: list[Point], values: list[float]) -> None:
        self._merge(points, values)
