"""The vta dialect: one op per VTA instruction, micro-op kernels and DRAM buffers as symbols.

    builtin.module attributes {vta.config = {LOG_BATCH = 0 : i64, ...}} {
      vta.buffer @x {role = "input", size = 4096 : i64}
      vta.uop_kernel @k0 {uops = array<i64: 0, 0, 0, 1, 1, 0>}     // (dst, src, wgt) triples
      vta.program @main {
        vta.load {memory_type = 0 : i64, buffer = @k0, y_size = 1 : i64, x_size = 2 : i64, ...}
        vta.gemm {uop_end = 2 : i64, iter_out = 1 : i64, iter_in = 1 : i64, pop_prev_dep = 1 : i64}
        vta.finish
      }
    }

Instruction ops carry VTA's field names as integer attributes; omitted fields are zero. A
LOAD/STORE names its DRAM buffer (a ``vta.buffer`` or, for micro-ops, a ``vta.uop_kernel``) and
an element offset into it instead of an absolute ``dram_base``: the backend places buffers.
The hardware configuration is the module's ``vta.config`` attribute (the keys of
``vta_config.json``; absent means VTA's default), and every instruction verifies its fields
against it: field widths (by encoding the instruction) and SRAM ranges.
"""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar

from xdsl.dialects.builtin import (
    DenseArrayBase,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    i64,
)
from xdsl.ir import Block, Dialect, Operation, Region
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    opt_attr_def,
    region_def,
    traits_def,
)
from xdsl.traits import NoTerminator, SymbolOpInterface, SymbolTable
from xdsl.utils.exceptions import VerifyException

from vtac.runtime.config import ConfigError, VTAConfig
from vtac.runtime.isa import (
    Alu,
    EncodingError,
    Finish,
    Gemm,
    Instruction,
    Load,
    MemType,
    Store,
    Uop,
    encode,
)

CONFIG_ATTR = "vta.config"
ROLES = ("input", "output", "weight", "constant", "scratch")


def _enclosing_module(op: Operation) -> ModuleOp | None:
    current: Operation | None = op
    while current is not None and not isinstance(current, ModuleOp):
        current = current.parent_op()
    return current


def module_config(op: Operation) -> VTAConfig:
    """The hardware configuration of the module enclosing ``op``."""
    module = _enclosing_module(op)
    attr = module.attributes.get(CONFIG_ATTR) if module else None
    if attr is None:
        return VTAConfig()
    if not isinstance(attr, DictionaryAttr):
        raise VerifyException(f"{CONFIG_ATTR} must be a dictionary of vta_config.json values")
    values = {}
    for key, value in attr.data.items():
        if isinstance(value, IntegerAttr):
            values[key] = value.value.data
        elif isinstance(value, StringAttr):
            values[key] = value.data
        else:
            raise VerifyException(f"{CONFIG_ATTR}: {key} must be an integer or a string")
    try:
        return VTAConfig.from_dict(values)
    except ConfigError as err:
        raise VerifyException(f"{CONFIG_ATTR}: {err}") from None


def config_attr(config: VTAConfig) -> DictionaryAttr:
    """The ``vta.config`` module attribute of a configuration."""
    return DictionaryAttr(
        {
            key: StringAttr(value) if isinstance(value, str) else IntegerAttr(value, i64)
            for key, value in config.to_dict().items()
        }
    )


class InstructionOp(IRDLOperation):
    """Base of the instruction ops: VTA's fields as optional integer attributes."""

    RECORD: ClassVar[type[Instruction]]
    assembly_format = "attr-dict"

    def field(self, name: str) -> int:
        attr = self.attributes.get(name)
        return attr.value.data if isinstance(attr, IntegerAttr) else 0

    def to_record(self, dram_base: int = 0) -> Instruction:
        """The runtime instruction record (``dram_base`` supplied by the backend's layout)."""
        values = {f.name: self.field(f.name) for f in fields(self.RECORD)}
        if "dram_base" in values:
            values["dram_base"] = dram_base
        return self.RECORD(**values)

    def verify_(self) -> None:
        config = module_config(self)
        try:
            encode(self.to_record(), config)
        except EncodingError as err:
            raise VerifyException(str(err)) from None
        self.verify_ranges(config)

    def verify_ranges(self, config: VTAConfig) -> None:
        """Checks beyond field widths (overridden per instruction kind)."""


def _fields_of(record: type[Instruction]) -> dict[str, object]:
    return {f.name: opt_attr_def(IntegerAttr) for f in fields(record) if f.name != "dram_base"}


_DEPTHS = {
    MemType.UOP: "uop_depth",
    MemType.WGT: "wgt_depth",
    MemType.INP: "inp_depth",
    MemType.ACC: "acc_depth",
    MemType.ACC_8BIT: "acc_depth",
    MemType.OUT: "acc_depth",
}


class _MemOp(InstructionOp):
    buffer = opt_attr_def(SymbolRefAttr)
    dram_offset = opt_attr_def(IntegerAttr)

    def verify_ranges(self, config: VTAConfig) -> None:
        kind = self.field("memory_type")
        if kind not in _DEPTHS:
            raise VerifyException(f"memory_type {kind} is not a VTA memory type")
        if self.field("x_size") and self.buffer is None:
            raise VerifyException("a transfer needs a buffer (x_size > 0)")
        width = self.field("x_pad_0") + self.field("x_size") + self.field("x_pad_1")
        height = self.field("y_pad_0") + self.field("y_size") + self.field("y_pad_1")
        if isinstance(self, StoreOp):
            width, height = self.field("x_size"), self.field("y_size")
        depth = getattr(config, _DEPTHS[MemType(kind)])
        end = self.field("sram_base") + width * height if self.field("x_size") else 0
        if end > depth:
            raise VerifyException(
                f"SRAM entries [{self.field('sram_base')}, {end}) exceed the "
                f"{MemType(kind).name} buffer's {depth} entries"
            )


@irdl_op_definition
class LoadOp(_MemOp):
    """LOAD: DRAM to an SRAM buffer (2D strided, zero padded)."""

    name = "vta.load"
    RECORD: ClassVar[type[Instruction]] = Load
    locals().update(_fields_of(Load))

    def verify_ranges(self, config: VTAConfig) -> None:
        super().verify_ranges(config)
        if self.field("memory_type") == MemType.OUT:
            raise VerifyException("LOAD cannot target the OUT memory type")


@irdl_op_definition
class StoreOp(_MemOp):
    """STORE: accumulator entries to DRAM, narrowed to int8."""

    name = "vta.store"
    RECORD: ClassVar[type[Instruction]] = Store
    locals().update(_fields_of(Store))

    def verify_ranges(self, config: VTAConfig) -> None:
        super().verify_ranges(config)
        if self.field("memory_type") != MemType.OUT:
            raise VerifyException("STORE must use memory type OUT (4)")
        if any(self.field(f"{a}_pad_{b}") for a in "xy" for b in "01"):
            raise VerifyException("STORE cannot be padded")


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
    """ALU: MIN, MAX, ADD, SHR (MUL in the functional simulator) on accumulator entries."""

    name = "vta.alu"
    RECORD: ClassVar[type[Instruction]] = Alu
    locals().update(_fields_of(Alu))


@irdl_op_definition
class FinishOp(InstructionOp):
    """FINISH: the end of the program."""

    name = "vta.finish"
    RECORD: ClassVar[type[Instruction]] = Finish
    locals().update(_fields_of(Finish))


@irdl_op_definition
class BufferOp(IRDLOperation):
    """A DRAM buffer the program reads or writes; the backend assigns its place."""

    name = "vta.buffer"
    sym_name = attr_def(SymbolNameConstraint())
    role = attr_def(StringAttr)
    size = attr_def(IntegerAttr)
    traits = traits_def(SymbolOpInterface())
    assembly_format = "$sym_name attr-dict"

    def verify_(self) -> None:
        if self.role.data not in ROLES:
            raise VerifyException(f"role must be one of {ROLES}, got {self.role.data!r}")
        if self.size.value.data <= 0:
            raise VerifyException(f"buffer size must be positive, got {self.size.value.data}")


@irdl_op_definition
class UopKernelOp(IRDLOperation):
    """A micro-op kernel: (dst, src, wgt) index triples, loaded by a LOAD of memory type UOP."""

    name = "vta.uop_kernel"
    sym_name = attr_def(SymbolNameConstraint())
    uops = attr_def(DenseArrayBase)
    traits = traits_def(SymbolOpInterface())
    assembly_format = "$sym_name attr-dict"

    @property
    def uop_list(self) -> list[Uop]:
        values = [int(v) for v in self.uops.get_values()]
        return [Uop(*values[i : i + 3]) for i in range(0, len(values), 3)]

    def verify_(self) -> None:
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
    """The instruction stream, in program order."""

    name = "vta.program"
    sym_name = attr_def(SymbolNameConstraint())
    body = region_def("single_block")
    traits = traits_def(SymbolOpInterface(), NoTerminator())
    assembly_format = "$sym_name attr-dict-with-keyword $body"

    def __init__(self, name: str, ops: list[Operation]):
        super().__init__(attributes={"sym_name": StringAttr(name)}, regions=[Region(Block(ops))])

    def verify_(self) -> None:
        module = _enclosing_module(self)
        for op in self.body.block.ops:
            if not isinstance(op, InstructionOp):
                raise VerifyException(f"a vta.program holds only instructions, found {op.name}")
            if isinstance(op, _MemOp) and op.buffer is not None and module is not None:
                target = SymbolTable.lookup_symbol(module, op.buffer)
                if not isinstance(target, BufferOp | UopKernelOp):
                    raise VerifyException(f"{op.buffer} is not a vta.buffer or vta.uop_kernel")


VTA = Dialect(
    "vta",
    [LoadOp, StoreOp, GemmOp, AluOp, FinishOp, BufferOp, UopKernelOp, ProgramOp],
    [],
)
