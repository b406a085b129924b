"""Bayesian optimisation with optuna's TPE sampler (the optional ``explore`` extra), asked a
few points at a time with the constant-liar strategy. A proposal outside the space (one that
does not fit the board) is never evaluated: optuna is told a value worse than any seen."""

from __future__ import annotations

import math

from vtac.explore.algorithms.base import Search, score
from vtac.explore.space import Point, Space

BATCH = 4
#: Proposals outside the space tried per point before a uniform draw replaces it.
ATTEMPTS = 3


class BayesSearch(Search):
    name = "bayes"

    def __init__(self, space: Space, budget: int, seed: int) -> None:
        super().__init__(space, budget, seed)
        try:
            import optuna
        except ImportError:
            raise ImportError("--algo bayes needs optuna: pip install 'vtac[explore]'") from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True, multivariate=True)
        self.study = optuna.create_study(sampler=sampler)
        self.trials: dict[Point, list] = {}
        self.worst = 0.0

    def _trial_point(self) -> tuple[object, Point]:
        trial = self.study.ask()
        point = tuple(
            trial.suggest_int(name, 0, size - 1)
            for name, size in zip(self.space.names, self.space.sizes, strict=True)
        )
        return trial, point

    def ask(self, used: int) -> list[Point]:
        points = []
        for _ in range(BATCH):
            for _ in range(ATTEMPTS):
                trial, point = self._trial_point()
                if point in self.space:
                    self.trials.setdefault(point, []).append(trial)
                    points.append(point)
                    break
                self.study.tell(trial, self.worst + 2.0)
            else:
                point = self.space.sample(self.rng)
                names = dict(zip(self.space.names, point, strict=True))
                self.study.enqueue_trial(names)
                trial, point = self._trial_point()
                self.trials.setdefault(point, []).append(trial)
                points.append(point)
        return points

    def tell(self, points: list[Point], values: list[float]) -> None:
        for value in values:
            if math.isfinite(value) and value > 0:
                self.worst = max(self.worst, math.log(value))
        for point, value in zip(points, values, strict=True):
            for trial in self.trials.pop(point, []):
                self.study.tell(trial, score(value, self.worst))
