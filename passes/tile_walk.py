"""The tile walk: a blocked, tiled contraction with its ALU epilogue as on-chip steps.

:func:`walk_tiles` takes a :class:`~vtac.passes.blocking.BlockedOp` and a
:class:`~vtac.passes.tiling.Schedule` and walks the tile loops (reduction loops innermost),
giving per tile: the input and weight boxes as 2D DMA transfers (:mod:`vtac.passes.dma`; a box
already on chip in the same buffer half is not reloaded), the GEMM as a :class:`Compute` step
over a small affine loop nest, and once an output tile is complete, the epilogue (SHR, bias
ADD, MIN, MAX as ALU steps) and the STORE. With two virtual threads, consecutive tiles use
alternating halves of every buffer. ``vtac-tile`` writes these steps as tile-dialect ops;
``vtac-lower-to-vta`` turns them into instructions.

An int32 result leaves the accelerator as four int8 byte planes: STORE keeps the low 8 bits,
so the tile is stored, shifted right by 8, stored again, four times.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from vtac.passes.blocking import BlockedOp, BlockedOperand
from vtac.passes.dma import Transfer, plan_box
from vtac.passes.tiling import Schedule, TileWindow, epilogue_parts
from vtac.passes.uop_kernels import AffineLoop
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import AluOp, Load, MemType, Store

#: The DRAM tensors of a kernel, by role: input, weights, bias, output.
ROLES = ("inp", "wgt", "bias", "out")


@dataclass(frozen=True)
class Epilogue:
    """ALU steps after the contraction, in order: ("SHR"|"MIN"|"MAX", imm) or ("ADD", None) for
    the bias; ``planes`` is 4 for an int32 result, 1 for int8."""

    steps: tuple[tuple[str, int | None], ...] = ()
    planes: int = 1


@dataclass(frozen=True)
class Dma:
    """A LOAD or STORE between an on-chip buffer and the DRAM tensor named ``tensor`` (a
    kernel role: inp, wgt, bias, out); the record's ``dram_base`` is an element offset into
    that tensor."""

    tensor: str
    insn: Load | Store


@dataclass(frozen=True)
class Compute:
    """A GEMM or ALU step: ``loops`` (outermost first, each with its dst/src/wgt entry
    coefficients) from the ``base`` entries (dst, src, wgt). A GEMM with ``reset`` zeroes its
    destination; an ALU step applies ``alu_op`` with the immediate ``imm``, or with the
    accumulator entries at src when ``imm`` is None."""

    kind: str  # "gemm" or "alu"
    loops: tuple[AffineLoop, ...]
    base: tuple[int, int, int]
    reset: bool = False
    alu_op: AluOp | None = None
    imm: int | None = None


Step = Dma | Compute


@dataclass
class _Walk:
    """The steps of a tile walk, in program order."""

    config: VTAConfig
    steps: list[Step] = field(default_factory=list)

    def transfer(self, role: str, kind: MemType, t: Transfer, offset: int, sram: int) -> None:
        fields_ = dict(
            sram_base=sram + t.sram_offset,
            dram_base=offset + t.dram_offset,
            y_size=t.y_size,
            x_size=t.x_size,
            x_stride=t.x_stride,
        )
        if kind == MemType.OUT:
            self.steps.append(Dma(role, Store(memory_type=kind, **fields_)))
            return
        pads = dict(y_pad_0=t.y_pad_0, y_pad_1=t.y_pad_1, x_pad_0=t.x_pad_0, x_pad_1=t.x_pad_1)
        self.steps.append(Dma(role, Load(memory_type=kind, **fields_, **pads)))

    def compute(self, step: Compute) -> None:
        self.steps.append(step)


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


def walk_tiles(
    op: BlockedOp,
    schedule: Schedule,
    epilogue: Epilogue,
    config: VTAConfig,
) -> list[Step]:
    """The DMA and compute steps computing ``op`` tile by tile under ``schedule``."""
    em = _Walk(config)
    extents = dict(op.loops)
    tile = schedule.tile
    order = schedule.order
    threads = schedule.vthreads
    trips = {n: -(-extents[n] // tile[n]) for n in order}
    reduction = [n for n in order if n in op.reduction]
    halves = {
        "inp": config.inp_depth // threads,
        "wgt": config.wgt_depth // threads,
        "acc": config.acc_depth // schedule.acc_halves,
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
        io_half, acc_half = step % threads, out_tiles % schedule.acc_halves
        inp_base, wgt_base = io_half * halves["inp"], io_half * halves["wgt"]
        acc_base = acc_half * halves["acc"]
        bias_base = acc_base + out_tile_max
        out_lo, out_box = _box(op.out, origin, size)
        out_entries = math.prod(out_box)
        if first:
            em.compute(
                Compute("gemm", (AffineLoop(out_entries, 1, 0, 0),), (acc_base, 0, 0), reset=True)
            )
            if op.bias is not None:
                key = ("bias", acc_half)
                lo, box = _box(op.bias, origin, size)
                if resident.get(key) != (lo, box):
                    for t in plan_box(op.bias.spec.outer_shape, lo, box):
                        em.transfer("bias", MemType.ACC, t, 0, bias_base)
                    resident[key] = (lo, box)
        boxes = {}
        for name, operand, kind, base in (
            ("inp", op.inp, MemType.INP, inp_base),
            ("wgt", op.wgt, MemType.WGT, wgt_base),
        ):
            lo, box = _box(operand, origin, size)
            boxes[name] = box
            if resident.get((name, io_half)) != (lo, box):
                for t in plan_box(shapes[name], lo, box):
                    em.transfer(name, kind, t, 0, base)
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
        em.compute(Compute("gemm", tuple(loops), (acc_base, inp_base, wgt_base)))
        if last:
            # The walk's last tile runs its epilogue in parts (see epilogue_parts).
            final = step == math.prod(trips.values()) - 1 and schedule.split_tail
            plane = math.prod(shapes["out"])
            bias_box = _box(op.bias, origin, size)[1] if op.bias is not None else ()
            for part_lo, part_box in epilogue_parts((out_lo, out_box), final):
                shift = {
                    c: a - b
                    for c, a, b in zip(op.out.coords, part_lo, out_lo, strict=True)
                    if a != b
                }
                part_acc = acc_base + sum(
                    d * _coefficients(op.out, out_box, c) for c, d in shift.items()
                )
                part_bias = bias_base
                if op.bias is not None:
                    part_bias += sum(
                        d * _coefficients(op.bias, bias_box, c) for c, d in shift.items()
                    )
                _epilogue(em, op, epilogue, origin, size, part_box, part_acc, part_bias, config)
                for p in range(epilogue.planes):
                    if p:
                        _alu_over(em, AluOp.SHR, 8, math.prod(part_box), part_acc, config)
                    for t in plan_box(shapes["out"], part_lo, part_box):
                        em.transfer("out", MemType.OUT, t, p * plane, part_acc)
    return em.steps


def _alu_over(
    em: _Walk,
    op: AluOp,
    imm: int,
    entries: int,
    base: int,
    config: VTAConfig,
) -> None:
    em.compute(Compute("alu", (AffineLoop(entries, 1, 1, 0),), (base, base, 0), alu_op=op, imm=imm))


def _epilogue(
    em: _Walk,
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
    for name, imm in epilogue.steps:
        if name != "ADD":
            _alu_over(em, AluOp[name], int(imm or 0), entries, acc_base, config)
            continue
        assert op.bias is not None
        _, bias_box = _box(op.bias, origin, size)
        loops = [
            AffineLoop(extent, math.prod(out_box[i + 1 :]), _bias_step(op, coord, bias_box), 0)
            for i, (coord, extent) in enumerate(zip(op.out.coords, out_box, strict=True))
        ]
        em.compute(Compute("alu", tuple(loops), (acc_base, bias_base, 0), alu_op=AluOp.ADD))


def _bias_step(op: BlockedOp, coord: str | TileWindow, bias_box: tuple[int, ...]) -> int:
    assert op.bias is not None
    if isinstance(coord, TileWindow) or coord not in op.bias.coords:
        return 0
    i = op.bias.coords.index(coord)
    return math.prod(bias_box[i + 1 :])
