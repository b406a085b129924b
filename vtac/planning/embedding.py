"""Instruction embeddings: mapping an op's loop nest onto VTA's GEMM intrinsic, by CP-SAT.

VTA's GEMM intrinsic is itself a tiny loop nest, ``acc[b][o] += inp[b][k] * wgt[o][k]`` over
BATCH x BLOCK_OUT x BLOCK_IN lanes. An *embedding* of a contraction ``out += lhs * rhs`` chooses

- which operand plays ``inp`` and which plays ``wgt`` (``C = A B`` may run as ``C^T = B^T A^T``),
- which loops of the op, or products of loops, fold onto each intrinsic dimension; the product of
  the folded extents is zero-padded up to a multiple of the lane count, and every other loop is
  iterated outside the intrinsic.

Every scalar multiply-accumulate of the op is then issued exactly once (each loop is folded onto
at most one dimension or iterated, never both). The objective maximises lane utilisation (useful
MACs over issued MACs), then minimises the DRAM footprint the embedding implies: folding a
convolution window loop (``kh``) onto lanes while its partner (``oh``) is iterated requires an
im2col-style layout that duplicates input rows, which this term charges for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from vtac.errors import InvalidInputError
from vtac.runtime.config import VTAConfig

#: The intrinsic's dimensions, in the order ``acc[batch][block_out] += inp[batch][block_in] * ...``.
DIMS = ("batch", "block_out", "block_in")


class EmbeddingError(InvalidInputError, ValueError):
    """No embedding satisfies the constraints (or a forced choice is invalid)."""

    what = "forced embedding"


@dataclass(frozen=True)
class Window:
    """A tensor index ``outer * stride + inner + offset`` (a convolution window) into a dimension
    of ``size`` elements; indices outside ``[0, size)`` read zero (padding)."""

    outer: str
    inner: str
    stride: int
    offset: int
    size: int

    def span(self, extents: Mapping[str, int]) -> int:
        """Rows the window covers, padding included: ``(outer - 1) * stride + inner``."""
        return (extents[self.outer] - 1) * self.stride + extents[self.inner]

    def rows_read(self, extents: Mapping[str, int]) -> int:
        """Rows of the tensor the window reads at all (a 1x1 window of stride 2 reads every
        other row; padding is not read)."""
        starts = np.arange(extents[self.outer]) * self.stride + self.offset
        rows = (starts[:, None] + np.arange(extents[self.inner])[None, :]).reshape(-1)
        return int(np.unique(rows[(rows >= 0) & (rows < self.size)]).size)


@dataclass(frozen=True)
class Operand:
    """An operand of the contraction: the index of each of its dimensions, in order (a loop
    name or a :class:`Window`), and its element size in bytes."""

    name: str
    dims: tuple[str | Window, ...]
    elem_bytes: int

    @property
    def windows(self) -> tuple[Window, ...]:
        return tuple(d for d in self.dims if isinstance(d, Window))

    @property
    def loops(self) -> frozenset[str]:
        names = {d for d in self.dims if isinstance(d, str)}
        for w in self.windows:
            names |= {w.outer, w.inner}
        return frozenset(names)


@dataclass(frozen=True)
class IterationSpace:
    """``out += lhs * rhs`` summed over the loops; ``folds`` restricts which loops the lowering
    can fold onto which intrinsic dimension (absent loops may fold wherever their roles allow)."""

    loops: tuple[tuple[str, int], ...]
    lhs: Operand
    rhs: Operand
    out: Operand
    swappable: bool = True
    folds: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def extents(self) -> dict[str, int]:
        return dict(self.loops)

    @property
    def macs(self) -> int:
        total = 1
        for _, extent in self.loops:
            total *= extent
        return total

    def elements_read(self, operand: Operand) -> int:
        """Elements of ``operand`` the op reads at least once."""
        extents = self.extents
        total = 1
        for dim in operand.dims:
            total *= dim.rows_read(extents) if isinstance(dim, Window) else extents[dim]
        return total

    def min_dram_bytes(self, out_bytes: int, bias_bytes: int = 0) -> int:
        """The fewest DRAM bytes any program of the op moves: every input and weight element it
        reads and every output element, once (``out_bytes`` each), and the bias."""
        inputs = self.elements_read(self.lhs) * self.lhs.elem_bytes
        inputs += self.elements_read(self.rhs) * self.rhs.elem_bytes
        outputs = 1
        for dim in self.out.dims:
            outputs *= self.extents[dim] if isinstance(dim, str) else dim.size
        return inputs + outputs * out_bytes + bias_bytes


@dataclass(frozen=True)
class Embedding:
    """A chosen embedding: operand roles and the loops folded onto each intrinsic dimension."""

    inp: str
    wgt: str
    batch: tuple[str, ...]
    block_out: tuple[str, ...]
    block_in: tuple[str, ...]
    useful_macs: int
    issued_macs: int
    dram_bytes: int

    @property
    def utilization(self) -> float:
        """Useful MACs over issued MACs (lane utilisation of the GEMM core)."""
        return self.useful_macs / self.issued_macs

    def folded(self, dim: str) -> tuple[str, ...]:
        return getattr(self, dim)

    def __str__(self) -> str:
        def group(loops: tuple[str, ...]) -> str:
            return "[" + ", ".join(loops) + "]"

        return (
            f"inp={self.inp} wgt={self.wgt} batch={group(self.batch)} "
            f"block_out={group(self.block_out)} block_in={group(self.block_in)} "
            f"lane_utilization={self.utilization:.4f}"
        )


def _lanes(config: VTAConfig) -> dict[str, int]:
    return {"batch": config.batch, "block_out": config.block_out, "block_in": config.block_in}


def _candidate_dims(space: IterationSpace, loop: str, swapped: bool) -> set[str]:
    """Dimensions ``loop`` may fold onto when the roles are (un)swapped."""
    in_lhs, in_rhs = loop in space.lhs.loops, loop in space.rhs.loops
    in_out = loop in space.out.loops
    inp_has = in_rhs if swapped else in_lhs
    wgt_has = in_lhs if swapped else in_rhs
    dims = set()
    if inp_has and wgt_has and not in_out:
        dims.add("block_in")
    if inp_has and in_out and not wgt_has:
        dims.add("batch")
    if wgt_has and in_out and not inp_has:
        dims.add("block_out")
    allowed = space.folds.get(loop)
    return dims if allowed is None else dims & allowed


def select_embedding(
    space: IterationSpace,
    config: VTAConfig,
    forced: Mapping[str, tuple[str, ...]] | None = None,
    swap: bool | None = None,
) -> Embedding:
    """The best embedding of ``space`` on ``config``'s GEMM intrinsic.

    ``forced`` pins the loops folded onto some dimensions (e.g. TVM's fixed embedding) and
    ``swap`` pins the operand roles; both are checked, and an impossible choice raises
    :class:`EmbeddingError` naming the problem.
    """
    extents = space.extents
    lanes = _lanes(config)
    if forced:
        _check_forced(forced, extents)
    orientations = [False, True] if space.swappable else [False]
    if swap is not None:
        if swap and not space.swappable:
            raise EmbeddingError("this op's operands cannot swap roles")
        orientations = [swap]
    best: tuple[tuple[int, int], Embedding] | None = None
    for swapped in orientations:
        emb = _solve(space, lanes, extents, swapped, forced or {})
        if emb is None:
            continue
        key = (emb.issued_macs, emb.dram_bytes)
        if best is None or key < best[0]:
            best = (key, emb)
    if best is None:
        raise EmbeddingError(
            f"no embedding of loops {', '.join(extents)} satisfies the forced choice "
            f"{dict(forced or {})}"
        )
    return best[1]


def _check_forced(forced: Mapping[str, tuple[str, ...]], extents: dict[str, int]) -> None:
    seen: set[str] = set()
    for dim, loops in forced.items():
        if dim not in DIMS:
            raise EmbeddingError(f"unknown intrinsic dimension {dim!r}; expected one of {DIMS}")
        for loop in loops:
            if loop not in extents:
                raise EmbeddingError(
                    f"forced loop {loop!r} is not a loop of the op ({', '.join(extents)})"
                )
            if loop in seen:
                raise EmbeddingError(f"loop {loop!r} is forced onto two dimensions")
            seen.add(loop)


def _solve(
    space: IterationSpace,
    lanes: dict[str, int],
    extents: dict[str, int],
    swapped: bool,
    forced: Mapping[str, tuple[str, ...]],
) -> Embedding | None:
    model = cp_model.CpModel()
    inp, wgt = (space.rhs, space.lhs) if swapped else (space.lhs, space.rhs)
    fold: dict[tuple[str, str], cp_model.IntVar] = {}
    for loop in extents:
        dims = _candidate_dims(space, loop, swapped)
        for dim in DIMS:
            pinned = dim in forced
            if pinned and loop in forced[dim]:
                if dim not in dims:
                    return None
                fold[loop, dim] = model.new_constant(1)
            elif dim in dims and not pinned and lanes[dim] > 1:
                fold[loop, dim] = model.new_bool_var(f"fold_{loop}_{dim}")
        chosen = [v for (name, _), v in fold.items() if name == loop]
        if len(chosen) > 1:
            model.add(sum(chosen) <= 1)

    total = space.macs
    Term = tuple[cp_model.LinearExprT, int]  # an expression and its upper bound

    def factor(loop: str, dim: str) -> Term:
        """extent if ``loop`` folds onto ``dim`` else 1."""
        if (loop, dim) not in fold:
            return 1, 1
        return 1 + (extents[loop] - 1) * fold[loop, dim], extents[loop]

    def outer(loop: str) -> Term:
        """extent if ``loop`` is iterated outside the intrinsic else 1."""
        chosen = [v for (name, _), v in fold.items() if name == loop]
        if not chosen:
            return extents[loop], extents[loop]
        return extents[loop] - (extents[loop] - 1) * sum(chosen), extents[loop]

    def product(name: str, terms: list[Term], cap: int | None = None) -> Term:
        """A variable equal to the product of ``terms``, built pairwise so that no constraint's
        domain product can overflow CP-SAT's 64-bit integers."""
        acc, acc_ub = terms[0] if terms else (1, 1)
        for index, (expr, ub) in enumerate(terms[1:]):
            bound = acc_ub * ub if cap is None else min(acc_ub * ub, cap)
            target = model.new_int_var(1, bound, f"{name}_{index}")
            model.add_multiplication_equality(target, [acc, expr])
            acc, acc_ub = target, bound
        return acc, acc_ub

    padded: dict[str, Term] = {}
    for dim in DIMS:
        folded, ub = product(f"p_{dim}", [factor(loop, dim) for loop in extents])
        lane = lanes[dim]
        blocks = model.new_int_var(1, -(-ub // lane), f"blocks_{dim}")
        model.add_division_equality(blocks, folded + lane - 1, lane)
        padded[dim] = blocks * lane, -(-ub // lane) * lane

    lane_product = lanes["batch"] * lanes["block_out"] * lanes["block_in"]
    issued, _ = product(
        "issued", [outer(loop) for loop in extents] + list(padded.values()), total * lane_product
    )

    def footprint(operand: Operand, dims: tuple[str, ...]) -> cp_model.LinearExprT:
        in_window = {w.outer for w in operand.windows} | {w.inner for w in operand.windows}
        terms = [padded[d] for d in dims]
        terms += [outer(loop) for loop in sorted(operand.loops - in_window)]
        for w in operand.windows:
            both_outer = model.new_bool_var(f"win_{w.outer}_{w.inner}")
            pair, ub = product(f"pair_{w.outer}_{w.inner}", [outer(w.outer), outer(w.inner)])
            ub = max(ub, w.span(extents))
            rows = model.new_int_var(1, ub, f"rows_{w.outer}_{w.inner}")
            model.add(rows == w.span(extents)).only_enforce_if(both_outer)
            model.add(rows == pair).only_enforce_if(~both_outer)
            lane_bits = [v for (name, _), v in fold.items() if name in (w.outer, w.inner)]
            if lane_bits:
                model.add(sum(lane_bits) == 0).only_enforce_if(both_outer)
                model.add(sum(lane_bits) >= 1).only_enforce_if(~both_outer)
            else:
                model.add(both_outer == 1)
            terms.append((rows, ub))
        cap = 1
        for loop in operand.loops - in_window:
            cap *= extents[loop]
        for w in operand.windows:
            cap *= max(extents[w.outer] * extents[w.inner], w.span(extents))
        for d in dims:
            cap *= lanes[d]
        return product(f"footprint_{operand.name}", terms, cap)[0]

    traffic = (
        footprint(inp, ("batch", "block_in")) * inp.elem_bytes
        + footprint(wgt, ("block_out", "block_in")) * wgt.elem_bytes
        + footprint(space.out, ("batch", "block_out")) * space.out.elem_bytes
    )

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    # a limit in CP-SAT's deterministic time, so that the answer does not depend on the
    # machine's load (the same input, the same program); the wall-clock limit only guards
    # against a machine so slow that the deterministic one is far away
    solver.parameters.max_deterministic_time = 10.0
    solver.parameters.max_time_in_seconds = 120.0
    model.minimize(issued)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    model.add(issued == solver.value(issued))
    model.minimize(traffic)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None

    def loops_on(dim: str) -> tuple[str, ...]:
        return tuple(
            loop for loop in extents if (loop, dim) in fold and solver.value(fold[loop, dim])
        )

    return Embedding(
        inp=inp.name,
        wgt=wgt.name,
        batch=loops_on("batch"),
        block_out=loops_on("block_out"),
        block_in=loops_on("block_in"),
        useful_macs=total,
        issued_macs=solver.value(issued),
        dram_bytes=solver.value(traffic),
    )
