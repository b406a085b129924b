"""The tile dialect: tiled loop nests over VTA's on-chip buffers, with explicit DMA.

After tiling, an operator is ``scf.for`` loops over tiles whose bodies move tiles between DRAM
and on-chip buffers and compute on them. On-chip buffers are ``memref.alloc`` results in a
``#tile.mem<...>`` memory space, shaped in VTA entries: ``[entries, BATCH, BLOCK_IN]`` i8 for
``inp``, ``[entries, BLOCK_OUT, BLOCK_IN]`` i8 for ``wgt``, ``[entries, BATCH, BLOCK_OUT]`` i32 for
``acc``. DRAM tensors are memrefs in the default space, holding packed VTA elements.

    %inp = memref.alloc() : memref<2048x1x16xi8, #tile.mem<inp>>
    scf.for %t = %c0 to %c4 step %c1 {
      %off = arith.muli %t, %c64 : index
      tile.dma_load %x[%off], %inp {sram_offset = 0 : i64, y_size = 4 : i64, x_size = 16 : i64,
          x_stride = 16 : i64, pads = array<i64: 0, 0, 0, 0>} : memref<64x16x1x16xi8>, ...
      tile.gemm %acc, %inp, %wgt {extents = array<i64: 4, 16>, dst = array<i64: 0, 1, 0>,
          src = array<i64: 0, 16, 1>, wgt = array<i64: 0, 0, 1>, reset = false} : ...
    }

DMA ops are VTA's 2D transfers: ``y_size`` rows of ``x_size`` elements, ``x_stride`` apart,
starting at an element offset (an ``index`` value, so it can follow loop variables), zero-padded
by ``pads = [top, bottom, left, right]`` (at most 15 each), landing contiguously at
``sram_offset``. Compute ops are small static loop nests (``extents``); each operand's entry is
the affine function ``base + sum(coef_l * i_l)`` given as ``[base, coef_0, coef_1, ...]``.
``tile.gemm`` accumulates ``acc[dst] += inp[src] . wgt[wgt]^T`` (or zeroes ``acc[dst]`` with
``reset``); ``tile.alu`` applies ``min``, ``max``, ``add``, ``shr`` or ``mul`` to ``acc[dst]`` with
an immediate or ``acc[src]``. Virtual threads are ping-pong halves of the buffers: the loop over
tiles is unrolled by the thread count and carries ``tile.vthreads``.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    BoolAttr,
    DenseArrayBase,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
)
from xdsl.ir import Attribute, Data, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from vtac.runtime.config import PAD_BITS, SIZE_BITS

SPACES = ("inp", "wgt", "acc", "uop")
ALU_OPS = ("min", "max", "add", "shr", "mul")


@irdl_attr_definition
class MemSpaceAttr(Data[str]):
    """An on-chip buffer's memory space: ``#tile.mem<inp>`` (inp, wgt, acc or uop)."""

    name = "tile.mem"

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> str:
        with parser.in_angle_brackets():
            for space in SPACES:
                if parser.parse_optional_keyword(space):
                    return space
            parser.raise_error(f"expected a memory space: one of {', '.join(SPACES)}")

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(self.data)

    def verify(self) -> None:
        if self.data not in SPACES:
            raise VerifyException(f"unknown memory space {self.data!r}")


def space_of(value: SSAValue) -> str | None:
    """The on-chip memory space of a memref value (None for DRAM)."""
    kind = value.type
    if not isinstance(kind, MemRefType):
        raise VerifyException(f"expected a memref, got {kind}")
    space = kind.memory_space
    return space.data if isinstance(space, MemSpaceAttr) else None


def _entries(value: SSAValue, space: str, what: str) -> int:
    if space_of(value) != space:
        raise VerifyException(f"{what} must be in #tile.mem<{space}>, got {value.type}")
    kind = value.type
    assert isinstance(kind, MemRefType)
    shape = kind.get_shape()
    element = kind.element_type
    want = IntegerType(32) if space == "acc" else IntegerType(8)
    if len(shape) != 3 or element != want:
        raise VerifyException(f"{what} must be a rank-3 memref of {want} entries, got {kind}")
    return shape[0]


def _ints(attr: DenseArrayBase) -> tuple[int, ...]:
    return tuple(int(v) for v in attr.get_values())


def _int(attr: IntegerAttr) -> int:
    return attr.value.data


class _DmaOp(IRDLOperation):
    offset = operand_def(IndexType)
    sram_offset = attr_def(IntegerAttr)
    y_size = attr_def(IntegerAttr)
    x_size = attr_def(IntegerAttr)
    x_stride = attr_def(IntegerAttr)

    def _check_sizes(self, entries: int, pads: Sequence[int] = (0, 0, 0, 0)) -> None:
        sizes = {"y_size": _int(self.y_size), "x_size": _int(self.x_size)}
        for name, value in {**sizes, "x_stride": _int(self.x_stride)}.items():
            if not 0 <= value < 1 << SIZE_BITS:
                raise VerifyException(f"{name} = {value} is outside [0, {(1 << SIZE_BITS) - 1}]")
        if min(sizes.values()) < 1:
            raise VerifyException("a transfer moves at least one element")
        if len(pads) != 4 or not all(0 <= p < 1 << PAD_BITS for p in pads):
            raise VerifyException(
                f"pads must be 4 values in [0, {(1 << PAD_BITS) - 1}], got {list(pads)}"
            )
        rows = pads[0] + sizes["y_size"] + pads[1]
        cols = pads[2] + sizes["x_size"] + pads[3]
        end = _int(self.sram_offset) + rows * cols
        if _int(self.sram_offset) < 0 or end > entries:
            raise VerifyException(
                f"on-chip entries [{_int(self.sram_offset)}, {end}) exceed the buffer's {entries}"
            )


@irdl_op_definition
class DmaLoadOp(_DmaOp):
    """A 2D strided, zero-padded transfer from a DRAM memref to an on-chip buffer."""

    name = "tile.dma_load"
    src = operand_def(MemRefType)
    dst = operand_def(MemRefType)
    pads = attr_def(DenseArrayBase)
    assembly_format = "$src `[` $offset `]` `,` $dst attr-dict `:` type($src) `,` type($dst)"

    def verify_(self) -> None:
        if space_of(self.src) is not None:
            raise VerifyException(f"the source must be a DRAM memref, got {self.src.type}")
        space = space_of(self.dst)
        if space not in ("inp", "wgt", "acc"):
            raise VerifyException(f"dma_load fills inp, wgt or acc buffers, not {self.dst.type}")
        self._check_sizes(_entries(self.dst, space, "the destination"), _ints(self.pads))


@irdl_op_definition
class DmaStoreOp(_DmaOp):
    """A 2D strided transfer of accumulator entries (narrowed to int8) to a DRAM memref."""

    name = "tile.dma_store"
    src = operand_def(MemRefType)
    dst = operand_def(MemRefType)
    assembly_format = "$src `,` $dst `[` $offset `]` attr-dict `:` type($src) `,` type($dst)"

    def verify_(self) -> None:
        if space_of(self.dst) is not None:
            raise VerifyException(f"the destination must be a DRAM memref, got {self.dst.type}")
        self._check_sizes(_entries(self.src, "acc", "the source"))


def _check_map(name: str, values: tuple[int, ...], extents: tuple[int, ...], entries: int) -> None:
    if len(values) != len(extents) + 1:
        raise VerifyException(
            f"{name} needs a base and one coefficient per loop ({len(extents) + 1} values), "
            f"got {len(values)}"
        )
    base, coefs = values[0], values[1:]
    if base < 0 or min(coefs, default=0) < 0:
        raise VerifyException(f"{name} base and coefficients must not be negative")
    top = base + sum(c * (e - 1) for c, e in zip(coefs, extents, strict=True))
    if top >= entries:
        raise VerifyException(f"{name} reaches entry {top}, beyond the buffer's {entries}")


class _ComputeOp(IRDLOperation):
    acc = operand_def(MemRefType)
    extents = attr_def(DenseArrayBase)
    dst = attr_def(DenseArrayBase)

    def loop_extents(self) -> tuple[int, ...]:
        extents = _ints(self.extents)
        if min(extents, default=1) < 1:
            raise VerifyException(f"loop extents must be positive, got {list(extents)}")
        return extents


@irdl_op_definition
class GemmOp(_ComputeOp):
    """``acc[dst] += inp[src] . wgt[wgt]^T`` over a static loop nest (``reset``: zero acc[dst])."""

    name = "tile.gemm"
    inp = operand_def(MemRefType)
    wgt = operand_def(MemRefType)
    src = attr_def(DenseArrayBase)
    wgt_map = attr_def(DenseArrayBase, attr_name="wgt")
    reset = attr_def(BoolAttr)
    assembly_format = (
        "$acc `,` $inp `,` $wgt attr-dict `:` type($acc) `,` type($inp) `,` type($wgt)"
    )

    def verify_(self) -> None:
        extents = self.loop_extents()
        _check_map("dst", _ints(self.dst), extents, _entries(self.acc, "acc", "acc"))
        _check_map("src", _ints(self.src), extents, _entries(self.inp, "inp", "inp"))
        _check_map("wgt", _ints(self.wgt_map), extents, _entries(self.wgt, "wgt", "wgt"))


@irdl_op_definition
class AluOp(_ComputeOp):
    """``acc[dst] = op(acc[dst], imm or acc[src])`` over a static loop nest."""

    name = "tile.alu"
    op = attr_def(StringAttr)
    src = opt_attr_def(DenseArrayBase)
    imm = opt_attr_def(IntegerAttr)
    assembly_format = "$acc attr-dict `:` type($acc)"

    def verify_(self) -> None:
        if self.op.data not in ALU_OPS:
            raise VerifyException(f"op must be one of {ALU_OPS}, got {self.op.data!r}")
        if (self.src is None) == (self.imm is None):
            raise VerifyException("give exactly one operand: src (a tensor) or imm")
        extents = self.loop_extents()
        entries = _entries(self.acc, "acc", "acc")
        _check_map("dst", _ints(self.dst), extents, entries)
        if self.src is not None:
            _check_map("src", _ints(self.src), extents, entries)
        elif not -(2**15) <= _int(self.imm) < 2**15:
            raise VerifyException(f"imm {_int(self.imm)} does not fit 16 bits")


def on_chip(shape: Sequence[int], element: Attribute, space: str) -> MemRefType:
    """The memref type of an on-chip buffer."""
    return MemRefType(element, list(shape), memory_space=MemSpaceAttr(space))


Tile = Dialect("tile", [DmaLoadOp, DmaStoreOp, GemmOp, AluOp], [MemSpaceAttr])
