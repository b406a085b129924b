"""The vta dialect: one op per VTA instruction, micro-op kernels and DRAM buffers as symbols.

    builtin.module attributes {vta.config = {LOG_BATCH = 0 : i64, LOG_BLOCK = 4 : i64}} {
      vta.buffer @x {role = "input", size = 256}
      vta.buffer @w {role = "weight", size = 256}
      vta.buffer @y {role = "output", size = 256}
      vta.uop_kernel @k [(0, 0, 0)]
      vta.program @main {
        vta.load uop @k[0] {y_size = 1, x_size = 1, x_stride = 1}
        vta.load inp @x[0] {y_size = 1, x_size = 16, x_stride = 16}
        vta.load wgt @w[0] {y_size = 1, x_size = 1, x_stride = 1, push_next_dep = 1}
        vta.gemm {reset_reg = 1, uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1}
        vta.gemm {uop_end = 1, iter_out = 1, iter_in = 16, dst_factor_in = 1,
                  src_factor_in = 1, pop_prev_dep = 1}
        vta.alu shr {use_imm = 1, imm = 4, uop_end = 1, iter_out = 1, iter_in = 16,
                     dst_factor_in = 1, src_factor_in = 1, push_next_dep = 1}
        vta.store out @y[0] {y_size = 1, x_size = 16, x_stride = 16, pop_prev_dep = 1,
                             push_prev_dep = 1}
        vta.load uop {pop_next_dep = 1}
        vta.finish
      }
    }

Instruction ops (``vta.load``, ``vta.store``, ``vta.gemm``, ``vta.alu``, ``vta.finish``) carry
VTA's field names (those of the :mod:`vtac.runtime.isa` records) as integer attributes; an
omitted field is zero. The custom syntax names the memory type of a LOAD/STORE and the opcode
of an ALU by keyword (lowercase :class:`~vtac.runtime.isa.MemType` and
:class:`~vtac.runtime.isa.AluOp` names; stored as the ``memory_type`` and ``alu_opcode``
integers) and prints i64 integers without their type. A value no keyword stands for (an
integer of another type, such as ``alu_opcode = 3 : i32``) stays in the attribute dictionary,
which the parser then reads it from.

A LOAD/STORE does not hold an absolute ``dram_base``: it names its DRAM buffer (``buffer``, a
``vta.buffer``, or for a UOP load a ``vta.uop_kernel``) and an element offset into it
(``dram_offset``, in elements of its memory type), written ``@name[offset]``. The backend
places the buffers and converts each instruction mechanically with
:meth:`InstructionOp.to_record`, passing the buffer's element address. ``vta.buffer`` sizes are
in bytes; a micro-op kernel holds one element per micro-op.

The hardware configuration is the module's ``vta.config`` attribute (the keys of
``vta_config.json``; absent means VTA's default). Every instruction verifies against it: field
widths (by encoding it), SRAM ranges (``sram_base`` plus the padded extent within the buffer
depth of its memory type), DRAM ranges (the 2D pattern within its buffer), and the dependency
flags its module may use (vta-isa.md section 4). A ``vta.program`` holds instructions only, in
program order, with ``vta.finish`` (if any) last.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    i64,
)
from xdsl.ir import Attribute, Block, Dialect, Operation, Region
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    opt_attr_def,
    region_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator, SymbolOpInterface, SymbolTable
from xdsl.utils.exceptions import VerifyException

from vtac.dialects.common import (
    enclosing_module,
    module_config,
    parse_attributes,
    print_attributes,
)
from vtac.dialects.dense import dense_values
from vtac.runtime.config import DRAM_ADDR_BITS, VTAConfig
from vtac.runtime.isa import (
    DTYPES,
    Alu,
    AluOp,
    EncodingError,
    Finish,
    Gemm,
    Instruction,
    Load,
    MemType,
    Store,
    Uop,
    elem_bytes,
    encode,
    module_of,
)
from vtac.runtime.packing import PackError, PackSpec

ROLES = ("input", "output", "weight", "constant", "scratch")


# ------------------------------------------------------------------------ custom syntax


def _keyword(attr: Attribute | None, names: Mapping[int, str]) -> str | None:
    """The keyword printing an enum-valued integer attribute, if it is a known i64 value."""
    if isinstance(attr, IntegerAttr) and attr.type == i64:
        return names.get(attr.value.data)
    return None


MEMORY_TYPES = {int(kind): kind.name.lower() for kind in MemType}
ALU_OPCODES = {int(op): op.name.lower() for op in AluOp}


def _enum_attr(
    parser: Parser, names: Mapping[int, str], key: str, what: str
) -> dict[str, Attribute]:
    """``{key: value}`` for a keyword of ``names``, or nothing when there is no keyword (the
    value the printer cannot name is in the attribute dictionary)."""
    position = parser.pos
    keyword = parser.parse_optional_identifier()
    if keyword is None:
        return {}
    if keyword not in names.values():
        parser.raise_error(f"expected {what}: one of {', '.join(names.values())}", position)
    value = next(number for number, name in names.items() if name == keyword)
    return {key: IntegerAttr(value, i64)}


# ------------------------------------------------------------------------ instructions


class InstructionOp(IRDLOperation):
    """Base of the instruction ops: VTA's fields as optional integer attributes."""

    RECORD: ClassVar[type[Instruction]]

    def field(self, name: str) -> int:
        """A field's value (zero when omitted)."""
        attr = self.attributes.get(name)
        return attr.value.data if isinstance(attr, IntegerAttr) else 0

    def to_record(self, buffer_base: int = 0) -> Instruction:
        """The :mod:`vtac.runtime.isa` record; ``dram_base`` is ``buffer_base`` (the element
        address of the named buffer, from the backend's layout) plus ``dram_offset``."""
        values = {f.name: self.field(f.name) for f in fields(self.RECORD)}
        if "dram_base" in values:
            values["dram_base"] = buffer_base + self.field("dram_offset")
        return self.RECORD(**values)

    @staticmethod
    def from_record(
        record: Instruction, buffer: str | None = None, buffer_base: int = 0
    ) -> InstructionOp:
        """The op of a :mod:`vtac.runtime.isa` record, its non-zero fields as attributes; a
        LOAD/STORE names ``buffer`` (placed at element ``buffer_base``), which its
        ``dram_base`` addresses."""
        op_class = next(c for c in INSTRUCTION_OPS if isinstance(record, c.RECORD))
        values = record.field_values()
        attributes: dict[str, Attribute] = {}
        if isinstance(record, Load | Store):
            attributes["memory_type"] = IntegerAttr(values.pop("memory_type"), i64)
            dram_base = values.pop("dram_base")
            if buffer is not None:
                attributes["buffer"] = SymbolRefAttr(buffer)
                attributes["dram_offset"] = IntegerAttr(dram_base - buffer_base, i64)
            elif dram_base:
                raise ValueError(f"{record.mnemonic} at dram_base {dram_base} needs a buffer")
        if isinstance(record, Alu):
            attributes["alu_opcode"] = IntegerAttr(values.pop("alu_opcode"), i64)
        attributes.update({k: IntegerAttr(v, i64) for k, v in values.items() if v})
        return op_class.create(attributes=attributes)

    @classmethod
    def parse(cls, parser: Parser) -> InstructionOp:
        return cls.create(attributes=parse_attributes(parser, cls.parse_head(parser)))

    @classmethod
    def parse_head(cls, parser: Parser) -> dict[str, Attribute]:
        """Attributes given before the dictionary (none by default)."""
        return {}

    def print(self, printer: Printer) -> None:
        shown = self.print_head(printer)
        print_attributes(printer, {k: v for k, v in self.attributes.items() if k not in shown})

    def print_head(self, printer: Printer) -> set[str]:
        """Print what precedes the dictionary; return the attribute names it showed."""
        return set()

    def verify_(self) -> None:
        parent = self.parent_op()
        if parent is not None and not isinstance(parent, ProgramOp):
            raise VerifyException(f"{self.name} must be inside a vta.program")
        config = module_config(self)
        try:
            record = self.to_record()
            encode(record, config)
        except EncodingError as err:
            raise VerifyException(str(err)) from None
        self.verify_ranges(config)
        self._verify_dependencies(record)

    def verify_ranges(self, config: VTAConfig) -> None:
        """Checks beyond field widths (overridden per instruction kind)."""

    def _verify_dependencies(self, record: Instruction) -> None:
        module = module_of(record)
        banned = {
            "load": ("pop_prev_dep", "push_prev_dep"),
            "store": ("pop_next_dep", "push_next_dep"),
        }
        for flag in banned.get(module, ()):
            if self.field(flag):
                side = "previous" if module == "load" else "next"
                raise VerifyException(
                    f"{flag} must be 0: this instruction runs on the {module} module, "
                    f"which has no {side} module"
                )


def _fields_of(record: type[Instruction], *skip: str) -> dict[str, object]:
    return {
        f.name: opt_attr_def(IntegerAttr)
        for f in fields(record)
        if f.name not in ("dram_base", *skip)
    }


_DEPTHS: dict[MemType, Callable[[VTAConfig], int]] = {
    MemType.UOP: lambda c: c.uop_depth,
    MemType.WGT: lambda c: c.wgt_depth,
    MemType.INP: lambda c: c.inp_depth,
    MemType.ACC: lambda c: c.acc_depth,
    MemType.ACC_8BIT: lambda c: c.acc_depth,
    MemType.OUT: lambda c: c.acc_depth,
}


class _MemOp(InstructionOp):
    """LOAD/STORE: ``vta.load inp @buffer[offset] {...}``."""

    memory_type = opt_attr_def(IntegerAttr)
    buffer = opt_attr_def(SymbolRefAttr)
    dram_offset = opt_attr_def(IntegerAttr)

    @classmethod
    def parse_head(cls, parser: Parser) -> dict[str, Attribute]:
        attributes: dict[str, Attribute] = _enum_attr(
            parser, MEMORY_TYPES, "memory_type", "a memory type"
        )
        buffer = parser.parse_optional_symbol_name()
        if buffer is not None:
            attributes["buffer"] = SymbolRefAttr(buffer)
            if parser.parse_optional_punctuation("[") is not None:
                offset = parser.parse_integer(allow_boolean=False, context_msg=" (DRAM offset)")
                attributes["dram_offset"] = IntegerAttr(offset, i64)
                parser.parse_punctuation("]")
        return attributes

    def verify_(self) -> None:
        offset = self.field("dram_offset")
        if not 0 <= offset < 1 << DRAM_ADDR_BITS:
            raise VerifyException(f"dram_offset {offset} is outside [0, 2^{DRAM_ADDR_BITS})")
        super().verify_()

    def print_head(self, printer: Printer) -> set[str]:
        shown = set()
        kind = _keyword(self.memory_type, MEMORY_TYPES)
        if kind is not None:
            printer.print_string(f" {kind}")
            shown.add("memory_type")
        if self.buffer is not None and not self.buffer.nested_references.data:
            printer.print_string(" ")
            printer.print_attribute(self.buffer)
            shown.add("buffer")
            if isinstance(self.dram_offset, IntegerAttr) and self.dram_offset.type == i64:
                printer.print_string(f"[{self.dram_offset.value.data}]")
                shown.add("dram_offset")
        return shown

    def verify_ranges(self, config: VTAConfig) -> None:
        if self.memory_type is None:
            raise VerifyException(f"{self.name} needs a memory type")
        kind = self.field("memory_type")
        if kind not in MEMORY_TYPES:
            raise VerifyException(f"memory_type {kind} is not a VTA memory type")
        if self.dram_offset is not None and self.buffer is None:
            raise VerifyException("dram_offset needs a buffer")
        if self.field("x_size") == 0:
            return
        if self.buffer is None:
            raise VerifyException("a transfer needs a buffer (x_size > 0)")
        rows, cols = self.sram_shape()
        depth = _DEPTHS[MemType(kind)](config)
        end = self.field("sram_base") + rows * cols
        if end > depth:
            raise VerifyException(
                f"SRAM entries [{self.field('sram_base')}, {end}) exceed the "
                f"{MemType(kind).name} buffer's {depth} entries"
            )
        self._verify_dram(config, MemType(kind))

    def sram_shape(self) -> tuple[int, int]:
        """Rows and columns of the on-chip rectangle (padding included)."""
        return (
            self.field("y_pad_0") + self.field("y_size") + self.field("y_pad_1"),
            self.field("x_pad_0") + self.field("x_size") + self.field("x_pad_1"),
        )

    def _verify_dram(self, config: VTAConfig, kind: MemType) -> None:
        module = enclosing_module(self)
        assert self.buffer is not None
        target = SymbolTable.lookup_symbol(module, self.buffer) if module else None
        if isinstance(target, UopKernelOp):
            if kind != MemType.UOP:
                raise VerifyException(f"{self.buffer} is a micro-op kernel: only UOP loads read it")
            elements = len(target.uops.get_values()) // 3
        elif isinstance(target, BufferOp):
            if kind == MemType.UOP:
                raise VerifyException(f"a UOP load reads a vta.uop_kernel, not {self.buffer}")
            elements = target.size.value.data // elem_bytes(config, kind)
        else:
            raise VerifyException(f"{self.buffer} is not a vta.buffer or vta.uop_kernel")
        start = self.field("dram_offset")
        end = start + (self.field("y_size") - 1) * self.field("x_stride") + self.field("x_size")
        if end > elements:
            raise VerifyException(
                f"DRAM elements [{start}, {end}) exceed {self.buffer}'s {elements} "
                f"{kind.name} elements"
            )


@irdl_op_definition
class LoadOp(_MemOp):
    """LOAD: DRAM to an SRAM buffer (2D strided, zero padded)."""

    name = "vta.load"
    RECORD: ClassVar[type[Instruction]] = Load
    locals().update(_fields_of(Load, "memory_type"))

    def verify_ranges(self, config: VTAConfig) -> None:
        super().verify_ranges(config)
        if self.field("memory_type") == MemType.OUT:
            raise VerifyException("LOAD cannot target the OUT memory type")


@irdl_op_definition
class StoreOp(_MemOp):
    """STORE: accumulator entries to DRAM, narrowed to int8."""

    name = "vta.store"
    RECORD: ClassVar[type[Instruction]] = Store
    locals().update(_fields_of(Store, "memory_type"))

    def sram_shape(self) -> tuple[int, int]:
        return self.field("y_size"), self.field("x_size")

    def verify_ranges(self, config: VTAConfig) -> None:
        if self.memory_type is not None and self.field("memory_type") != MemType.OUT:
            raise VerifyException("STORE must use memory type OUT (4)")
        if any(self.field(f"{a}_pad_{b}") for a in "xy" for b in "01"):
            raise VerifyException("STORE cannot be padded")
        super().verify_ranges(config)


class _LoopOp(InstructionOp):
    def verify_ranges(self, config: VTAConfig) -> None:
        if self.field("uop_end") > config.uop_depth:
            raise VerifyException(
                f"uop_end {self.field('uop_end')} exceeds the micro-op buffer ({config.uop_depth})"
            )
        if self.field("uop_bgn") > self.field("uop_end"):
            raise VerifyException("uop_bgn must not exceed uop_end")


@irdl_op_definition
class GemmOp(_LoopOp):
    """GEMM over a micro-op range and a two-level loop (reset_reg zeroes the accumulators)."""

    name = "vta.gemm"
    RECORD: ClassVar[type[Instruction]] = Gemm
    locals().update(_fields_of(Gemm))


@irdl_op_definition
class AluOp(_LoopOp):
    """ALU: MIN, MAX, ADD, SHR (MUL in the functional simulator): ``vta.alu shr {...}``."""

    name = "vta.alu"
    RECORD: ClassVar[type[Instruction]] = Alu
    alu_opcode = opt_attr_def(IntegerAttr)
    locals().update(_fields_of(Alu, "alu_opcode"))

    @classmethod
    def parse_head(cls, parser: Parser) -> dict[str, Attribute]:
        return _enum_attr(parser, ALU_OPCODES, "alu_opcode", "an ALU opcode")

    def print_head(self, printer: Printer) -> set[str]:
        opcode = _keyword(self.alu_opcode, ALU_OPCODES)
        if opcode is None:
            return set()
        printer.print_string(f" {opcode}")
        return {"alu_opcode"}

    def verify_ranges(self, config: VTAConfig) -> None:
        if self.alu_opcode is None:
            raise VerifyException("vta.alu needs an opcode (min, max, add, shr or mul)")
        if self.field("alu_opcode") not in ALU_OPCODES:
            raise VerifyException(f"alu_opcode {self.field('alu_opcode')} is not a VTA ALU opcode")
        super().verify_ranges(config)


@irdl_op_definition
class FinishOp(InstructionOp):
    """FINISH: the end of the program."""

    name = "vta.finish"
    RECORD: ClassVar[type[Instruction]] = Finish
    locals().update(_fields_of(Finish))


INSTRUCTION_OPS: tuple[type[InstructionOp], ...] = (LoadOp, StoreOp, GemmOp, AluOp, FinishOp)


# ------------------------------------------------------------------------ symbols


@irdl_op_definition
class BufferOp(IRDLOperation):
    """A DRAM buffer of ``size`` bytes the program reads or writes; the backend places it.

    Optionally what the host sees: the logical tensor's ``dtype`` and ``shape``, its
    ``layout`` in DRAM (a :class:`~vtac.runtime.packing.PackSpec` in text form), for an
    int32 result leaving the accelerator as int8 byte planes, ``planes``, for data known
    at compile time (weights, constants) its ``value``, already packed in that layout, and for
    an input the program also reads in another layout, the ``source`` input this buffer holds
    a copy of."""

    name = "vta.buffer"
    sym_name = attr_def(SymbolNameConstraint())
    role = attr_def(StringAttr)
    size = attr_def(IntegerAttr)
    dtype = opt_attr_def(StringAttr)
    shape = opt_attr_def(DenseArrayBase)
    layout = opt_attr_def(StringAttr)
    planes = opt_attr_def(IntegerAttr)
    value = opt_attr_def(DenseIntOrFPElementsAttr)
    source = opt_attr_def(StringAttr)
    traits = traits_def(SymbolOpInterface())

    def logical_shape(self) -> tuple[int, ...] | None:
        """The logical tensor's shape, if given."""
        return tuple(int(v) for v in self.shape.get_values()) if self.shape else None

    def data(self) -> np.ndarray | None:
        """The packed value (None when the buffer has none)."""
        if self.value is None:
            return None
        return dense_values(self.value)

    def spec(self) -> PackSpec | None:
        """The buffer's layout (None when it has none)."""
        if self.layout is None:
            return None
        if self.shape is None:
            raise VerifyException("a buffer with a layout needs the logical shape")
        try:
            return PackSpec.from_text(self.layout.data, self.logical_shape() or ())
        except PackError as err:
            raise VerifyException(str(err)) from None

    def __init__(self, name: str, role: str, size: int):
        super().__init__(
            attributes={
                "sym_name": StringAttr(name),
                "role": StringAttr(role),
                "size": IntegerAttr(size, i64),
            }
        )

    @classmethod
    def parse(cls, parser: Parser) -> BufferOp:
        name = parser.parse_symbol_name()
        return cls.create(attributes=parse_attributes(parser, {"sym_name": name}))

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        print_attributes(printer, {k: v for k, v in self.attributes.items() if k != "sym_name"})

    def verify_(self) -> None:
        if self.role.data not in ROLES:
            raise VerifyException(f"role must be one of {', '.join(ROLES)}; got {self.role.data!r}")
        if self.size.value.data <= 0:
            raise VerifyException(f"buffer size must be positive, got {self.size.value.data}")
        spec = self.spec()
        if spec is not None:
            dtype = self.dtype.data if self.dtype else "int8"
            if dtype not in DTYPES:
                raise VerifyException(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
            planes = self.planes.value.data if self.planes else 1
            need = math.prod(spec.packed_shape) * np.dtype(DTYPES[dtype]).itemsize * planes
            if self.size.value.data < need:
                raise VerifyException(
                    f"buffer size {self.size.value.data} is below the {need} bytes its layout holds"
                )
        if self.value is not None:
            want = spec.packed_shape if spec is not None else self.logical_shape()
            if tuple(self.value.get_shape()) != want:
                raise VerifyException(
                    f"value of shape {tuple(self.value.get_shape())} does not match the "
                    f"buffer's packed shape {want}"
                )


@irdl_op_definition
class UopKernelOp(IRDLOperation):
    """A micro-op kernel, loaded by a UOP load: ``vta.uop_kernel @k [(dst, src, wgt), ...]``.

    Stored as ``uops``, a flat ``array<i64: ...>`` of (dst, src, wgt) triples."""

    name = "vta.uop_kernel"
    sym_name = attr_def(SymbolNameConstraint())
    uops = attr_def(DenseArrayBase)
    traits = traits_def(SymbolOpInterface())

    def __init__(self, name: str, uops: list[Uop]):
        values = [v for uop in uops for v in (uop.dst_idx, uop.src_idx, uop.wgt_idx)]
        super().__init__(
            attributes={
                "sym_name": StringAttr(name),
                "uops": DenseArrayBase.from_list(i64, values),
            }
        )

    @property
    def uop_list(self) -> list[Uop]:
        """The micro-ops, in order."""
        values = [int(v) for v in self.uops.get_values()]
        return [Uop(*values[i : i + 3]) for i in range(0, len(values), 3)]

    @classmethod
    def parse(cls, parser: Parser) -> UopKernelOp:
        attributes: dict[str, Attribute] = {"sym_name": parser.parse_symbol_name()}

        def triple() -> list[int]:
            return parser.parse_comma_separated_list(
                parser.Delimiter.PAREN, lambda: parser.parse_integer(allow_boolean=False)
            )

        position = parser.pos
        triples = parser.parse_optional_comma_separated_list(parser.Delimiter.SQUARE, triple)
        if triples is not None:
            if any(len(t) != 3 for t in triples):
                parser.raise_error("a micro-op is a (dst, src, wgt) triple", position)
            attributes["uops"] = DenseArrayBase.from_list(i64, [v for t in triples for v in t])
        return cls.create(attributes=parse_attributes(parser, attributes))

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        shown = {"sym_name"}
        uops = self.attributes.get("uops")
        if (
            isinstance(uops, DenseArrayBase)
            and uops.elt_type == i64
            and len(uops.get_values()) % 3 == 0
        ):
            printer.print_string(" [")
            printer.print_list(
                self.uop_list,
                lambda u: printer.print_string(f"({u.dst_idx}, {u.src_idx}, {u.wgt_idx})"),
            )
            printer.print_string("]")
            shown.add("uops")
        print_attributes(printer, {k: v for k, v in self.attributes.items() if k not in shown})

    def verify_(self) -> None:
        if not isinstance(self.uops.elt_type, IntegerType):
            raise VerifyException(f"uops must be an integer array, got {self.uops}")
        values = self.uops.get_values()
        if len(values) % 3:
            raise VerifyException(f"uops holds (dst, src, wgt) triples: {len(values)} values")
        config = module_config(self)
        limits = (config.acc_depth, max(config.acc_depth, config.inp_depth), config.wgt_depth)
        for index, uop in enumerate(self.uop_list):
            for name, value, limit in zip(
                ("dst", "src", "wgt"), (uop.dst_idx, uop.src_idx, uop.wgt_idx), limits, strict=True
            ):
                if not 0 <= value < limit:
                    raise VerifyException(
                        f"micro-op {index}: {name} index {value} is outside [0, {limit})"
                    )


@irdl_op_definition
class ProgramOp(IRDLOperation):
    """The instruction stream, in program order (``vta.finish``, if present, last)."""

    name = "vta.program"
    sym_name = attr_def(SymbolNameConstraint())
    body = region_def("single_block")
    traits = traits_def(SymbolOpInterface(), NoTerminator())

    def __init__(self, name: str, ops: list[Operation]):
        super().__init__(attributes={"sym_name": StringAttr(name)}, regions=[Region(Block(ops))])

    @classmethod
    def parse(cls, parser: Parser) -> ProgramOp:
        name = parser.parse_symbol_name()
        attributes = parser.parse_optional_attr_dict_with_keyword()
        body = parser.parse_region()
        if not body.blocks:
            body.add_block(Block())
        return cls.create(
            attributes={"sym_name": name, **(attributes.data if attributes else {})},
            regions=[body],
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_op_attributes(
            self.attributes, reserved_attr_names=("sym_name",), print_keyword=True
        )
        printer.print_string(" ")
        printer.print_region(self.body, print_empty_block=False)

    def verify_(self) -> None:
        ops = list(self.body.block.ops)
        for index, op in enumerate(ops):
            if not isinstance(op, InstructionOp):
                raise VerifyException(f"a vta.program holds only instructions, found {op.name}")
            if isinstance(op, FinishOp) and index != len(ops) - 1:
                raise VerifyException(
                    f"vta.finish must be the last instruction (it is {index + 1} of {len(ops)})"
                )


def program_records(program: ProgramOp, placement: Mapping[str, int]) -> list[Instruction]:
    """The :mod:`vtac.runtime.isa` records of a verified program, given the DRAM byte address
    of every buffer and micro-op kernel it names (``placement``, by symbol name)."""
    config = module_config(program)
    records = []
    for op in program.body.block.ops:
        assert isinstance(op, InstructionOp)
        base = 0
        if isinstance(op, _MemOp) and op.buffer is not None:
            name = op.buffer.root_reference.data
            if name not in placement:
                raise ValueError(f"no DRAM address given for buffer @{name}")
            size = elem_bytes(config, op.field("memory_type"))
            if placement[name] % size:
                raise ValueError(
                    f"@{name} at byte {placement[name]} is not aligned to its "
                    f"{size}-byte {MemType(op.field('memory_type')).name} elements"
                )
            base = placement[name] // size
        records.append(op.to_record(base))
    return records


VTA = Dialect(
    "vta",
    [LoadOp, StoreOp, GemmOp, AluOp, FinishOp, BufferOp, UopKernelOp, ProgramOp],
    [],
)
