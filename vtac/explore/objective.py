"""The explorer's objective: total cycles of a workload suite on a configuration, with the
schedules vtac's compiler chooses, valued by the fast model.

For each workload the compiler's own search runs on the configuration and the board
(:class:`~vtac.runtime.target.Target`): vtac-isel and vtac-layout, then vtac-tile's
:func:`~vtac.passes.schedule.plan`, which ranks tilings and values the best few with the fast
model (:class:`~vtac.runtime.fast_model.FastModel`); the explorer asks it without edge splits
(they gain about 1% and double the cost), so nothing is emitted or simulated. ``--verify``
compiles the answer in full and times it on the timed simulator beside these values.

Results are cached per workload and *effective* configuration: isel and layout depend only on
``BATCH`` and ``BLOCK``, and a buffer deeper than any tile of the workload can use (twice its
whole operand: two threads) or a micro-op buffer beyond the 2048 micro-ops the compiler uses
(:data:`~vtac.planning.tiling.CHISEL_UOP_DEPTH`) changes nothing, so such depths share a cache
entry.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from xdsl.context import Context

import vtac
from vtac.bench import workloads
from vtac.dialects.common import CONFIG_ATTR, config_attr
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.schedule import TileOptions, plan
from vtac.planning.contraction import CompileError, Kernel, analyse_stages, kernels
from vtac.planning.tiling import CHISEL_UOP_DEPTH, TileOperand, TilingError
from vtac.runtime.config import VTAConfig
from vtac.runtime.target import Target
from vtac.runtime.timing_params import BOARDS

#: vtac-tile's search without edge splits.
NO_SPLITS = TileOptions(head="none", tail="none")


@dataclass(frozen=True)
class Workload:
    """One workload of a suite: its name and its nn program as text."""

    name: str
    text: str


def load_suite(source: str) -> list[Workload]:
    """The workloads of a suite ``vtac bench`` accepts (a shipped name or a CSV file)."""
    return [Workload(name, text) for _, name, text in workloads(source)]


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
    ``per_clock``), the compiler's schedules on the ``board`` (a name of
    :data:`~vtac.runtime.timing_params.BOARDS`)."""

    workloads: list[Workload]
    board: str = "pynq"
    per_clock: bool = False
    _stages: dict[tuple[int, int], list[list[_Stage]]] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[object, ...], int | None] = field(default_factory=dict, repr=False)

    def target(self, config: VTAConfig) -> Target:
        return Target.of(config, self.board)

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
                    self._cache[key] = stage_cycles(stage.kernel, self.target(config))
                cycles = self._cache[key]
                total = None if cycles is None or total is None else total + cycles
            result[workload.name] = total
        return result

    def value(self, cycles: float) -> float:
        """The objective of a total cycle count (microseconds if ``per_clock``)."""
        return cycles / BOARDS[self.board].clock_mhz if self.per_clock else cycles

    def __call__(self, config: VTAConfig) -> float:
        """Total cycles (or microseconds) of the suite on ``config``; inf if a workload does
        not fit."""
        cycles = self.workload_cycles(config).values()
        if any(c is None for c in cycles):
            return math.inf
        return self.value(sum(c for c in cycles if c is not None))


def stage_cycles(kernel: Kernel, target: Target) -> int | None:
    """The fast model's cycles of the schedule vtac-tile chooses for ``kernel`` on ``target``
    (without edge splits); None if no tiling fits. ``kernel`` may have been analysed for
    another configuration of the same BATCH and BLOCK."""
    try:
        schedule, _ = plan(dataclasses.replace(kernel, config=target.config), NO_SPLITS, target)
    except (TilingError, CompileError):
        return None
    return schedule.cycles
