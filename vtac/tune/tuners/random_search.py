"""Random search: the allowed configurations in a random order."""

from __future__ import annotations

import numpy as np

from vtac.tune.space import Space
from vtac.tune.tuners.base import Tuner


class RandomTuner(Tuner):
    def __init__(self, space: Space, allowed: np.ndarray, seed: int) -> None:
        super().__init__(space, allowed, seed)
        self._order = list(self.rng.permutation(np.flatnonzero(self.allowed)))

    def next_batch(self, size: int) -> list[int]:
        batch: list[int] = []
        while self._order and len(batch) < size:
            i = int(self._order.pop())
            if not self.measured[i]:
                batch.append(i)
        return batch
