"""The tile dialect: tiled loop nests over VTA's on-chip buffers, with explicit DMA.

After tiling, an operator is ``scf.for`` loops over tiles whose bodies move tiles between DRAM
and on-chip buffers and compute on them. builtin, scf, arith and memref provide the structure;
this dialect adds the memory spaces, the transfers and the compute steps:

    !inp = memref<2048x1x16xi8, #tile.mem<inp>>
    !wgt = memref<1024x16x16xi8, #tile.mem<wgt>>
    !acc = memref<2048x1x16xi32, #tile.mem<acc>>
    func.func @dense(%x: memref<4x4x1x16xi8>, %w: memref<2x4x16x16xi8>,
                     %y: memref<4x2x1x16xi8>) {
      %inp = memref.alloc() : !inp
      %wgt = memref.alloc() : !wgt
      %acc = memref.alloc() : !acc
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      tile.dma_load %w[%c0] -> %wgt[0] {y_size = 1, x_size = 8, x_stride = 8}
          : memref<2x4x16x16xi8>, !wgt
      scf.for %t = %c0 to %c4 step %c2 {
        // thread 0: row %t of x, in the first half of the inp and acc buffers
        %x0 = arith.muli %t, %c4 : index
        tile.dma_load %x[%x0] -> %inp[0] {y_size = 1, x_size = 4, x_stride = 4}
            : memref<4x4x1x16xi8>, !inp
        tile.gemm %acc, %inp, %wgt {extents = array<i64: 2>, dst = array<i64: 0, 1>,
            src = array<i64: 0, 0>, wgt = array<i64: 0, 0>, reset = true} : !acc, !inp, !wgt
        tile.gemm %acc, %inp, %wgt {extents = array<i64: 2, 4>, dst = array<i64: 0, 1, 0>,
            src = array<i64: 0, 0, 1>, wgt = array<i64: 0, 4, 1>, reset = false}
            : !acc, !inp, !wgt
        tile.alu %acc {op = "shr", imm = 8, extents = array<i64: 2>, dst = array<i64: 0, 1>}
            : !acc
        %y0 = arith.muli %t, %c2 : index
        tile.dma_store %acc[0] -> %y[%y0] {y_size = 1, x_size = 2, x_stride = 2}
            : !acc, memref<4x2x1x16xi8>
        // thread 1: row %t + 1, in the second halves
        %t1 = arith.addi %t, %c1 : index
        %x1 = arith.muli %t1, %c4 : index
        tile.dma_load %x[%x1] -> %inp[1024] {y_size = 1, x_size = 4, x_stride = 4}
            : memref<4x4x1x16xi8>, !inp
        tile.gemm %acc, %inp, %wgt {extents = array<i64: 2>, dst = array<i64: 1024, 1>,
            src = array<i64: 0, 0>, wgt = array<i64: 0, 0>, reset = true} : !acc, !inp, !wgt
        tile.gemm %acc, %inp, %wgt {extents = array<i64: 2, 4>, dst = array<i64: 1024, 1, 0>,
            src = array<i64: 1024, 0, 1>, wgt = array<i64: 0, 4, 1>, reset = false}
            : !acc, !inp, !wgt
        tile.alu %acc {op = "shr", imm = 8, extents = array<i64: 2>,
            dst = array<i64: 1024, 1>} : !acc
        %y1 = arith.muli %t1, %c2 : index
        tile.dma_store %acc[1024] -> %y[%y1] {y_size = 1, x_size = 2, x_stride = 2}
            : !acc, memref<4x2x1x16xi8>
      } {tile.vthreads = 2 : i64}
      func.return
    }

**Buffers.** On-chip buffers are ``memref.alloc`` results in a ``#tile.mem<...>`` memory space
(``inp``, ``wgt``, ``acc`` or ``uop``), shaped in VTA entries for the module's hardware
configuration (its ``vta.config`` attribute, VTA's default when absent):
``[entries, BATCH, BLOCK_IN]`` i8 for ``inp``, ``[entries, BLOCK_OUT, BLOCK_IN]`` i8 for
``wgt``, ``[entries, BATCH, BLOCK_OUT]`` i32 for ``acc``, at most the buffer's depth of entries.
DRAM tensors are memrefs in the default space holding packed VTA elements: their last two
dimensions are one element of the buffer they travel to or from (e.g. ``memref<4x4x1x16xi8>``
for a dense input in VTA's blocked layout), the leading dimensions count elements.

**Transfers** are VTA's 2D DMA, in elements: ``y_size`` rows of ``x_size`` elements,
``x_stride`` apart, starting at a DRAM element offset (an ``index`` value, so it can follow loop
variables). ``tile.dma_load`` fills ``inp``, ``wgt`` or ``acc`` (from i32 data, or i8 data
sign-extended) contiguously from entry ``sram_offset`` (in brackets; an offset of another
integer type than i64 is written in the attribute dictionary instead), zero-padding the
rectangle by ``pads = array<i64: top, bottom, left, right>`` (absent: none; at most 15 each).
``tile.dma_store`` writes accumulator entries to an i8 DRAM memref (keeping the low 8 bits).

**Compute** ops are small static loop nests (``extents``, outermost first); each operand's
entry is the affine function ``base + sum(coef_l * i_l)`` of the loop indices, given as
``[base, coef_0, coef_1, ...]``: exactly what lowering turns into micro-ops plus
iter_out/iter_in factors. ``tile.gemm`` accumulates ``acc[dst] += inp[src] . wgt[wgt]^T`` (with
``reset``, zeroes ``acc[dst]`` instead); ``tile.alu`` computes ``acc[dst] = op(acc[dst], x)``
for ``op`` in min, max, add, shr, mul and ``x`` an immediate (``imm``) or ``acc[src]``; a shr
immediate is in [-16, 15] (the ALU reads a shift amount's low 5 bits as a signed number).

**Virtual threads** are ping-pong halves of the buffers: the loop over tiles steps by the
thread count, its body holds one copy of the tile's work per thread, each on its own half of
every buffer, and the loop carries ``tile.vthreads = N`` (a discardable attribute recording
the choice for lowering, which interleaves the copies' dependency tokens).

The custom syntax prints i64 integers without their type; the generic syntax is the usual one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    BoolAttr,
    DenseArrayBase,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    NoneAttr,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Data, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_attr_def,
    result_def,
    traits_def,
)
from xdsl.parser import AttrParser, Parser, UnresolvedOperand
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from vtac.dialects.common import module_config, parse_attributes, print_attributes
from vtac.runtime.config import PAD_BITS, SIZE_BITS, STRIDE_BITS, VTAConfig
from vtac.runtime.packing import PackError, PackSpec

SPACES = ("inp", "wgt", "acc", "uop")
ALU_OPS = ("min", "max", "add", "shr", "mul")
#: The shift amounts the ALU takes as they are (vta-isa.md section 3).
SHR_MIN, SHR_MAX = -16, 15


@irdl_attr_definition
class MemSpaceAttr(Data[str]):
    """An on-chip buffer's memory space: ``#tile.mem<inp>`` (inp, wgt, acc or uop)."""

    name = "tile.mem"

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> str:
        with parser.in_angle_brackets():
            space = parser.parse_optional_keyword_in(SPACES)
            if space is None:
                parser.raise_error(f"expected a memory space: one of {', '.join(SPACES)}")
            return space

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(self.data)

    def verify(self) -> None:
        if self.data not in SPACES:
            raise VerifyException(f"unknown memory space {self.data!r}")


def on_chip(shape: Sequence[int], element: Attribute, space: str) -> MemRefType:
    """The memref type of an on-chip buffer."""
    return MemRefType(element, list(shape), memory_space=MemSpaceAttr(space))


def space_of(value: SSAValue) -> str | None:
    """The on-chip memory space of a memref value (None for DRAM)."""
    kind = value.type
    if not isinstance(kind, MemRefType):
        raise VerifyException(f"expected a memref, got {kind}")
    space = kind.memory_space
    if isinstance(space, MemSpaceAttr):
        return space.data
    if not isinstance(space, NoneAttr):
        raise VerifyException(f"{kind} is in neither DRAM nor a #tile.mem space")
    return None


def entry_shape(config: VTAConfig, space: str) -> tuple[tuple[int, int], IntegerType, int]:
    """One entry's shape and element type, and the buffer depth, of an on-chip space."""
    return {
        "inp": ((config.batch, config.block_in), IntegerType(8), config.inp_depth),
        "wgt": ((config.block_out, config.block_in), IntegerType(8), config.wgt_depth),
        "acc": ((config.batch, config.block_out), IntegerType(32), config.acc_depth),
    }[space]


def _entries(op: Operation, value: SSAValue, space: str, what: str) -> int:
    """Check an on-chip buffer operand; return its number of entries."""
    if space_of(value) != space:
        raise VerifyException(f"{what} must be in #tile.mem<{space}>, got {value.type}")
    kind = value.type
    assert isinstance(kind, MemRefType)
    config = module_config(op)
    (rows, cols), element, depth = entry_shape(config, space)
    shape = kind.get_shape()
    if len(shape) != 3 or tuple(shape[1:]) != (rows, cols) or kind.element_type != element:
        raise VerifyException(
            f"{what} must be a memref<Nx{rows}x{cols}x{element}, #tile.mem<{space}>> "
            f"(configuration {config.name}), got {kind}"
        )
    if not 0 < shape[0] <= depth:
        raise VerifyException(f"{what} has {shape[0]} entries; the {space} buffer holds {depth}")
    return shape[0]


def _dram_elements(
    value: SSAValue, entry: Sequence[int], elements: Sequence[int], what: str
) -> int:
    """Check a DRAM memref whose elements are ``entry``-shaped; return how many it holds."""
    kind = value.type
    if space_of(value) is not None:
        raise VerifyException(f"{what} must be a DRAM memref, got {kind}")
    assert isinstance(kind, MemRefType)
    shape = kind.get_shape()
    allowed = " or ".join(f"memref<...x{entry[0]}x{entry[1]}xi{width}>" for width in elements)
    if (
        len(shape) < 3
        or tuple(shape[-2:]) != tuple(entry)
        or min(shape) < 0
        or not isinstance(kind.element_type, IntegerType)
        or kind.element_type.width.data not in elements
    ):
        raise VerifyException(f"{what} must be a static {allowed} of VTA elements, got {kind}")
    return math.prod(shape[:-2])


def _int(attr: IntegerAttr) -> int:
    return attr.value.data


def _ints(attr: DenseArrayBase, what: str) -> tuple[int, ...]:
    if not isinstance(attr.elt_type, IntegerType):
        raise VerifyException(f"{what} must be an integer array, got {attr}")
    return tuple(int(v) for v in attr.get_values())


# ------------------------------------------------------------------------ syntax


def _parse_operand(parser: Parser) -> UnresolvedOperand:
    return parser.parse_unresolved_operand()


def _parse_types(parser: Parser, operands: Sequence[UnresolvedOperand]) -> list[SSAValue]:
    parser.parse_punctuation(":")
    types = [parser.parse_type()]
    while len(types) < len(operands):
        parser.parse_punctuation(",")
        types.append(parser.parse_type())
    return [parser.resolve_operand(o, t) for o, t in zip(operands, types, strict=True)]


def _print_types(printer: Printer, values: Sequence[SSAValue]) -> None:
    printer.print_string(" : ")
    printer.print_list([v.type for v in values], printer.print_attribute)


def _parse_sram_offset(parser: Parser) -> dict[str, Attribute]:
    """``[entry]``, if present, as the ``sram_offset`` attribute (without it, the attribute
    dictionary holds the offset)."""
    if parser.parse_optional_punctuation("[") is None:
        return {}
    sram = parser.parse_integer(allow_boolean=False, context_msg=" (on-chip entry)")
    parser.parse_punctuation("]")
    return {"sram_offset": IntegerAttr(sram, i64)}


def _print_sram_offset(printer: Printer, op: Operation) -> set[str]:
    """``[entry]`` for an i64 ``sram_offset`` (others stay in the dictionary); returns the
    attribute names shown."""
    attr = op.attributes.get("sram_offset")
    if not (isinstance(attr, IntegerAttr) and attr.type == i64):
        return set()
    printer.print_string(f"[{attr.value.data}]")
    return {"sram_offset"}


# ------------------------------------------------------------------------ transfers


class _DmaOp(IRDLOperation):
    sram_offset = attr_def(IntegerAttr)
    y_size = attr_def(IntegerAttr)
    x_size = attr_def(IntegerAttr)
    x_stride = attr_def(IntegerAttr)

    def _check_pattern(self, entries: int, dram: int, pads: Sequence[int]) -> None:
        limits = {"y_size": SIZE_BITS, "x_size": SIZE_BITS, "x_stride": STRIDE_BITS}
        values = {name: _int(getattr(self, name)) for name in limits}
        for name, bits in limits.items():
            if not 0 <= values[name] < 1 << bits:
                raise VerifyException(f"{name} = {values[name]} is outside [0, {(1 << bits) - 1}]")
        y_size, x_size, x_stride = values.values()
        if min(y_size, x_size) < 1:
            raise VerifyException("a transfer moves at least one element")
        if len(pads) != 4 or not all(0 <= p < 1 << PAD_BITS for p in pads):
            raise VerifyException(
                f"pads must be 4 values in [0, {(1 << PAD_BITS) - 1}], got {list(pads)}"
            )
        start = _int(self.sram_offset)
        end = start + (pads[0] + y_size + pads[1]) * (pads[2] + x_size + pads[3])
        if start < 0 or end > entries:
            raise VerifyException(f"on-chip entries [{start}, {end}) exceed the buffer's {entries}")
        extent = (y_size - 1) * x_stride + x_size
        if extent > dram:
            raise VerifyException(
                f"the pattern spans {extent} DRAM elements; the memref holds {dram}"
            )


@irdl_op_definition
class DmaLoadOp(_DmaOp):
    """``tile.dma_load %dram[%offset] -> %buffer[sram_offset] {...}``: a 2D strided,
    zero-padded transfer from a DRAM memref to an on-chip buffer."""

    name = "tile.dma_load"
    src = operand_def(MemRefType)
    offset = operand_def(IndexType)
    dst = operand_def(MemRefType)
    pads = opt_attr_def(DenseArrayBase)

    def __init__(
        self,
        src: SSAValue,
        offset: SSAValue,
        dst: SSAValue,
        sram_offset: int,
        y_size: int,
        x_size: int,
        x_stride: int,
        pads: Sequence[int] = (0, 0, 0, 0),
    ):
        attributes: dict[str, Attribute] = {
            "sram_offset": IntegerAttr(sram_offset, i64),
            "y_size": IntegerAttr(y_size, i64),
            "x_size": IntegerAttr(x_size, i64),
            "x_stride": IntegerAttr(x_stride, i64),
        }
        if any(pads):
            attributes["pads"] = DenseArrayBase.from_list(i64, list(pads))
        super().__init__(operands=[src, offset, dst], attributes=attributes)

    @property
    def padding(self) -> tuple[int, ...]:
        """(top, bottom, left, right)."""
        return (0, 0, 0, 0) if self.pads is None else _ints(self.pads, "pads")

    @classmethod
    def parse(cls, parser: Parser) -> DmaLoadOp:
        src = _parse_operand(parser)
        parser.parse_punctuation("[")
        offset = parser.resolve_operand(_parse_operand(parser), IndexType())
        parser.parse_punctuation("]")
        parser.parse_punctuation("->")
        dst = _parse_operand(parser)
        attributes = parse_attributes(parser, _parse_sram_offset(parser))
        src_value, dst_value = _parse_types(parser, [src, dst])
        return cls.create(operands=[src_value, offset, dst_value], attributes=attributes)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.src)
        printer.print_string("[")
        printer.print_operand(self.offset)
        printer.print_string("] -> ")
        printer.print_operand(self.dst)
        shown = _print_sram_offset(printer, self)
        print_attributes(printer, {k: v for k, v in self.attributes.items() if k not in shown})
        _print_types(printer, [self.src, self.dst])

    def verify_(self) -> None:
        space = space_of(self.dst)
        if space not in ("inp", "wgt", "acc"):
            raise VerifyException(f"dma_load fills inp, wgt or acc buffers, not {self.dst.type}")
        entries = _entries(self, self.dst, space, "the destination")
        (rows, cols), element, _ = entry_shape(module_config(self), space)
        widths = (32, 8) if space == "acc" else (8,)
        dram = _dram_elements(self.src, (rows, cols), widths, "the source")
        self._check_pattern(entries, dram, self.padding)


@irdl_op_definition
class DmaStoreOp(_DmaOp):
    """``tile.dma_store %acc[sram_offset] -> %dram[%offset] {...}``: a 2D strided transfer of
    accumulator entries (each lane narrowed to its low 8 bits) to an i8 DRAM memref."""

    name = "tile.dma_store"
    src = operand_def(MemRefType)
    dst = operand_def(MemRefType)
    offset = operand_def(IndexType)

    def __init__(
        self,
        src: SSAValue,
        sram_offset: int,
        dst: SSAValue,
        offset: SSAValue,
        y_size: int,
        x_size: int,
        x_stride: int,
    ):
        super().__init__(
            operands=[src, dst, offset],
            attributes={
                "sram_offset": IntegerAttr(sram_offset, i64),
                "y_size": IntegerAttr(y_size, i64),
                "x_size": IntegerAttr(x_size, i64),
                "x_stride": IntegerAttr(x_stride, i64),
            },
        )

    @classmethod
    def parse(cls, parser: Parser) -> DmaStoreOp:
        src = _parse_operand(parser)
        sram_offset = _parse_sram_offset(parser)
        parser.parse_punctuation("->")
        dst = _parse_operand(parser)
        parser.parse_punctuation("[")
        offset = parser.resolve_operand(_parse_operand(parser), IndexType())
        parser.parse_punctuation("]")
        attributes = parse_attributes(parser, sram_offset)
        src_value, dst_value = _parse_types(parser, [src, dst])
        return cls.create(operands=[src_value, dst_value, offset], attributes=attributes)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.src)
        shown = _print_sram_offset(printer, self)
        printer.print_string(" -> ")
        printer.print_operand(self.dst)
        printer.print_string("[")
        printer.print_operand(self.offset)
        printer.print_string("]")
        print_attributes(printer, {k: v for k, v in self.attributes.items() if k not in shown})
        _print_types(printer, [self.src, self.dst])

    def verify_(self) -> None:
        entries = _entries(self, self.src, "acc", "the source")
        (rows, cols), _, _ = entry_shape(module_config(self), "acc")
        dram = _dram_elements(self.dst, (rows, cols), (8,), "the destination")
        self._check_pattern(entries, dram, (0, 0, 0, 0))


# ------------------------------------------------------------------------ compute


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
    extents = attr_def(DenseArrayBase)
    dst = attr_def(DenseArrayBase)

    def loop_extents(self) -> tuple[int, ...]:
        """The static loop nest, outermost first."""
        extents = _ints(self.extents, "extents")
        if min(extents, default=1) < 1:
            raise VerifyException(f"loop extents must be positive, got {list(extents)}")
        return extents

    @classmethod
    def parse(cls, parser: Parser) -> _ComputeOp:
        operands = [_parse_operand(parser)]
        while parser.parse_optional_punctuation(",") is not None:
            operands.append(_parse_operand(parser))
        attributes = parse_attributes(parser, {})
        return cls.create(operands=_parse_types(parser, operands), attributes=attributes)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list(self.operands, printer.print_operand)
        print_attributes(printer, self.attributes)
        _print_types(printer, self.operands)


def _affine(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


@irdl_op_definition
class GemmOp(_ComputeOp):
    """``tile.gemm %acc, %inp, %wgt {...}``: ``acc[dst] += inp[src] . wgt[wgt]^T`` over a
    static loop nest (``reset``: zero ``acc[dst]`` instead)."""

    name = "tile.gemm"
    acc = operand_def(MemRefType)
    inp = operand_def(MemRefType)
    wgt = operand_def(MemRefType)
    src = attr_def(DenseArrayBase)
    wgt_map = attr_def(DenseArrayBase, attr_name="wgt")
    reset = attr_def(BoolAttr)

    def __init__(
        self,
        acc: SSAValue,
        inp: SSAValue,
        wgt: SSAValue,
        extents: Sequence[int],
        dst: Sequence[int],
        src: Sequence[int],
        wgt_map: Sequence[int],
        reset: bool = False,
    ):
        super().__init__(
            operands=[acc, inp, wgt],
            attributes={
                "extents": _affine(extents),
                "dst": _affine(dst),
                "src": _affine(src),
                "wgt": _affine(wgt_map),
                "reset": BoolAttr.from_bool(reset),
            },
        )

    def verify_(self) -> None:
        extents = self.loop_extents()
        _check_map("dst", _ints(self.dst, "dst"), extents, _entries(self, self.acc, "acc", "acc"))
        _check_map("src", _ints(self.src, "src"), extents, _entries(self, self.inp, "inp", "inp"))
        _check_map(
            "wgt", _ints(self.wgt_map, "wgt"), extents, _entries(self, self.wgt, "wgt", "wgt")
        )


@irdl_op_definition
class AluOp(_ComputeOp):
    """``tile.alu %acc {op = "shr", imm = 8, ...}``: ``acc[dst] = op(acc[dst], imm or
    acc[src])`` over a static loop nest."""

    name = "tile.alu"
    acc = operand_def(MemRefType)
    op = attr_def(StringAttr)
    src = opt_attr_def(DenseArrayBase)
    imm = opt_attr_def(IntegerAttr)

    def __init__(
        self,
        acc: SSAValue,
        op: str,
        extents: Sequence[int],
        dst: Sequence[int],
        *,
        src: Sequence[int] | None = None,
        imm: int | None = None,
    ):
        attributes: dict[str, Attribute] = {
            "op": StringAttr(op),
            "extents": _affine(extents),
            "dst": _affine(dst),
        }
        if src is not None:
            attributes["src"] = _affine(src)
        if imm is not None:
            attributes["imm"] = IntegerAttr(imm, i64)
        super().__init__(operands=[acc], attributes=attributes)

    def verify_(self) -> None:
        if self.op.data not in ALU_OPS:
            raise VerifyException(f"op must be one of {', '.join(ALU_OPS)}, got {self.op.data!r}")
        if (self.src is None) == (self.imm is None):
            raise VerifyException("give exactly one operand: src (a tensor) or imm")
        extents = self.loop_extents()
        entries = _entries(self, self.acc, "acc", "acc")
        _check_map("dst", _ints(self.dst, "dst"), extents, entries)
        if self.src is not None:
            _check_map("src", _ints(self.src, "src"), extents, entries)
        elif not -(2**15) <= _int(self.imm) < 2**15:
            raise VerifyException(f"imm {_int(self.imm)} does not fit 16 bits")
        elif self.op.data == "shr" and not SHR_MIN <= _int(self.imm) <= SHR_MAX:
            raise VerifyException(
                f"shr imm {_int(self.imm)} is outside [{SHR_MIN}, {SHR_MAX}]: the ALU reads a "
                "shift amount's low 5 bits as a signed number (shift further in several steps)"
            )


class _LayoutOp(IRDLOperation):
    """A change of DRAM layout between a logical tensor and its packed VTA elements."""

    source = operand_def(TensorType)
    result = result_def(TensorType)
    layout = attr_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = "$source attr-dict `:` type($source) `->` type($result)"

    def __init__(self, source: SSAValue, layout: PackSpec, result_type: TensorType):
        super().__init__(
            operands=[source],
            result_types=[result_type],
            attributes={"layout": StringAttr(layout.to_text())},
        )

    #: whether the operand (pack) or the result (unpack) is the logical tensor
    LOGICAL_SOURCE: ClassVar[bool]

    def logical_type(self) -> TensorType:
        """The logical tensor's type."""
        value = self.source if self.LOGICAL_SOURCE else self.result
        assert isinstance(value.type, TensorType)
        return value.type

    def packed_type(self) -> TensorType:
        """The packed tensor's type."""
        value = self.result if self.LOGICAL_SOURCE else self.source
        assert isinstance(value.type, TensorType)
        return value.type

    def spec(self) -> PackSpec:
        """The packing specification (raises :class:`PackError` when malformed)."""
        return PackSpec.from_text(self.layout.data, tuple(self.logical_type().get_shape()))

    def verify_(self) -> None:
        logical, packed = self.logical_type(), self.packed_type()
        try:
            spec = self.spec()
        except PackError as err:
            raise VerifyException(str(err)) from None
        if packed.element_type != logical.element_type:
            raise VerifyException(
                f"element types differ: {logical.element_type} and {packed.element_type}"
            )
        if tuple(packed.get_shape()) != spec.packed_shape:
            shape = "x".join(map(str, spec.packed_shape))
            raise VerifyException(
                f"the layout packs {logical} into tensor<{shape}x{logical.element_type}>, "
                f"not {packed}"
            )


@irdl_op_definition
class PackOp(_LayoutOp):
    """A logical tensor into VTA elements: ``%p = tile.pack %x {layout = "..."} : T -> P``
    (the layout is a :class:`~vtac.runtime.packing.PackSpec` in its text form)."""

    name = "tile.pack"
    LOGICAL_SOURCE: ClassVar[bool] = True


@irdl_op_definition
class UnpackOp(_LayoutOp):
    """VTA elements back into the logical tensor: the inverse of ``tile.pack``."""

    name = "tile.unpack"
    LOGICAL_SOURCE: ClassVar[bool] = False


Tile = Dialect("tile", [DmaLoadOp, DmaStoreOp, GemmOp, AluOp, PackOp, UnpackOp], [MemSpaceAttr])
