"""Timed simulation: cycles of a VTA instruction stream on a board.

The three modules run as in-order queues. An instruction starts when its module is free and every
token it pops has been pushed; it pushes its tokens when it ends, and a push into a full queue
(:data:`QUEUE_DEPTH` tokens) waits until the consumer pops. Costs come from
:class:`~vtac.runtime.timing_params.TimingParams` (vta-isa.md section 6). Timing needs no data:
it reads only instruction fields, so it runs on any decoded program.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import (
    Alu,
    Gemm,
    Instruction,
    Load,
    MemType,
    Store,
    elem_bytes,
    format_instruction,
)
from vtac.runtime.timing_params import TimingParams

QUEUE_DEPTH = 8
MODULES = ("load", "compute", "store")


class TimingError(ValueError):
    """The program cannot run to completion (deadlock), reported with the instruction."""


def module_of(insn: Instruction) -> str:
    """The module that executes ``insn`` (vta-isa.md section 4)."""
    if isinstance(insn, Load):
        return "load" if insn.memory_type in (MemType.INP, MemType.WGT) else "compute"
    if isinstance(insn, Store):
        return "store"
    return "compute"


def _mem_name(memory_type: int) -> str:
    if memory_type in MemType._value2member_map_:
        return MemType(memory_type).name
    return str(memory_type)


def _bytes_of(config: VTAConfig, memory_type: int) -> int:
    """Element bytes, or 0 for an unknown memory type (the functional simulator rejects it)."""
    return elem_bytes(config, memory_type) if memory_type in MemType._value2member_map_ else 0


@dataclass
class ModuleTime:
    busy: int = 0
    stall: int = 0
    instructions: int = 0


@dataclass
class TimingReport:
    """Cycles of a program: total, per module, per instruction (start, end)."""

    cycles: int
    modules: dict[str, ModuleTime]
    spans: list[tuple[int, int]]
    gemm_uops: int
    dram_bytes: dict[str, int]
    params: TimingParams
    stalls: list[tuple[int, int, int]] = field(default_factory=list)  # (index, from, to)
    #: cycles the shared DRAM port was busy (every module's transfers)
    port_busy: int = 0

    def seconds(self) -> float:
        return self.cycles / (self.params.clock_mhz * 1e6)

    def utilization(self, useful_macs: int, config: VTAConfig) -> float:
        """Useful MACs over the GEMM core's peak over the whole run."""
        return useful_macs / (config.macs_per_gemm_uop * max(self.cycles, 1))


def instruction_cycles(insn: Instruction, config: VTAConfig, params: TimingParams) -> int:
    """Cycles ``insn`` keeps its module busy, tokens and the DRAM port aside."""
    return sum(instruction_phases(insn, config, params))


def instruction_phases(
    insn: Instruction, config: VTAConfig, params: TimingParams
) -> tuple[int, int, int]:
    """(lead, port, tail) cycles of ``insn``: before it needs the DRAM port (a transfer's
    decode), on the port (the rows' latency and beats), after it (a LOAD's padding writes)."""
    if isinstance(insn, Load | Store):
        if insn.x_size == 0:
            return params.finish_cycles, 0, 0
        width = insn.x_pad_0 + insn.x_size + insn.x_pad_1
        height = insn.y_pad_0 + insn.y_size + insn.y_pad_1
        pads = width * height - insn.x_size * insn.y_size
        row_bytes = insn.x_size * _bytes_of(config, insn.memory_type)
        return params.transfer_phases(insn.y_size, row_bytes, pads)
    if isinstance(insn, Gemm):
        steps = (insn.uop_end - insn.uop_bgn) * insn.iter_out * insn.iter_in
        return steps * params.gemm_cycles_per_uop + params.gemm_pipeline_fill, 0, 0
    if isinstance(insn, Alu):
        steps = (insn.uop_end - insn.uop_bgn) * insn.iter_out * insn.iter_in
        per = params.alu_imm_cycles_per_uop if insn.use_imm else params.alu_cycles_per_uop
        return steps * per + params.alu_pipeline_fill, 0, 0
    return params.finish_cycles, 0, 0


#: Dependency flags of a task, as bits.
POP_PREV, POP_NEXT, PUSH_PREV, PUSH_NEXT = 1, 2, 4, 8
#: A task of the timed core: (module index in MODULES, lead, port, tail cycles, flag bits).
Task = tuple[int, int, int, int, int]
#: Queue (index into the four queues) each module pops from / pushes to with a flag; -1: none.
#: Queues: 0 load->compute, 1 compute->load, 2 compute->store, 3 store->compute.
_POPS = ((-1, 1), (0, 3), (2, -1))  # module -> (pop_prev queue, pop_next queue)
_PUSHES = ((-1, 0), (1, 2), (3, -1))  # module -> (push_prev queue, push_next queue)


def flag_bits(insn: Instruction) -> int:
    """The dependency flags of ``insn`` as bits."""
    return (
        insn.pop_prev_dep * POP_PREV
        | insn.pop_next_dep * POP_NEXT
        | insn.push_prev_dep * PUSH_PREV
        | insn.push_next_dep * PUSH_NEXT
    )


@dataclass
class CoreResult:
    """What :func:`run_tasks` computes: per task (start, end), per module busy, stalled cycles
    and task counts, the stalls, the DRAM port's busy cycles; ``blocked`` is the first task of
    a module that could not run (a deadlock), or -1."""

    spans: list[tuple[int, int]]
    busy: list[int]
    stall: list[int]
    count: list[int]
    stalls: list[tuple[int, int, int]]
    port_busy: int
    blocked: int = -1
    blocked_module: int = -1


def run_tasks(tasks: list[Task], shared_port: bool = True) -> CoreResult:
    """The timed core: three in-order modules exchanging tokens through four queues of
    :data:`QUEUE_DEPTH`, and one DRAM port (``shared_port``) that the transfers of every module
    hold in turn. Tasks are issued in the order they can start (ties: load, compute, store), so
    the port serves transfers first come, first served. A transfer starts once its module is
    free, its tokens are in, and the port will be free when its lead cycles are done."""
    programs: list[list[int]] = [[], [], []]
    for index, task in enumerate(tasks):
        programs[task[0]].append(index)
    queues: list[deque[int]] = [deque(), deque(), deque(), deque()]
    pops_done: list[list[int]] = [[], [], [], []]
    pushes_done = [0, 0, 0, 0]
    cursor = [0, 0, 0]
    free = [0, 0, 0]
    busy = [0, 0, 0]
    stall = [0, 0, 0]
    count = [0, 0, 0]
    spans: list[tuple[int, int]] = [(0, 0)] * len(tasks)
    stalls: list[tuple[int, int, int]] = []
    port_free = port_busy = 0
    while True:
        chosen = -1
        chosen_start = 0
        for module in (0, 1, 2):
            if cursor[module] >= len(programs[module]):
                continue
            index = programs[module][cursor[module]]
            _, lead, port, _, flags = tasks[index]
            start = free[module]
            pop_prev, pop_next = _POPS[module]
            ok = True
            for bit, q in ((POP_PREV, pop_prev), (POP_NEXT, pop_next)):
                if flags & bit and q >= 0:
                    if not queues[q]:
                        ok = False
                        break
                    start = max(start, queues[q][0])
            if not ok:
                continue
            push_prev, push_next = _PUSHES[module]
            for bit, q in ((PUSH_PREV, push_prev), (PUSH_NEXT, push_next)):
                # a push into a full queue waits for the consumer's pop that frees a slot
                if flags & bit and q >= 0 and len(pops_done[q]) <= pushes_done[q] - QUEUE_DEPTH:
                    ok = False
            if not ok:
                continue
            if port and shared_port:
                start = max(start, port_free - lead)
            if chosen < 0 or start < chosen_start:
                chosen, chosen_start = module, start
        if chosen < 0:
            break
        module = chosen
        index = programs[module][cursor[module]]
        _, lead, port, tail, flags = tasks[index]
        start = chosen_start
        pop_prev, pop_next = _POPS[module]
        for bit, q in ((POP_PREV, pop_prev), (POP_NEXT, pop_next)):
            if flags & bit and q >= 0:
                queues[q].popleft()
                pops_done[q].append(start)
        duration = lead + port + tail
        end = start + duration
        if port:
            port_free = start + lead + port
            port_busy += port
        push_prev, push_next = _PUSHES[module]
        for bit, q in ((PUSH_PREV, push_prev), (PUSH_NEXT, push_next)):
            if flags & bit and q >= 0:
                slot = pushes_done[q] - QUEUE_DEPTH
                if slot >= 0:
                    end = max(end, pops_done[q][slot])
                queues[q].append(end)
                pushes_done[q] += 1
        if start > free[module]:
            stalls.append((index, free[module], start))
        stall[module] += start - free[module]
        busy[module] += duration
        count[module] += 1
        spans[index] = (start, end)
        free[module] = end
        cursor[module] += 1
    result = CoreResult(spans, busy, stall, count, stalls, port_busy)
    for module in (0, 1, 2):
        if cursor[module] < len(programs[module]):
            result.blocked, result.blocked_module = programs[module][cursor[module]], module
            break
    return result


def time_program(
    config: VTAConfig, insns: list[Instruction], params: TimingParams | None = None
) -> TimingReport:
    """Cycle-level schedule of ``insns`` on ``config`` with ``params`` (pynq by default)."""
    params = params or TimingParams()
    tasks: list[Task] = []
    dram: dict[str, int] = {}
    gemm_uops = 0
    for insn in insns:
        lead, port, tail = instruction_phases(insn, config, params)
        tasks.append((MODULES.index(module_of(insn)), lead, port, tail, flag_bits(insn)))
        if isinstance(insn, Gemm) and not insn.reset_reg:
            gemm_uops += (insn.uop_end - insn.uop_bgn) * insn.iter_out * insn.iter_in
        if isinstance(insn, Load | Store) and insn.x_size:
            name = _mem_name(insn.memory_type).lower()
            nbytes = insn.x_size * insn.y_size * _bytes_of(config, insn.memory_type)
            dram[name] = dram.get(name, 0) + nbytes
    core = run_tasks(tasks, params.shared_dram_port)
    if core.blocked >= 0:
        module = MODULES[core.blocked_module]
        raise TimingError(
            f"instruction {core.blocked} ({format_instruction(insns[core.blocked])}): deadlock: "
            f"its {module} module waits for a token that is never pushed"
        )
    modules = {
        m: ModuleTime(core.busy[i], core.stall[i], core.count[i]) for i, m in enumerate(MODULES)
    }
    cycles = max((end for _, end in core.spans), default=0)
    return TimingReport(
        cycles, modules, core.spans, gemm_uops, dram, params, core.stalls, core.port_busy
    )


def write_trace(report: TimingReport, insns: list[Instruction], path: str | Path) -> None:
    """The timeline in Chrome trace format (one track per module), viewable in Perfetto."""
    scale = 1.0 / report.params.clock_mhz  # cycles -> microseconds
    tids = {m: i for i, m in enumerate(MODULES)}
    events: list[dict[str, object]] = [
        {"name": "thread_name", "ph": "M", "pid": 0, "tid": tid, "args": {"name": module}}
        for module, tid in tids.items()
    ]
    for index, (insn, (start, end)) in enumerate(zip(insns, report.spans, strict=True)):
        events.append(
            {
                "name": (
                    f"{insn.mnemonic} {_mem_name(insn.memory_type)}"
                    if isinstance(insn, Load | Store)
                    else insn.mnemonic
                ),
                "ph": "X",
                "pid": 0,
                "tid": tids[module_of(insn)],
                "ts": start * scale,
                "dur": max(end - start, 0) * scale,
                "args": {"index": index, "insn": format_instruction(insn)},
            }
        )
    for index, begin, end in report.stalls:
        events.append(
            {
                "name": "stall",
                "ph": "X",
                "pid": 0,
                "tid": tids[module_of(insns[index])],
                "ts": begin * scale,
                "dur": (end - begin) * scale,
                "args": {"waiting": index},
            }
        )
    Path(path).write_text(json.dumps({"traceEvents": events, "displayTimeUnit": "ns"}))
