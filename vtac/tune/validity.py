"""Which schedules the compiler accepts, asked of the compiler itself.

A configuration is valid when vtac-tile's candidate filter keeps it: every tile within its
buffer (half of it per virtual thread), every ISA loop and DMA field in range, the micro-op
kernel within the micro-op buffer, two trips for two threads. :func:`check` runs that filter
(:func:`vtac.planning.tiling.ranked_tiles`' per-candidate limits) on one candidate and returns the
analytic estimate the compiler ranks candidates with, or the limit it breaks, so that no limit
is written twice. Head and tail splits depend on the walk and the layouts chosen for the tiles:
:func:`check_splits` plans the configuration as vtac-tile would compile it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from vtac.backends.vta.dma import DmaError
from vtac.passes.schedule import TileOptions, plan
from vtac.planning.contraction import CompileError, Kernel
from vtac.planning.tiling import TileProblem, TilingError, _best_for
from vtac.runtime.config import VTAConfig
from vtac.runtime.timing_params import TimingParams


@dataclass(frozen=True)
class Verdict:
    """The compiler's view of one candidate: the limit it breaks (None if valid), and otherwise
    the analytic model's cycles and DRAM bytes."""

    broken: str | None
    cycles: int = 0
    dram_bytes: int = 0

    @property
    def valid(self) -> bool:
        return self.broken is None


def check(
    problem: TileProblem,
    config: VTAConfig,
    tiles: dict[str, int],
    order: tuple[str, ...],
    vthreads: int,
    acc_threads: int,
    timing: TimingParams | None = None,
) -> Verdict:
    """Whether vtac-tile accepts ``tiles`` under ``order`` with ``vthreads`` threads, the
    accumulator in ``acc_threads`` parts (capacities divided by the thread count, which may
    exceed the two vtac runs, to judge TVM's four-thread plans)."""
    names = [name for name, _ in problem.loops]
    grid = np.array([[tiles[n] for n in names]], dtype=np.int64)
    failures: list[str] = []
    found = _best_for(
        problem,
        config,
        timing or TimingParams(),
        names,
        grid,
        order,
        (vthreads, acc_threads),
        failures,
    )
    if not found:
        return Verdict(failures[0] if failures else "no candidate")
    return Verdict(None, found[0].cycles, found[0].dram_bytes)


def limit_of(message: str) -> str:
    """The limit a compiler message names, without the numbers of one candidate:
    ``"input tile exceeds 1024 entries (tiles ...)"`` -> ``"input tile exceeds N entries"``."""
    text = message.split(" (tiles ")[0]
    return re.sub(r"\b\d+\b", "N", text)


def check_splits(kernel: Kernel, options: TileOptions) -> str | None:
    """Why vtac-tile cannot honour the head/tail splits ``options`` force (None if it can)."""
    try:
        plan(kernel, options)
    except (CompileError, DmaError, TilingError) as err:
        return str(err)
    return None
