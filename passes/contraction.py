"""The kernels vtac lowers: one contraction and its epilogue chain.

A kernel function holds one ``nn.conv2d``, ``nn.dense`` or ``nn.matmul`` whose operands are
function arguments or tensor constants (``arith.constant``: weights known at compile time, which
the backend packs into the program image), followed by a chain of elementwise epilogue ops (shr,
a per-channel bias add, clip, relu, cast) whose last result is returned. After ``vtac-layout``
the operands and the result pass through ``tile.pack``/``tile.unpack`` pairs; :func:`analyse`
looks through them. The passes after ``vtac-isel`` share this analysis: the embedding, the ALU
steps of the epilogue, and the blocked form of the contraction
(:func:`vtac.passes.blocking.block`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ArrayAttr, DenseIntOrFPElementsAttr, DictionaryAttr, ModuleOp
from xdsl.ir import BlockArgument, Operation, SSAValue

from vtac.dialects import nn, tile
from vtac.dialects.vta import module_config
from vtac.passes.blocking import BlockedOp, block
from vtac.passes.embedding import Embedding, IterationSpace, Operand
from vtac.passes.isel import ALU_ATTR, EMBEDDING_ATTR, iteration_space
from vtac.passes.tile_walk import Epilogue
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import Workload

CONTRACTIONS = nn.CONTRACTIONS
EPILOGUES = (nn.ShrOp, nn.AddOp, nn.ClipOp, nn.ReluOp, nn.CastOp)
SHAPE = "one nn.conv2d, nn.dense or nn.matmul followed by elementwise epilogue ops"


class CompileError(ValueError):
    """A program vtac cannot compile (the message says why)."""


@dataclass
class Kernel:
    """A kernel function, analysed."""

    function: func.FuncOp
    contraction: nn.Conv2DOp | nn.DenseOp | nn.MatmulOp
    chain: list
    space: IterationSpace
    embedding: Embedding
    epilogue: Epilogue
    blocked: BlockedOp
    #: role (inp, wgt, bias) -> the function argument or constant it comes from
    arguments: dict[str, SSAValue]
    config: VTAConfig

    def arg_name(self, role: str) -> str:
        """The name of the value playing ``role`` (its name hint, else ``argN`` for the N-th
        argument, ``<role>_const`` for a constant)."""
        value = self.arguments[role]
        if value.name_hint:
            return value.name_hint
        return f"arg{value.index}" if isinstance(value, BlockArgument) else f"{role}_const"

    def constant(self, role: str) -> arith.ConstantOp | None:
        """The constant playing ``role``, if it is one."""
        owner = self.arguments[role].owner
        return owner if isinstance(owner, arith.ConstantOp) else None

    @property
    def layouts(self) -> dict[str, object]:
        """role -> blocked operand, for every DRAM tensor of the kernel."""
        roles = {"inp": self.blocked.inp, "wgt": self.blocked.wgt, "out": self.blocked.out}
        if self.blocked.bias is not None:
            roles["bias"] = self.blocked.bias
        return roles


def through_layouts(value: SSAValue) -> SSAValue:
    """The logical value behind ``tile.unpack(tile.pack(v))`` pairs (``value`` itself else)."""
    while isinstance(value.owner, tile.UnpackOp) and isinstance(
        value.owner.source.owner, tile.PackOp
    ):
        value = value.owner.source.owner.source
    return value


def embedding_of(attr: DictionaryAttr) -> Embedding:
    """The embedding a ``vtac.embedding`` attribute records."""
    data = attr.data

    def loops(dim: str) -> tuple[str, ...]:
        value = data[dim]
        assert isinstance(value, ArrayAttr)
        return tuple(s.data for s in value.data)  # type: ignore[attr-defined]

    return Embedding(
        inp=data["inp"].data,  # type: ignore[attr-defined]
        wgt=data["wgt"].data,  # type: ignore[attr-defined]
        batch=loops("batch"),
        block_out=loops("block_out"),
        block_in=loops("block_in"),
        useful_macs=data["useful_macs"].value.data,  # type: ignore[attr-defined]
        issued_macs=data["issued_macs"].value.data,  # type: ignore[attr-defined]
        dram_bytes=0,
    )


def read_embedding(op: Operation) -> Embedding:
    """The embedding recorded on ``op`` (a contraction, or a tiled kernel's function)."""
    attr = op.attributes.get(EMBEDDING_ATTR)
    if not isinstance(attr, DictionaryAttr):
        raise CompileError(f"{op.name} has no {EMBEDDING_ATTR}: run vtac-isel first")
    try:
        return embedding_of(attr)
    except (KeyError, AttributeError, AssertionError) as err:
        raise CompileError(f"{op.name}: malformed {EMBEDDING_ATTR}: {err!r}") from None


def kernel_ops(function: func.FuncOp) -> tuple[nn.Conv2DOp | nn.DenseOp | nn.MatmulOp, list]:
    """The contraction and the epilogue chain of a kernel function (a :class:`CompileError`
    says why ``function`` is not one)."""
    skipped = (tile.PackOp, tile.UnpackOp, arith.ConstantOp)
    ops = [o for o in function.body.block.ops if not isinstance(o, skipped)]
    name = function.sym_name.data
    if not ops or not isinstance(ops[0], CONTRACTIONS):
        raise CompileError(f"@{name}: vtac compiles functions of {SHAPE}")
    contraction, chain = ops[0], []
    value = contraction.results[0]
    for op in ops[1:]:
        if isinstance(op, func.ReturnOp):
            if [through_layouts(v) for v in op.arguments] != [value]:
                raise CompileError(f"@{name} must return the last epilogue result only")
            return contraction, chain
        if not isinstance(op, EPILOGUES) or op.operands[0] != value:
            raise CompileError(f"{op.name} does not continue the epilogue chain ({SHAPE})")
        if isinstance(op, nn.AddOp) and len(op.rhs.type.get_shape()) != 1:
            raise CompileError("nn.add: only a per-channel bias of shape [C] is supported here")
        chain.append(op)
        value = op.results[0]
    raise CompileError(f"@{name} has no return")


def _is_source(value: SSAValue, args: list[BlockArgument]) -> bool:
    return value in args or (
        isinstance(value.owner, arith.ConstantOp)
        and isinstance(value.owner.value, DenseIntOrFPElementsAttr)
    )


def analyse(function: func.FuncOp) -> Kernel:
    """The kernel in ``function``, whose contraction ``vtac-isel`` has annotated."""
    config = module_config(function)
    contraction, chain = kernel_ops(function)
    chosen = read_embedding(contraction)
    space = iteration_space(contraction)
    args = list(function.body.block.args)
    arguments: dict[str, BlockArgument] = {}
    by_name = {space.lhs.name: contraction.lhs, space.rhs.name: contraction.rhs}
    for role, operand in (("inp", chosen.inp), ("wgt", chosen.wgt)):
        value = through_layouts(by_name[operand])
        if not _is_source(value, args):
            raise CompileError(
                f"{contraction.name}: operands must be function arguments or constants"
            )
        arguments[role] = value
    steps: list[tuple[str, int | None]] = []
    bias = None
    for op in chain:
        if ALU_ATTR not in op.attributes:
            raise CompileError(f"{op.name} has no {ALU_ATTR}: run vtac-isel first")
        for text in op.attributes[ALU_ATTR].data:  # type: ignore[attr-defined]
            mnemonic, value = text.data.split()
            steps.append((mnemonic, None if mnemonic == "ADD" else int(value)))
        if isinstance(op, nn.AddOp):
            rhs = through_layouts(op.rhs)
            if bias is not None or not _is_source(rhs, args):
                raise CompileError(
                    "nn.add: one bias, given as a function argument or constant, is supported"
                )
            bias = Operand("bias", (space.out.dims[1],), 4)
            arguments["bias"] = rhs
    result_type = function.function_type.outputs.data[0]
    planes = 4 if result_type.element_type == nn.I32 else 1  # type: ignore[attr-defined]
    blocked = block(space, chosen, config, bias)
    epilogue = Epilogue(tuple(steps), planes)
    return Kernel(function, contraction, chain, space, chosen, epilogue, blocked, arguments, config)


def workload_of(function: func.FuncOp) -> Workload:
    """The useful MACs and the minimum DRAM bytes of a kernel function (see
    :class:`~vtac.runtime.image.Workload`)."""
    contraction, chain = kernel_ops(function)
    space = iteration_space(contraction)
    result = function.function_type.outputs.data[0]
    out_bytes = 4 if result.element_type == nn.I32 else 1  # type: ignore[attr-defined]
    bias = sum(4 * op.rhs.type.get_shape()[0] for op in chain if isinstance(op, nn.AddOp))
    return Workload(space.macs, space.min_dram_bytes(out_bytes, bias))


def kernels(module: ModuleOp) -> list[func.FuncOp]:
    """The functions of ``module`` that hold a contraction (declarations excluded)."""
    return [
        f
        for f in module.walk()
        if isinstance(f, func.FuncOp)
        and f.body.blocks
        and any(isinstance(o, CONTRACTIONS) for o in f.body.block.ops)
    ]
