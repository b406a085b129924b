"""vtac-layout: the DRAM layouts an embedding implies, as pack/unpack ops at the boundary.

For every kernel function (after ``vtac-isel``), each DRAM tensor gets the layout of its blocked
form (:func:`vtac.planning.blocking.block`): VTA's channel-packed layouts, their transposed
variants, im2col or partly folded windows, zero padding to whole blocks. The pass makes the
layouts explicit: every argument or constant the contraction or the bias add reads passes through
``tile.pack`` into VTA elements and ``tile.unpack`` back (the op reads it in that layout), and
the returned value through the result's pair. Back-to-back ``tile.pack(tile.unpack(p))`` with
the same layout, as between two kernels, cancel to ``p``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint, Rewriter

from vtac.dialects import tile
from vtac.planning.contraction import analyse_stages, kernels
from vtac.runtime.packing import PackSpec


def _pair(value: SSAValue, spec: PackSpec, at: InsertPoint) -> tuple[tile.PackOp, tile.UnpackOp]:
    logical = value.type
    assert isinstance(logical, TensorType)
    packed = TensorType(logical.element_type, spec.packed_shape)
    pack = tile.PackOp(value, spec, packed)
    unpack = tile.UnpackOp(pack.result, spec, logical)
    Rewriter.insert_op([pack, unpack], at)
    return pack, unpack


def _replace_use(user: Operation, old: SSAValue, new: SSAValue) -> None:
    for index, operand in enumerate(user.operands):
        if operand == old:
            user.operands[index] = new


class CancelPackOfUnpack(RewritePattern):
    """``tile.pack(tile.unpack(p))`` with one layout is ``p`` (the unpack goes when unused).
    Layouts are the same when they place every logical element at the same packed position,
    whatever their loops are named (one stage's output channels are the next's input
    channels)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tile.PackOp, rewriter: PatternRewriter) -> None:
        inner = op.source.owner
        if (
            isinstance(inner, tile.UnpackOp)
            and inner.source.type == op.result.type
            and (inner.layout == op.layout or inner.spec().same_layout(op.spec()))
        ):
            rewriter.replace(op, [], [inner.source])
            if not inner.result.uses:
                rewriter.erase(inner)


@dataclass(frozen=True)
class Layout(ModulePass):
    """Explicit DRAM layouts (tile.pack/tile.unpack) for every kernel's tensors."""

    name = "vtac-layout"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in kernels(op):
            if any(isinstance(o, tile.PackOp) for o in function.body.block.ops):
                continue  # already laid out
            stages = analyse_stages(function)
            entry = InsertPoint.at_start(function.body.block)
            for index, kernel in enumerate(stages):
                contraction = kernel.contraction
                lhs = kernel.space.lhs.name
                users = {
                    "inp": (contraction, 0 if kernel.embedding.inp == lhs else 1),
                    "wgt": (contraction, 0 if kernel.embedding.wgt == lhs else 1),
                }
                bias_add = next((o for o in kernel.chain if o.name == "nn.add"), None)
                if bias_add is not None:
                    users["bias"] = (bias_add, 1)
                for role, (user, operand) in users.items():
                    spec = kernel.layouts[role].spec  # type: ignore[attr-defined]
                    value = kernel.arguments[role]
                    source = kernel.source(role)
                    if source == "stage":  # the earlier stage's result, through its own pair
                        value = user.operands[operand]
                        at = InsertPoint.before(user)
                    elif source == "constant":
                        at = InsertPoint.after(value.owner)  # type: ignore[arg-type]
                    else:
                        at = entry
                    _, unpack = _pair(value, spec, at)
                    user.operands[operand] = unpack.result
                out_spec = kernel.layouts["out"].spec  # type: ignore[attr-defined]
                if index == len(stages) - 1:
                    ret = function.body.block.last_op
                    assert isinstance(ret, func.ReturnOp)
                    _, unpack = _pair(kernel.result, out_spec, InsertPoint.before(ret))
                    _replace_use(ret, kernel.result, unpack.result)
                else:
                    consumer = stages[index + 1].contraction
                    at = InsertPoint.after(kernel.result.owner)  # type: ignore[arg-type]
                    _, unpack = _pair(kernel.result, out_spec, at)
                    _replace_use(consumer, kernel.result, unpack.result)
        PatternRewriteWalker(CancelPackOfUnpack(), apply_recursively=True).rewrite_module(op)
