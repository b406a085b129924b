"""VTA instructions and micro-ops: typed records and VTA's exact binary encoding.

An instruction is 128 bits, two little-endian 64-bit words. Fields are packed from bit 0 upward;
a field that would straddle bit 64 starts at bit 64 instead (vta-isa.md section 2). The layout
depends on the configuration, so encoding and decoding take a :class:`VTAConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import ClassVar

import numpy as np

from vtac.errors import InvalidInputError
from vtac.runtime.config import (
    INSN_BITS,
    OPCODE_BITS,
    VTAConfig,
)

INSN_BYTES = INSN_BITS // 8


class Opcode(IntEnum):
    LOAD = 0
    STORE = 1
    GEMM = 2
    FINISH = 3
    ALU = 4


class MemType(IntEnum):
    UOP = 0
    WGT = 1
    INP = 2
    ACC = 3
    OUT = 4
    ACC_8BIT = 5


#: The on-chip buffer a transfer of each memory type reads or writes (STORE reads the OUT
#: buffer, which mirrors the accumulator entries; ACC_8BIT loads into the accumulator).
SRAM_OF: dict[MemType, str] = {
    MemType.UOP: "uop",
    MemType.WGT: "wgt",
    MemType.INP: "inp",
    MemType.ACC: "acc",
    MemType.ACC_8BIT: "acc",
    MemType.OUT: "acc",
}


class AluOp(IntEnum):
    MIN = 0
    MAX = 1
    ADD = 2
    SHR = 3
    MUL = 4


#: The element types of DRAM tensors, by the names the program image and the IR give them.
DTYPES = {"int8": np.int8, "int32": np.int32, "uint32": np.uint32}


def elem_bytes(config: VTAConfig, memory_type: int) -> int:
    """Bytes of one DRAM element of ``memory_type`` (the unit of dram_base and x_stride)."""
    return {
        MemType.UOP: config.uop_elem_bytes,
        MemType.WGT: config.wgt_elem_bytes,
        MemType.INP: config.inp_elem_bytes,
        MemType.ACC: config.acc_elem_bytes,
        MemType.OUT: config.out_elem_bytes,
        MemType.ACC_8BIT: config.batch * config.block_out,
    }[MemType(memory_type)]


class EncodingError(InvalidInputError, ValueError):
    """A value that does not fit its field, or bytes that are not a VTA instruction."""

    what = "instruction"


@dataclass(frozen=True)
class Instruction:
    """Common header of every instruction: the four dependency flags."""

    pop_prev_dep: int = 0
    pop_next_dep: int = 0
    push_prev_dep: int = 0
    push_next_dep: int = 0

    opcode: ClassVar[Opcode]

    @property
    def mnemonic(self) -> str:
        return self.opcode.name

    def field_values(self) -> dict[str, int]:
        """Every encoded field except the opcode, in encoding order, as integers."""
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}

    def __str__(self) -> str:
        return format_instruction(self)


@dataclass(frozen=True)
class MemInsn(Instruction):
    """LOAD or STORE: a 2D strided copy between DRAM and an SRAM buffer, with zero padding."""

    memory_type: int = 0
    sram_base: int = 0
    dram_base: int = 0
    y_size: int = 0
    x_size: int = 0
    x_stride: int = 0
    y_pad_0: int = 0
    y_pad_1: int = 0
    x_pad_0: int = 0
    x_pad_1: int = 0


@dataclass(frozen=True)
class Load(MemInsn):
    opcode: ClassVar[Opcode] = Opcode.LOAD


@dataclass(frozen=True)
class Store(MemInsn):
    opcode: ClassVar[Opcode] = Opcode.STORE


@dataclass(frozen=True)
class LoopInsn(Instruction):
    """Fields shared by GEMM and ALU: the micro-op range and the two-level loop."""

    reset_reg: int = 0
    uop_bgn: int = 0
    uop_end: int = 0
    iter_out: int = 0
    iter_in: int = 0
    dst_factor_out: int = 0
    dst_factor_in: int = 0
    src_factor_out: int = 0
    src_factor_in: int = 0


@dataclass(frozen=True)
class Gemm(LoopInsn):
    wgt_factor_out: int = 0
    wgt_factor_in: int = 0

    opcode: ClassVar[Opcode] = Opcode.GEMM


@dataclass(frozen=True)
class Alu(LoopInsn):
    alu_opcode: int = 0
    use_imm: int = 0
    imm: int = 0  # signed, two's complement in 16 bits

    opcode: ClassVar[Opcode] = Opcode.ALU


@dataclass(frozen=True)
class Finish(Instruction):
    opcode: ClassVar[Opcode] = Opcode.FINISH


INSN_CLASSES: dict[Opcode, type[Instruction]] = {
    cls.opcode: cls for cls in (Load, Store, Gemm, Finish, Alu)
}
MNEMONICS: dict[str, type[Instruction]] = {op.name: cls for op, cls in INSN_CLASSES.items()}

#: VTA's modules, each running its own instruction queue (vta-isa.md section 4).
MODULES = ("load", "compute", "store")


def module_of(insn: Instruction) -> str:
    """The module that executes ``insn`` (vta-isa.md section 4)."""
    if isinstance(insn, Load):
        return "load" if insn.memory_type in (MemType.INP, MemType.WGT) else "compute"
    if isinstance(insn, Store):
        return "store"
    return "compute"


@dataclass(frozen=True)
class Uop:
    """A micro-op: the base indices of one GEMM or ALU step."""

    dst_idx: int = 0
    src_idx: int = 0
    wgt_idx: int = 0


# --------------------------------------------------------------------------- encoding


def encode(insn: Instruction, config: VTAConfig) -> bytes:
    """The 16 bytes of ``insn`` under ``config``; refuses a value that does not fit its field."""
    values = insn.field_values()
    values["opcode"] = int(insn.opcode)
    word = 0
    for name, offset, width in config.field_layout(insn.mnemonic):
        value = values[name]
        if name == "imm":
            lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
            if not lo <= value <= hi:
                raise EncodingError(
                    f"{insn.mnemonic}: imm = {value} does not fit the signed {width}-bit field "
                    f"[{lo}, {hi}]"
                )
            value &= (1 << width) - 1
        elif not 0 <= value < (1 << width):
            raise EncodingError(
                f"{insn.mnemonic}: {name} = {value} does not fit its {width}-bit field "
                f"[0, {(1 << width) - 1}]"
            )
        word |= value << offset
    return word.to_bytes(INSN_BYTES, "little")


def decode(data: bytes, config: VTAConfig) -> Instruction:
    """The instruction encoded in 16 bytes; raises :class:`EncodingError` for invalid bytes."""
    if len(data) != INSN_BYTES:
        raise EncodingError(f"an instruction is {INSN_BYTES} bytes, got {len(data)}")
    word = int.from_bytes(data, "little")
    opcode = word & ((1 << OPCODE_BITS) - 1)
    if opcode not in INSN_CLASSES:
        raise EncodingError(f"unknown opcode {opcode}")
    cls = INSN_CLASSES[Opcode(opcode)]
    used = 0
    values: dict[str, int] = {}
    for name, offset, width in config.field_layout(cls.opcode.name):
        mask = (1 << width) - 1
        used |= mask << offset
        value = (word >> offset) & mask
        if name == "imm" and value >> (width - 1):
            value -= 1 << width
        values[name] = value
    stray = word & ~used
    if stray:
        bits = [i for i in range(INSN_BITS) if stray >> i & 1]
        raise EncodingError(
            f"{cls.opcode.name} instruction has unused bit(s) set: {', '.join(map(str, bits))}"
        )
    del values["opcode"]
    return cls(**values)


def encode_program(insns: list[Instruction], config: VTAConfig) -> bytes:
    """Encode a sequence of instructions; errors name the instruction's index."""
    out = bytearray()
    for index, insn in enumerate(insns):
        try:
            out += encode(insn, config)
        except EncodingError as err:
            raise EncodingError(f"instruction {index}: {err}") from None
    return bytes(out)


def decode_program(data: bytes, config: VTAConfig) -> list[Instruction]:
    """Decode an instruction stream; errors name the instruction's index."""
    if len(data) % INSN_BYTES:
        raise EncodingError(
            f"an instruction stream is a multiple of {INSN_BYTES} bytes, got {len(data)}"
        )
    insns = []
    for index in range(len(data) // INSN_BYTES):
        try:
            insns.append(decode(data[index * INSN_BYTES : (index + 1) * INSN_BYTES], config))
        except EncodingError as err:
            raise EncodingError(f"instruction {index}: {err}") from None
    return insns


# --------------------------------------------------------------------------- micro-ops


def _uop_fields(config: VTAConfig) -> tuple[tuple[str, int, int], ...]:
    dst, src = config.uop_dst_bits, config.uop_src_bits
    return (
        ("dst_idx", 0, dst),
        ("src_idx", dst, src),
        ("wgt_idx", dst + src, config.uop_wgt_bits),
    )


def encode_uops(uops: list[Uop], config: VTAConfig) -> np.ndarray:
    """Micro-ops as a uint32 array (their DRAM and SRAM representation)."""
    out = np.zeros(len(uops), dtype=np.uint32)
    for index, uop in enumerate(uops):
        word = 0
        for name, offset, width in _uop_fields(config):
            value = getattr(uop, name)
            if not 0 <= value < (1 << width):
                raise EncodingError(
                    f"micro-op {index}: {name} = {value} does not fit its {width}-bit field "
                    f"[0, {(1 << width) - 1}]"
                )
            word |= value << offset
        out[index] = word
    return out


def split_uops(words: np.ndarray, config: VTAConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised decode: (dst, src, wgt) index arrays (int64) of uint32 micro-op words."""
    words = words.astype(np.int64)
    return tuple(  # type: ignore[return-value]
        (words >> offset) & ((1 << width) - 1) for _, offset, width in _uop_fields(config)
    )


def uop_unused_mask(config: VTAConfig) -> int:
    """Bits of a micro-op word that no field uses (they must be zero)."""
    used = config.uop_dst_bits + config.uop_src_bits + config.uop_wgt_bits
    return ((1 << 32) - 1) & ~((1 << used) - 1)


def decode_uops(words: np.ndarray, config: VTAConfig) -> list[Uop]:
    """Micro-op records of uint32 words; raises for words with unused bits set."""
    stray = np.nonzero(words.astype(np.int64) & uop_unused_mask(config))[0]
    if stray.size:
        first = int(stray[0])
        raise EncodingError(f"micro-op {first}: unused bits set (0x{int(words[first]):08x})")
    dst, src, wgt = split_uops(words, config)
    return [Uop(int(d), int(s), int(w)) for d, s, w in zip(dst, src, wgt, strict=True)]


# ------------------------------------------------------------------------ text format

_ENUM_FIELDS: dict[str, type[IntEnum]] = {"memory_type": MemType, "alu_opcode": AluOp}


def format_instruction(insn: Instruction) -> str:
    """``MNEMONIC name=value ...`` with every field, enum fields by name when valid."""
    parts = [insn.mnemonic]
    for name, value in insn.field_values().items():
        enum = _ENUM_FIELDS.get(name)
        if enum is not None and value in enum._value2member_map_:
            parts.append(f"{name}={enum(value).name}")
        else:
            parts.append(f"{name}={value}")
    return " ".join(parts)


def parse_instruction(text: str) -> Instruction:
    """Parse ``MNEMONIC name=value ...``; omitted fields are zero. Raises ValueError."""
    tokens = text.split()
    if not tokens:
        raise ValueError("empty instruction")
    mnemonic = tokens[0].upper()
    cls = MNEMONICS.get(mnemonic)
    if cls is None:
        raise ValueError(f"unknown mnemonic {tokens[0]!r}; expected one of {', '.join(MNEMONICS)}")
    names = {f.name for f in fields(cls)}
    values: dict[str, int] = {}
    for token in tokens[1:]:
        name, sep, raw = token.partition("=")
        if not sep or not raw:
            raise ValueError(f"expected name=value, got {token!r}")
        if name not in names:
            raise ValueError(
                f"{mnemonic} has no field {name!r}; its fields are {', '.join(sorted(names))}"
            )
        if name in values:
            raise ValueError(f"field {name} given twice")
        enum = _ENUM_FIELDS.get(name)
        if enum is not None and raw.upper() in enum.__members__:
            values[name] = int(enum[raw.upper()])
            continue
        try:
            values[name] = int(raw, 0)
        except ValueError:
            if enum is not None:
                raise ValueError(
                    f"{name}: {raw!r} is not a number nor one of {', '.join(enum.__members__)}"
                ) from None
            raise ValueError(f"{name}: {raw!r} is not an integer") from None
    return cls(**values)
