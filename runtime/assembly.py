"""Text assembly: VTA programs and micro-op kernels as lines people can read and write.

One instruction per line: an optional ``N:`` index, the mnemonic, then ``name=value`` for every
field (VTA's field names; omitted fields are zero; memory_type and alu_opcode also take their
names). ``#`` starts a comment. Micro-ops are lines of ``dst_idx=.. src_idx=.. wgt_idx=..``.
:func:`disassemble` prints exactly what :func:`assemble` reads, so a round trip gives the same
bytes.

A program can also declare its DRAM arena, one buffer per line, anywhere in the text:
``.buffer NAME ROLE DTYPE SHAPE [FILE]``, for example ``.buffer a input int8 16x16 a.npy``.
Buffers are laid out in order, each aligned to 256 bytes (as :class:`ImageBuilder` does); FILE
(relative to the assembly file) fills the buffer: a ``.npy`` array of its shape, or a micro-op
``.s`` file for a uint32 buffer of micro-ops. ``dram_base=@NAME`` and ``dram_base=@NAME+K`` are
the buffer's offset in elements of the instruction's memory type (plus K);
:func:`assemble_image` builds the whole program image. A trailing ``align=BYTES`` (a multiple
of 256) starts a buffer on a coarser boundary, for elements larger than 256 bytes.

``.uops NAME [align=BYTES]`` declares a micro-op buffer in place, filled by the micro-op lines
that follow it (up to the next directive or instruction): the inline form of
``.buffer NAME uop uint32 N FILE.s``. ``vtac-opt -t vta-asm`` prints programs this way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vtac.errors import InvalidInputError
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import (
    BUFFER_ALIGN,
    DTYPES,
    ROLES,
    ImageBuilder,
    ImageError,
    ProgramImage,
)
from vtac.runtime.isa import (
    EncodingError,
    Instruction,
    MemInsn,
    MemType,
    Uop,
    decode_uops,
    elem_bytes,
    encode,
    encode_uops,
    format_instruction,
    parse_instruction,
)

_INDEX = re.compile(r"^\s*(\d+)\s*:")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BUFFER_SYNTAX = ".buffer NAME ROLE DTYPE SHAPE [FILE] [align=BYTES]"
_UOPS_SYNTAX = ".uops NAME [align=BYTES]"
_UOP_FIELDS = ("dst_idx", "src_idx", "wgt_idx")


class AssemblyError(InvalidInputError, ValueError):
    """A line that is not valid assembly, with its line number."""

    what = "assembly text"


@dataclass(frozen=True)
class _Decl:
    """A ``.buffer`` directive and where it is (``file:line``)."""

    name: str
    role: str
    dtype: str
    shape: tuple[int, ...]
    file: str | None
    where: str
    align: int = BUFFER_ALIGN
    #: the micro-op words of a ``.uops`` block
    words: np.ndarray | None = None


def _lines(text: str, source: str) -> list[tuple[int, str, int | None]]:
    """(line number, content, index label or None) of every non-empty line, comments and
    index prefixes removed."""
    result = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0]
        label = _INDEX.match(line)
        line = line[label.end() :].strip() if label else line.strip()
        if line:
            result.append((number, line, int(label.group(1)) if label else None))
        elif label:
            raise AssemblyError(f"{source}:{number}: label {label.group(1)}: labels nothing")
    return result


def _check_label(label: int | None, index: int, where: str, what: str) -> None:
    """An ``N:`` label must be the position of the line it labels (as disassembly prints)."""
    if label is not None and label != index:
        raise AssemblyError(
            f"{where}: label {label}: is {what} {index} (labels count from 0 in order; "
            "leave them out or number them in order)"
        )


def assemble(text: str, config: VTAConfig, source: str = "<input>") -> list[Instruction]:
    """Instructions of an assembly text; every instruction is checked to encode under ``config``.
    ``@NAME`` references resolve against the text's ``.buffer`` layout (no FILE is read)."""
    return _parse(text, config, source)[0]


def assemble_image(text: str, config: VTAConfig, source: str | Path) -> ProgramImage:
    """The program image of an assembly text with ``.buffer`` directives, their FILEs read
    relative to the directory of ``source`` (the assembly file's path)."""
    insns, builder, decls = _parse(text, config, str(source))
    try:
        image = builder.build(insns)
    except ImageError as err:
        raise AssemblyError(f"{source}: {err}") from None
    folder = Path(source).parent
    for decl in decls:
        if decl.file is not None:
            try:
                image.set_input(decl.name, _contents(decl, folder / decl.file, config))
            except ImageError as err:
                raise AssemblyError(f"{decl.where}: {err}") from None
    return image


def _parse(
    text: str, config: VTAConfig, source: str
) -> tuple[list[Instruction], ImageBuilder, list[_Decl]]:
    """Instructions (references resolved), the arena layout and the directives of a text."""
    decls, lines = [], []
    block: list[tuple[int, str, int | None]] | None = None  # lines of the open .uops block
    for number, line, label in _lines(text, source):
        is_uop = line.split("=", 1)[0] in _UOP_FIELDS
        if block is not None and not is_uop:  # the block ends
            decls[-1] = _with_uops(decls[-1], block, config, source)
            block = None
        if is_uop:
            if block is None:
                raise AssemblyError(
                    f"{source}:{number}: a micro-op line outside a .uops block "
                    f"({_UOPS_SYNTAX} comes first)"
                )
            block.append((number, line, label))
        elif line.startswith("."):
            if label is not None:
                raise AssemblyError(f"{source}:{number}: a directive takes no index label")
            decls.append(_directive(line, f"{source}:{number}"))
            block = [] if decls[-1].words is not None else None
        else:
            _check_label(label, len(lines), f"{source}:{number}", "instruction")
            lines.append((number, line))
    if block is not None:
        decls[-1] = _with_uops(decls[-1], block, config, source)
    builder = ImageBuilder(config)
    offsets: dict[str, int] = {}
    for decl in decls:
        if decl.name in offsets:
            raise AssemblyError(f"{decl.where}: buffer {decl.name} is declared twice")
        try:
            buffer = builder.add(
                decl.name, decl.role, decl.dtype, decl.shape, data=decl.words, align=decl.align
            )
        except ImageError as err:
            raise AssemblyError(f"{decl.where}: {err}") from None
        offsets[decl.name] = buffer.offset
    insns = []
    for number, line in lines:
        try:
            insn = _instruction(line, config, offsets)
            encode(insn, config)
        except (ValueError, EncodingError) as err:
            raise AssemblyError(f"{source}:{number}: {err}") from None
        insns.append(insn)
    return insns, builder, decls


def _directive(line: str, where: str) -> _Decl:
    """A ``.buffer NAME ROLE DTYPE SHAPE [FILE] [align=BYTES]`` or ``.uops NAME [align=BYTES]``
    line (a ``.uops`` declaration gets its words from the lines after it)."""
    tokens = line.split()
    align = BUFFER_ALIGN
    if len(tokens) > 2 and tokens[-1].startswith("align="):
        align = _alignment(tokens.pop().removeprefix("align="), where)
    if tokens[0] == ".uops":
        if len(tokens) != 2:
            raise AssemblyError(f"{where}: expected {_UOPS_SYNTAX}, got {line!r}")
        if not _NAME.fullmatch(tokens[1]):
            raise AssemblyError(f"{where}: buffer name {tokens[1]!r} is not an identifier")
        empty = np.zeros(0, np.uint32)
        return _Decl(tokens[1], "uop", "uint32", (0,), None, where, align, empty)
    if tokens[0] != ".buffer":
        raise AssemblyError(
            f"{where}: unknown directive {tokens[0]!r}; expected {_BUFFER_SYNTAX} or {_UOPS_SYNTAX}"
        )
    if len(tokens) not in (5, 6):
        raise AssemblyError(f"{where}: expected {_BUFFER_SYNTAX}, got {line!r}")
    name, role, dtype, shape = tokens[1:5]
    if not _NAME.fullmatch(name):
        raise AssemblyError(f"{where}: buffer name {name!r} is not an identifier")
    if role not in ROLES:
        raise AssemblyError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
    if dtype not in DTYPES:
        raise AssemblyError(f"{where}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    dims = shape.split("x")
    if not all(d.isdigit() and int(d) > 0 for d in dims):
        raise AssemblyError(f"{where}: shape {shape!r} is not positive sizes joined by x (16x16)")
    file = (tokens[5:] or [None])[0]
    return _Decl(name, role, dtype, tuple(int(d) for d in dims), file, where, align)


def _alignment(raw: str, where: str) -> int:
    if not raw.isdigit() or int(raw) == 0 or int(raw) % BUFFER_ALIGN:
        raise AssemblyError(f"{where}: align={raw}: expected a multiple of {BUFFER_ALIGN} bytes")
    return int(raw)


def _with_uops(
    decl: _Decl, lines: list[tuple[int, str, int | None]], config: VTAConfig, source: str
) -> _Decl:
    """A ``.uops`` declaration with the micro-op lines of its block."""
    if not lines:
        raise AssemblyError(f"{decl.where}: .uops {decl.name} is followed by no micro-op lines")
    words = _uop_words(lines, config, source)
    return replace(decl, shape=(words.size,), words=words)


def _instruction(line: str, config: VTAConfig, offsets: dict[str, int]) -> Instruction:
    """One instruction line, ``dram_base=@NAME[+K]`` resolved; raises ValueError."""
    tokens = line.split()
    refs = [k for k, token in enumerate(tokens) if token.startswith("dram_base=@")]
    for k in refs:
        tokens[k] = "dram_base=0"
    insn = parse_instruction(" ".join(tokens))
    if not refs:
        return insn
    assert isinstance(insn, MemInsn)  # only LOAD and STORE have a dram_base field
    ref = line.split()[refs[0]].removeprefix("dram_base=@")
    name, plus, extra = ref.partition("+")
    if name not in offsets:
        known = ", ".join(offsets) or "none"
        raise ValueError(f"dram_base=@{ref}: no buffer named {name!r} (buffers: {known})")
    if plus and not extra.isdigit():
        raise ValueError(f"dram_base=@{ref}: {extra!r} is not a number of elements")
    kind = insn.memory_type
    if kind not in MemType._value2member_map_:
        raise ValueError(f"dram_base=@{ref}: memory type {kind} has no element size")
    elem = elem_bytes(config, kind)
    if offsets[name] % elem:
        raise ValueError(
            f"dram_base=@{ref}: buffer {name} starts at byte {offsets[name]}, not on a "
            f"{elem}-byte {MemType(kind).name} element"
        )
    return replace(insn, dram_base=offsets[name] // elem + int(extra or 0))


def _contents(decl: _Decl, path: Path, config: VTAConfig) -> np.ndarray:
    """The array a directive's FILE holds: micro-op words of a ``.s`` file, or a ``.npy``."""
    if path.suffix not in (".s", ".npy"):
        raise AssemblyError(f"{decl.where}: {path.name}: expected a .npy array or micro-op .s file")
    if path.suffix == ".s" and decl.dtype != "uint32":
        raise AssemblyError(f"{decl.where}: micro-ops ({path.name}) need dtype uint32")
    try:
        if path.suffix == ".s":
            return assemble_uops(path.read_text(), config, str(path))
        return np.load(path, allow_pickle=False)
    except AssemblyError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise AssemblyError(f"{decl.where}: cannot read {path}: {err}") from None


def disassemble(insns: list[Instruction]) -> str:
    """One line per instruction: ``index: MNEMONIC name=value ...``."""
    return "".join(f"{i}: {format_instruction(insn)}\n" for i, insn in enumerate(insns))


def assemble_uops(text: str, config: VTAConfig, source: str = "<input>") -> np.ndarray:
    """Micro-op words (uint32) of a micro-op text."""
    return _uop_words(_lines(text, source), config, source)


def _uop_words(
    lines: list[tuple[int, str, int | None]], config: VTAConfig, source: str
) -> np.ndarray:
    """Micro-op words of ``(line number, text, label)`` lines."""
    uops = []
    for index, (number, line, label) in enumerate(lines):
        _check_label(label, index, f"{source}:{number}", "micro-op")
        values: dict[str, int] = {}
        for token in line.split():
            name, sep, raw = token.partition("=")
            if not sep or name not in _UOP_FIELDS:
                raise AssemblyError(
                    f"{source}:{number}: expected dst_idx=, src_idx= or wgt_idx=, got {token!r}"
                )
            try:
                values[name] = int(raw, 0)
            except ValueError:
                raise AssemblyError(
                    f"{source}:{number}: {name}: {raw!r} is not an integer"
                ) from None
        uops.append(Uop(**values))
    try:
        return encode_uops(uops, config)
    except EncodingError as err:
        raise AssemblyError(f"{source}: {err}") from None


def disassemble_uops(words: np.ndarray, config: VTAConfig, start: int = 0) -> str:
    """One line per micro-op: ``index: dst_idx=.. src_idx=.. wgt_idx=..``."""
    return "".join(
        f"{start + i}: dst_idx={u.dst_idx} src_idx={u.src_idx} wgt_idx={u.wgt_idx}\n"
        for i, u in enumerate(decode_uops(words, config))
    )
