"""``vtac-isel``: instruction selection for nn ops, posed as a constraint problem.

Every contraction (``nn.conv2d``, ``nn.dense``, ``nn.matmul``) is described as its iteration
space and embedded onto VTA's GEMM intrinsic by the CP-SAT model of
:mod:`vtac.planning.embedding`; the choice is recorded on the op as ``vtac.embedding``. Elementwise
epilogues select to ALU instructions, recorded as ``vtac.alu``: ``shr`` to SHR (split into
shifts of at most 15, the FPGA limit), a bias ``add`` to a tensor ADD, ``clip`` to MIN then MAX,
``relu`` to MAX with 0, a saturating ``cast`` to MIN 127 then MAX -128; a wrapping ``cast`` needs
no instruction (STORE keeps the low 8 bits).

With ``embedding=auto``, the CP-SAT optimum (the most useful lanes, then the least DRAM
traffic) and TVM's fixed embedding, when they differ, are both tiled and costed by the fast
performance model (:func:`vtac.runtime.fast_model.best_tiling_cycles`) on the target
(``board``), and the faster is kept: lane utilisation does not say what a schedule will cost.

In a chain of contractions (each reading the one before's int8 result), the stages must agree
on the intermediate's DRAM layout: where their best embeddings disagree, the chain's embeddings
are chosen jointly (see :func:`_choose_jointly`).

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

from vtac.backends.vta.tile_walk import Epilogue
from vtac.dialects import nn
from vtac.dialects.common import ALU_ATTR, CONFIG_ATTR, EMBEDDING_ATTR, config_attr, module_config
from vtac.errors import InvalidInputError
from vtac.planning.blocking import block
from vtac.planning.contraction import fixed_embedding, iteration_space
from vtac.planning.embedding import (
    DIMS,
    Embedding,
    EmbeddingError,
    Operand,
    select_embedding,
)
from vtac.runtime.config import ConfigError, VTAConfig, resolve_config
from vtac.runtime.fast_model import best_tiling_cycles
from vtac.runtime.target import Target

SHR_LIMIT = 15  # largest SHR immediate the FPGA designs take
IMM_MIN, IMM_MAX = -(2**15), 2**15 - 1


class IselError(DiagnosticException, InvalidInputError):
    """An op the accelerator cannot run as asked (named in the message)."""

    what = "nn op"


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
        fixed = self.embedding == "fixed"
        for inner in op.walk():
            if isinstance(inner, CONTRACTIONS):
                chosen[inner] = _select(inner, config, fixed)
                if not fixed:
                    chosen[inner] = _cheaper(inner, chosen[inner], target)
            elif isinstance(inner, EPILOGUES):
                inner.attributes[ALU_ATTR] = ArrayAttr(
                    [StringAttr(s) for s in alu_selection(inner)]
                )
        for chain in _chains(list(chosen)):
            best = [chosen[op] for op in chain]
            if not all(
                _agrees(w, p, r, c, config)
                for w, p, r, c in zip(chain, best, chain[1:], best[1:], strict=False)
            ):
                chosen.update(zip(chain, _choose_jointly(chain, best, config, fixed), strict=True))
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


def _chains(contractions: list[Operation]) -> list[list[Operation]]:
    """The contractions grouped into chains, each reading the one before (in program order)."""
    chains: list[list[Operation]] = []
    for op in contractions:
        producer = _producer(op)
        chain = next((c for c in chains if producer is not None and c[-1] is producer), None)
        if chain is None:
            chains.append([op])
        else:
            chain.append(op)
    return chains


def _choose_jointly(
    chain: list[Operation], best: list[Embedding], config: VTAConfig, fixed: bool
) -> list[Embedding]:
    """Embeddings of a chain's stages (whose ``best`` embeddings disagree on a layout between
    them) such that each stage reads the tensor before it in the layout the stage before
    writes: the choice with the fewest issued MACs (then DRAM bytes) over the chain, among each
    stage's best embedding, its best with each operand order, TVM's, and those derived from a
    neighbour's (the reader's lanes folding the loops the writer's lanes fold). With ``fixed``
    only TVM's embeddings are candidates. Where no choice agrees, each stage keeps its best
    embedding (and vtac-tile refuses the chain, saying why)."""
    candidates = [[e] for e in best]
    if not fixed:
        for op, found in zip(chain, candidates, strict=True):
            for swap in (False, True) if iteration_space(op).swappable else ():
                _add(found, _try(op, config, None, swap))
            _add(found, _try(op, config, fixed_embedding(op), False))
        for i in range(1, len(chain)):
            for writer in list(candidates[i - 1]):
                _add(candidates[i], _reader_for(chain[i - 1], writer, chain[i], config))
        for i in range(len(chain) - 2, -1, -1):
            for reader in list(candidates[i + 1]):
                _add(candidates[i], _writer_for(chain[i], chain[i + 1], reader, config))

    def cost(e: Embedding) -> tuple[int, int]:
        return e.issued_macs, e.dram_bytes

    Path = tuple[tuple[int, int], list[Embedding]]
    # paths[j]: the cheapest agreeing choices up to this stage that end in candidate j
    paths: list[Path | None] = [(cost(e), [e]) for e in candidates[0]]
    for i in range(1, len(chain)):
        step: list[Path | None] = []
        for e in candidates[i]:
            options: list[Path] = [
                ((total[0] + cost(e)[0], total[1] + cost(e)[1]), [*path, e])
                for total, path in filter(None, paths)
                if _agrees(chain[i - 1], path[-1], chain[i], e, config)
            ]
            step.append(min(options, key=lambda o: o[0]) if options else None)
        paths = step
    found = [p for p in paths if p is not None]
    return min(found, key=lambda o: o[0])[1] if found else best


def _add(candidates: list[Embedding], embedding: Embedding | None) -> None:
    if embedding is not None and embedding not in candidates:
        candidates.append(embedding)


def _try(
    op: Operation, config: VTAConfig, forced: dict[str, tuple[str, ...]] | None, swap: bool | None
) -> Embedding | None:
    try:
        return select_embedding(iteration_space(op), config, forced=forced, swap=swap)
    except EmbeddingError:
        return None


def _read_operand(writer: Operation, reader: Operation) -> Operand:
    """The reader's operand that reads the writer's result."""
    space = iteration_space(reader)
    return space.lhs if _producer_of_value(reader.operands[0]) is writer else space.rhs


def _reader_for(
    writer: Operation, chosen: Embedding, reader: Operation, config: VTAConfig
) -> Embedding | None:
    """The reader's best embedding that reads the writer's result as its ``inp`` with the
    lanes the writer writes (its batch lanes on the same tensor dimensions, its block_out
    lanes as block_in), if one exists."""
    out = iteration_space(writer).out
    operand = _read_operand(writer, reader)
    rename = {w: r for w, r in zip(out.dims, operand.dims, strict=True) if isinstance(r, str)}
    batch, block_out = chosen.folded("batch"), chosen.folded("block_out")
    if not all(loop in rename for loop in (*batch, *block_out)):
        return None
    forced = {
        "batch": tuple(rename[loop] for loop in batch),
        "block_in": tuple(rename[loop] for loop in block_out),
    }
    swap = operand is iteration_space(reader).rhs
    if swap and not iteration_space(reader).swappable:
        return None
    return _try(reader, config, forced, swap)


def _writer_for(
    writer: Operation, reader: Operation, chosen: Embedding, config: VTAConfig
) -> Embedding | None:
    """The writer's best embedding that writes its result with the lanes the reader reads it
    in as its ``inp`` (its batch lanes, its block_in lanes as block_out), if one exists."""
    operand = _read_operand(writer, reader)
    if chosen.inp != operand.name:
        return None
    out = iteration_space(writer).out
    rename = {r: w for w, r in zip(out.dims, operand.dims, strict=True) if isinstance(r, str)}
    batch, block_in = chosen.folded("batch"), chosen.folded("block_in")
    if not all(loop in rename for loop in (*batch, *block_in)):
        return None
    forced = {
        "batch": tuple(rename[loop] for loop in batch),
        "block_out": tuple(rename[loop] for loop in block_in),
    }
    return _try(writer, config, forced, None)


def _agrees(
    writer: Operation, p: Embedding, reader: Operation, c: Embedding, config: VTAConfig
) -> bool:
    """Whether the reader under ``c`` reads the writer's result (under ``p``) in the layout
    it is written in."""
    written = block(iteration_space(writer), p, config).out.spec
    space = iteration_space(reader)
    name = _read_operand(writer, reader).name
    blocked = block(space, c, config)
    if c.inp == name:
        read = blocked.inp.spec
    elif c.wgt == name:
        read = blocked.wgt.spec
    else:
        return False
    return written.same_layout(read)


def _producer_of_value(value: SSAValue) -> Operation | None:
    """The contraction ``value`` comes from through epilogue ops, if any."""
    owner = value.owner
    while isinstance(owner, EPILOGUES):
        owner = owner.operands[0].owner
    return owner if isinstance(owner, CONTRACTIONS) else None
