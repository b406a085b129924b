"""Functional simulator: executes VTA instruction streams bit-exactly (vta-isa.md sections 3-5).

The three modules (load, compute, store) run in an order consistent with their dependency
tokens. Every error a program can make is reported as a :class:`SimError` naming the offending
instruction: deadlock, a race the tokens allow, an illegal dependency flag, an access outside an
SRAM buffer or the DRAM arena, a padded store, unknown opcodes, and a program that does not end
with FINISH. Races are found with vector clocks: tokens carry the pusher's clock, and every
cross-module access to an on-chip buffer entry must be ordered after the last conflicting one.

GEMM and ALU instructions run as a few numpy operations over all their iterations; ``strict``
mode adds the rules of the FPGA designs (section 5).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import (
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
    split_uops,
)
from vtac.runtime.timing import QUEUE_DEPTH, module_of

#: Micro-ops the Chisel design holds; strict mode keeps programs within it.
STRICT_UOP_DEPTH = 2048
MODULES = ("load", "compute", "store")
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


class SimError(Exception):
    """A program error, with the index and the instruction that made it."""

    def __init__(self, message: str, index: int | None = None, insn: Instruction | None = None):
        self.index = index
        self.insn = insn
        where = "" if index is None else f"instruction {index} ({format_instruction(insn)}): "
        super().__init__(where + message)


@dataclass
class SimStats:
    """VTA's counters (under VTA's names) and instruction counts of one run."""

    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    executed: int = 0
    by_opcode: dict[str, int] = field(default_factory=dict)


class _Fault(Exception):
    """An error inside one instruction; the simulator adds the instruction."""


@dataclass
class _Shared:
    """Race bookkeeping of an SRAM buffer shared between two modules: per entry, the sequence
    number (1-based, within its module) of the last write and of the last read."""

    writer: str
    reader: str
    last_write: np.ndarray
    last_read: np.ndarray


class Simulator:
    """SRAM state and execution of a program on one hardware configuration."""

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
        # float32 mirrors of inp and wgt for exact BLAS products (kept in step by LOADs)
        self._inp_f32 = np.zeros(self.inp.shape, dtype=np.float32)
        self._wgt_f32 = np.zeros(self.wgt.shape, dtype=np.float32)
        # strict: whether an accumulator entry was last written by GEMM/ALU (not LOAD ACC)
        self.acc_computed = np.zeros(c.acc_depth, dtype=bool)
        self.shared = {
            "inp": _Shared("load", "compute", *self._zeros(c.inp_depth)),
            "wgt": _Shared("load", "compute", *self._zeros(c.wgt_depth)),
            "acc": _Shared("compute", "store", *self._zeros(c.acc_depth)),
        }
        self.stats = SimStats()

    @staticmethod
    def _zeros(depth: int) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(depth, dtype=np.int64), np.zeros(depth, dtype=np.int64)

    # ------------------------------------------------------------ scheduling

    def run(self, insns: list[Instruction]) -> SimStats:
        """Execute ``insns``; raises :class:`SimError` on any program error."""
        self.insns = insns
        self._inp_f32[:] = self.inp
        self._wgt_f32[:] = self.wgt
        programs = {m: [i for i, insn in enumerate(insns) if module_of(insn) == m] for m in MODULES}
        self.programs = programs
        cursor = dict.fromkeys(MODULES, 0)
        queues: dict[tuple[str, str], deque[dict[str, int]]] = {
            (a, b): deque() for a in MODULES for b in MODULES if b in NEIGHBOURS[a]
        }
        self.clock = {m: dict.fromkeys(MODULES, 0) for m in MODULES}
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
                    for q in pops:
                        token = queues[q].popleft()
                        mine = self.clock[module]
                        for m in MODULES:
                            mine[m] = max(mine[m], token[m])
                    self.clock[module][module] += 1
                    try:
                        self._execute(module, insn)
                    except _Fault as fault:
                        raise SimError(str(fault), index, insn) from None
                    for q in pushes:
                        queues[q].append(dict(self.clock[module]))
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
        for module in MODULES:
            balance = [f"{a}->{b}" for (a, b), q in queues.items() if a == module and q]
            if balance:
                raise SimError(f"tokens left unconsumed in {', '.join(balance)} at the end")
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

    def _execute(self, module: str, insn: Instruction) -> None:
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
            self._load(module, insn)
        elif isinstance(insn, Store):
            self._store(insn)
        elif isinstance(insn, Gemm):
            self._gemm(insn)
        elif isinstance(insn, Alu):
            self._alu(insn)

    def _dram_rows(self, insn: Load | Store, elem_bytes: int) -> np.ndarray:
        """Byte offsets into the arena of every element the transfer touches, [y, x, byte]."""
        rows = insn.dram_base + np.arange(insn.y_size, dtype=np.int64) * insn.x_stride
        elems = rows[:, None] + np.arange(insn.x_size, dtype=np.int64)[None, :]
        first = int(elems.min()) * elem_bytes - self.base
        last = (int(elems.max()) + 1) * elem_bytes - self.base
        if first < 0 or last > self.dram.size:
            raise _Fault(
                f"DRAM access [{first + self.base:#x}, {last + self.base:#x}) is outside the "
                f"arena [{self.base:#x}, {self.base + self.dram.size:#x})"
            )
        offsets = elems * elem_bytes - self.base
        return offsets[:, :, None] + np.arange(elem_bytes, dtype=np.int64)

    def _sram_check(self, name: str, start: int, count: int, depth: int) -> None:
        if start + count > depth:
            raise _Fault(
                f"{name} buffer entries [{start}, {start + count}) exceed its depth {depth}"
            )

    def _load(self, module: str, insn: Load) -> None:
        if insn.memory_type not in MemType._value2member_map_ or insn.memory_type == MemType.OUT:
            raise _Fault(f"LOAD of unknown memory type {insn.memory_type}")
        kind = MemType(insn.memory_type)
        if insn.x_size == 0:
            return
        padded = insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1
        if self.strict and kind in (MemType.WGT, MemType.UOP) and padded:
            raise _Fault(f"strict: padding on a {kind.name} load is not supported by the FPGA")
        size = elem_bytes(self.config, kind)
        width = insn.x_pad_0 + insn.x_size + insn.x_pad_1
        height = insn.y_pad_0 + insn.y_size + insn.y_pad_1
        buffer, name, depth = {
            MemType.INP: (self.inp, "input", self.config.inp_depth),
            MemType.WGT: (self.wgt, "weight", self.config.wgt_depth),
            MemType.ACC: (self.acc, "accumulator", self.config.acc_depth),
            MemType.ACC_8BIT: (self.acc, "accumulator", self.config.acc_depth),
            MemType.UOP: (self.uop, "micro-op", self.config.uop_depth),
        }[kind]
        if self.strict and kind == MemType.UOP:
            depth = min(depth, STRICT_UOP_DEPTH)
        self._sram_check(name, insn.sram_base, width * height, depth)
        raw = self.dram[self._dram_rows(insn, size)]  # [y, x, bytes]
        if kind == MemType.UOP:
            data = raw.reshape(insn.y_size, insn.x_size, 4).copy().view("<u4")[..., 0]
        elif kind == MemType.ACC:
            data = raw.copy().view("<i4").reshape(insn.y_size, insn.x_size, *buffer.shape[1:])
        else:
            data = raw.view(np.int8).reshape(insn.y_size, insn.x_size, *buffer.shape[1:])
        rect = np.zeros((height, width, *buffer.shape[1:]), dtype=buffer.dtype)
        rect[
            insn.y_pad_0 : insn.y_pad_0 + insn.y_size, insn.x_pad_0 : insn.x_pad_0 + insn.x_size
        ] = data
        entries = np.arange(insn.sram_base, insn.sram_base + width * height)
        buffer_key = {MemType.INP: "inp", MemType.WGT: "wgt"}.get(kind)
        if kind in (MemType.ACC, MemType.ACC_8BIT):
            self._write("acc", "compute", entries)
            self.acc_computed[entries] = False
        elif buffer_key:
            self._write(buffer_key, module, entries)
        written = slice(insn.sram_base, insn.sram_base + width * height)
        buffer[written] = rect.reshape(-1, *buffer.shape[1:])
        if kind == MemType.INP:
            self._inp_f32[written] = buffer[written]
        elif kind == MemType.WGT:
            self._wgt_f32[written] = buffer[written]
        counter = {
            MemType.INP: "inp_load_nbytes",
            MemType.WGT: "wgt_load_nbytes",
            MemType.ACC: "acc_load_nbytes",
            MemType.ACC_8BIT: "acc_load_nbytes",
            MemType.UOP: "uop_load_nbytes",
        }[kind]
        self.stats.counters[counter] += insn.x_size * insn.y_size * size

    def _store(self, insn: Store) -> None:
        if insn.memory_type != MemType.OUT:
            raise _Fault(f"STORE supports only memory type OUT (4), got {insn.memory_type}")
        if insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1:
            raise _Fault("a STORE may not be padded")
        if insn.x_size == 0:
            return
        count = insn.x_size * insn.y_size
        self._sram_check("accumulator", insn.sram_base, count, self.config.acc_depth)
        entries = np.arange(insn.sram_base, insn.sram_base + count)
        if self.strict and not self.acc_computed[entries].all():
            bad = int(entries[~self.acc_computed[entries]][0])
            raise _Fault(
                f"strict: accumulator entry {bad} is stored but was last written by a LOAD "
                f"(or never), not by GEMM or ALU"
            )
        self._read("acc", "store", entries)
        elem_bytes = self.config.out_elem_bytes
        offsets = self._dram_rows(insn, elem_bytes)
        values = self.acc[entries].astype(np.int8)  # keep the low 8 bits
        self.dram[offsets] = values.view(np.uint8).reshape(offsets.shape)
        self.stats.counters["out_store_nbytes"] += count * elem_bytes

    def _iterations(self, insn: Gemm | Alu) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """dst, src, wgt indices of every step, in execution order (i, j, u)."""
        if insn.uop_end <= insn.uop_bgn or insn.iter_out == 0 or insn.iter_in == 0:
            return None
        depth = (
            min(self.config.uop_depth, STRICT_UOP_DEPTH) if self.strict else self.config.uop_depth
        )
        if insn.uop_end > depth:
            raise _Fault(f"micro-ops [{insn.uop_bgn}, {insn.uop_end}) exceed the buffer's {depth}")
        dst, src, wgt = split_uops(self.uop[insn.uop_bgn : insn.uop_end], self.config)
        i = np.arange(insn.iter_out, dtype=np.int64)[:, None, None]
        j = np.arange(insn.iter_in, dtype=np.int64)[None, :, None]
        dst_all = (dst + i * insn.dst_factor_out + j * insn.dst_factor_in).reshape(-1)
        src_all = (src + i * insn.src_factor_out + j * insn.src_factor_in).reshape(-1)
        wgt_factor_out = getattr(insn, "wgt_factor_out", 0)
        wgt_factor_in = getattr(insn, "wgt_factor_in", 0)
        wgt_all = (wgt + i * wgt_factor_out + j * wgt_factor_in).reshape(-1)
        if self.strict:
            repeat = np.nonzero(dst_all[1:] == dst_all[:-1])[0]
            repeat2 = np.nonzero(dst_all[2:] == dst_all[:-2])[0]
            if repeat.size or repeat2.size:
                step = min([int(r) + 1 for r in repeat[:1]] + [int(r) + 2 for r in repeat2[:1]])
                raise _Fault(
                    f"strict: step {step} writes accumulator entry {int(dst_all[step])}, which one "
                    f"of the two steps before it wrote (the pipeline has no bypass)"
                )
        return dst_all, src_all, wgt_all

    def _bounds(self, name: str, index: np.ndarray, depth: int) -> None:
        top = int(index.max())
        if top >= depth:
            raise _Fault(f"{name} index {top} is outside the buffer (depth {depth})")

    def _gemm(self, insn: Gemm) -> None:
        steps = self._iterations(insn)
        if steps is None:
            return
        dst, src, wgt = steps
        depth = self.config.acc_depth
        self._bounds("accumulator", dst, depth)
        if insn.reset_reg:
            self._write("acc", "compute", dst)
            self.acc[dst] = 0
            self.acc_computed[dst] = True
            return
        self._bounds("input", src, self.config.inp_depth)
        self._bounds("weight", wgt, self.config.wgt_depth)
        self._read("inp", "compute", src)
        self._read("wgt", "compute", wgt)
        self._write("acc", "compute", dst)
        uops = split_uops(self.uop[insn.uop_bgn : insn.uop_end], self.config)
        targets, sums = _gemm_sums(insn, *uops, self._inp_f32, self._wgt_f32)
        self.acc[targets] = (self.acc[targets].astype(np.int64) + sums).astype(np.int32)
        self.acc_computed[targets] = True
        self.stats.counters["gemm_counter"] += int(dst.size)

    def _alu(self, insn: Alu) -> None:
        if insn.alu_opcode not in AluOp._value2member_map_:
            raise _Fault(f"unknown ALU opcode {insn.alu_opcode}")
        op = AluOp(insn.alu_opcode)
        if self.strict and op == AluOp.MUL:
            raise _Fault("strict: ALU MUL exists only in the functional simulator")
        if self.strict and op == AluOp.SHR and insn.use_imm and not -16 <= insn.imm <= 15:
            raise _Fault(f"strict: SHR immediate {insn.imm} is outside [-16, 15]")
        steps = self._iterations(insn)
        if steps is None:
            return
        dst, src, _ = steps
        depth = self.config.acc_depth
        self._bounds("accumulator (dst)", dst, depth)
        if not insn.use_imm:
            self._bounds("accumulator (src)", src, depth)
        self._write("acc", "compute", dst)
        acc = self.acc
        if insn.use_imm:
            operand = np.int64(insn.imm)
            if np.bincount(dst).max() == 1:
                acc[dst] = _alu(op, acc[dst].astype(np.int64), operand)
            else:
                for start, stop in _distinct_runs(dst):
                    d = dst[start:stop]
                    acc[d] = _alu(op, acc[d].astype(np.int64), operand)
        else:
            for start, stop in _independent_runs(dst, src):
                d, s = dst[start:stop], src[start:stop]
                acc[d] = _alu(op, acc[d].astype(np.int64), acc[s].astype(np.int64))
        self.acc_computed[dst] = True
        self.stats.counters["alu_counter"] += int(dst.size)

    # ------------------------------------------------------------------ races

    def _clock_of(self, module: str, other: str) -> int:
        return self.clock[module][other]

    def _race(self, kind: str, buffer: str, module: str, other: str, seq: int) -> _Fault:
        index = self.programs[other][seq - 1]
        return _Fault(
            f"race: {kind} on the {buffer} buffer with {other} instruction {index} "
            f"({format_instruction(self.insns[index])}), which no token orders before it"
        )

    def _write(self, buffer: str, module: str, entries: np.ndarray) -> None:
        shared = self.shared[buffer]
        if entries.size == 0:
            return
        if module == shared.writer:
            last = int(shared.last_read[entries].max())
            if last > self._clock_of(module, shared.reader):
                raise self._race("write after read", buffer, module, shared.reader, last)
            shared.last_write[entries] = self.clock[module][module]

    def _read(self, buffer: str, module: str, entries: np.ndarray) -> None:
        shared = self.shared[buffer]
        if entries.size == 0:
            return
        last = int(shared.last_write[entries].max())
        if last > self._clock_of(module, shared.writer):
            raise self._race("read after write", buffer, module, shared.writer, last)
        shared.last_read[entries] = self.clock[module][module]


def _gemm_sums(
    insn: Gemm,
    uop_dst: np.ndarray,
    uop_src: np.ndarray,
    uop_wgt: np.ndarray,
    inp: np.ndarray,
    wgt: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The accumulator entries a GEMM updates and what it adds to each, exactly (int64).

    The steps form a grid (iter_out, iter_in, micro-op). Micro-ops are grouped by weight entry,
    so for every (i, j) each group is one matrix product against a single weight block; all the
    products run as one batched float32 matmul over float32 copies of the buffers, which is
    exact (a block's sum of int8 products is below 2^14 * 1024 < 2^24). Loops whose destination
    factor is zero are summed away in float64 (exact below 2^53) before the scatter, so a
    reduction loop in iter_out costs no duplicate handling.
    """
    io, ii = insn.iter_out, insn.iter_in
    batch, block_in = inp.shape[1], inp.shape[2]
    block_out = wgt.shape[1]
    perm = np.argsort(uop_wgt, kind="stable")
    uop_dst, uop_src, uop_wgt = uop_dst[perm], uop_src[perm], uop_wgt[perm]
    starts = np.concatenate(([0], np.flatnonzero(uop_wgt[1:] != uop_wgt[:-1]) + 1))
    counts = np.diff(np.append(starts, uop_wgt.size))
    i = np.arange(io, dtype=np.int64)[:, None, None]
    j = np.arange(ii, dtype=np.int64)[None, :, None]
    src = uop_src + i * insn.src_factor_out + j * insn.src_factor_in  # [io, ii, nu]
    group_wgt = uop_wgt[starts] + i * insn.wgt_factor_out + j * insn.wgt_factor_in  # [io, ii, g]
    x = np.take(inp, src, axis=0)  # [io, ii, nu, batch, block_in]
    w = np.take(wgt, group_wgt, axis=0)  # [io, ii, g, block_out, block_in]
    if (counts == counts[0]).all():
        stacked = x.reshape(io * ii * starts.size, counts[0] * batch, block_in)
        weights = w.reshape(-1, block_out, block_in).transpose(0, 2, 1)
        products = np.matmul(stacked, weights).reshape(io, ii, uop_wgt.size, batch, block_out)
    else:
        products = np.empty((io, ii, uop_wgt.size, batch, block_out), dtype=np.float32)
        for g, (lo, count) in enumerate(zip(starts, counts, strict=True)):
            rows = x[:, :, lo : lo + count].reshape(io * ii, count * batch, block_in)
            part = np.matmul(
                rows, w[:, :, g].reshape(io * ii, block_out, block_in).transpose(0, 2, 1)
            )
            products[:, :, lo : lo + count] = part.reshape(io, ii, count, batch, block_out)
    dst = np.broadcast_to(
        uop_dst + i * insn.dst_factor_out + j * insn.dst_factor_in, products.shape[:3]
    )
    if insn.dst_factor_out == 0 and io > 1:
        products, dst = products.sum(axis=0, keepdims=True, dtype=np.float64), dst[:1]
    if insn.dst_factor_in == 0 and ii > 1:
        products, dst = products.sum(axis=1, keepdims=True, dtype=np.float64), dst[:, :1]
    dst = dst.reshape(-1)
    products = products.reshape(dst.size, batch, block_out)
    targets, inverse = np.unique(dst, return_inverse=True)
    if targets.size == dst.size:
        return dst, products.astype(np.int64)
    sums = np.zeros((targets.size, batch * block_out))
    for lane in range(batch * block_out):
        sums[:, lane] = np.bincount(inverse, weights=products.reshape(dst.size, -1)[:, lane])
    return targets, sums.astype(np.int64).reshape(targets.size, batch, block_out)


def _alu(op: AluOp, a: np.ndarray, b: np.ndarray | np.int64) -> np.ndarray:
    """One ALU operation on int64 copies of int32 lanes, wrapped back to int32.

    SHR by a negative amount shifts left (vta-isa.md section 3). Shift amounts of 32 or more,
    undefined in C, saturate: a right shift keeps only the sign, a left shift gives zero.
    """
    if op == AluOp.MIN:
        result = np.minimum(a, b)
    elif op == AluOp.MAX:
        result = np.maximum(a, b)
    elif op == AluOp.ADD:
        result = a + b
    elif op == AluOp.MUL:
        result = a * b
    else:
        b = np.broadcast_to(b, a.shape)
        right = np.right_shift(a, np.clip(b, 0, 31))
        left = np.where(-b >= 32, 0, np.left_shift(a, np.clip(-b, 0, 31)))
        result = np.where(b >= 0, right, left)
    return result.astype(np.int32)


def _distinct_runs(dst: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive chunks of steps whose destinations are pairwise distinct."""
    return _independent_runs(dst, None)


def _independent_runs(dst: np.ndarray, src: np.ndarray | None) -> list[tuple[int, int]]:
    """Consecutive chunks of steps that can run at once without changing sequential semantics:
    no destination repeats within a chunk, and no step reads an entry an earlier step of the
    same chunk wrote (reading its own destination is fine)."""
    n = dst.size
    written = np.unique(dst)
    if written.size == n and (src is None or not np.isin(src, written).any() or (src == dst).all()):
        return [(0, n)]
    runs = []
    start = 0
    seen: set[int] = set()
    for t in range(n):
        d = int(dst[t])
        s = int(src[t]) if src is not None else d
        if d in seen or (s != d and s in seen):
            runs.append((start, t))
            start, seen = t, set()
        seen.add(d)
    runs.append((start, n))
    return runs


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
