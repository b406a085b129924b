"""``vtac-isel``: instruction selection for nn ops, posed as a constraint problem.

Every contraction (``nn.conv2d``, ``nn.dense``, ``nn.matmul``) is described as its iteration
space and embedded onto VTA's GEMM intrinsic by the CP-SAT model of
:mod:`vtac.passes.embedding`; the choice is recorded on the op as ``vtac.embedding``. Elementwise
epilogues select to ALU instructions, recorded as ``vtac.alu``: ``shr`` to SHR (split into
shifts of at most 15, the FPGA limit), a bias ``add`` to a tensor ADD, ``clip`` to MIN then MAX,
``relu`` to MAX with 0, a saturating ``cast`` to MIN 127 then MAX -128; a wrapping ``cast`` needs
no instruction (STORE keeps the low 8 bits).

With ``embedding=auto``, the CP-SAT optimum (the most useful lanes, then the least DRAM
traffic) and TVM's fixed embedding, when they differ, are both tiled and costed by the fast
performance model (:func:`vtac.runtime.fast_model.best_tiling_cycles`) on the target
(``board``), and the faster is kept: lane utilisation does not say what a schedule will cost.

Options: ``embedding=fixed`` forces TVM's fixed embedding (channels on the blocks, batch on
BATCH) as a baseline; ``config=NAME_OR_PATH`` sets the module's hardware configuration;
``board`` names the board whose timing the costs use.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i64,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from vtac.dialects import nn
from vtac.dialects.vta import CONFIG_ATTR, config_attr, module_config
from vtac.passes.blocking import block
from vtac.passes.embedding import (
    DIMS,
    Embedding,
    EmbeddingError,
    IterationSpace,
    Operand,
    Window,
    select_embedding,
)
from vtac.passes.tile_walk import Epilogue
from vtac.runtime.config import ConfigError, VTAConfig, resolve_config
from vtac.runtime.fast_model import best_tiling_cycles
from vtac.runtime.target import Target

EMBEDDING_ATTR = "vtac.embedding"
ALU_ATTR = "vtac.alu"
SHR_LIMIT = 15  # largest SHR immediate the FPGA designs take
IMM_MIN, IMM_MAX = -(2**15), 2**15 - 1


class IselError(DiagnosticException):
    """An op the accelerator cannot run as asked (named in the message)."""


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
    raise IselError(f"{op.name} is not a contraction")


def fixed_embedding(op: Operation) -> dict[str, tuple[str, ...]]:
    """TVM's fixed embedding: batch on BATCH, output channels on BLOCK_OUT, inputs on BLOCK_IN."""
    if isinstance(op, nn.Conv2DOp):
        return {"batch": ("n",), "block_out": ("oc",), "block_in": ("ic",)}
    if isinstance(op, nn.DenseOp):
        return {"batch": ("n",), "block_out": ("m",), "block_in": ("k",)}
    return {"batch": ("m",), "block_out": ("n",), "block_in": ("k",)}


def embedding_attr(embedding: Embedding) -> DictionaryAttr:
    """A readable record of the embedding, for the IR."""
    entries: dict[str, object] = {
        "inp": StringAttr(embedding.inp),
        "wgt": StringAttr(embedding.wgt),
    }
    for dim in DIMS:
        entries[dim] = ArrayAttr([StringAttr(loop) for loop in embedding.folded(dim)])
    entries["useful_macs"] = IntegerAttr(embedding.useful_macs, i64)
    entries["issued_macs"] = IntegerAttr(embedding.issued_macs, i64)
    entries["utilization"] = StringAttr(f"{embedding.utilization:.4f}")
    return DictionaryAttr(entries)  # type: ignore[arg-type]


def alu_selection(op: Operation) -> list[str]:
    """ALU instructions an elementwise epilogue op selects to (``[]``: none needed)."""

    def imm(value: int, what: str) -> int:
        if not IMM_MIN <= value <= IMM_MAX:
            raise IselError(f"{op.name}: {what} {value} does not fit the ALU's 16-bit immediate")
        return value

    if isinstance(op, nn.ShrOp):
        amount = op.amount.value.data
        steps = [f"SHR {SHR_LIMIT}"] * (amount // SHR_LIMIT)
        return steps + ([f"SHR {amount % SHR_LIMIT}"] if amount % SHR_LIMIT or not steps else [])
    if isinstance(op, nn.AddOp):
        return ["ADD tensor"]
    if isinstance(op, nn.ClipOp):
        low = imm(op.min.value.data, "clip minimum")
        high = imm(op.max.value.data, "clip maximum")
        return [f"MIN {high}", f"MAX {low}"]
    if isinstance(op, nn.ReluOp):
        return ["MAX 0"]
    if isinstance(op, nn.CastOp):
        return [] if op.mode.data == "wrap" else ["MIN 127", "MAX -128"]
    raise IselError(f"{op.name} has no ALU selection")


CONTRACTIONS = (nn.Conv2DOp, nn.DenseOp, nn.MatmulOp)
EPILOGUES = (nn.ShrOp, nn.AddOp, nn.ClipOp, nn.ReluOp, nn.CastOp)


@dataclass(frozen=True)
class InstructionSelection(ModulePass):
    """Embed contractions onto VTA's GEMM (CP-SAT) and select ALU instructions for epilogues."""

    name = "vtac-isel"

    embedding: str = "auto"
    config: str = ""
    board: str = "pynq"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.embedding not in ("auto", "fixed"):
            raise IselError(f"embedding must be 'auto' or 'fixed', got {self.embedding!r}")
        if self.config:
            try:
                op.attributes[CONFIG_ATTR] = config_attr(resolve_config(self.config))
            except ConfigError as err:
                raise IselError(f"config: {err}") from None
        config = module_config(op)
        try:
            target = Target.of(config, self.board)
        except ValueError as err:
            raise IselError(f"board: {err}") from None
        chosen: dict[Operation, Embedding] = {}
        for inner in op.walk():
            if isinstance(inner, CONTRACTIONS):
                fixed = self.embedding == "fixed"
                chosen[inner] = _select(inner, config, fixed)
                if not fixed:
                    chosen[inner] = _cheaper(inner, chosen[inner], target)
            elif isinstance(inner, EPILOGUES):
                inner.attributes[ALU_ATTR] = ArrayAttr(
                    [StringAttr(s) for s in alu_selection(inner)]
                )
        for consumer in chosen:
            producer = _producer(consumer)
            if producer in chosen:
                _agree(producer, consumer, chosen, config)
        for inner, embedding in chosen.items():
            inner.attributes[EMBEDDING_ATTR] = embedding_attr(embedding)


def _select(op: Operation, config: VTAConfig, fixed: bool) -> Embedding:
    forced = fixed_embedding(op) if fixed else None
    try:
        return select_embedding(
            iteration_space(op), config, forced=forced, swap=False if forced else None
        )
    except EmbeddingError as err:
        raise IselError(f"{op.name}: {err}") from None


def _same(a: Embedding, b: Embedding) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in ("inp", "wgt", *DIMS))


def _epilogue(op: Operation) -> tuple[Epilogue, Operand | None]:
    """The ALU steps of the epilogue ops that follow ``op`` (each the only user of the one
    before), and the bias operand if one of them adds a bias."""
    space = iteration_space(op)
    steps: list[tuple[str, int | None]] = []
    bias = None
    value = op.results[0]
    while value.has_one_use():
        user = value.get_user_of_unique_use()
        if not isinstance(user, EPILOGUES) or user.operands[0] != value:
            break
        for text in alu_selection(user):
            mnemonic, amount = text.split()
            steps.append((mnemonic, None if mnemonic == "ADD" else int(amount)))
        if isinstance(user, nn.AddOp):
            bias = Operand("bias", (space.out.dims[1],), 4)
        value = user.results[0]
    planes = 4 if value.type.element_type == nn.I32 else 1  # type: ignore[attr-defined]
    return Epilogue(tuple(steps), planes), bias


def _cheaper(op: Operation, auto: Embedding, target: Target) -> Embedding:
    """``auto`` or TVM's fixed embedding, whichever the fast model finds faster once tiled."""
    try:
        fixed = _select(op, target.config, True)
    except IselError:
        return auto
    if _same(auto, fixed):
        return auto
    space = iteration_space(op)
    epilogue, bias = _epilogue(op)
    blocked = [block(space, embedding, target.config, bias) for embedding in (auto, fixed)]
    if blocked[0] == blocked[1]:  # the same program (a loop of one iteration folded or not)
        return auto
    costs = [best_tiling_cycles(b, epilogue, target) for b in blocked]
    if costs[1] is not None and (costs[0] is None or costs[1] < costs[0]):
        return fixed
    return auto


def _producer(consumer: Operation) -> Operation | None:
    """The contraction whose result (through epilogue ops) ``consumer`` reads, if any."""
    found = (_producer_of_value(v) for v in consumer.operands)
    return next((f for f in found if f is not None), None)


def _agree(
    producer: Operation,
    consumer: Operation,
    chosen: dict[Operation, Embedding],
    config: VTAConfig,
) -> None:
    """Make two chained contractions agree on the DRAM layout of the tensor between them:
    keep both embeddings if the consumer reads it in the layout the producer writes, else
    the first of (consumer fixed, producer fixed, both fixed) that agrees; when none does,
    vtac-tile refuses the chain with the reason."""

    def agree(p: Embedding, c: Embedding) -> bool:
        written = block(iteration_space(producer), p, config).out.spec
        space = iteration_space(consumer)
        lhs = _producer_of_value(consumer.operands[0]) is producer
        name = space.lhs.name if lhs else space.rhs.name
        blocked = block(space, c, config)
        read = (blocked.inp if c.inp == name else blocked.wgt).spec
        return written.same_layout(read)

    p, c = chosen[producer], chosen[consumer]
    options = [(p, c), (p, _select(consumer, config, True))]
    options += [(_select(producer, config, True), c)]
    options += [(_select(producer, config, True), _select(consumer, config, True))]
    for new_p, new_c in options:
        if agree(new_p, new_c):
            chosen[producer], chosen[consumer] = new_p, new_c
            return


def _producer_of_value(value: SSAValue) -> Operation | None:
    """The contraction ``value`` comes from through epilogue ops, if any."""
    owner = value.owner
    while isinstance(owner, EPILOGUES):
        owner = owner.operands[0].owner
    return owner if isinstance(owner, CONTRACTIONS) else None
