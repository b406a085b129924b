"""Text assembly: VTA programs and micro-op kernels as lines people can read and write.

One instruction per line: an optional ``N:`` index, the mnemonic, then ``name=value`` for every
field (VTA's field names; omitted fields are zero; memory_type and alu_opcode also take their
names). ``#`` starts a comment. Micro-ops are lines of ``dst_idx=.. src_idx=.. wgt_idx=..``.
:func:`disassemble` prints exactly what :func:`assemble` reads, so a round trip gives the same
bytes.
"""

from __future__ import annotations

import re

import numpy as np

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import (
    EncodingError,
    Instruction,
    Uop,
    decode_uops,
    encode,
    encode_uops,
    format_instruction,
    parse_instruction,
)

_INDEX = re.compile(r"^\s*\d+\s*:")


class AssemblyError(ValueError):
    """A line that is not valid assembly, with its line number."""


def _lines(text: str) -> list[tuple[int, str]]:
    """(line number, content) of every non-empty line, comments and index prefixes removed."""
    result = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = _INDEX.sub("", line.split("#", 1)[0]).strip()
        if line:
            result.append((number, line))
    return result


def assemble(text: str, config: VTAConfig, source: str = "<input>") -> list[Instruction]:
    """Instructions of an assembly text; every instruction is checked to encode under ``config``."""
    insns = []
    for number, line in _lines(text):
        try:
            insn = parse_instruction(line)
            encode(insn, config)
        except (ValueError, EncodingError) as err:
            raise AssemblyError(f"{source}:{number}: {err}") from None
        insns.append(insn)
    return insns


def disassemble(insns: list[Instruction]) -> str:
    """One line per instruction: ``index: MNEMONIC name=value ...``."""
    return "".join(f"{i}: {format_instruction(insn)}\n" for i, insn in enumerate(insns))


def assemble_uops(text: str, config: VTAConfig, source: str = "<input>") -> np.ndarray:
    """Micro-op words (uint32) of a micro-op text."""
    uops = []
    for number, line in _lines(text):
        values: dict[str, int] = {}
        for token in line.split():
            name, sep, raw = token.partition("=")
            if not sep or name not in ("dst_idx", "src_idx", "wgt_idx"):
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
