"""The cost layer: one interface, three models of what a schedule costs on a target.

Every search (embedding, tile sizes, loop order, threads, edge splits) asks a :class:`CostModel`
for the cycles of a stage (a blocked contraction with its epilogue) under a
:class:`~vtac.planning.tiling.Schedule` on a :class:`~vtac.runtime.target.Target`:

- :class:`AnalyticBound`: closed-form totals per module (vectorised over whole grids of tile
  sizes in :func:`vtac.planning.tiling.ranked_tiles`), used to prune;
- :class:`FastModel` (:mod:`vtac.runtime.fast_model`): the three modules' token pipeline over a
  few of the tile walk's steps, extrapolated from its steady state;
- :class:`TimedSimulation`: the stage compiled to instructions with their tokens and timed
  (:func:`vtac.runtime.timing.time_program`): the ground truth the other two are measured by.

No pass owns this module; passes call it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from vtac.backends.vta.dma import DmaError
from vtac.backends.vta.tile_walk import Epilogue, Step, walk_tiles
from vtac.backends.vta.uop_kernels import KernelError
from vtac.passes.insert_deps import insert_deps
from vtac.passes.lower_to_vta import emit_instructions
from vtac.planning.blocking import BlockedOp
from vtac.planning.tiling import Schedule, TilingError, ranked_tiles
from vtac.runtime.isa import Instruction, Load
from vtac.runtime.target import Target
from vtac.runtime.timing import MODULES, TimingError, TimingReport, time_program


class Stage(Protocol):
    """What a cost model reads of a stage (a :class:`~vtac.planning.contraction.Kernel` is one)."""

    blocked: BlockedOp
    epilogue: Epilogue


@dataclass(frozen=True)
class Estimate:
    """Cycles of a program, per-module busy and stalled cycles, the DRAM port's busy cycles,
    and the seconds the estimate took."""

    cycles: int
    busy: dict[str, int] = field(default_factory=dict)
    stall: dict[str, int] = field(default_factory=dict)
    port_busy: int = 0
    seconds: float = 0.0

    @staticmethod
    def of_report(report: TimingReport, seconds: float) -> Estimate:
        return Estimate(
            report.cycles,
            {m: t.busy for m, t in report.modules.items()},
            {m: t.stall for m, t in report.modules.items()},
            report.port_busy,
            seconds,
        )


class CostModel(Protocol):
    """Cycles of stages under schedules on one target; None when the schedule cannot be
    built (a box the DMA cannot move, a kernel over the ISA's limits, a deadlock)."""

    target: Target

    def estimate(self, stages: Sequence[tuple[Stage, Schedule]]) -> Estimate | None:
        """The program running ``stages`` one after the other, each under its schedule."""
        ...


def stage_steps(stages: Sequence[tuple[Stage, Schedule]], target: Target) -> list[Step | None]:
    """The tile walks of ``stages`` in order, a barrier (None) between two."""
    steps: list[Step | None] = []
    for index, (stage, schedule) in enumerate(stages):
        if index:
            steps.append(None)
        steps += walk_tiles(stage.blocked, schedule, stage.epilogue, target.config)
    return steps


def program_of(steps: Sequence[Step | None], target: Target) -> list[Instruction]:
    """The instructions of tile-walk steps, with their dependency tokens, as compiled."""
    program = emit_instructions(steps, target.config)
    insns = [insn for insn, _ in program.insns]
    uops = np.array([(u.dst_idx, u.src_idx, u.wgt_idx) for u in program.uops], dtype=np.int64)
    uops = uops.reshape(-1, 3)

    def uops_of(index: int, load: Load) -> np.ndarray:
        return uops[load.dram_base : load.dram_base + load.x_size * load.y_size]

    return insert_deps(insns, target.config, uops_of)


@dataclass(frozen=True)
class TimedSimulation:
    """The ground truth: the stages lowered as the compiler lowers them and timed."""

    target: Target
    strict: bool = False

    def estimate(self, stages: Sequence[tuple[Stage, Schedule]]) -> Estimate | None:
        """None if the walk cannot be built or its tokens deadlock (``strict``: the error)."""
        start = time.perf_counter()
        try:
            insns = program_of(stage_steps(stages, self.target), self.target)
            report = time_program(self.target.config, insns, self.target.timing)
        except (TilingError, DmaError, KernelError, TimingError):
            if self.strict:
                raise
            return None
        return Estimate.of_report(report, time.perf_counter() - start)


@dataclass(frozen=True)
class AnalyticBound:
    """Closed-form totals per module (DRAM transfers by reuse distance, GEMM and ALU work),
    overlapped as the threads allow: what prunes the tile search before anything is walked."""

    target: Target

    def estimate(self, stages: Sequence[tuple[Stage, Schedule]]) -> Estimate | None:
        start = time.perf_counter()
        total = 0
        for stage, schedule in stages:
            passes = len(stage.epilogue.steps) + stage.epilogue.planes - 1
            try:
                (scored,) = ranked_tiles(
                    stage.blocked.problem(self.target.config, alu_passes=passes),
                    self.target.config,
                    self.target.timing,
                    forced=schedule.tile,
                    vthreads=schedule.vthreads,
                    order=schedule.order,
                    acc_threads=schedule.acc_halves,
                    split_tail=schedule.split_tail,
                    replay_steps=0,
                )
            except TilingError:
                return None
            total += scored.cycles
        return Estimate(total, seconds=time.perf_counter() - start)


def modules_of(values: Sequence[float]) -> dict[str, int]:
    """Per-module values (load, compute, store) as a dict of rounded integers."""
    return {m: round(v) for m, v in zip(MODULES, values, strict=True)}
