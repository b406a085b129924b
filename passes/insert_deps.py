"""vtac-insert-deps: dependency tokens between VTA's load, compute and store modules.

The pass reads a ``vta.program`` as a straight-line program (its order is its meaning), works out
from each instruction's own fields which on-chip buffer entries it reads and writes, and sets the
fewest dependency flags that order every hazard between modules (:mod:`vtac.backends.vta.tokens`),
never more than eight outstanding in one queue, so the program cannot deadlock. It then ends
the program with VTA's protocol (vta-isa.md section 4): a compute no-op (a LOAD UOP with
``x_size`` 0) that waits for the last load and the last store, then FINISH. Flags already
present are recomputed.

What an instruction touches follows from its fields alone: a LOAD writes its padded 2D box of
SRAM entries; a STORE reads accumulator entries; a GEMM or ALU touches the hull of the entries
its micro-op kernel addresses over its two loops (micro-ops are tracked through the UOP loads
that put them on chip). So the pass also orders hand-written programs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, SymbolRefAttr, i64
from xdsl.passes import ModulePass

from vtac.backends.vta.tokens import COMPUTE, LOAD, STORE, Access, Flags, Range, assign_tokens
from vtac.errors import InvalidInputError
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import SRAM_OF, Alu, Finish, Gemm, Instruction, Load, MemType, Store

#: (index, UOP LOAD) -> the (n, 3) micro-ops it moves
UopSource = Callable[[int, Load], np.ndarray]
FLAG_NAMES = ("pop_prev_dep", "pop_next_dep", "push_prev_dep", "push_next_dep")


class DependencyError(InvalidInputError, ValueError):
    """A program whose hazards cannot be worked out (a compute step with no micro-ops loaded)."""

    what = "vta program"


def _is_noop(insn: Instruction) -> bool:
    return isinstance(insn, Load) and insn.memory_type == MemType.UOP and insn.x_size == 0


@dataclass
class _UopMemory:
    """Micro-ops on chip, as (dst, src, wgt) rows per slot; -1 where nothing was loaded."""

    slots: np.ndarray

    def kernel(self, bgn: int, end: int, index: int) -> np.ndarray:
        uops = self.slots[bgn:end]
        if len(uops) == 0 or (uops < 0).any():
            raise DependencyError(
                f"instruction {index}: micro-ops [{bgn}, {end}) were never loaded on chip"
            )
        return uops


def _hull(uops: np.ndarray, column: int, insn: Gemm | Alu, out: int, inn: int) -> tuple[int, int]:
    """[lo, hi) of the entries one operand of a GEMM/ALU addresses over its loop nest."""
    lo = int(uops[:, column].min())
    hi = int(uops[:, column].max())
    for factor, iterations in ((out, insn.iter_out), (inn, insn.iter_in)):
        step = factor * max(iterations - 1, 0)
        lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
    return lo, hi + 1


def instruction_accesses(
    insns: list[Instruction],
    config: VTAConfig,
    uops_of: UopSource,
) -> list[Access]:
    """What each instruction reads and writes on chip; ``uops_of(index, load)`` gives the
    (n, 3) micro-ops the UOP LOAD at ``index`` moves, in SRAM order."""
    memory = _UopMemory(np.full((config.uop_depth, 3), -1, dtype=np.int64))
    everything = tuple(
        (name, 0, depth)
        for name, depth in (
            ("inp", config.inp_depth),
            ("wgt", config.wgt_depth),
            ("acc", config.acc_depth),
            ("uop", config.uop_depth),
        )
    )
    accesses: list[Access] = []
    for index, insn in enumerate(insns):
        if isinstance(insn, Load | Store):
            kind = MemType(insn.memory_type)
            if _is_noop(insn):
                accesses.append(Access(COMPUTE, reads=everything, writes=everything))
                continue
            rows = insn.y_size
            cols = insn.x_size
            if isinstance(insn, Load):
                rows += insn.y_pad_0 + insn.y_pad_1
                cols += insn.x_pad_0 + insn.x_pad_1
            rng: tuple[Range, ...] = (
                (SRAM_OF[kind], insn.sram_base, insn.sram_base + rows * cols),
            )
            if isinstance(insn, Store):
                accesses.append(Access(STORE, reads=rng))
                continue
            if kind == MemType.UOP:
                words = uops_of(index, insn)
                memory.slots[insn.sram_base : insn.sram_base + len(words)] = words
            module = LOAD if kind in (MemType.INP, MemType.WGT) else COMPUTE
            accesses.append(Access(module, writes=rng))
        elif isinstance(insn, Gemm | Alu):
            uops = memory.kernel(insn.uop_bgn, insn.uop_end, index)
            dst = _hull(uops, 0, insn, insn.dst_factor_out, insn.dst_factor_in)
            reads: list[Range] = [("uop", insn.uop_bgn, insn.uop_end)]
            if isinstance(insn, Gemm):
                if not insn.reset_reg:
                    src = _hull(uops, 1, insn, insn.src_factor_out, insn.src_factor_in)
                    wgt = _hull(uops, 2, insn, insn.wgt_factor_out, insn.wgt_factor_in)
                    reads += [("inp", *src), ("wgt", *wgt)]
                    reads.append(("acc", *dst))
            else:
                reads.append(("acc", *dst))
                if not insn.use_imm:
                    src = _hull(uops, 1, insn, insn.src_factor_out, insn.src_factor_in)
                    reads.append(("acc", *src))
            accesses.append(Access(COMPUTE, reads=tuple(reads), writes=(("acc", *dst),)))
        else:
            accesses.append(Access(COMPUTE))
    return accesses


def insert_deps(
    insns: list[Instruction],
    config: VTAConfig,
    uops_of: UopSource,
) -> list[Instruction]:
    """``insns`` with dependency flags ordering every hazard, ending with VTA's protocol."""
    body = [replace(insn, **{f: 0 for f in FLAG_NAMES}) for insn in insns]
    while body and (isinstance(body[-1], Finish) or _is_noop(body[-1])):
        body.pop()
    body += [Load(memory_type=MemType.UOP), Finish()]
    flags = assign_tokens(instruction_accesses(body, config, uops_of))
    return [replace(insn, **vars(f)) for insn, f in zip(body, flags, strict=True)]


def _flags(record: Instruction) -> Flags:
    return Flags(**{f: getattr(record, f) for f in FLAG_NAMES})


@dataclass(frozen=True)
class InsertDeps(ModulePass):
    """Dependency tokens for every ``vta.program`` of the module, and the end-of-program
    protocol."""

    name = "vtac-insert-deps"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from vtac.dialects import vta

        config = vta.module_config(op)
        kernels = {k.sym_name.data: k for k in op.walk() if isinstance(k, vta.UopKernelOp)}

        def uops_of(source: vta.InstructionOp, load: Load) -> np.ndarray:
            ref = source.attributes.get("buffer")
            name = ref.root_reference.data if isinstance(ref, SymbolRefAttr) else None
            if name not in kernels:
                raise DependencyError(f"a UOP load names @{name}, which is no vta.uop_kernel")
            words = kernels[name].uops.get_values()
            table = np.asarray(words, dtype=np.int64).reshape(-1, 3)
            start = source.field("dram_offset")
            return table[start : start + load.x_size * load.y_size]

        programs = [p for p in op.walk() if isinstance(p, vta.ProgramOp)]
        if not programs:
            raise DependencyError(
                "vtac-insert-deps orders the instructions of vta.program ops, and the module has "
                "none: it expects vta IR (run vtac-lower-to-vta first)"
            )
        for program in programs:
            ops = list(program.body.block.ops)
            records = [o.to_record() for o in ops]  # type: ignore[attr-defined]
            done = insert_deps(records, config, lambda i, load: uops_of(ops[i], load))  # noqa: B023
            kept = len(done) - 2
            for old in ops[kept:]:
                old.detach()
                old.erase()
            for record, target in zip(done[:kept], ops[:kept], strict=True):
                for flag, value in vars(_flags(record)).items():
                    if value:
                        target.attributes[flag] = IntegerAttr(value, i64)
                    else:
                        target.attributes.pop(flag, None)
            for record in done[kept:]:
                new = vta.InstructionOp.from_record(record)
                program.body.block.add_op(new)
