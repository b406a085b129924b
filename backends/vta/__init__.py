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
from vtac.runtime.assembly import disassemble, disassemble_uops
from vtac.runtime.image import ImageBuilder, ProgramImage
from vtac.runtime.isa import elem_bytes, encode_uops


class BackendError(ValueError):
    """A vta module the backend cannot turn into a program image."""


def _program(module: ModuleOp, name: str | None) -> vta.ProgramOp:
    programs = [op for op in module.walk() if isinstance(op, vta.ProgramOp)]
    if name is not None:
        programs = [p for p in programs if p.sym_name.data == name]
    if len(programs) != 1:
        found = ", ".join(f"@{p.sym_name.data}" for p in programs) or "none"
        what = f"named @{name}" if name else "in the module"
        raise BackendError(f"expected one vta.program {what}, found {found}")
    return programs[0]


def build_image(module: ModuleOp, name: str | None = None) -> ProgramImage:
    """The program image of the module's ``vta.program`` (the one named ``name``)."""
    module.verify()
    config = vta.module_config(module)
    program = _program(module, name)
    builder = ImageBuilder(config)
    placement: dict[str, int] = {}
    align: dict[str, int] = {}  # a buffer starts on a whole element of every access to it
    for insn in program.body.block.ops:
        ref = insn.attributes.get("buffer")
        if isinstance(ref, SymbolRefAttr):
            size = elem_bytes(config, insn.field("memory_type"))  # type: ignore[attr-defined]
            name = ref.root_reference.data
            align[name] = math.lcm(align.get(name, 1), size)
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
    """Text assembly of the program (what ``vtac asm`` reads), with the buffer table and
    micro-op kernels as comments."""
    image = build_image(module, name)
    lines = [f"# vta.program @{_program(module, name).sym_name.data}"]
    for buf in image.buffers:
        lines.append(
            f"# buffer {buf.name}: {buf.role}, bytes [{buf.offset}, {buf.offset + buf.size})"
        )
        if buf.role == "uop":
            words = np.frombuffer(
                image.dram[buf.offset : buf.offset + buf.size].tobytes(), dtype=np.uint32
            )
            first = buf.offset // image.config.uop_elem_bytes
            lines += [
                f"#   {line}" for line in disassemble_uops(words, image.config, first).splitlines()
            ]
    return "\n".join(lines) + "\n" + disassemble(image.insns)


@dataclass(frozen=True)
class VtaAsm(Target):
    """``vtac-opt -t vta-asm``: the text assembly of a lowered module."""

    name = "vta-asm"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(assembly(module))
