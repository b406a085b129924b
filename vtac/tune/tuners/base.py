"""What every tuner does: propose unmeasured allowed positions, take results."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vtac.tune.space import Space


class Tuner:
    """Proposes positions of ``space`` among ``allowed``, never one already measured."""

    def __init__(self, space: Space, allowed: np.ndarray, seed: int) -> None:
        self.space = space
        self.allowed = np.asarray(allowed, dtype=bool)
        self.rng = np.random.default_rng(seed)
        self.measured = np.zeros(len(space), dtype=bool)
        #: cycles of each measured position, 0 where the measurement failed
        self.cycles = np.zeros(len(space), dtype=np.int64)

    def remaining(self) -> int:
        """Allowed positions not measured yet."""
        return int((self.allowed & ~self.measured).sum())

    def next_batch(self, size: int) -> list[int]:
        """Up to ``size`` allowed positions not measured yet (fewer when they run out)."""
        raise NotImplementedError

    def update(self, positions: Sequence[int], cycles: Sequence[int | None]) -> None:
        """Results of measuring ``positions`` (None: the measurement failed)."""
        for i, c in zip(positions, cycles, strict=True):
            self.measured[i] = True
            self.cycles[i] = c or 0

    def _unmeasured(self) -> np.ndarray:
        return np.flatnonzero(self.allowed & ~self.measured)
