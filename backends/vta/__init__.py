"""The VTA backend: a vta-dialect module to a program image, or to text assembly.

Buffers are placed in the DRAM arena in module order (each aligned to 256 bytes), then the
micro-op kernels; data known at compile time (constant weights, micro-ops) is packed into the
arena; every LOAD/STORE's ``dram_base`` becomes its buffer's element address plus
its offset, and the instructions are encoded with VTA's exact bit layout. This is the only
place that turns symbolic DRAM references into addresses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import IO

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, SymbolRefAttr
from xdsl.targets import Target

from vtac.dialects import vta
from vtac.errors import InvalidInputError
from vtac.runtime.assembly import disassemble_uops
from vtac.runtime.image import BUFFER_ALIGN, ImageBuilder, ProgramImage
from vtac.runtime.isa import Load, Store, elem_bytes, encode_uops, format_instruction


class BackendError(InvalidInputError, ValueError):
    """A vta module the backend cannot turn into a program image."""

    what = "vta module"


def _program(module: ModuleOp, name: str | None) -> vta.ProgramOp:
    programs = [op for op in module.walk() if isinstance(op, vta.ProgramOp)]
    if name is not None:
        programs = [p for p in programs if p.sym_name.data == name]
    if len(programs) != 1:
        found = ", ".join(f"@{p.sym_name.data}" for p in programs) or "none"
        what = f"named @{name}" if name else "in the module"
        raise BackendError(f"expected one vta.program {what}, found {found}")
    return programs[0]


def _alignments(program: vta.ProgramOp) -> dict[str, int]:
    """Bytes each buffer's start must be a multiple of: a whole element of every access to it."""
    config = vta.module_config(program)
    align: dict[str, int] = {}
    for insn in program.body.block.ops:
        ref = insn.attributes.get("buffer")
        if isinstance(ref, SymbolRefAttr):
            size = elem_bytes(config, insn.field("memory_type"))  # type: ignore[attr-defined]
            name = ref.root_reference.data
            align[name] = math.lcm(align.get(name, 1), size)
    return align


def build_image(module: ModuleOp, name: str | None = None) -> ProgramImage:
    """The program image of the module's ``vta.program`` (the one named ``name``)."""
    module.verify()
    config = vta.module_config(module)
    program = _program(module, name)
    builder = ImageBuilder(config)
    placement: dict[str, int] = {}
    align = _alignments(program)
    for op in module.walk():
        if isinstance(op, vta.BufferOp):
            spec = op.spec()
            dtype = op.dtype.data if op.dtype else "int8"
            if op.shape is None:  # raw bytes
                dtype, shape = "int8", (op.size.value.data,)
            else:
                shape = tuple(int(v) for v in op.shape.get_values())
            planes = op.planes.value.data if op.planes else 1
            buf = builder.add(
                op.sym_name.data,
                op.role.data,
                dtype,
                shape,
                spec,
                packed=op.data(),  # packed at compile time
                align=align.get(op.sym_name.data, 1),
                planes=planes,
                source=op.source.data if op.source else None,
            )
            placement[op.sym_name.data] = buf.offset
    for op in module.walk():
        if isinstance(op, vta.UopKernelOp):
            words = encode_uops(op.uop_list, config)
            name = op.sym_name.data
            buf = builder.add(
                name, "uop", "uint32", (words.size,), data=words, align=align.get(name, 1)
            )
            placement[op.sym_name.data] = buf.offset
    return builder.build(vta.program_records(program, placement))


def assembly(module: ModuleOp, name: str | None = None) -> str:
    """Text assembly of the program, as ``vtac asm`` reads it: ``.buffer`` directives for the
    DRAM arena (packed shapes, in the image's order), ``.uops`` blocks for the micro-op kernels,
    and the instructions with ``dram_base=@NAME+K`` references, so that ``vtac asm --image``
    rebuilds the image's arena layout and instructions. Inputs are set packed (each buffer's
    layout is given in a comment); the data of constant buffers is not printed and must be
    supplied as the directive's FILE."""
    image = build_image(module, name)
    program = _program(module, name)
    config = image.config
    align = _alignments(program)
    constants = {
        op.sym_name.data
        for op in module.walk()
        if isinstance(op, vta.BufferOp) and op.data() is not None
    }
    lines = [
        f"# vta.program @{program.sym_name.data}",
        "# The DRAM arena, in this order, each buffer 256-byte aligned: vtac asm --image builds",
        "# it. Buffers hold packed data (the layout of each is given below it).",
    ]
    for buf in image.buffers:
        coarse = align.get(buf.name, 1)
        suffix = f" align={math.lcm(coarse, BUFFER_ALIGN)}" if coarse > BUFFER_ALIGN else ""
        where = f"# bytes [{buf.offset}, {buf.offset + buf.size})"
        if buf.role == "uop":
            lines.append(f".uops {buf.name}{suffix}  {where}")
            words = np.frombuffer(
                image.dram[buf.offset : buf.offset + buf.size].tobytes(), dtype=np.uint32
            )
            lines += [f"  {uop}" for uop in disassemble_uops(words, config).splitlines()]
            continue
        shape = "x".join(str(n) for n in buf.packed_shape)
        lines.append(f".buffer {buf.name} {buf.role} {buf.dtype} {shape}{suffix}  {where}")
        if buf.layout is not None:
            logical = "x".join(str(n) for n in buf.shape)
            what = f"{logical} {buf.dtype},"
            if buf.planes > 1:  # STORE moves 8 bits: int32 results leave as byte planes
                what = f"{logical} int32 in {buf.planes} byte planes, each of"
            lines.append(f"#   {what} layout {buf.layout.to_text()}")
        if buf.source is not None:
            lines.append(f"#   a copy of input {buf.source} in this layout: set it as well")
        if buf.name in constants:
            lines.append(
                f"#   constant {buf.name}: its packed data is not printed here; supply it as the "
                "directive's FILE (a .npy of the packed shape), or the arena holds zeros"
            )
    offsets = {buf.name: buf.offset for buf in image.buffers}
    for index, (op, insn) in enumerate(zip(program.body.block.ops, image.insns, strict=True)):
        text = format_instruction(insn)
        ref = op.attributes.get("buffer")
        if isinstance(ref, SymbolRefAttr) and isinstance(insn, Load | Store):
            target = ref.root_reference.data
            extra = insn.dram_base - offsets[target] // elem_bytes(config, insn.memory_type)
            if extra >= 0:
                symbolic = f"dram_base=@{target}" + (f"+{extra}" if extra else "")
                text = text.replace(f" dram_base={insn.dram_base} ", f" {symbolic} ", 1)
        lines.append(f"{index}: {text}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class VtaAsm(Target):
    """``vtac-opt -t vta-asm``: the text assembly of a lowered module."""

    name = "vta-asm"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(assembly(module))
