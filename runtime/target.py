"""The target of a compilation: the hardware configuration and the board's timing.

One :class:`Target` is carried from the driver through every pass that estimates cycles and
into every estimate, so a schedule is chosen with the costs it is measured with (never a
default picked up on the way).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vtac.runtime.config import VTAConfig
from vtac.runtime.timing_params import BOARDS, TimingParams


@dataclass(frozen=True)
class Target:
    """A VTA configuration on a board: what is compiled for and what cycles are counted on."""

    config: VTAConfig = field(default_factory=VTAConfig)
    timing: TimingParams = field(default_factory=TimingParams)
    #: the board's name, when it is one of :data:`~vtac.runtime.timing_params.BOARDS`
    board: str = "pynq"

    @staticmethod
    def of(config: VTAConfig | None = None, board: str = "pynq") -> Target:
        """The target of ``config`` (VTA's default if None) on the named board; an unknown board
        is a ValueError naming the known ones."""
        if board not in BOARDS:
            raise ValueError(f"unknown board {board!r}; boards: {', '.join(sorted(BOARDS))}")
        return Target(config or VTAConfig(), BOARDS[board], board)

    def with_config(self, config: VTAConfig) -> Target:
        """The same board with another configuration."""
        return Target(config, self.timing, self.board)
