"""The fast performance model: a schedule's cycles from a few of its tile steps.

After Lübeck et al. 2024 ("Automatic Generation of Fast and Accurate Performance Models for
Deep Neural Network Accelerators"): the accelerator's modules and the mapped loop kernel form a
dependency graph, of which only a few loop-kernel iterations are evaluated; the steady state
they reach is extrapolated to the whole loop. Here the graph is VTA's three modules with their
dependency tokens and the shared DRAM port, and the loop kernel is the tile walk.

Each tile loop of many trips is *sampled* (:mod:`vtac.runtime.steady_state`): its first few
iterations and its last one are walked, every step as it is in the whole walk (its buffer
halves, whether it starts or ends an output tile, whether it is among the split first or last
steps). The walk's steps become the instructions, on-chip accesses and tokens the compiler
emits (:func:`program_tasks`, without building instructions) and run on the timed simulator's
core (:func:`vtac.runtime.timing.run_tasks`), so a walk short enough to be walked whole is
modelled exactly; a longer one is extrapolated from its steady state, at a cost that does not
grow with the number of tiles. Stages of a chain run behind a barrier, so their extrapolated
increments add up.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from vtac.backends.vta.dma import DmaError
from vtac.backends.vta.tile_walk import Compute, Dma, Epilogue, Step, walk_tiles
from vtac.backends.vta.tokens import COMPUTE, LOAD, STORE, Access, assign_tokens
from vtac.backends.vta.uop_kernels import UOP_BUDGET, KernelError, KernelInsn, build_kernels
from vtac.planning.blocking import BlockedOp, reorder_for_tiles
from vtac.planning.tiling import Schedule, TilingError, ranked_tiles
from vtac.runtime.cost_model import Estimate, Stage, modules_of
from vtac.runtime.isa import SRAM_OF, MemType, Store, elem_bytes
from vtac.runtime.steady_state import Visit, extrapolate, sampled_loops
from vtac.runtime.target import Target
from vtac.runtime.timing import (
    POP_NEXT,
    POP_PREV,
    PUSH_NEXT,
    PUSH_PREV,
    Task,
    TimingError,
    run_tasks,
)

#: (cycles, busy load/compute/store, stall load/compute/store, port busy)
Costs = tuple[float, ...]


def _costs(steps: Sequence[Step | None], target: Target) -> Costs:
    core = run_tasks(program_tasks(steps, target), target.timing.shared_dram_port)
    if core.blocked >= 0:
        raise TimingError(f"task {core.blocked}: deadlock")
    return (
        max((end for _, end in core.spans), default=0),
        *core.busy,
        *core.stall,
        core.port_busy,
    )


_EVERYTHING_NAMES = ("inp", "wgt", "acc", "uop")
_MODULE = {LOAD: 0, COMPUTE: 1, STORE: 2}


def _hull(uops: tuple, column: int, factors: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """[lo, hi) of the entries one operand of a kernel addresses over its two loops."""
    values = [u[column] for u in uops]
    lo, hi = min(values), max(values)
    for factor, iterations in factors:
        step = factor * max(iterations - 1, 0)
        lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
    return lo, hi + 1


@functools.lru_cache(maxsize=8192)
def _kernel_shape(
    kernel: KernelInsn,
) -> tuple[int, tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Micro-op executions of a kernel instruction and the hulls of its dst, src and wgt."""
    uops = tuple((u.dst_idx, u.src_idx, u.wgt_idx) for u in kernel.uops)
    dst = _hull(
        uops, 0, ((kernel.dst_factor_out, kernel.iter_out), (kernel.dst_factor_in, kernel.iter_in))
    )
    src = _hull(
        uops, 1, ((kernel.src_factor_out, kernel.iter_out), (kernel.src_factor_in, kernel.iter_in))
    )
    wgt = _hull(
        uops, 2, ((kernel.wgt_factor_out, kernel.iter_out), (kernel.wgt_factor_in, kernel.iter_in))
    )
    return len(uops) * kernel.iter_out * kernel.iter_in, dst, src, wgt


def program_tasks(steps: Sequence[Step | None], target: Target) -> list[Task]:
    """The timed core's tasks of the program the compiler emits for ``steps``: the same
    instructions (:func:`~vtac.passes.lower_to_vta.emit_instructions`), the same on-chip
    accesses and tokens (:mod:`vtac.passes.insert_deps`), without building instructions."""
    config, params = target.config, target.timing
    everything = tuple(
        (name, 0, depth)
        for name, depth in zip(
            _EVERYTHING_NAMES,
            (config.inp_depth, config.wgt_depth, config.acc_depth, config.uop_depth),
            strict=True,
        )
    )
    kernels = {
        i: build_kernels(list(step.loops), step.base, config, alu=step.kind == "alu")
        for i, step in enumerate(steps)
        if isinstance(step, Compute)
    }
    budget = min(config.uop_depth, UOP_BUDGET)
    distinct = list(dict.fromkeys(k.uops for insns in kernels.values() for k in insns))
    total = sum(len(k) for k in distinct)
    resident: dict[tuple, int] = {}
    phases: list[tuple[int, int, int, int]] = []  # module, lead, port, tail
    accesses: list[Access] = []
    uop_bytes = config.uop_elem_bytes
    sizes = {kind: elem_bytes(config, kind) for kind in MemType}  # bytes per element
    if distinct and total <= budget:  # every kernel loaded first by one LOAD
        slot = 0
        for uops in distinct:
            resident[uops] = slot
            slot += len(uops)
        phases.append((1, *params.transfer_phases(1, total * uop_bytes)))
        accesses.append(Access(COMPUTE, writes=(("uop", 0, total),)))
    next_slot = 0
    gemm_fill, alu_fill = params.gemm_pipeline_fill, params.alu_pipeline_fill
    body = list(steps)
    while body and body[-1] is None:
        body.pop()
    for i, step in enumerate(body):
        if step is None:
            phases.append((1, params.finish_cycles, 0, 0))
            accesses.append(Access(COMPUTE, reads=everything, writes=everything))
        elif isinstance(step, Dma):
            insn = step.insn
            kind = insn.memory_type
            cols, rows = insn.x_size, insn.y_size
            if isinstance(insn, Store):
                phases.append((2, *params.transfer_phases(rows, cols * sizes[kind])))
                base = insn.sram_base
                accesses.append(Access(STORE, reads=(("acc", base, base + rows * cols),)))
                continue
            width = insn.x_pad_0 + cols + insn.x_pad_1
            height = insn.y_pad_0 + rows + insn.y_pad_1
            pads = width * height - cols * rows
            module = 0 if kind in (MemType.INP, MemType.WGT) else 1
            phases.append((module, *params.transfer_phases(rows, cols * sizes[kind], pads)))
            base = insn.sram_base
            accesses.append(
                Access(
                    LOAD if module == 0 else COMPUTE,
                    writes=((SRAM_OF[MemType(kind)], base, base + width * height),),
                )
            )
        else:
            alu = step.kind == "alu"
            per = (
                (
                    params.alu_imm_cycles_per_uop
                    if step.imm is not None
                    else params.alu_cycles_per_uop
                )
                if alu
                else params.gemm_cycles_per_uop
            )
            fill = alu_fill if alu else gemm_fill
            for k in kernels[i]:
                uops = k.uops
                if uops in resident:
                    slot = resident[uops]
                else:  # loaded where the next free slot is, evicting what it overlaps
                    if next_slot + len(uops) > budget:
                        next_slot = 0
                    slot = next_slot
                    n = len(uops)
                    resident = {
                        u: s for u, s in resident.items() if s + len(u) <= slot or s >= slot + n
                    }
                    phases.append((1, *params.transfer_phases(1, n * uop_bytes)))
                    accesses.append(Access(COMPUTE, writes=(("uop", slot, slot + n),)))
                    resident[uops] = slot
                    next_slot = slot + n
                count, dst, src, wgt = _kernel_shape(k)
                phases.append((1, count * per + fill, 0, 0))
                reads = [("uop", slot, slot + len(uops))]
                if not alu:
                    if not step.reset:
                        reads += [("inp", *src), ("wgt", *wgt), ("acc", *dst)]
                else:
                    reads.append(("acc", *dst))
                    if step.imm is None:
                        reads.append(("acc", *src))
                accesses.append(Access(COMPUTE, reads=tuple(reads), writes=(("acc", *dst),)))
    # the end of the program: a compute no-op after the last load and store, then FINISH
    phases.append((1, params.finish_cycles, 0, 0))
    accesses.append(Access(COMPUTE, reads=everything, writes=everything))
    phases.append((1, params.finish_cycles, 0, 0))
    accesses.append(Access(COMPUTE))
    flags = assign_tokens(accesses)
    return [
        (
            *phase,
            f.pop_prev_dep * POP_PREV
            | f.pop_next_dep * POP_NEXT
            | f.push_prev_dep * PUSH_PREV
            | f.push_next_dep * PUSH_NEXT,
        )
        for phase, f in zip(phases, flags, strict=True)
    ]


def _stage_extrapolation(
    stage: Stage, schedule: Schedule, target: Target
) -> tuple[list[Step], Costs, Costs]:
    """The stage's walk at the base sample, its costs, and what the whole walk adds to them."""
    extents = dict(stage.blocked.loops)
    trips = {n: -(-extents[n] // size) for n, size in schedule.tiles}
    edge = max((s.steps for s in (schedule.head, schedule.tail) if s is not None), default=1)
    walks: dict[bool, list[Step]] = {}

    def evaluate(visit: Visit) -> Costs:
        steps = walk_tiles(stage.blocked, schedule, stage.epilogue, target.config, visit)
        walks.setdefault(True, steps)  # the first corner is the base sample
        return _costs(steps, target)

    base, total = extrapolate(sampled_loops(trips, schedule.order, edge), evaluate)
    return walks[True], tuple(base), tuple(t - b for t, b in zip(total, base, strict=True))


def edge_cycles(stage: Stage, schedule: Schedule, target: Target, edge: int) -> int:
    """Cycles of a short walk that keeps the first and last ``edge`` steps and one or two
    iterations of every longer loop: schedules that differ only in how those steps are split
    (:class:`~vtac.planning.tiling.Split`) differ by as many cycles as their whole walks do, once
    the pipeline settles between the edges. Raises what the walk or the timing raises."""
    extents = dict(stage.blocked.loops)
    trips = {n: -(-extents[n] // size) for n, size in schedule.tiles}
    visit: dict[str, list[int]] = {}
    inner = 1
    for name in reversed(schedule.order):
        t = trips[name]
        if t >= 4 and inner >= edge:
            first = 1 + (t - 2) % 2  # as many iterations before the last as the loop, mod 2
            visit[name] = [*range(first), t - 1]
        inner *= t
    steps = walk_tiles(stage.blocked, schedule, stage.epilogue, target.config, visit)
    return int(_costs(steps, target)[0])


@dataclass(frozen=True)
class FastModel:
    """The fast model as a :class:`~vtac.runtime.cost_model.CostModel` (``strict``: what
    makes a schedule unbuildable is raised, not answered with None)."""

    target: Target
    strict: bool = False

    def estimate(self, stages: Sequence[tuple[Stage, Schedule]]) -> Estimate | None:
        start = time.perf_counter()
        try:
            walks: list[Step | None] = []
            added = [0.0] * 8
            for index, (stage, schedule) in enumerate(stages):
                base, costs, extra = _stage_extrapolation(stage, schedule, self.target)
                walks += ([None] if index else []) + base
                added = [a + e for a, e in zip(added, extra, strict=True)]
            if len(stages) > 1:  # the stages' base walks together, one after the other
                costs = _costs(walks, self.target)
        except (TilingError, DmaError, KernelError, TimingError):
            if self.strict:
                raise
            return None
        total = [c + a for c, a in zip(costs, added, strict=True)]
        return Estimate(
            round(total[0]),
            modules_of(total[1:4]),
            modules_of(total[4:7]),
            round(total[7]),
            time.perf_counter() - start,
        )


@dataclass(frozen=True)
class BlockedStage:
    """A stage as the cost layer sees it: a blocked contraction and its epilogue."""

    blocked: BlockedOp
    epilogue: Epilogue


def best_tiling_cycles(
    blocked: BlockedOp, epilogue: Epilogue, target: Target, count: int = 8
) -> int | None:
    """The fewest cycles the fast model gives the ``count`` tilings of ``blocked`` that the
    analytic model and the replay rank best (layouts refined for the tiles, no edge splits):
    what an embedding costs. None if no tiling fits."""
    passes = len(epilogue.steps) + epilogue.planes - 1
    try:
        candidates = ranked_tiles(
            blocked.problem(target.config, alu_passes=passes),
            target.config,
            target.timing,
            relayout=True,
            count=count,
        )
    except TilingError:
        return None
    model = FastModel(target)
    best: int | None = None
    for schedule in candidates:
        laid_out = (
            reorder_for_tiles(blocked, schedule.tile) if schedule.refined_layouts else blocked
        )
        estimate = model.estimate([(BlockedStage(laid_out, epilogue), schedule)])
        if estimate is not None and (best is None or estimate.cycles < best):
            best = estimate.cycles
    return best
