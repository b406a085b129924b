"""Tuners: what to measure next.

Every tuner proposes positions in a :class:`~vtac.tune.space.Space` among the ``allowed`` ones
(on vtac's space the valid configurations: nothing else is ever proposed) and learns from the
results it is given:

- ``random``: the allowed configurations in a random order;
- ``xgb``: AutoTVM's XGBTuner: gradient-boosted trees (xgboost, rank objective) over the
  configurations' features, retrained after every plan, a plan being the best unmeasured
  configurations simulated annealing finds on the trees' scores, with a few random ones
  (epsilon-greedy); the first plan is random;
- ``xgb-valid``: the same with the seed paper's validity-driven initialisation (Rieber et al.
  2022): the first plan drawn among valid configurations only;
- ``vtac``: the same over valid configurations only, the first plan the cost model's ranking
  (the analytic estimate, or a given ranking), the estimate one of the trees' features.
"""

from __future__ import annotations

import numpy as np

from vtac.tune.space import Space, TuneError
from vtac.tune.tuners.base import Tuner
from vtac.tune.tuners.model_based import ModelTuner
from vtac.tune.tuners.random_search import RandomTuner

TUNERS = ("random", "xgb", "xgb-valid", "vtac")

__all__ = ["TUNERS", "ModelTuner", "RandomTuner", "Tuner", "make_tuner"]


def make_tuner(
    name: str,
    space: Space,
    seed: int = 0,
    allowed: np.ndarray | None = None,
    prior: np.ndarray | None = None,
) -> Tuner:
    """The tuner ``name`` on ``space``: proposing only ``allowed`` positions (default: the
    valid ones on vtac's space, every one on TVM's), ``vtac`` initialised by ``prior`` (cycles
    per position, default the analytic estimate)."""
    if allowed is None:
        allowed = space.valid if space.kind == "vtac" else np.ones(len(space), dtype=bool)
    if name == "random":
        return RandomTuner(space, allowed, seed)
    if name == "xgb":
        return ModelTuner(space, allowed, seed, init="random")
    if name == "xgb-valid":
        return ModelTuner(space, allowed, seed, init="valid")
    if name == "vtac":
        allowed = allowed & space.valid
        ranking = space.estimates if prior is None else prior
        return ModelTuner(space, allowed, seed, init="prior", prior=ranking)
    raise TuneError(f"unknown tuner {name!r}: {', '.join(TUNERS)}")
