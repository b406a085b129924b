"""vtac-lower-to-vta: a laid-out, tiled kernel to VTA instructions in the vta dialect.

Each kernel function (after ``vtac-tile``) becomes, at module level:

- a ``vta.buffer`` per DRAM tensor: the arguments (role ``input``), constant weights and biases
  (``weight`` and ``constant``, holding their values, which the backend packs into the image)
  and the result (``output``), each with its logical dtype and shape and the layout
  ``vtac-layout`` gave it;
- one ``vta.uop_kernel @<function>_uops`` holding every micro-op the program loads;
- a ``vta.program @<function>``: the tile walk of :func:`vtac.passes.lower.lower` (DMA as
  LOAD/STORE with 2D patterns and on-the-fly padding, GEMM with reset and micro-op kernels
  whose two outer loops fold into iter_out/iter_in, the ALU epilogue), ending with FINISH.

The program carries no dependency flags yet (``vtac-insert-deps`` adds them). LOADs and STOREs
address their buffer by element offset (``@x[offset]``); the backend places the buffers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, StringAttr, TensorType, i64
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from vtac.dialects import nn, tile, vta
from vtac.passes.contraction import CompileError, Kernel, analyse, kernels
from vtac.passes.lower import Placement, lower
from vtac.passes.schedule import schedule_of
from vtac.runtime.isa import Load, MemType, Store

#: Which buffer a LOAD/STORE of each memory type addresses (by kernel role).
_ROLE_OF = {MemType.INP: "inp", MemType.WGT: "wgt", MemType.ACC: "bias", MemType.OUT: "out"}


def _check_layouts(kernel: Kernel) -> None:
    """The layouts in the IR must be those the embedding implies (vtac lowers no others)."""
    for op in kernel.function.body.block.ops:
        if not isinstance(op, tile.PackOp):
            continue
        role = next(
            (r for r, a in kernel.arguments.items() if a == op.source),
            "out" if op.source.type == kernel.function.function_type.outputs.data[0] else None,
        )
        want = kernel.layouts.get(role) if role else None
        if want is None or op.layout.data != want.spec.to_text():  # type: ignore[attr-defined]
            raise CompileError(
                f"tile.pack of a {op.source.type}: its layout is not the one vtac-layout "
                "derives from the embedding; vtac lowers only that layout"
            )


def _buffer(name: str, role: str, kernel_role: str, kernel: Kernel) -> vta.BufferOp:
    blocked = kernel.layouts[kernel_role]
    spec = blocked.spec  # type: ignore[attr-defined]
    if kernel_role == "out":
        logical = kernel.function.function_type.outputs.data[0]
    else:
        logical = kernel.arguments[kernel_role].type
    assert isinstance(logical, TensorType)
    dtype = "int32" if logical.element_type == nn.I32 and kernel_role == "bias" else "int8"
    planes = kernel.epilogue.planes if kernel_role == "out" else 1
    itemsize = np.dtype(dtype).itemsize
    buffer = vta.BufferOp(name, role, math.prod(spec.packed_shape) * itemsize * planes)
    buffer.attributes["dtype"] = StringAttr(dtype)
    buffer.attributes["shape"] = DenseArrayBase.from_list(i64, list(logical.get_shape()))
    buffer.attributes["layout"] = StringAttr(spec.to_text())
    if planes > 1:
        buffer.attributes["planes"] = IntegerAttr(planes, i64)
    const = kernel.constant(kernel_role) if kernel_role != "out" else None
    if const is not None:
        buffer.attributes["value"] = const.value
    return buffer


def _role(kernel: Kernel, kernel_role: str) -> str:
    if kernel.constant(kernel_role) is None:
        return "input"
    return "constant" if kernel_role == "bias" else "weight"


def lower_kernel(kernel: Kernel, prefix: str) -> list:
    """The vta ops (buffers, micro-op kernel, program) computing ``kernel``."""
    _check_layouts(kernel)
    schedule = schedule_of(kernel)
    names = {role: prefix + kernel.arg_name(role) for role in kernel.arguments}
    names["out"] = prefix + "result"
    if len(set(names.values())) != len(names):
        raise CompileError(f"argument names clash with the result buffer: {sorted(names.values())}")
    buffers = [_buffer(names[r], _role(kernel, r), r, kernel) for r in kernel.arguments]
    buffers.append(_buffer(names["out"], "output", "out", kernel))
    zero = Placement(inp=0, wgt=0, out=0, bias=0 if "bias" in names else None, uops=0)
    program = lower(kernel.blocked, schedule, kernel.epilogue, kernel.config, zero)
    uop_name = f"{prefix or kernel.function.sym_name.data + '_'}uops"
    ops = []
    for record in program.insns:
        if isinstance(record, Load | Store) and record.x_size:
            kind = MemType(record.memory_type)
            target = uop_name if kind == MemType.UOP else names[_ROLE_OF[kind]]
            ops.append(vta.InstructionOp.from_record(record, target, 0))
        else:
            ops.append(vta.InstructionOp.from_record(record))
    result = [*buffers]
    if program.uops:
        result.append(vta.UopKernelOp(uop_name, program.uops))
    result.append(vta.ProgramOp(kernel.function.sym_name.data, ops))
    return result


@dataclass(frozen=True)
class LowerToVta(ModulePass):
    """Replace every kernel function by its buffers, micro-op kernel and vta.program."""

    name = "vtac-lower-to-vta"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = kernels(op)
        for function in functions:
            prefix = f"{function.sym_name.data}_" if len(functions) > 1 else ""
            new = lower_kernel(analyse(function), prefix)
            Rewriter.insert_op(new, InsertPoint.before(function))
            Rewriter.erase_op(function)
