"""Model-based tuning as AutoTVM's XGBTuner does it, with three ways to start.

Measured configurations train gradient-boosted trees (xgboost, pairwise rank objective, labels
the measured throughput relative to the best, 0 for a failed measurement) over the space's
features; simulated annealing (AutoTVM's SimulatedAnnealingOptimizer: parallel walks that change
one knob at a time, accepted by the score difference at a falling temperature, stopped early
when the best set stops changing) then finds the plan: the ``plan_size`` best-scored unmeasured
configurations, each replaced by a random one with probability ``eps``. Batches are taken from
the plan; the trees are retrained once it is used up. Walks move between allowed
configurations only (:meth:`vtac.tune.space.Space.neighbours`).

The first plan is random (``init="random"``), random among valid configurations
(``"valid"``: the seed paper's validity-driven initialisation) or the ``prior`` ranking's best
(``"prior"``: vtac's tuner).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vtac.tune.space import Space, TuneError
from vtac.tune.tuners.base import Tuner

PLAN_SIZE = 32
EPS = 0.05
#: Simulated annealing: parallel walks, steps, steps without a change of the best set.
WALKS = 128
STEPS = 200
EARLY_STOP = 30
BOOST_ROUNDS = 60
XGB_PARAMS = {
    "max_depth": 3,
    "gamma": 1e-4,
    "min_child_weight": 1,
    "subsample": 1.0,
    "eta": 0.3,
    "lambda": 1.0,
    "alpha": 0.0,
    "objective": "rank:pairwise",
    "nthread": 1,
    "verbosity": 0,
}


def xgboost() -> Any:  # noqa: ANN401  (the module)
    """The xgboost module (an optional extra), or a TuneError saying how to install it."""
    try:
        import xgboost  # noqa: PLC0415
    except ImportError:
        raise TuneError(
            "the model-based tuners need xgboost: pip install 'vtac[tune]' (or use --tuner random)"
        ) from None
    return xgboost


class ModelTuner(Tuner):
    def __init__(
        self,
        space: Space,
        allowed: np.ndarray,
        seed: int,
        init: str = "random",
        prior: np.ndarray | None = None,
        plan_size: int = PLAN_SIZE,
    ) -> None:
        super().__init__(space, allowed, seed)
        self.xgb = xgboost()
        self.init, self.prior, self.plan_size, self.seed = init, prior, plan_size, seed
        self.plan: list[int] = []
        self.points: np.ndarray | None = None
        self._features = self.xgb.DMatrix(space.features)
        self._starts, self._found = space.neighbours(self.allowed)

    def next_batch(self, size: int) -> list[int]:
        batch: list[int] = []
        while len(batch) < size and self.remaining() > len(batch):
            if not self.plan:
                self.plan = self._next_plan()
            i = self.plan.pop(0)
            if not self.measured[i] and i not in batch:
                batch.append(i)
        return batch

    def _next_plan(self) -> list[int]:
        unmeasured = self._unmeasured()
        if self.measured.sum() < self.plan_size or not (self.cycles > 0).any():
            return self._first_plan(unmeasured)
        scores = self._fit()
        chosen = self._anneal(scores)
        plan = []
        for i in chosen:
            if self.rng.random() < EPS:
                i = int(self.rng.choice(unmeasured))
            plan.append(int(i))
        return plan

    def _first_plan(self, unmeasured: np.ndarray) -> list[int]:
        if self.init == "prior" and self.prior is not None:
            ranked = unmeasured[np.argsort(self.prior[unmeasured], kind="stable")]
            return [int(i) for i in ranked[: self.plan_size]]
        if self.init == "valid":
            valid = unmeasured[self.space.valid[unmeasured]]
            unmeasured = valid if len(valid) else unmeasured
        count = min(self.plan_size, len(unmeasured))
        return [int(i) for i in self.rng.choice(unmeasured, count, replace=False)]

    def _fit(self) -> np.ndarray:
        """Scores of every position by trees trained on the measurements so far."""
        xgb = self.xgb
        done = np.flatnonzero(self.measured)
        cycles = self.cycles[done].astype(float)
        labels = np.where(cycles > 0, cycles[cycles > 0].min() / np.maximum(cycles, 1), 0.0)
        train = xgb.DMatrix(self.space.features[done], label=labels)
        params = XGB_PARAMS | {"seed": self.seed}
        booster = xgb.train(params, train, num_boost_round=BOOST_ROUNDS)
        return booster.predict(self._features)

    def _walk(self, points: np.ndarray) -> np.ndarray:
        """Each point moved to a random allowed neighbour (kept where it has none)."""
        degree = self._starts[points + 1] - self._starts[points]
        pick = self._starts[points] + (self.rng.random(len(points)) * degree).astype(np.int64)
        moved = self._found[np.minimum(pick, max(len(self._found) - 1, 0))]
        return np.where(degree > 0, moved, points)

    def _anneal(self, scores: np.ndarray) -> list[int]:
        """The plan: the best-scored unmeasured allowed positions the walks visit."""
        allowed = np.flatnonzero(self.allowed)
        if self.points is None:
            self.points = self.rng.choice(allowed, min(WALKS, len(allowed)), replace=False)
        points = self.points
        seen = np.zeros(len(self.space), dtype=bool)
        seen[points] = True
        temperature, still, best = 1.0, 0, frozenset[int]()
        for _ in range(STEPS):
            moved = self._walk(points)
            gain = np.minimum((scores[moved] - scores[points]) / (temperature + 1e-5), 1.0)
            points = np.where(np.exp(gain) > self.rng.random(len(points)), moved, points)
            seen[moved] = True
            temperature = max(temperature - 1.0 / STEPS, 0.0)
            top = self._top(scores, seen)
            still = still + 1 if top == best else 0
            best = top
            if still >= EARLY_STOP:
                break
        self.points = points
        plan = sorted(best, key=lambda i: -scores[i])
        if len(plan) < self.plan_size:  # the walks saw too few unmeasured configurations
            rest = np.setdiff1d(self._unmeasured(), plan)
            extra = self.rng.choice(rest, min(self.plan_size - len(plan), len(rest)), replace=False)
            plan += [int(i) for i in extra]
        return plan

    def _top(self, scores: np.ndarray, seen: np.ndarray) -> frozenset[int]:
        candidates = np.flatnonzero(seen & self.allowed & ~self.measured)
        if len(candidates) > self.plan_size:
            keep = np.argpartition(-scores[candidates], self.plan_size - 1)[: self.plan_size]
            candidates = candidates[keep]
        return frozenset(int(i) for i in candidates)
