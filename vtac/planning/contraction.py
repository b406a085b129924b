"""The kernels vtac lowers: chains of contractions, each with its epilogue.

A kernel function is a chain of stages. A stage is one ``nn.conv2d``, ``nn.dense`` or
``nn.matmul`` followed by a chain of elementwise epilogue ops (shr, a per-channel bias add,
clip, relu, cast). Its operands are function arguments, tensor constants (``arith.constant``:
weights known at compile time, which vtac packs into the program image) or the result of the
stage before it (an int8 tensor the accelerator leaves in DRAM for the next stage); the last
stage's result is returned. After ``vtac-layout`` the operands and the results pass through
``tile.pack``/``tile.unpack`` pairs; :func:`analyse_stages` looks through them. The passes after
``vtac-isel`` share this analysis: the embedding, the ALU steps of the epilogue, and the blocked
form of the contraction (:func:`vtac.planning.blocking.block`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ArrayAttr, DenseIntOrFPElementsAttr, DictionaryAttr, ModuleOp
from xdsl.ir import BlockArgument, Operation, SSAValue

from vtac.backends.vta.tile_walk import Epilogue
from vtac.dialects import nn, tile
from vtac.dialects.common import ALU_ATTR, EMBEDDING_ATTR, module_config
from vtac.errors import RefusalError, VtacError
from vtac.planning.blocking import BlockedOp, block
from vtac.planning.embedding import Embedding, IterationSpace, Operand, Window
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import Workload

CONTRACTIONS = nn.CONTRACTIONS
EPILOGUES = (nn.ShrOp, nn.AddOp, nn.ClipOp, nn.ReluOp, nn.CastOp)
SHAPE = "a chain of nn.conv2d, nn.dense or nn.matmul ops, each followed by elementwise epilogue ops"


class CompileError(VtacError, ValueError):
    """A program vtac cannot compile (the message says why)."""


class CompileRefusal(CompileError, RefusalError):
    """A program, or a forced choice, that breaks a named limit of vtac's compilation."""


#: The limit of a chain whose stages agree on no layout for the tensor between them (vtac does
#: not re-layout tensors between stages).
STAGE_LAYOUT_LIMIT = "one layout between stages"


@dataclass
class Kernel:
    """One stage of a kernel function, analysed."""

    function: func.FuncOp
    contraction: nn.Conv2DOp | nn.DenseOp | nn.MatmulOp
    chain: list
    space: IterationSpace
    embedding: Embedding
    epilogue: Epilogue
    blocked: BlockedOp
    #: role (inp, wgt, bias) -> the function argument, constant or earlier stage's result
    arguments: dict[str, SSAValue]
    config: VTAConfig
    #: the stage's result (the last epilogue op's, else the contraction's), without layouts
    result: SSAValue

    def source(self, role: str) -> str:
        """Where the tensor playing ``role`` comes from: "argument", "constant" or "stage"."""
        value = self.arguments[role]
        if isinstance(value, BlockArgument):
            return "argument"
        return "constant" if isinstance(value.owner, arith.ConstantOp) else "stage"

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


def _shape(value) -> tuple[int, ...]:  # noqa: ANN001
    return tuple(value.type.get_shape())


def iteration_space(op: Operation) -> IterationSpace:
    """The loops of a contraction and how they index its operands."""
    if isinstance(op, nn.DenseOp):
        (n, k), (m, _) = _shape(op.lhs), _shape(op.rhs)
        return IterationSpace(
            loops=(("n", n), ("m", m), ("k", k)),
            lhs=Operand("data", ("n", "k"), 1),
            rhs=Operand("weights", ("m", "k"), 1),
            out=Operand("out", ("n", "m"), 4),
        )
    if isinstance(op, nn.MatmulOp):
        (m, k), (_, n) = _shape(op.lhs), _shape(op.rhs)
        return IterationSpace(
            loops=(("m", m), ("n", n), ("k", k)),
            lhs=Operand("lhs", ("m", "k"), 1),
            rhs=Operand("rhs", ("k", "n"), 1),
            out=Operand("out", ("m", "n"), 4),
        )
    if isinstance(op, nn.Conv2DOp):
        x, w, y = _shape(op.lhs), _shape(op.rhs), _shape(op.result)
        (sh, sw), (top, left, _, _) = op.stride_values, op.padding_values
        return IterationSpace(
            loops=(
                ("n", y[0]),
                ("oc", y[1]),
                ("oh", y[2]),
                ("ow", y[3]),
                ("ic", w[1]),
                ("kh", w[2]),
                ("kw", w[3]),
            ),
            lhs=Operand(
                "data",
                (
                    "n",
                    "ic",
                    Window("oh", "kh", sh, -top, x[2]),
                    Window("ow", "kw", sw, -left, x[3]),
                ),
                1,
            ),
            rhs=Operand("weights", ("oc", "ic", "kh", "kw"), 1),
            out=Operand("out", ("n", "oc", "oh", "ow"), 4),
            swappable=False,
        )
    raise CompileError(f"{op.name} is not a contraction")


def fixed_embedding(op: Operation) -> dict[str, tuple[str, ...]]:
    """TVM's fixed embedding: batch on BATCH, output channels on BLOCK_OUT, inputs on BLOCK_IN."""
    if isinstance(op, nn.Conv2DOp):
        return {"batch": ("n",), "block_out": ("oc",), "block_in": ("ic",)}
    if isinstance(op, nn.DenseOp):
        return {"batch": ("n",), "block_out": ("m",), "block_in": ("k",)}
    return {"batch": ("m",), "block_out": ("n",), "block_in": ("k",)}


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


Stage = tuple[nn.Conv2DOp | nn.DenseOp | nn.MatmulOp, list]


def kernel_stages(function: func.FuncOp) -> list[Stage]:
    """The stages (contraction, epilogue ops) of a kernel function, in order (a
    :class:`CompileError` says why ``function`` is not one)."""
    skipped = (tile.PackOp, tile.UnpackOp, arith.ConstantOp)
    name = function.sym_name.data
    if not function.body.blocks:
        raise CompileError(f"@{name} is a declaration: vtac compiles functions with a body")
    ops = [o for o in function.body.block.ops if not isinstance(o, skipped)]
    if not ops or not isinstance(ops[0], CONTRACTIONS):
        raise CompileError(f"@{name}: vtac compiles functions of {SHAPE}")
    stages: list[Stage] = []
    value: SSAValue | None = None
    for op in ops:
        if isinstance(op, func.ReturnOp):
            if [through_layouts(v) for v in op.arguments] != [value]:
                raise CompileError(f"@{name} must return the last epilogue result only")
            return stages
        if isinstance(op, CONTRACTIONS):
            if value is not None and value not in [through_layouts(v) for v in op.operands]:
                raise CompileError(
                    f"{op.name} does not use the result before it: vtac compiles chains ({SHAPE})"
                )
            stages.append((op, []))
        elif not isinstance(op, EPILOGUES) or through_layouts(op.operands[0]) != value:
            raise CompileError(f"{op.name} does not continue the epilogue chain ({SHAPE})")
        else:
            if isinstance(op, nn.AddOp) and len(op.rhs.type.get_shape()) != 1:
                raise CompileError("nn.add: only a per-channel bias of shape [C] is supported here")
            stages[-1][1].append(op)
        if value is not None and isinstance(op, CONTRACTIONS):
            for other in list(value.uses):
                if other.operation not in (op, *_layout_users(value)):
                    raise CompileError(
                        f"the result before {op.name} is used again: vtac compiles chains, "
                        "where each result feeds only the next stage"
                    )
        value = op.results[0]
    raise CompileError(f"@{name} has no return")


def _layout_users(value: SSAValue) -> list[Operation]:
    """The tile.pack ops reading ``value`` and every op behind them (the layout pairs)."""
    found: list[Operation] = []
    for use in value.uses:
        if isinstance(use.operation, tile.PackOp | tile.UnpackOp):
            found.append(use.operation)
            found += _layout_users(use.operation.results[0])
    return found


def _is_source(value: SSAValue, args: list[BlockArgument]) -> bool:
    return value in args or (
        isinstance(value.owner, arith.ConstantOp)
        and isinstance(value.owner.value, DenseIntOrFPElementsAttr)
    )


def analyse(function: func.FuncOp) -> Kernel:
    """The one stage of ``function`` (see :func:`analyse_stages`)."""
    stages = analyse_stages(function)
    if len(stages) != 1:
        raise CompileError(f"@{function.sym_name.data} has {len(stages)} stages, not one")
    return stages[0]


def analyse_stages(function: func.FuncOp) -> list[Kernel]:
    """The stages of ``function``, whose contractions ``vtac-isel`` has annotated."""
    config = module_config(function)
    args = list(function.body.block.args)
    kernels: list[Kernel] = []
    previous: SSAValue | None = None
    for contraction, chain in kernel_stages(function):
        chosen = read_embedding(contraction)
        space = iteration_space(contraction)
        arguments: dict[str, SSAValue] = {}
        by_name = {space.lhs.name: contraction.lhs, space.rhs.name: contraction.rhs}
        for role, operand in (("inp", chosen.inp), ("wgt", chosen.wgt)):
            value = through_layouts(by_name[operand])
            if not (_is_source(value, args) or value == previous):
                raise CompileError(
                    f"{contraction.name}: operands must be function arguments, constants or "
                    "the result of the stage before"
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
        result = (chain[-1] if chain else contraction).results[0]
        planes = 4 if result.type.element_type == nn.I32 else 1  # type: ignore[attr-defined]
        blocked = block(space, chosen, config, bias)
        epilogue = Epilogue(tuple(steps), planes)
        kernels.append(
            Kernel(
                function,
                contraction,
                chain,
                space,
                chosen,
                epilogue,
                blocked,
                arguments,
                config,
                result,
            )
        )
        previous = result
    return kernels


def workload_of(function: func.FuncOp) -> Workload:
    """The useful MACs and the minimum DRAM bytes of a kernel function (see
    :class:`~vtac.runtime.image.Workload`): the sums over its stages, each reading its inputs
    and writing its result once (an intermediate result is written, then read)."""
    macs = min_bytes = 0
    for contraction, chain in kernel_stages(function):
        space = iteration_space(contraction)
        result = (chain[-1] if chain else contraction).results[0]
        out_bytes = 4 if result.type.element_type == nn.I32 else 1  # type: ignore[attr-defined]
        bias = sum(4 * op.rhs.type.get_shape()[0] for op in chain if isinstance(op, nn.AddOp))
        macs += space.macs
        min_bytes += space.min_dram_bytes(out_bytes, bias)
    return Workload(macs, min_bytes)


def kernels(module: ModuleOp) -> list[func.FuncOp]:
    """The functions of ``module`` that hold a contraction (declarations excluded)."""
    return [
        f
        for f in module.walk()
        if isinstance(f, func.FuncOp)
        and f.body.blocks
        and any(isinstance(o, CONTRACTIONS) for o in f.body.block.ops)
    ]
