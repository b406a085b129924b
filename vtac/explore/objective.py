"""The explorer's objective: total cycles of a workload suite on a configuration, with the
schedules vtac's compiler chooses.

For each workload the compiler's own search runs as ``vtac-tile`` runs it before splitting edge
steps: vtac-isel and vtac-layout for the configuration, then
:func:`vtac.passes.tiling.ranked_tiles` over its tilings, whose best schedule's ``cycles`` are
the tile-by-tile replay on the board's timing parameters (the ``est_cycles`` a compiled program
records before edge splits). Nothing is emitted or simulated, so one configuration costs well
under a second per workload; the edge splits ``vtac compile`` adds later gain a few percent
(``--verify`` measures the difference).

Results are cached per workload and *effective* configuration: isel and layout depend only on
``BATCH`` and ``BLOCK``, and a buffer deeper than any tile of the workload can use (twice its
whole operand: two threads) or a micro-op buffer beyond the 2048 micro-ops the compiler uses
(:data:`~vtac.passes.tiling.CHISEL_UOP_DEPTH`) changes nothing, so such depths share a cache
entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xdsl.context import Context

import vtac
from vtac.bench import _rows, _workload
from vtac.dialects.vta import CONFIG_ATTR, config_attr
from vtac.passes.contraction import CompileError, Kernel, analyse_stages, kernels
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.tiling import CHISEL_UOP_DEPTH, TileOperand, TilingError, ranked_tiles
from vtac.runtime.config import VTAConfig
from vtac.runtime.timing_params import BOARDS, TimingParams


@dataclass(frozen=True)
class Workload:
    """One workload of a suite: its name and its nn program as text."""

    name: str
    text: str


def load_suite(source: str) -> list[Workload]:
    """The workloads of a suite ``vtac bench`` accepts (a shipped name or a CSV file)."""
    return [Workload(*_workload(row)) for row in _rows(source)]


def _entries(op: TileOperand, extents: dict[str, int]) -> int:
    """Entries the whole of ``op`` occupies on chip (halo rows included)."""
    return math.prod(op.box(dict.fromkeys(extents, 0), extents)[1])


def _ceil_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


@dataclass
class _Stage:
    """A workload stage analysed for one (BATCH, BLOCK), with the depths beyond which its
    tiling cannot change."""

    kernel: Kernel
    caps: tuple[int, int, int]  # input, weight, accumulator entries

    @staticmethod
    def of(kernel: Kernel) -> _Stage:
        problem = kernel.blocked.problem(kernel.config, alu_passes=0)
        extents = problem.extents
        extras = sum(_entries(e, extents) for e in problem.acc_extras)
        shapes = sum(math.prod(e.dram_shape(extents)) for e in problem.acc_extras)
        out = _entries(problem.out, extents)
        caps = (
            2 * _entries(problem.inp, extents),
            2 * _entries(problem.wgt, extents),
            2 * (out + max(extras, shapes)),
        )
        return _Stage(kernel, tuple(_ceil_pow2(c) for c in caps))  # type: ignore[arg-type]

    def key(self, config: VTAConfig) -> tuple[int, ...]:
        inp, wgt, acc = self.caps
        return (
            min(config.uop_depth, CHISEL_UOP_DEPTH),
            min(config.inp_depth, inp),
            min(config.wgt_depth, wgt),
            min(config.acc_depth, acc),
        )


@dataclass
class Objective:
    """Cycles of ``workloads`` on a configuration (microseconds at the board's clock when
    ``per_clock``), the compiler's schedules on the ``board``'s timing parameters."""

    workloads: list[Workload]
    board: str = "pynq"
    per_clock: bool = False
    _stages: dict[tuple[int, int], list[list[_Stage]]] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[object, ...], int | None] = field(default_factory=dict, repr=False)

    @property
    def timing(self) -> TimingParams:
        return BOARDS[self.board]

    def _analysed(self, config: VTAConfig) -> list[list[_Stage]]:
        """Every workload's stages after vtac-isel and vtac-layout for ``config``'s shape."""
        shape = (config.LOG_BATCH, config.LOG_BLOCK)
        if shape not in self._stages:
            found = []
            for workload in self.workloads:
                module = vtac.parse_ir(workload.text)
                module.attributes[CONFIG_ATTR] = config_attr(config)
                InstructionSelection().apply(Context(), module)
                Layout().apply(Context(), module)
                stages = [_Stage.of(k) for f in kernels(module) for k in analyse_stages(f)]
                found.append(stages)
            self._stages[shape] = found
        return self._stages[shape]

    def workload_cycles(self, config: VTAConfig) -> dict[str, int | None]:
        """Cycles of each workload on ``config``; None where no tiling fits its buffers."""
        result: dict[str, int | None] = {}
        shape = (config.LOG_BATCH, config.LOG_BLOCK)
        for workload, stages in zip(self.workloads, self._analysed(config), strict=True):
            total: int | None = 0
            for index, stage in enumerate(stages):
                key = (workload.name, index, shape, *stage.key(config))
                if key not in self._cache:
                    self._cache[key] = _stage_cycles(stage.kernel, config, self.timing)
                cycles = self._cache[key]
                total = None if cycles is None or total is None else total + cycles
            result[workload.name] = total
        return result

    def value(self, cycles: float) -> float:
        """The objective of a total cycle count (microseconds if ``per_clock``)."""
        return cycles / self.timing.clock_mhz if self.per_clock else cycles

    def __call__(self, config: VTAConfig) -> float:
        """Total cycles (or microseconds) of the suite on ``config``; inf if a workload does
        not fit."""
        cycles = self.workload_cycles(config).values()
        if any(c is None for c in cycles):
            return math.inf
        return self.value(sum(c for c in cycles if c is not None))


def _stage_cycles(kernel: Kernel, config: VTAConfig, timing: TimingParams) -> int | None:
    """The replayed cycles of the schedule vtac-tile would choose for ``kernel`` on
    ``config`` (before edge splits); None if no tiling fits."""
    passes = len(kernel.epilogue.steps) + kernel.epilogue.planes - 1
    problem = kernel.blocked.problem(config, alu_passes=passes)
    try:
        return ranked_tiles(problem, config, timing, relayout=True)[0].cycles
    except (TilingError, CompileError):
        return None
