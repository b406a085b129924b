"""ConfuciuX (Kao et al., MICRO 2020): a REINFORCE policy finds a good region of the space,
then a genetic algorithm fine-tunes from the best configurations it found. The GA takes over
once the RL stage has spent its share of the budget or has converged (its last batches
proposed only configurations already evaluated)."""

from __future__ import annotations

from vtac.explore.algorithms.base import Search
from vtac.explore.algorithms.genetic import POPULATION, GeneticSearch
from vtac.explore.algorithms.reinforce import ReinforceSearch
from vtac.explore.space import Point, Space

#: Share of the budget the RL stage spends at most before the GA takes over.
RL_SHARE = 0.5
#: Consecutive RL batches without a new configuration that count as convergence.
CONVERGED = 3


class ConfuciuxSearch(Search):
    name = "confuciux"

    def __init__(self, space: Space, budget: int, seed: int) -> None:
        super().__init__(space, budget, seed)
        self.rl = ReinforceSearch(space, budget, seed)
        self.ga: GeneticSearch | None = None
        self.seen: dict[Point, float] = {}
        self.stale = 0

    def ask(self, used: int) -> list[Point]:
        if self.ga is None and (used >= self.budget * RL_SHARE or self.stale >= CONVERGED):
            best = sorted(self.seen.items(), key=lambda kv: kv[1])[:POPULATION]
            self.ga = GeneticSearch(self.space, self.budget, self.seed + 1, initial=best)
        return (self.ga or self.rl).ask(used)

    def tell(self, points: list[Point], values: list[float]) -> None:
        new = any(p not in self.seen for p in points)
        self.stale = 0 if new else self.stale + 1
        self.seen.update(zip(points, values, strict=True))
        (self.ga or self.rl).tell(points, values)
