"""vtac-lower-to-vta: tile-dialect kernels to VTA instructions in the vta dialect.

Each tiled kernel (a function of :mod:`vtac.backends.vta.tile_ir`, as ``vtac-tile`` writes it
or as a person does) becomes, at module level:

- a ``vta.buffer`` per DRAM tensor: the arguments (role ``input``), the globals of weights and
  biases (``weight`` and ``constant``, holding their packed values, which the backend places in
  the image) and the result (``output``), each with its logical dtype and shape and its layout;
- one ``vta.uop_kernel @<function>_uops`` holding every micro-op the program loads;
- a ``vta.program @<function>``: ``tile.dma_load``/``tile.dma_store`` as LOAD/STORE with their
  2D patterns and padding; ``tile.gemm``/``tile.alu`` as GEMM/ALU instructions whose micro-op
  kernels fold two loops of the nest into iter_out/iter_in (:mod:`vtac.backends.vta.uop_kernels`),
  every kernel loaded by one LOAD first when they fit in the micro-op buffer together (else
  each one when it is used and not on chip); FINISH last.

The program carries no dependency flags yet (``vtac-insert-deps`` adds them). LOADs and STOREs
address their buffer by element offset (``@x[offset]``); the backend places the buffers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from vtac.backends.vta.tile_ir import (
    BUFFER_ATTR,
    DTYPES,
    DramTensor,
    TileIRError,
    TileKernel,
    is_host,
    is_tile_kernel,
    read_host,
    read_kernel,
    replace_function,
)
from vtac.backends.vta.tile_walk import Compute, Step
from vtac.backends.vta.uop_kernels import UOP_BUDGET, KernelInsn, build_kernels
from vtac.dialects import vta
from vtac.dialects.dense import dense_attr
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Alu, Finish, Gemm, Instruction, Load, MemType, Uop


@dataclass
class LoweredProgram:
    """Instructions (without dependency flags), each with the DRAM tensor its ``dram_base``
    addresses (None: none, or the micro-op kernel for UOP loads), and the micro-ops they load."""

    insns: list[tuple[Instruction, str | None]]
    uops: list[Uop]


@dataclass
class _Emitter:
    config: VTAConfig
    insns: list[tuple[Instruction, str | None]] = field(default_factory=list)
    uop_words: list[Uop] = field(default_factory=list)
    kernel_dram: dict[tuple[Uop, ...], int] = field(default_factory=dict)
    resident: dict[tuple[Uop, ...], int] = field(default_factory=dict)
    next_slot: int = 0

    def emit(self, insn: Instruction, tensor: str | None = None) -> None:
        self.insns.append((insn, tensor))

    def preload(self, kernels: Sequence[tuple[Uop, ...]]) -> bool:
        """Place every kernel side by side from slot 0 and load them all with one LOAD, if
        they fit in the micro-op buffer together; then no kernel is ever reloaded."""
        distinct = list(dict.fromkeys(kernels))
        total = sum(len(k) for k in distinct)
        if not distinct or total > min(self.config.uop_depth, UOP_BUDGET):
            return False
        for uops in distinct:
            self.kernel_dram[uops] = self.resident[uops] = len(self.uop_words)
            self.uop_words.extend(uops)
        load = Load(memory_type=MemType.UOP, y_size=1, x_size=total, x_stride=total)
        self.emit(load, None)
        return True

    def kernel_slot(self, uops: tuple[Uop, ...]) -> int:
        """The micro-op buffer position of a kernel, loading it when it is not on chip."""
        if uops in self.resident:
            return self.resident[uops]
        budget = min(self.config.uop_depth, UOP_BUDGET)
        if self.next_slot + len(uops) > budget:
            self.next_slot = 0
        slot = self.next_slot
        self.resident = {
            k: s for k, s in self.resident.items() if s + len(k) <= slot or s >= slot + len(uops)
        }
        if uops not in self.kernel_dram:
            self.kernel_dram[uops] = len(self.uop_words)
            self.uop_words.extend(uops)
        n = len(uops)
        load = Load(
            memory_type=MemType.UOP,
            sram_base=slot,
            dram_base=self.kernel_dram[uops],
            y_size=1,
            x_size=n,
            x_stride=n,
        )
        self.emit(load, None)
        self.resident[uops] = slot
        self.next_slot = slot + n
        return slot

    def compute(self, step: Compute, kernels: list[KernelInsn]) -> None:
        """A compute step as GEMM/ALU instructions over its micro-op kernels."""
        if step.kind == "alu":
            assert step.alu_op is not None
            imm = dict(use_imm=1, imm=step.imm) if step.imm is not None else {}
            self.loop_insns(kernels, lambda f, k: Alu(alu_opcode=step.alu_op, **imm, **f))
        elif step.reset:
            self.loop_insns(kernels, lambda f, k: Gemm(reset_reg=1, **f))
        else:
            self.loop_insns(
                kernels,
                lambda f, k: Gemm(
                    wgt_factor_out=k.wgt_factor_out, wgt_factor_in=k.wgt_factor_in, **f
                ),
            )

    def loop_insns(
        self, kernels: list[KernelInsn], make: Callable[[dict, KernelInsn], Instruction]
    ) -> None:
        for k in kernels:
            slot = self.kernel_slot(k.uops)
            fields_ = dict(
                uop_bgn=slot,
                uop_end=slot + len(k.uops),
                iter_out=k.iter_out,
                iter_in=k.iter_in,
                dst_factor_out=k.dst_factor_out,
                dst_factor_in=k.dst_factor_in,
                src_factor_out=k.src_factor_out,
                src_factor_in=k.src_factor_in,
            )
            self.emit(make(fields_, k))


def emit_instructions(steps: Sequence[Step | None], config: VTAConfig) -> LoweredProgram:
    """The instructions of a tile walk, FINISH last; micro-op kernels are placed from the start
    of the micro-op buffer's DRAM region (UOP loads' ``dram_base`` is an offset into it): all
    of them loaded first by one LOAD when they fit in the buffer together, else each loaded
    when it is used and not on chip. A
    ``None`` step (between two kernels of a chain) becomes a compute no-op, which orders every
    earlier STORE before every later LOAD (``vtac-insert-deps`` treats it as a barrier)."""
    em = _Emitter(config)
    kernels = {
        i: build_kernels(list(step.loops), step.base, config, alu=step.kind == "alu")
        for i, step in enumerate(steps)
        if isinstance(step, Compute)
    }
    em.preload([k.uops for insns in kernels.values() for k in insns])
    for i, step in enumerate(steps):
        if step is None:
            em.emit(Load(memory_type=MemType.UOP))
        elif isinstance(step, Compute):
            em.compute(step, kernels[i])
        else:
            em.emit(step.insn, step.tensor)
    em.emit(Finish())
    return LoweredProgram(em.insns, em.uop_words)


def _buffer(name: str, tensor: DramTensor) -> vta.BufferOp:
    packed = tensor.spec().packed_shape
    itemsize = np.dtype(tensor.dtype).itemsize
    buffer = vta.BufferOp(name, tensor.role, math.prod(packed) * itemsize * tensor.planes)
    buffer.attributes["dtype"] = StringAttr(tensor.dtype)
    buffer.attributes["shape"] = DenseArrayBase.from_list(i64, list(tensor.shape))
    buffer.attributes["layout"] = StringAttr(tensor.layout)
    if tensor.planes > 1:
        buffer.attributes["planes"] = IntegerAttr(tensor.planes, i64)
    if tensor.source:
        buffer.attributes["source"] = StringAttr(tensor.source)
    if tensor.value is not None:
        buffer.attributes["value"] = dense_attr(tensor.value, DTYPES[tensor.dtype])
    return buffer


def lower_kernel(kernel: TileKernel, prefix: str) -> list[Operation]:
    """The vta ops (buffers, micro-op kernel, program) computing a tile kernel."""
    config = vta.module_config(kernel.function)
    name = kernel.function.sym_name.data
    buffers = [_buffer(prefix + n, t) for n, t in kernel.tensors.items()]
    program = emit_instructions(kernel.steps, config)
    uop_name = f"{prefix or name + '_'}uops"
    ops: list[Operation] = []
    for record, tensor in program.insns:
        if isinstance(record, Load) and record.memory_type == MemType.UOP and record.x_size:
            ops.append(vta.InstructionOp.from_record(record, uop_name, 0))
        elif tensor is not None:
            ops.append(vta.InstructionOp.from_record(record, prefix + tensor, 0))
        else:
            ops.append(vta.InstructionOp.from_record(record))
    result: list[Operation] = [*buffers]
    if program.uops:
        result.append(vta.UopKernelOp(uop_name, program.uops))
    result.append(vta.ProgramOp(name, ops))
    return result


@dataclass(frozen=True)
class LowerToVta(ModulePass):
    """Replace every tile kernel by its buffers, micro-op kernel and vta.program."""

    name = "vtac-lower-to-vta"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in op.body.block.ops:
            nn_op = next((o for o in function.walk() if o.name.startswith("nn.")), None)
            if nn_op is not None:
                name = getattr(function, "sym_name", None)
                raise TileIRError(
                    f"{nn_op.name} in @{name.data if name else '?'}: vtac-lower-to-vta lowers "
                    "tile kernels; run vtac-isel, vtac-layout and vtac-tile first"
                )
        hosts = [f for f in op.body.block.ops if is_host(f)]
        called = {
            c.callee.root_reference.data
            for h in hosts
            for c in h.body.block.ops  # type: ignore[attr-defined]
            if isinstance(c, func.CallOp)
        }
        functions = [
            f for f in op.body.block.ops if is_tile_kernel(f) and f.sym_name.data not in called
        ]
        programs = [read_host(h) for h in hosts]  # type: ignore[arg-type]
        programs += [read_kernel(f) for f in functions]  # type: ignore[arg-type]
        for kernel in programs:
            prefix = f"{kernel.function.sym_name.data}_" if len(programs) > 1 else ""
            replace_function(kernel.function, lower_kernel(kernel, prefix))
        for kernel in [f for f in op.body.block.ops if isinstance(f, func.FuncOp)]:
            if kernel.sym_name.data in called:
                Rewriter.erase_op(kernel)
        # the globals of weights and biases are vta.buffers now
        used = {g.name_.root_reference.data for g in op.walk() if isinstance(g, memref.GetGlobalOp)}
        for glob in [g for g in op.body.block.ops if isinstance(g, memref.GlobalOp)]:
            if BUFFER_ATTR in glob.attributes and glob.sym_name.data not in used:
                Rewriter.erase_op(glob)
