"""vtac-layout: the DRAM layouts an embedding implies, as pack/unpack ops at the boundary.

For every kernel function (after ``vtac-isel``), each DRAM tensor gets the layout of its blocked
form (:func:`vtac.passes.blocking.block`): VTA's channel-packed layouts, their transposed
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
from vtac.passes.contraction import analyse, kernels, through_layouts
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
    """``tile.pack(tile.unpack(p))`` with one layout is ``p`` (the unpack goes when unused)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tile.PackOp, rewriter: PatternRewriter) -> None:
        inner = op.source.owner
        if (
            isinstance(inner, tile.UnpackOp)
            and inner.layout == op.layout
            and inner.source.type == op.result.type
        ):
            rewriter.replace_matched_op([], [inner.source])
            if not inner.result.uses:
                rewriter.erase_op(inner)


@dataclass(frozen=True)
class Layout(ModulePass):
    """Explicit DRAM layouts (tile.pack/tile.unpack) for every kernel's tensors."""

    name = "vtac-layout"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in kernels(op):
            if any(isinstance(o, tile.PackOp) for o in function.body.block.ops):
                continue  # already laid out
            kernel = analyse(function)
            entry = InsertPoint.at_start(function.body.block)
            users = {"inp": kernel.contraction, "wgt": kernel.contraction}
            bias_add = next((o for o in kernel.chain if o.name == "nn.add"), None)
            if bias_add is not None:
                users["bias"] = bias_add
            for role, user in users.items():
                value = kernel.arguments[role]
                const = kernel.constant(role)
                at = InsertPoint.after(const) if const else entry
                _, unpack = _pair(value, kernel.layouts[role].spec, at)  # type: ignore[attr-defined]
                _replace_use(user, value, unpack.result)
            ret = function.body.block.last_op
            assert isinstance(ret, func.ReturnOp)
            result = ret.arguments[0]
            out_spec = kernel.layouts["out"].spec  # type: ignore[attr-defined]
            _, unpack = _pair(result, out_spec, InsertPoint.before(ret))
            _replace_use(ret, result, unpack.result)
            assert through_layouts(unpack.result) == result
        PatternRewriteWalker(CancelPackOfUnpack(), apply_recursively=True).rewrite_module(op)
