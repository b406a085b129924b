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

from vtac.errors import InvalidInputError
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import (
    MODULES,
    Alu,
    Gemm,
    Instruction,
    Load,
    MemType,
    Store,
    elem_bytes,
    format_instruction,
    module_of,
)
from vtac.runtime.timing_params import TimingParams

QUEUE_DEPTH = 8


class TimingError(InvalidInputError, ValueError):
    """The program cannot run to completion (deadlock), reported with the instruction."""

    what = "program"


def _mem_name(memory_type: int) -> str:
    if memory_type in MemType._value2member_map_:
        return MemType(memory_type).name
    return str(memory_type)


def _bytes_of(config: VTAConfig, memory_type: int) -> int:
    """Element bytes, or 0 for an unknown memory type (the functional simulator rejects it)."""
    return elem_bytes(config, memory_type) if memory_type in MemType._value2member_map_ else 0


def instruction_cycles(insn: Instruction, config: VTAConfig, params: TimingParams) -> int:
    """Cycles ``insn`` keeps its module busy, tokens aside."""
    if isinstance(insn, Load | Store):
        if insn.x_size == 0:
            return params.finish_cycles
        width = insn.x_pad_0 + insn.x_size + insn.x_pad_1
        height = insn.y_pad_0 + insn.y_size + insn.y_pad_1
        pads = width * height - insn.x_size * insn.y_size
        row_bytes = insn.x_size * _bytes_of(config, insn.memory_type)
        return params.transfer_cycles(insn.y_size, row_bytes, pads)
    if isinstance(insn, Gemm):
        steps = (insn.uop_end - insn.uop_bgn) * insn.iter_out * insn.iter_in
        return steps * params.gemm_cycles_per_uop + params.gemm_pipeline_fill
    if isinstance(insn, Alu):
        steps = (insn.uop_end - insn.uop_bgn) * insn.iter_out * insn.iter_in
        per = params.alu_imm_cycles_per_uop if insn.use_imm else params.alu_cycles_per_uop
        return steps * per + params.alu_pipeline_fill
    return params.finish_cycles


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

    def seconds(self) -> float:
        return self.cycles / (self.params.clock_mhz * 1e6)

    def utilization(self, useful_macs: int, config: VTAConfig) -> float:
        """Useful MACs over the GEMM core's peak over the whole run."""
        return useful_macs / (config.macs_per_gemm_uop * max(self.cycles, 1))


def time_program(
    config: VTAConfig, insns: list[Instruction], params: TimingParams | None = None
) -> TimingReport:
    """Cycle-level schedule of ``insns`` on ``config`` with ``params`` (pynq by default)."""
    params = params or TimingParams()
    directions = (
        ("load", "compute"),
        ("compute", "load"),
        ("compute", "store"),
        ("store", "compute"),
    )
    queues: dict[tuple[str, str], deque[int]] = {q: deque() for q in directions}
    pops_done: dict[tuple[str, str], list[int]] = {q: [] for q in queues}
    pushes_done: dict[tuple[str, str], int] = dict.fromkeys(queues, 0)
    programs = {m: [i for i, insn in enumerate(insns) if module_of(insn) == m] for m in MODULES}
    cursor = dict.fromkeys(MODULES, 0)
    free = dict.fromkeys(MODULES, 0)
    spans: list[tuple[int, int]] = [(0, 0)] * len(insns)
    modules = {m: ModuleTime() for m in MODULES}
    stalls: list[tuple[int, int, int]] = []
    dram: dict[str, int] = {}
    gemm_uops = 0
    neighbours = {
        "load": (None, "compute"),
        "compute": ("load", "store"),
        "store": ("compute", None),
    }

    def step(module: str) -> bool:
        nonlocal gemm_uops
        if cursor[module] >= len(programs[module]):
            return False
        index = programs[module][cursor[module]]
        insn = insns[index]
        prev, nxt = neighbours[module]
        pops = [(prev, module)] if insn.pop_prev_dep and prev else []
        pops += [(nxt, module)] if insn.pop_next_dep and nxt else []
        pushes = [(module, prev)] if insn.push_prev_dep and prev else []
        pushes += [(module, nxt)] if insn.push_next_dep and nxt else []
        if any(not queues[q] for q in pops):
            return False
        # A push into a full queue waits for the consumer's pop that frees a slot.
        for q in pushes:
            if len(pops_done[q]) <= pushes_done[q] - QUEUE_DEPTH:
                return False
        ready = max([free[module]] + [queues[q][0] for q in pops])
        for q in pops:
            queues[q].popleft()
            pops_done[q].append(ready)
        duration = instruction_cycles(insn, config, params)
        end = ready + duration
        for q in pushes:
            slot = pushes_done[q] - QUEUE_DEPTH
            if slot >= 0:
                end = max(end, pops_done[q][slot])
            queues[q].append(end)
            pushes_done[q] += 1
        if ready > free[module]:
            stalls.append((index, free[module], ready))
        modules[module].stall += ready - free[module]
        modules[module].busy += duration
        modules[module].instructions += 1
        spans[index] = (ready, end)
        free[module] = end
        cursor[module] += 1
        if isinstance(insn, Gemm) and not insn.reset_reg:
            gemm_uops += (insn.uop_end - insn.uop_bgn) * insn.iter_out * insn.iter_in
        if isinstance(insn, Load | Store) and insn.x_size:
            name = _mem_name(insn.memory_type).lower()
            nbytes = insn.x_size * insn.y_size * _bytes_of(config, insn.memory_type)
            dram[name] = dram.get(name, 0) + nbytes
        return True

    while True:
        progressed = False
        for module in MODULES:
            while step(module):
                progressed = True
        if not progressed:
            break
    for module in MODULES:
        if cursor[module] < len(programs[module]):
            index = programs[module][cursor[module]]
            raise TimingError(
                f"instruction {index} ({format_instruction(insns[index])}): deadlock: its "
                f"{module} module waits for a token that is never pushed"
            )
    cycles = max((end for _, end in spans), default=0)
    return TimingReport(cycles, modules, spans, gemm_uops, dram, params, stalls)


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
