"""Lowering a blocked, tiled contraction with its ALU epilogue to VTA instructions.

Given a :class:`~vtac.passes.blocking.BlockedOp` and a :class:`~vtac.passes.tiling.Schedule`,
this walks the tile loops (reduction loops innermost) and emits, per tile: the input and weight
boxes as 2D DMA transfers (:mod:`vtac.passes.dma`; a box already on chip in the same buffer half
is not reloaded), the GEMM as hazard-free micro-op kernels (:mod:`vtac.passes.uop_kernels`), and
once an output tile is complete, the epilogue (SHR, bias ADD, MIN, MAX as ALU instructions) and
the STORE. With two virtual threads, consecutive tiles use alternating halves of every buffer.
Dependency tokens come from the buffer ranges each instruction touches
(:mod:`vtac.passes.tokens`), and the program ends with VTA's protocol (a compute no-op, FINISH).

An int32 result leaves the accelerator as four int8 byte planes: STORE keeps the low 8 bits,
so the tile is stored, shifted right by 8, stored again, four times.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

from vtac.passes.blocking import BlockedOp, BlockedOperand
from vtac.passes.dma import Transfer, plan_box
from vtac.passes.tiling import Schedule, TileWindow
from vtac.passes.tokens import COMPUTE, LOAD, STORE, Access, assign_tokens
from vtac.passes.uop_kernels import AffineLoop, KernelInsn, build_kernels
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Alu, AluOp, Finish, Gemm, Instruction, Load, MemType, Store, Uop

#: Micro-ops kept on chip at once (the Chisel design's buffer), so programs run on both designs.
UOP_BUDGET = 2048


@dataclass(frozen=True)
class Epilogue:
    """ALU steps after the contraction, in order: ("SHR"|"MIN"|"MAX", imm) or ("ADD", None) for
    the bias; ``planes`` is 4 for an int32 result, 1 for int8."""

    steps: tuple[tuple[str, int | None], ...] = ()
    planes: int = 1


@dataclass
class Placement:
    """Element offsets (in each memory type's elements) of the DRAM tensors and micro-ops."""

    inp: int
    wgt: int
    out: int
    bias: int | None
    uops: int


@dataclass
class LoweredProgram:
    """Instructions with dependency flags, and the micro-op words they load from DRAM."""

    insns: list[Instruction]
    uops: list[Uop]


@dataclass
class _Emitter:
    config: VTAConfig
    placement: Placement
    insns: list[Instruction] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)
    uop_words: list[Uop] = field(default_factory=list)
    kernel_dram: dict[tuple[Uop, ...], int] = field(default_factory=dict)
    resident: dict[tuple[Uop, ...], int] = field(default_factory=dict)
    next_slot: int = 0

    def emit(self, insn: Instruction, access: Access) -> None:
        self.insns.append(insn)
        self.accesses.append(access)

    def transfer(self, kind: MemType, t: Transfer, base: int, sram: int, module: str) -> None:
        entries = t.sram_entries
        buffer = {MemType.INP: "inp", MemType.WGT: "wgt", MemType.ACC: "acc", MemType.OUT: "acc"}[
            kind
        ]
        rng = ((buffer, sram + t.sram_offset, sram + t.sram_offset + entries),)
        fields_ = dict(
            sram_base=sram + t.sram_offset,
            dram_base=base + t.dram_offset,
            y_size=t.y_size,
            x_size=t.x_size,
            x_stride=t.x_stride,
        )
        if kind == MemType.OUT:
            self.emit(Store(memory_type=kind, **fields_), Access(STORE, reads=rng))
            return
        pads = dict(y_pad_0=t.y_pad_0, y_pad_1=t.y_pad_1, x_pad_0=t.x_pad_0, x_pad_1=t.x_pad_1)
        self.emit(Load(memory_type=kind, **fields_, **pads), Access(module, writes=rng))

    def kernel_slot(self, uops: tuple[Uop, ...]) -> int:
        """The micro-op buffer position of a kernel, loading it when it is not on chip."""
        if uops in self.resident:
            return self.resident[uops]
        budget = min(self.config.uop_depth, UOP_BUDGET)
        if self.next_slot + len(uops) > budget:
            self.next_slot = 0
        slot = self.next_slot
        self.resident = {
            k: s for k, s in self.resident.items() if s + len(k) <= slot or s >= slot + len(uops)
        }
        if uops not in self.kernel_dram:
            self.kernel_dram[uops] = len(self.uop_words)
            self.uop_words.extend(uops)
        n = len(uops)
        self.emit(
            Load(
                memory_type=MemType.UOP,
                sram_base=slot,
                dram_base=self.placement.uops + self.kernel_dram[uops],
                y_size=1,
                x_size=n,
                x_stride=n,
            ),
            Access(COMPUTE, writes=(("uop", slot, slot + n),)),
        )
        self.resident[uops] = slot
        self.next_slot = slot + n
        return slot

    def loop_insns(self, kernels: list[KernelInsn], make, access: Access) -> None:  # noqa: ANN001
        for k in kernels:
            slot = self.kernel_slot(k.uops)
            fields_ = dict(
                uop_bgn=slot,
                uop_end=slot + len(k.uops),
                iter_out=k.iter_out,
                iter_in=k.iter_in,
                dst_factor_out=k.dst_factor_out,
                dst_factor_in=k.dst_factor_in,
                src_factor_out=k.src_factor_out,
                src_factor_in=k.src_factor_in,
            )
            self.emit(make(fields_, k), access)


def _box(
    op: BlockedOperand, origin: dict[str, int], size: dict[str, int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Origin and size, per packed coordinate, of the tile's box of ``op``."""
    lo, extent = [], []
    for coord, offset in zip(op.coords, op.window_offsets, strict=True):
        if isinstance(coord, TileWindow):
            lo.append(origin[coord.outer] * coord.stride + origin[coord.inner] + offset)
            extent.append((size[coord.outer] - 1) * coord.stride + size[coord.inner])
        else:
            lo.append(origin[coord])
            extent.append(size[coord])
    return tuple(lo), tuple(extent)


def _coefficients(op: BlockedOperand, box: tuple[int, ...], loop: str) -> int:
    """How far one step of ``loop`` moves in the row-major SRAM box of ``op``."""
    total = 0
    for i, coord in enumerate(op.coords):
        stride = math.prod(box[i + 1 :])
        if isinstance(coord, TileWindow):
            total += stride * (coord.stride if coord.outer == loop else 0)
            total += stride * (1 if coord.inner == loop else 0)
        elif coord == loop:
            total += stride
    return total


def lower(
    op: BlockedOp,
    schedule: Schedule,
    epilogue: Epilogue,
    config: VTAConfig,
    placement: Placement,
) -> LoweredProgram:
    """Instructions computing ``op`` tile by tile under ``schedule``, epilogue included."""
    em = _Emitter(config, placement)
    extents = dict(op.loops)
    tile = schedule.tile
    order = schedule.order
    threads = schedule.vthreads
    trips = {n: -(-extents[n] // tile[n]) for n in order}
    reduction = [n for n in order if n in op.reduction]
    halves = {
        "inp": config.inp_depth // threads,
        "wgt": config.wgt_depth // threads,
        "acc": config.acc_depth // threads,
    }
    out_tile_max = math.prod(tile[c] for c in op.out.coords if isinstance(c, str))
    shapes = {
        name: o.spec.outer_shape for name, o in (("inp", op.inp), ("wgt", op.wgt), ("out", op.out))
    }
    resident: dict[tuple[str, int], tuple] = {}
    out_tiles = -1
    step = -1
    for index in itertools.product(*(range(trips[n]) for n in order)):
        step += 1
        origin = {n: i * tile[n] for n, i in zip(order, index, strict=True)}
        size = {n: min(tile[n], extents[n] - origin[n]) for n in order}
        first = all(origin[n] == 0 for n in reduction)
        last = all(origin[n] + size[n] == extents[n] for n in reduction)
        if first:
            out_tiles += 1
        io_half, acc_half = step % threads, out_tiles % threads
        inp_base, wgt_base = io_half * halves["inp"], io_half * halves["wgt"]
        acc_base = acc_half * halves["acc"]
        bias_base = acc_base + out_tile_max
        out_lo, out_box = _box(op.out, origin, size)
        out_entries = math.prod(out_box)
        if first:
            reset = build_kernels([AffineLoop(out_entries, 1, 0, 0)], (acc_base, 0, 0), config)
            acc_range = (("acc", acc_base, acc_base + out_entries),)
            em.loop_insns(
                reset, lambda f, k: Gemm(reset_reg=1, **f), Access(COMPUTE, writes=acc_range)
            )
            if op.bias is not None:
                key = ("bias", acc_half)
                lo, box = _box(op.bias, origin, size)
                if resident.get(key) != (lo, box):
                    for t in plan_box(op.bias.spec.outer_shape, lo, box):
                        em.transfer(MemType.ACC, t, placement.bias, bias_base, COMPUTE)  # type: ignore[arg-type]
                    resident[key] = (lo, box)
        boxes = {}
        for name, operand, kind, base in (
            ("inp", op.inp, MemType.INP, inp_base),
            ("wgt", op.wgt, MemType.WGT, wgt_base),
        ):
            lo, box = _box(operand, origin, size)
            boxes[name] = box
            if resident.get((name, io_half)) != (lo, box):
                dram = placement.inp if name == "inp" else placement.wgt
                for t in plan_box(shapes[name], lo, box):
                    em.transfer(kind, t, dram, base, LOAD)
                resident[(name, io_half)] = (lo, box)
        loops = [
            AffineLoop(
                size[n],
                _coefficients(op.out, out_box, n),
                _coefficients(op.inp, boxes["inp"], n),
                _coefficients(op.wgt, boxes["wgt"], n),
            )
            for n, _ in op.loops
        ]
        kernels = build_kernels(loops, (acc_base, inp_base, wgt_base), config)
        gemm_access = Access(
            COMPUTE,
            reads=(
                ("inp", inp_base, inp_base + math.prod(boxes["inp"])),
                ("wgt", wgt_base, wgt_base + math.prod(boxes["wgt"])),
            ),
            writes=(("acc", acc_base, acc_base + out_entries),),
        )
        em.loop_insns(
            kernels,
            lambda f, k: Gemm(wgt_factor_out=k.wgt_factor_out, wgt_factor_in=k.wgt_factor_in, **f),
            gemm_access,
        )
        if last:
            _epilogue(em, op, epilogue, origin, size, out_box, acc_base, bias_base, config)
            out_dram = placement.out
            plane = math.prod(shapes["out"])
            acc_range = (("acc", acc_base, acc_base + out_entries),)
            for p in range(epilogue.planes):
                if p:
                    _alu_over(em, AluOp.SHR, 8, out_entries, acc_base, config, acc_range)
                for t in plan_box(shapes["out"], out_lo, out_box):
                    em.transfer(MemType.OUT, t, out_dram + p * plane, acc_base, STORE)
    everything = tuple(
        (name, 0, depth)
        for name, depth in (
            ("inp", config.inp_depth),
            ("wgt", config.wgt_depth),
            ("acc", config.acc_depth),
            ("uop", config.uop_depth),
        )
    )
    em.emit(Load(memory_type=MemType.UOP), Access(COMPUTE, reads=everything, writes=everything))
    em.emit(Finish(), Access(COMPUTE))
    flags = assign_tokens(em.accesses)
    insns = [replace(insn, **vars(f)) for insn, f in zip(em.insns, flags, strict=True)]
    return LoweredProgram(insns, em.uop_words)


def _alu_over(
    em: _Emitter,
    op: AluOp,
    imm: int,
    entries: int,
    base: int,
    config: VTAConfig,
    acc_range: tuple,
) -> None:
    kernels = build_kernels([AffineLoop(entries, 1, 1, 0)], (base, base, 0), config, alu=True)
    em.loop_insns(
        kernels,
        lambda f, k: Alu(alu_opcode=op, use_imm=1, imm=imm, **f),
        Access(COMPUTE, reads=acc_range, writes=acc_range),
    )


def _epilogue(
    em: _Emitter,
    op: BlockedOp,
    epilogue: Epilogue,
    origin: dict[str, int],
    size: dict[str, int],
    out_box: tuple[int, ...],
    acc_base: int,
    bias_base: int,
    config: VTAConfig,
) -> None:
    entries = math.prod(out_box)
    acc_range = (("acc", acc_base, acc_base + entries),)
    for name, imm in epilogue.steps:
        if name != "ADD":
            _alu_over(em, AluOp[name], int(imm or 0), entries, acc_base, config, acc_range)
            continue
        assert op.bias is not None
        _, bias_box = _box(op.bias, origin, size)
        loops = [
            AffineLoop(extent, math.prod(out_box[i + 1 :]), _bias_step(op, coord, bias_box), 0)
            for i, (coord, extent) in enumerate(zip(op.out.coords, out_box, strict=True))
        ]
        kernels = build_kernels(loops, (acc_base, bias_base, 0), config, alu=True)
        bias_range = ("acc", bias_base, bias_base + math.prod(bias_box))
        em.loop_insns(
            kernels,
            lambda f, k: Alu(alu_opcode=AluOp.ADD, **f),
            Access(COMPUTE, reads=(*acc_range, bias_range), writes=acc_range),
        )


def _bias_step(op: BlockedOp, coord: str | TileWindow, bias_box: tuple[int, ...]) -> int:
    assert op.bias is not None
    if isinstance(coord, TileWindow) or coord not in op.bias.coords:
        return 0
    i = op.bias.coords.index(coord)
    return math.prod(bias_box[i + 1 :])
