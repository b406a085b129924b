"""Strategies for random VTA instructions of a configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import strategies as st

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import INSN_CLASSES, Instruction, Opcode

if TYPE_CHECKING:
    pass


def instruction_fields(config: VTAConfig) -> dict[Opcode, tuple[tuple[str, int], ...]]:
    """(field, width) of every instruction kind under ``config``, the opcode left out."""
    return {
        opcode: tuple(
            (name, width) for name, _, width in config.field_layout(opcode.name) if name != "opcode"
        )
        for opcode in INSN_CLASSES
    }


@st.composite
def instructions(draw: st.DrawFn, config: VTAConfig) -> Instruction:
    """Structurally valid instructions: a random kind, every field within its width (small
    values, the field's maximum, or anything in range), so they always encode and decode."""
    opcode = draw(st.sampled_from(sorted(INSN_CLASSES)))
    values = {}
    for name, width in instruction_fields(config)[opcode]:
        if name == "imm":
            lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        else:
            lo, hi = 0, (1 << width) - 1
        values[name] = draw(
            st.integers(max(lo, -4), min(hi, 8)) | st.sampled_from([lo, hi]) | st.integers(lo, hi)
        )
    return INSN_CLASSES[opcode](**values)
