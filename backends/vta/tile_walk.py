"""The tile walk: a blocked, tiled contraction with its ALU epilogue as on-chip steps.

:func:`walk_tiles` takes a :class:`~vtac.planning.blocking.BlockedOp` and a
:class:`~vtac.planning.tiling.Schedule` and walks the tile loops (reduction loops innermost),
giving per tile: the input and weight boxes as 2D DMA transfers (:mod:`vtac.backends.vta.dma`; a box
already on chip in the same buffer half is not reloaded), the GEMM as a :class:`Compute` step
over a small affine loop nest, and once an output tile is complete, the epilogue (SHR, bias
ADD, MIN, MAX as ALU steps) and the STORE. With two virtual threads, consecutive tiles use
alternating halves of every buffer. ``vtac-tile`` writes these steps as tile-dialect ops;
``vtac-lower-to-vta`` turns them into instructions.

An int32 result leaves the accelerator as four int8 byte planes: STORE keeps the low 8 bits,
so the tile is stored, shifted right by 8, stored again, four times.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vtac.backends.vta.dma import Transfer, plan_box
from vtac.backends.vta.uop_kernels import AffineLoop
from vtac.planning.blocking import BlockedOp, BlockedOperand
from vtac.planning.tiling import (
    Schedule,
    TileWindow,
    TilingError,
    epilogue_parts,
    slab_rows,
    split_axis,
)
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import AluOp, Load, MemType, Store


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
    return _coefficient(op.coords, box, loop)


@functools.lru_cache(maxsize=8192)
def _coefficient(coords: tuple[str | TileWindow, ...], box: tuple[int, ...], loop: str) -> int:
    total = 0
    for i, coord in enumerate(coords):
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
    visit: Mapping[str, Sequence[int]] | None = None,
) -> list[Step]:
    """The DMA and compute steps computing ``op`` tile by tile under ``schedule``. ``visit``
    (for a performance model) walks only the given tile indices of some loops, each step as it
    is in the whole walk (its buffer halves, its place among the first and last steps)."""
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
    # One copy of the bias serves every accumulator part (the compute module runs a tile's
    # epilogue before the next tile's bias load): all of it, loaded once, when it fits beside
    # an output tile in the first part, else the tile's box, reloaded when the box changes.
    bias_region = out_tile_max
    bias_whole = (
        op.bias is not None and out_tile_max + math.prod(op.bias.spec.outer_shape) <= halves["acc"]
    )
    resident: dict[tuple[str, int], tuple] = {}
    total = math.prod(trips.values())
    # a step's place in the whole walk, and its output tile's (reduction loops innermost)
    strides = [math.prod(trips[n] for n in order[i + 1 :]) for i in range(len(order))]
    per_out_tile = math.prod(trips[n] for n in reduction)
    visited = [(visit or {}).get(n, range(trips[n])) for n in order]
    for index in itertools.product(*visited):
        step = sum(i * stride for i, stride in zip(index, strides, strict=True))
        out_tiles = step // per_out_tile
        origin = {n: i * tile[n] for n, i in zip(order, index, strict=True)}
        size = {n: min(tile[n], extents[n] - origin[n]) for n in order}
        first = all(origin[n] == 0 for n in reduction)
        last = all(origin[n] + size[n] == extents[n] for n in reduction)
        io_half, acc_half = step % threads, out_tiles % schedule.acc_halves
        bases = {"inp": io_half * halves["inp"], "wgt": io_half * halves["wgt"]}
        acc_base = acc_half * halves["acc"]
        out_lo, out_box = _box(op.out, origin, size)
        if first:
            em.compute(
                Compute(
                    "gemm", (AffineLoop(math.prod(out_box), 1, 0, 0),), (acc_base, 0, 0), reset=True
                )
            )
        bias: tuple[int, tuple[int, ...]] = (bias_region, ())  # first entry, box it sits in
        if op.bias is not None:
            shape = op.bias.spec.outer_shape
            lo, box = _box(op.bias, origin, size)
            held = ((0,) * len(shape), shape) if bias_whole else (lo, box)
            # the tile's entries: at its origin within the whole bias, or the box's start
            offset = sum(at * math.prod(shape[i + 1 :]) for i, at in enumerate(lo))
            bias = (bias_region + offset, shape) if bias_whole else (bias_region, box)
            if first and resident.get(("bias", 0)) != held:
                for t in plan_box(shape, *held):
                    em.transfer("bias", MemType.ACC, t, 0, bias_region)
                resident[("bias", 0)] = held
        final = step == total - 1
        split = schedule.split_of(step, total)
        parts = split.parts(size[split.loop]) if split else [(0, 0)]
        per_part = last and final and split is not None  # each part finishes on its own
        boxes = {name: _box(operand, origin, size) for name, operand in _loaded_operands(op)}
        pending: dict[str, int] = {}  # operands loaded part by part: coordinate split
        for name, operand in _loaded_operands(op):
            if resident.get((name, io_half)) == boxes[name]:
                continue
            resident[(name, io_half)] = boxes[name]
            axis = split_axis(operand.coords, boxes[name][1], split.loop) if split else -1
            if axis is None:
                raise TilingError(f"{split}: {name} cannot be loaded part by part")
            if axis >= 0:
                pending[name] = axis
            else:
                _load(em, name, operand, boxes[name], shapes[name], bases[name])
        loaded = dict.fromkeys(pending, 0)
        for start, extent in parts:
            part = dict(size)
            if split:
                part[split.loop] = extent
            for name, axis in pending.items():
                operand = getattr(op, name)
                lo, box = boxes[name]
                _, end = slab_rows(operand.coords[axis], start, extent, size)
                rows = (loaded[name], end)
                slab_lo = lo[:axis] + (lo[axis] + rows[0],) + lo[axis + 1 :]
                slab = box[:axis] + (rows[1] - rows[0],) + box[axis + 1 :]
                offset = rows[0] * math.prod(box[axis + 1 :])
                _load(em, name, operand, (slab_lo, slab), shapes[name], bases[name] + offset)
                loaded[name] = end
            shift = {split.loop: start} if split else {}
            loops = [
                AffineLoop(
                    part[n],
                    _coefficients(op.out, out_box, n),
                    _coefficients(op.inp, boxes["inp"][1], n),
                    _coefficients(op.wgt, boxes["wgt"][1], n),
                )
                for n, _ in op.loops
            ]
            em.compute(
                Compute(
                    "gemm",
                    tuple(loops),
                    (
                        acc_base + _offset(op.out, out_box, shift),
                        bases["inp"] + _offset(op.inp, boxes["inp"][1], shift),
                        bases["wgt"] + _offset(op.wgt, boxes["wgt"][1], shift),
                    ),
                )
            )
            if per_part:
                axis = split_axis(op.out.coords, out_box, split.loop)
                if axis is None or axis < 0:
                    raise TilingError(f"{split}: the output tile cannot finish part by part")
                part_lo = out_lo[:axis] + (out_lo[axis] + start,) + out_lo[axis + 1 :]
                part_box = out_box[:axis] + (extent,) + out_box[axis + 1 :]
                _finish(
                    em,
                    op,
                    epilogue,
                    origin,
                    size,
                    (out_lo, out_box),
                    (part_lo, part_box),
                    acc_base,
                    bias,
                    shapes["out"],
                )
        if last and not per_part:
            # The walk's last tile may run its epilogue in parts (see epilogue_parts).
            for part_lo, part_box in epilogue_parts(
                (out_lo, out_box), final and schedule.split_tail
            ):
                _finish(
                    em,
                    op,
                    epilogue,
                    origin,
                    size,
                    (out_lo, out_box),
                    (part_lo, part_box),
                    acc_base,
                    bias,
                    shapes["out"],
                )
    return em.steps


def _loaded_operands(op: BlockedOp) -> tuple[tuple[str, BlockedOperand], ...]:
    return (("inp", op.inp), ("wgt", op.wgt))


def _load(
    em: _Walk,
    name: str,
    operand: BlockedOperand,
    box: tuple[tuple[int, ...], tuple[int, ...]],
    shape: tuple[int, ...],
    base: int,
) -> None:
    kind = MemType.INP if name == "inp" else MemType.WGT
    for t in plan_box(shape, *box):
        em.transfer(name, kind, t, 0, base)


def _offset(op: BlockedOperand, box: tuple[int, ...], shift: dict[str, int]) -> int:
    """Entries the loops' origin moves by ``shift`` within ``op``'s row-major box."""
    return sum(d * _coefficients(op, box, loop) for loop, d in shift.items())


def _finish(
    em: _Walk,
    op: BlockedOp,
    epilogue: Epilogue,
    origin: dict[str, int],
    size: dict[str, int],
    out: tuple[tuple[int, ...], tuple[int, ...]],
    part: tuple[tuple[int, ...], tuple[int, ...]],
    acc_base: int,
    bias: tuple[int, tuple[int, ...]],
    out_shape: tuple[int, ...],
) -> None:
    """The epilogue and STOREs of ``part``, a slab of the output tile's box ``out``; the
    tile's bias entries start at ``bias[0]`` in a row-major box of size ``bias[1]``."""
    (out_lo, out_box), (part_lo, part_box) = out, part
    shift = {c: a - b for c, a, b in zip(op.out.coords, part_lo, out_lo, strict=True) if a != b}
    part_acc = acc_base + sum(d * _coefficients(op.out, out_box, c) for c, d in shift.items())
    base, bias_box = bias
    if op.bias is not None:
        base += sum(d * _coefficients(op.bias, bias_box, c) for c, d in shift.items())
    _epilogue(em, op, epilogue, part_box, part_acc, (base, bias_box))
    plane = math.prod(out_shape)
    for p in range(epilogue.planes):
        if p:
            _alu_over(em, AluOp.SHR, 8, math.prod(part_box), part_acc)
        for t in plan_box(out_shape, part_lo, part_box):
            em.transfer("out", MemType.OUT, t, p * plane, part_acc)


def _alu_over(em: _Walk, op: AluOp, imm: int, entries: int, base: int) -> None:
    em.compute(Compute("alu", (AffineLoop(entries, 1, 1, 0),), (base, base, 0), alu_op=op, imm=imm))


def _epilogue(
    em: _Walk,
    op: BlockedOp,
    epilogue: Epilogue,
    out_box: tuple[int, ...],
    acc_base: int,
    bias: tuple[int, tuple[int, ...]],
) -> None:
    entries = math.prod(out_box)
    bias_base, bias_box = bias
    for name, imm in epilogue.steps:
        if name != "ADD":
            _alu_over(em, AluOp[name], int(imm or 0), entries, acc_base)
            continue
        assert op.bias is not None
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
