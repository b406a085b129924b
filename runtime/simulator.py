"""Functional simulator: executes VTA instruction streams bit-exactly (vta-isa.md sections 3-5).

The three modules (load, compute, store) run in an order consistent with their dependency
tokens. Every error a program can make is reported as a :class:`SimError` naming the offending
instruction: deadlock, a race the tokens allow, an illegal dependency flag, an access outside an
SRAM buffer or the DRAM arena, a padded store, unknown opcodes, and a program that does not end
with FINISH. Races are found with vector clocks: tokens carry the pusher's clock, and every
cross-module access to an on-chip buffer entry, or to DRAM bytes a STORE and a LOAD share
(:mod:`~vtac.runtime.sim_dram`), must be ordered after the last conflicting one.

GEMM and ALU instructions run as a few numpy operations over all their iterations, following a
plan (indices, hazards, merged or independent chunks) built once per distinct instruction and
micro-op contents; ``strict`` mode adds the rules of the FPGA designs (section 5). Where VTA's
reference simulator (``sim_driver.cc``) defines a behaviour, this one has the same, counters
included; where it does not (SHR amounts outside [-16, 15]), this one follows the HLS design.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from vtac.errors import InvalidInputError
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import (
    MODULES,
    Alu,
    AluOp,
    Finish,
    Gemm,
    Instruction,
    Load,
    MemType,
    Store,
    elem_bytes,
    format_instruction,
    module_of,
    split_uops,
)
from vtac.runtime.sim_dram import DramTracker
from vtac.runtime.sim_gemm import GemmPlan
from vtac.runtime.timing import QUEUE_DEPTH

#: Micro-ops the Chisel design holds; strict mode keeps programs within it.
STRICT_UOP_DEPTH = 2048
#: Most steps (iter_out * iter_in * micro-ops) one GEMM or ALU instruction may have here.
MAX_STEPS = 1 << 25
#: Most chunks one ALU instruction's chained steps (steps reading or rewriting what an earlier
#: step wrote) may run in here: each chunk is a few numpy operations, run one after the other.
MAX_ALU_CHUNKS = 1 << 14
#: Distinct GEMM/ALU plans a simulator keeps.
PLAN_CACHE_SIZE = 256
#: Bits of a shift amount the ALU reads, as a signed number (VTA's HLS design: the shift
#: argument is LOG_ACC_WIDTH bits wide, 5 for the int32 accumulator of every configuration).
SHIFT_BITS = 5
SHIFT_MIN, SHIFT_MAX = -(1 << (SHIFT_BITS - 1)), (1 << (SHIFT_BITS - 1)) - 1
NEIGHBOURS = {"load": (None, "compute"), "compute": ("load", "store"), "store": ("compute", None)}
COUNTERS = (
    "inp_load_nbytes",
    "wgt_load_nbytes",
    "acc_load_nbytes",
    "uop_load_nbytes",
    "out_store_nbytes",
    "gemm_counter",
    "alu_counter",
)

Index = slice | np.ndarray


class SimError(InvalidInputError):
    """A program error, with the index and the instruction that made it."""

    what = "program"

    def __init__(self, message: str, index: int | None = None, insn: Instruction | None = None):
        self.index = index
        self.insn = insn
        where = None if index is None else f"instruction {index} ({format_instruction(insn)})"
        super().__init__(message if where is None else f"{where}: {message}", where=where)


@dataclass
class SimStats:
    """VTA's counters (under VTA's names) and instruction counts of one run."""

    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    executed: int = 0
    by_opcode: dict[str, int] = field(default_factory=dict)


class _Fault(Exception):
    """An error inside one instruction; the simulator adds the instruction."""


@dataclass(frozen=True)
class _Entries:
    """Distinct buffer entries an instruction touches (a slice when contiguous) and the largest."""

    index: Index
    top: int


@dataclass
class _LoopPlan:
    """What a GEMM or ALU instruction does, independent of SRAM contents."""

    steps: int
    hazard: str | None  # strict: a micro-op writing what one of the two before it wrote
    dst: _Entries  # accumulator entries written
    src: _Entries | None  # input entries read (GEMM), accumulator source entries (ALU)
    wgt: _Entries | None  # weight entries read (GEMM)
    gemm: GemmPlan | None = None
    # ALU, only when the indices are in bounds: the steps as chunks that can run at once,
    # (dst, src or None with an immediate), or merged when they revisit destinations but read
    # nothing they write (then chunks are made only if SHR with tensor amounts needs them)
    runs: list[tuple[Index, Index | None]] = field(default_factory=list)
    merged: _Merged | None = None

    def alu_runs(self) -> list[tuple[Index, Index | None]]:
        """The chunks of an ALU plan, made from its merged steps the first time they are needed."""
        if not self.runs and self.merged is not None:
            m = self.merged
            assert m.src is not None  # merged steps with an immediate never run in chunks
            self.runs = _runs(m.entries[m.inverse], m.src)
        return self.runs


@dataclass(frozen=True)
class _Merged:
    """ALU steps that revisit destinations but read only values from before the instruction:
    each distinct destination takes all its operands at once (one ``ufunc.at``)."""

    entries: np.ndarray  # the distinct destinations, ascending
    inverse: np.ndarray  # per step, the position of its destination in ``entries``
    src: np.ndarray | None  # per step, the entry it reads (None with an immediate)
    counts: np.ndarray  # per destination, the number of steps that write it


class _LoadTarget(NamedTuple):
    """Where a LOAD of one memory type writes, and the counter it adds to."""

    buffer: np.ndarray
    name: str
    depth: int
    counter: str


@dataclass
class _Shared:
    """Race bookkeeping of an SRAM buffer shared between two modules: per entry, the sequence
    number (1-based, within its module) of the last write and of the last read."""

    writer: str
    reader: str
    last_write: np.ndarray
    last_read: np.ndarray


class Simulator:
    """SRAM state (``inp``, ``wgt``, ``acc``, ``uop``) and execution of programs on one
    hardware configuration; ``dram`` is the arena, starting at physical byte address ``base``."""

    def __init__(
        self, config: VTAConfig, dram: np.ndarray, *, base: int = 0, strict: bool = False
    ) -> None:
        if dram.dtype != np.uint8 or dram.ndim != 1:
            raise ValueError("the DRAM arena must be a one-dimensional uint8 array")
        self.config = config
        self.dram = dram
        self.base = base
        self.strict = strict
        c = config
        self.inp = np.zeros((c.inp_depth, c.batch, c.block_in), dtype=np.int8)
        self.wgt = np.zeros((c.wgt_depth, c.block_out, c.block_in), dtype=np.int8)
        self.acc = np.zeros((c.acc_depth, c.batch, c.block_out), dtype=np.int32)
        self.uop = np.zeros(c.uop_depth, dtype=np.uint32)
        # float32 mirrors of inp and of wgt transposed for exact BLAS products (kept in step by
        # LOADs), each with an extra zero entry at the end (see sim_gemm)
        self._inp_f32 = np.zeros((c.inp_depth + 1, c.batch, c.block_in), dtype=np.float32)
        self._wgt_t_f32 = np.zeros((c.wgt_depth + 1, c.block_in, c.block_out), dtype=np.float32)
        # strict: whether an accumulator entry was last written by GEMM/ALU (not LOAD ACC)
        self.acc_computed = np.zeros(c.acc_depth, dtype=bool)
        self._plans: dict[tuple, _LoopPlan] = {}
        self._loads = {
            MemType.INP: _LoadTarget(self.inp, "input", c.inp_depth, "inp_load_nbytes"),
            MemType.WGT: _LoadTarget(self.wgt, "weight", c.wgt_depth, "wgt_load_nbytes"),
            MemType.ACC: _LoadTarget(self.acc, "accumulator", c.acc_depth, "acc_load_nbytes"),
            MemType.ACC_8BIT: _LoadTarget(self.acc, "accumulator", c.acc_depth, "acc_load_nbytes"),
            MemType.UOP: _LoadTarget(self.uop, "micro-op", c.uop_depth, "uop_load_nbytes"),
        }
        self._elem_bytes = {kind: elem_bytes(c, kind) for kind in self._loads}
        # bytes counted per element: sim_driver.cc counts ACC_8BIT loads in accumulator
        # elements (4 bytes a lane)
        self._counted_bytes = self._elem_bytes | {MemType.ACC_8BIT: c.acc_elem_bytes}
        self.stats = SimStats()

    # ------------------------------------------------------------ scheduling

    def run(self, insns: list[Instruction]) -> SimStats:
        """Execute ``insns`` (SRAM keeps its contents from before); raises :class:`SimError` on
        any program error."""
        c = self.config
        self.insns = insns
        self.stats = SimStats()
        self.shared = {
            "inp": _Shared("load", "compute", *_zeros(c.inp_depth)),
            "wgt": _Shared("load", "compute", *_zeros(c.wgt_depth)),
            "acc": _Shared("compute", "store", *_zeros(c.acc_depth)),
        }
        self._inp_f32[:-1] = self.inp
        self._wgt_t_f32[:-1] = self.wgt.transpose(0, 2, 1)
        programs = {m: [i for i, insn in enumerate(insns) if module_of(insn) == m] for m in MODULES}
        self.programs = programs
        cursor = dict.fromkeys(MODULES, 0)
        # a token: the pusher's vector clock and the pusher's instruction index
        queues: dict[tuple[str, str], deque[tuple[dict[str, int], int]]] = {
            (a, b): deque() for a in MODULES for b in MODULES if b in NEIGHBOURS[a]
        }
        self.clock = {m: dict.fromkeys(MODULES, 0) for m in MODULES}
        self.dram_races = DramTracker(c, insns, self.base, self.dram.size)
        self.finished = False
        last_executed: int | None = None
        for index, insn in enumerate(insns):
            self._check_flags(index, insn)
        while True:
            progressed = False
            for module in MODULES:
                while cursor[module] < len(programs[module]):
                    index = programs[module][cursor[module]]
                    insn = insns[index]
                    pops, pushes = self._queues_of(module, insn)
                    if any(not queues[q] for q in pops):
                        break
                    if self.strict and any(len(queues[q]) >= QUEUE_DEPTH for q in pushes):
                        break
                    if self.finished:
                        raise SimError(
                            "executes after FINISH: the end of the program is not ordered by "
                            "tokens",
                            index,
                            insn,
                        )
                    mine = self.clock[module]
                    for q in pops:
                        token, _ = queues[q].popleft()
                        for m in MODULES:
                            mine[m] = max(mine[m], token[m])
                    mine[module] += 1
                    try:
                        self._execute(module, index, insn)
                    except _Fault as fault:
                        raise SimError(str(fault), index, insn) from None
                    for q in pushes:
                        queues[q].append((dict(mine), index))
                    cursor[module] += 1
                    self.stats.executed += 1
                    self.stats.by_opcode[insn.mnemonic] = (
                        self.stats.by_opcode.get(insn.mnemonic, 0) + 1
                    )
                    last_executed = index
                    progressed = True
            if not progressed:
                break
        blocked = [programs[m][cursor[m]] for m in MODULES if cursor[m] < len(programs[m])]
        if blocked:
            index = min(blocked)
            module = module_of(insns[index])
            pops, pushes = self._queues_of(module, insns[index])
            empty = [f"{a}->{b}" for a, b in pops if not queues[a, b]]
            full = [f"{a}->{b}" for a, b in pushes if len(queues[a, b]) >= QUEUE_DEPTH]
            reason = (
                f"pops a {', '.join(empty)} token that is never pushed"
                if empty
                else f"pushes into the full {', '.join(full)} queue ({QUEUE_DEPTH} tokens)"
            )
            raise SimError(f"deadlock: the {module} module {reason}", index, insns[index])
        if not self.finished:
            if last_executed is None:
                raise SimError("the program is empty: it must end with FINISH")
            raise SimError(
                "the program ends without FINISH (last executed instruction shown)",
                last_executed,
                insns[last_executed],
            )
        for (a, b), queue in queues.items():
            if queue:
                pusher = queue[0][1]
                raise SimError(
                    f"its {a}->{b} token is never popped ({len(queue)} left at the end)",
                    pusher,
                    insns[pusher],
                )
        return self.stats

    def _queues_of(
        self, module: str, insn: Instruction
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        prev, nxt = NEIGHBOURS[module]
        pops = [(prev, module)] if insn.pop_prev_dep and prev else []
        pops += [(nxt, module)] if insn.pop_next_dep and nxt else []
        pushes = [(module, prev)] if insn.push_prev_dep and prev else []
        pushes += [(module, nxt)] if insn.push_next_dep and nxt else []
        return pops, pushes  # type: ignore[return-value]

    def _check_flags(self, index: int, insn: Instruction) -> None:
        module = module_of(insn)
        bad = []
        if module == "load":
            bad = [f for f in ("pop_prev_dep", "push_prev_dep") if getattr(insn, f)]
        elif module == "store":
            bad = [f for f in ("pop_next_dep", "push_next_dep") if getattr(insn, f)]
        if bad:
            raise SimError(
                f"the {module} module may not use {' or '.join(bad)} (it has no queue there)",
                index,
                insn,
            )

    # -------------------------------------------------------------- execution

    def _execute(self, module: str, index: int, insn: Instruction) -> None:
        if isinstance(insn, Finish):
            for other in ("load", "store"):
                total = len(self.programs[other])
                if self.clock["compute"][other] < total:
                    pending = self.programs[other][self.clock["compute"][other]]
                    raise _Fault(
                        f"FINISH is not ordered after {other} instruction {pending} "
                        f"({format_instruction(self.insns[pending])}): a token is missing"
                    )
            self.finished = True
        elif isinstance(insn, Load):
            self._load(module, index, insn)
        elif isinstance(insn, Store):
            self._store(index, insn)
        elif isinstance(insn, Gemm):
            self._gemm(insn)
        elif isinstance(insn, Alu):
            self._alu(insn)

    def _dram_view(self, insn: Load | Store, size: int) -> np.ndarray:
        """The arena bytes a transfer touches, as a [y_size, x_size * size] view (rows may
        overlap when x_stride < x_size)."""
        start = insn.dram_base * size - self.base
        stop = (insn.dram_base + (insn.y_size - 1) * insn.x_stride + insn.x_size) * size - self.base
        if insn.y_size and (start < 0 or stop > self.dram.size):
            raise _Fault(
                f"DRAM access [{start + self.base:#x}, {stop + self.base:#x}) is outside the "
                f"arena [{self.base:#x}, {self.base + self.dram.size:#x})"
            )
        width = insn.x_size * size
        if insn.y_size <= 1 or insn.x_stride == insn.x_size:
            return self.dram[max(start, 0) :][: insn.y_size * width].reshape(insn.y_size, width)
        step = self.dram.strides[0]
        return np.lib.stride_tricks.as_strided(
            self.dram[start:],
            shape=(insn.y_size, width),
            strides=(insn.x_stride * size * step, step),
        )

    def _sram_check(self, name: str, start: int, count: int, depth: int) -> None:
        if start + count > depth:
            raise _Fault(
                f"{name} buffer entries [{start}, {start + count}) exceed its depth {depth}"
            )

    def _load(self, module: str, index: int, insn: Load) -> None:
        if insn.x_size == 0:  # a no-op of any memory type, even unknown, as in sim_driver.cc
            return
        if insn.memory_type not in MemType._value2member_map_:
            raise _Fault(f"LOAD of unknown memory type {insn.memory_type}")
        kind = MemType(insn.memory_type)
        if kind == MemType.OUT:
            raise _Fault("LOAD of memory type OUT: the output buffer can only be stored")
        padded = insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1
        if self.strict and kind in (MemType.WGT, MemType.UOP) and padded:
            raise _Fault(f"strict: padding on a {kind.name} load is not supported by the FPGA")
        buffer, name, depth, counter = self._loads[kind]
        size = self._elem_bytes[kind]
        width = insn.x_pad_0 + insn.x_size + insn.x_pad_1
        height = insn.y_pad_0 + insn.y_size + insn.y_pad_1
        if self.strict and kind == MemType.UOP:
            depth = min(depth, STRICT_UOP_DEPTH)
        self._sram_check(name, insn.sram_base, width * height, depth)
        raw = self._dram_view(insn, size)  # [y, x * size] bytes
        clock = self.clock[module]
        conflict = self.dram_races.load(index, module, clock[module], clock)
        if conflict:
            where = f"DRAM byte {conflict.address:#x}"
            raise self._race("read after write", where, conflict.module, conflict.seq)
        shape = (insn.y_size, insn.x_size, *buffer.shape[1:])
        if kind == MemType.UOP:
            data = np.ascontiguousarray(raw).view("<u4").reshape(shape)
        elif kind == MemType.ACC:
            data = np.ascontiguousarray(raw).view("<i4").reshape(shape)
        else:  # INP, WGT, and ACC_8BIT (sign-extended on assignment)
            data = raw.view(np.int8).reshape(shape)
        written = slice(insn.sram_base, insn.sram_base + width * height)
        if kind in (MemType.ACC, MemType.ACC_8BIT):
            self._write("acc", module, written)
            self.acc_computed[written] = False
        elif kind in (MemType.INP, MemType.WGT):
            self._write(kind.name.lower(), module, written)
        if padded:
            rect = np.zeros((height, width, *buffer.shape[1:]), dtype=buffer.dtype)
            rect[
                insn.y_pad_0 : insn.y_pad_0 + insn.y_size,
                insn.x_pad_0 : insn.x_pad_0 + insn.x_size,
            ] = data
            buffer[written] = rect.reshape(-1, *buffer.shape[1:])
        else:
            buffer[written] = data.reshape(-1, *buffer.shape[1:])
        if kind == MemType.INP:
            self._inp_f32[written] = buffer[written]
        elif kind == MemType.WGT:
            self._wgt_t_f32[written] = buffer[written].transpose(0, 2, 1)
        self.stats.counters[counter] += insn.x_size * insn.y_size * self._counted_bytes[kind]

    def _store(self, index: int, insn: Store) -> None:
        if insn.x_size == 0:  # a no-op of any memory type, even unknown, as in sim_driver.cc
            return  # (VTA's runtime emits store-module no-ops with memory type UOP)
        if insn.memory_type not in MemType._value2member_map_:
            raise _Fault(f"STORE of unknown memory type {insn.memory_type}")
        if insn.memory_type != MemType.OUT:
            raise _Fault(f"STORE supports only memory type OUT (4), got {insn.memory_type}")
        if insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1:
            raise _Fault("a STORE may not be padded")
        count = insn.x_size * insn.y_size
        self._sram_check("accumulator", insn.sram_base, count, self.config.acc_depth)
        entries = slice(insn.sram_base, insn.sram_base + count)
        if self.strict and not self.acc_computed[entries].all():
            bad = insn.sram_base + int(np.argmin(self.acc_computed[entries]))
            raise _Fault(
                f"strict: accumulator entry {bad} is stored but was last written by a LOAD "
                f"(or never), not by GEMM or ALU"
            )
        self._read("acc", "store", entries)
        out_bytes = self.config.out_elem_bytes
        target = self._dram_view(insn, out_bytes)
        conflict = self.dram_races.store(index, self.clock["store"]["store"], self.clock["store"])
        if conflict:
            where = f"DRAM byte {conflict.address:#x}"
            raise self._race("write after read", where, conflict.module, conflict.seq)
        values = self.acc[entries].astype(np.int8).view(np.uint8)  # keep the low 8 bits
        values = values.reshape(target.shape)
        if insn.y_size > 1 and insn.x_stride < insn.x_size:  # overlapping rows: later ones win
            for row in range(insn.y_size):
                target[row] = values[row]
        else:
            target[...] = values
        self.stats.counters["out_store_nbytes"] += count * out_bytes

    def _plan(self, insn: Gemm | Alu) -> _LoopPlan | None:
        """The plan of a GEMM or ALU (None if it has no step), from the cache when it can."""
        if insn.uop_end <= insn.uop_bgn or insn.iter_out == 0 or insn.iter_in == 0:
            return None
        depth = self.config.uop_depth
        if self.strict:
            depth = min(depth, STRICT_UOP_DEPTH)
        if insn.uop_end > depth:
            raise _Fault(f"micro-ops [{insn.uop_bgn}, {insn.uop_end}) exceed the buffer's {depth}")
        steps = insn.iter_out * insn.iter_in * (insn.uop_end - insn.uop_bgn)
        if steps > MAX_STEPS:
            raise _Fault(
                f"{steps} steps (iter_out * iter_in * micro-ops) are more than this simulator "
                f"executes in one instruction ({MAX_STEPS})"
            )
        words = self.uop[insn.uop_bgn : insn.uop_end]
        gemm = isinstance(insn, Gemm)
        key = (
            gemm,
            insn.reset_reg if gemm else insn.use_imm,
            insn.iter_out,
            insn.iter_in,
            insn.dst_factor_out,
            insn.dst_factor_in,
            insn.src_factor_out,
            insn.src_factor_in,
            insn.wgt_factor_out if gemm else 0,
            insn.wgt_factor_in if gemm else 0,
            words.tobytes(),
        )
        plan = self._plans.get(key)
        if plan is None:
            plan = self._new_plan(insn, words)
            if len(self._plans) >= PLAN_CACHE_SIZE:
                del self._plans[next(iter(self._plans))]
            self._plans[key] = plan
        return plan

    def _new_plan(self, insn: Gemm | Alu, words: np.ndarray) -> _LoopPlan:
        uop_dst, uop_src, uop_wgt = split_uops(words, self.config)
        i = np.arange(insn.iter_out, dtype=np.int64)[:, None, None]
        j = np.arange(insn.iter_in, dtype=np.int64)[None, :, None]
        dst = (uop_dst + i * insn.dst_factor_out + j * insn.dst_factor_in).reshape(-1)
        src = (uop_src + i * insn.src_factor_out + j * insn.src_factor_in).reshape(-1)
        plan = _LoopPlan(dst.size, _hazard(dst), _entries(dst), None, None)
        if isinstance(insn, Gemm):
            if insn.reset_reg:
                return plan
            wgt = (uop_wgt + i * insn.wgt_factor_out + j * insn.wgt_factor_in).reshape(-1)
            plan.src, plan.wgt = _entries(src), _entries(wgt)
            c = self.config
            if (
                plan.dst.top < c.acc_depth
                and plan.src.top < c.inp_depth
                and plan.wgt.top < c.wgt_depth
            ):
                plan.gemm = GemmPlan(
                    insn, uop_dst, uop_src, uop_wgt, c.block_in, c.inp_depth, c.wgt_depth
                )
            return plan
        depth = self.config.acc_depth
        plan.src = _entries(src)  # bounds-checked with an immediate too, as in sim_driver.cc
        if plan.dst.top < depth and plan.src.top < depth:
            plan.runs, plan.merged = _alu_steps(dst, None if insn.use_imm else src)
        return plan

    def _bounds(self, name: str, top: int, depth: int) -> None:
        if top >= depth:
            raise _Fault(f"{name} index {top} is outside the buffer (depth {depth})")

    def _gemm(self, insn: Gemm) -> None:
        plan = self._plan(insn)
        if plan is None:
            return
        if self.strict and plan.hazard:
            raise _Fault(plan.hazard)
        self._bounds("accumulator", plan.dst.top, self.config.acc_depth)
        dst = plan.dst.index
        if insn.reset_reg:
            self._write("acc", "compute", dst)
            self.acc[dst] = 0
            self.acc_computed[dst] = True
            return
        assert plan.src is not None and plan.wgt is not None
        self._bounds("input", plan.src.top, self.config.inp_depth)
        self._bounds("weight", plan.wgt.top, self.config.wgt_depth)
        assert plan.gemm is not None  # built whenever the indices are in bounds
        self._read("inp", "compute", plan.src.index)
        self._read("wgt", "compute", plan.wgt.index)
        self._write("acc", "compute", dst)
        sums, targets = plan.gemm.sums(self._inp_f32, self._wgt_t_f32), plan.gemm.targets
        self.acc[targets] = (self.acc[targets] + sums).astype(np.int32)  # int64: wraps exactly
        self.acc_computed[dst] = True
        self.stats.counters["gemm_counter"] += plan.steps

    def _alu(self, insn: Alu) -> None:
        if insn.alu_opcode not in AluOp._value2member_map_:
            raise _Fault(f"unknown ALU opcode {insn.alu_opcode}")
        op = AluOp(insn.alu_opcode)
        if self.strict and op == AluOp.MUL:
            raise _Fault("strict: ALU MUL exists only in the functional simulator")
        outside = not SHIFT_MIN <= insn.imm <= SHIFT_MAX
        if self.strict and op == AluOp.SHR and insn.use_imm and outside:
            raise _Fault(f"strict: SHR immediate {insn.imm} is outside [{SHIFT_MIN}, {SHIFT_MAX}]")
        plan = self._plan(insn)
        if plan is None:
            return
        if self.strict and plan.hazard:
            raise _Fault(plan.hazard)
        depth = self.config.acc_depth
        self._bounds("accumulator (dst)", plan.dst.top, depth)
        assert plan.src is not None
        self._bounds("accumulator (src)", plan.src.top, depth)
        self._write("acc", "compute", plan.dst.index)
        acc = self.acc
        merged = plan.merged
        if merged is not None and (merged.src is None or op != AluOp.SHR):
            _merge(op, acc, merged, insn.imm)
        else:
            for d, s in plan.alu_runs():
                operand = np.int32(insn.imm) if s is None else acc[s]
                if self.strict and op == AluOp.SHR and s is not None:
                    _check_shift_operands(operand, s)
                acc[d] = _alu(op, acc[d], operand)
        self.acc_computed[plan.dst.index] = True
        self.stats.counters["alu_counter"] += plan.steps

    # ------------------------------------------------------------------ races

    def _race(self, kind: str, where: str, other: str, seq: int) -> _Fault:
        """The race of the running instruction with ``other``'s instruction number ``seq``."""
        index = self.programs[other][seq - 1]
        return _Fault(
            f"race: {kind} on {where} with {other} instruction {index} "
            f"({format_instruction(self.insns[index])}), which no token orders before it"
        )

    def _write(self, buffer: str, module: str, entries: Index) -> None:
        shared = self.shared[buffer]
        last = int(shared.last_read[entries].max(initial=0))
        if last > self.clock[module][shared.reader]:
            raise self._race("write after read", f"the {buffer} buffer", shared.reader, last)
        shared.last_write[entries] = self.clock[module][module]

    def _read(self, buffer: str, module: str, entries: Index) -> None:
        shared = self.shared[buffer]
        last = int(shared.last_write[entries].max(initial=0))
        if last > self.clock[module][shared.writer]:
            raise self._race("read after write", f"the {buffer} buffer", shared.writer, last)
        shared.last_read[entries] = self.clock[module][module]


def _zeros(depth: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(depth, dtype=np.int64), np.zeros(depth, dtype=np.int64)


def _index(values: np.ndarray) -> Index:
    """``values`` as a slice when they are consecutive ascending integers."""
    consecutive = values.size and values[-1] - values[0] == values.size - 1
    if consecutive and (np.diff(values) == 1).all():
        return slice(int(values[0]), int(values[-1]) + 1)
    return values


def _entries(values: np.ndarray) -> _Entries:
    distinct = np.unique(values)
    return _Entries(_index(distinct), int(distinct[-1]))


def _hazard(dst: np.ndarray) -> str | None:
    """Strict mode: the first step that writes an accumulator entry one of the two steps before
    it wrote (the FPGA pipeline has no bypass)."""
    repeat = np.flatnonzero(dst[1:] == dst[:-1])
    repeat2 = np.flatnonzero(dst[2:] == dst[:-2])
    if not (repeat.size or repeat2.size):
        return None
    step = min([int(r) + 1 for r in repeat[:1]] + [int(r) + 2 for r in repeat2[:1]])
    return (
        f"strict: step {step} writes accumulator entry {int(dst[step])}, which one of the two "
        f"steps before it wrote (the pipeline has no bypass)"
    )


def _alu(op: AluOp, a: np.ndarray, b: np.ndarray | np.int32) -> np.ndarray:
    """One ALU operation on int32 lanes, wrapping like sim_driver.cc's int32 arithmetic.

    SHR shifts as VTA's HLS design does (vta-isa.md section 3): by the low :data:`SHIFT_BITS`
    bits of the amount read as a signed number, so -16..15, a negative amount shifting left (an
    amount of 20 shifts left by 12). sim_driver.cc shifts by the whole amount there, undefined
    C++ from 32 on; strict mode refuses amounts outside [-16, 15].
    """
    if op == AluOp.MIN:
        return np.minimum(a, b)
    if op == AluOp.MAX:
        return np.maximum(a, b)
    if op == AluOp.ADD:
        return a + b  # numpy array arithmetic wraps
    if op == AluOp.MUL:
        return a * b
    wide, amount = a.astype(np.int64), shift_amount(np.broadcast_to(b, a.shape))
    right = wide >> np.maximum(amount, 0)
    return np.where(amount >= 0, right, wide << np.maximum(-amount, 0)).astype(np.int32)


def shift_amount(amount: np.ndarray | int) -> np.ndarray:
    """The shift the ALU makes for a SHR amount: its low :data:`SHIFT_BITS` bits, signed."""
    low = np.asarray(amount, dtype=np.int64) & ((1 << SHIFT_BITS) - 1)
    return low - ((low >> (SHIFT_BITS - 1)) << SHIFT_BITS)


def _check_shift_operands(amounts: np.ndarray, entries: Index) -> None:
    """Strict mode: every SHR amount read from the accumulator is one the FPGA shifts by."""
    bad = (amounts < SHIFT_MIN) | (amounts > SHIFT_MAX)
    if bad.any():
        step, row, lane = (int(i) for i in np.argwhere(bad)[0])
        entry = entries.start + step if isinstance(entries, slice) else int(entries[step])
        raise _Fault(
            f"strict: SHR amount {int(amounts[step, row, lane])} read from accumulator entry "
            f"{entry} (batch row {row}, lane {lane}) is outside [{SHIFT_MIN}, {SHIFT_MAX}]"
        )


def _alu_steps(
    dst: np.ndarray, src: np.ndarray | None
) -> tuple[list[tuple[Index, Index | None]], _Merged | None]:
    """How to run ALU steps writing ``dst`` and reading ``src`` (None with an immediate): one
    chunk when the destinations are distinct and no step reads what an earlier one wrote,
    merged when only the first condition fails, in chunks otherwise."""
    entries, first, inverse, counts = np.unique(
        dst, return_index=True, return_inverse=True, return_counts=True
    )
    if src is not None:
        at = np.minimum(np.searchsorted(entries, src), entries.size - 1)
        first_write = np.where(entries[at] == src, first[at], dst.size)
        if (first_write < np.arange(dst.size)).any():  # a step reads what an earlier one wrote
            return _runs(dst, src), None
    if entries.size < dst.size:
        return [], _Merged(entries, inverse.reshape(-1), src, counts)
    return [(_index(dst), None if src is None else _index(src))], None


#: The ALU operations that merge repeated destinations with ``ufunc.at`` (in int64).
_MERGE_UFUNCS = {
    AluOp.MIN: np.minimum,
    AluOp.MAX: np.maximum,
    AluOp.ADD: np.add,
    AluOp.MUL: np.multiply,
}


def _merge(op: AluOp, acc: np.ndarray, merged: _Merged, imm: int) -> None:
    """Run merged ALU steps at once. They commute: ADD and MUL are exact in int64 modulo 2^32
    (int64 sums of at most 2^25 int32 terms do not overflow; int64 products wrap modulo 2^64,
    a multiple of 2^32), MIN and MAX are order-free, and an immediate shift repeated k times
    is one shift by k times its amount (:func:`_repeated_shift`)."""
    values = acc[merged.entries].astype(np.int64)
    if op == AluOp.SHR:
        values = _repeated_shift(values, imm, merged.counts)
    else:
        operand = np.int64(imm) if merged.src is None else acc[merged.src]
        _MERGE_UFUNCS[op].at(values, merged.inverse, operand)
    acc[merged.entries] = values.astype(np.int32)  # keeps the low 32 bits


def _repeated_shift(values: np.ndarray, imm: int, counts: np.ndarray) -> np.ndarray:
    """``counts[e]`` SHRs by ``imm`` of entry e (int64 values of int32 lanes). Each step shifts
    as :func:`_alu` does, by r = :func:`shift_amount` (imm); k right shifts by r are one by k*r
    (capped at 63, beyond which an int64 shift is undefined and the int32 result is already 0
    or -1); k left shifts by -r, each wrapping at 32 bits, are one by -k*r wrapping at 32 bits
    (capped at 32, where every bit is gone)."""
    amount = int(shift_amount(imm))
    total = (counts.astype(np.int64) * abs(amount)).reshape((-1,) + (1,) * (values.ndim - 1))
    if amount >= 0:
        return values >> np.minimum(total, 63)
    return values << np.minimum(total, 32)


def _runs(dst: np.ndarray, src: np.ndarray) -> list[tuple[Index, Index | None]]:
    """Consecutive chunks of steps that can run at once with the effect of running them one by
    one: within a chunk, no step writes or reads an entry an earlier step of the chunk wrote
    (a chunk reads all its operands before it writes, so reading what a later step writes is
    fine)."""
    n = dst.size
    conflict = _last_write_before(dst, [dst, src])
    runs: list[tuple[Index, Index | None]] = []
    start = 0
    while start < n:  # the chunk ends at the first step conflicting with one inside it
        stop, low, width = n, start + 1, 64
        while low < n:  # look in growing windows: the cost follows the chunk's length
            high = min(n, low + width)
            hits = np.flatnonzero(conflict[low:high] >= start)
            if hits.size:
                stop = low + int(hits[0])
                break
            low, width = high, 2 * width
        runs.append((_index(dst[start:stop]), _index(src[start:stop])))
        start = stop
        if len(runs) > MAX_ALU_CHUNKS and start < n:
            raise _Fault(
                f"the ALU steps chain (steps read or rewrite accumulator entries earlier steps "
                f"wrote) into more than {MAX_ALU_CHUNKS} chunks that run one after the other, "
                "more than this simulator executes in one instruction"
            )
    return runs


def _last_write_before(dst: np.ndarray, queries: list[np.ndarray]) -> np.ndarray:
    """For every step t, the last step before t that wrote an entry step t queries (``queries``
    gives one entry per step and query kind), or a negative number if there is none."""
    n = dst.size
    steps = np.arange(n)
    values = np.concatenate([dst, *queries])
    times = np.tile(steps, 1 + len(queries))
    is_write = np.repeat(np.arange(1 + len(queries)) == 0, n)
    order = np.lexsort((is_write, times, values))  # by entry, then time, queries before writes
    ordered = values[order]
    segment = np.cumsum(np.diff(ordered, prepend=ordered[0] - 1) != 0)
    floor = segment * (n + 1)
    key = floor + np.where(is_write[order], times[order] + 1, 0)
    last = np.empty(values.size, dtype=np.int64)
    last[order] = np.maximum.accumulate(key) - floor - 1  # < 0: no write to that entry before
    return last[n:].reshape(len(queries), n).max(axis=0)


def simulate(
    config: VTAConfig,
    insns: list[Instruction],
    dram: np.ndarray,
    *,
    base: int = 0,
    strict: bool = False,
) -> SimStats:
    """Run ``insns`` on a fresh accelerator; ``dram`` (uint8, the arena starting at physical
    byte address ``base``) is updated in place by stores."""
    return Simulator(config, dram, base=base, strict=strict).run(insns)
