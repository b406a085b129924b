"""From an embedding to a blocked contraction: element-level loops and packed operand layouts.

Given an op's :class:`~vtac.planning.embedding.IterationSpace` and its chosen
:class:`~vtac.planning.embedding.Embedding`, every group of loops folded onto an intrinsic
dimension becomes one *block loop* (named after the dimension) walking blocks of lanes, and every
other loop stays as it is. Each operand becomes an array of VTA elements described by a
:class:`~vtac.runtime.packing.PackSpec` (its DRAM layout) and a
:class:`~vtac.planning.tiling.TileOperand` (how the blocked loops index it, for tiling and DMA).

A convolution window whose two loops both stay outside the intrinsic keeps the input dimension
whole (``rows``), so the DMA's zero padding supplies the border; once either loop is folded the
window is expanded (im2col), one element per (outer, inner) pair. A window over a border the DMA
cannot supply is expanded too, its zeros then explicit in DRAM: one of more than 15 elements a
side, or one at least as wide as the kernel, where a tile of output rows could read the border
only (a box with no element to load).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from vtac.backends.vta.dma import MAX_PAD
from vtac.planning.embedding import DIMS, Embedding, IterationSpace, Operand, Window
from vtac.planning.tiling import TileOperand, TileProblem, TileWindow, coordinate_order
from vtac.runtime.config import VTAConfig
from vtac.runtime.packing import LaneGroup, PackSpec

#: Lane groups of each operand role, in the element's lane order.
ROLE_GROUPS = {
    "inp": ("batch", "block_in"),
    "wgt": ("block_out", "block_in"),
    "out": ("batch", "block_out"),
}


@dataclass(frozen=True)
class BlockedOperand:
    """An operand after blocking: its packed layout, and each packed coordinate's meaning for
    tiles: a blocked loop's name, or a window over whole rows."""

    name: str
    role: str
    spec: PackSpec
    coords: tuple[str | TileWindow, ...]
    window_offsets: tuple[int, ...]  # per coordinate: the window's offset (0 for loops)
    elem_bytes: int

    @property
    def tile_operand(self) -> TileOperand:
        loops = tuple(c for c in self.coords if isinstance(c, str))
        windows = tuple(c for c in self.coords if isinstance(c, TileWindow))
        # Windows are the innermost coordinates (see block), so loops-then-windows is the
        # DRAM order.
        offsets = tuple(
            o
            for c, o in zip(self.coords, self.window_offsets, strict=True)
            if isinstance(c, TileWindow)
        )
        return TileOperand(
            self.name, loops, self.elem_bytes, windows, self.spec.outer_shape, offsets
        )


@dataclass(frozen=True)
class BlockedOp:
    """A contraction over element-level loops, ready for tiling."""

    loops: tuple[tuple[str, int], ...]
    reduction: frozenset[str]
    inp: BlockedOperand
    wgt: BlockedOperand
    out: BlockedOperand
    bias: BlockedOperand | None
    padded_windows: frozenset[str] = frozenset()  # inner loops of windows over a zero border
    #: roles (inp, out) whose DRAM layout another stage shares, so tiling may not refine it
    kept: frozenset[str] = frozenset()

    def problem(self, config: VTAConfig, alu_passes: int) -> TileProblem:
        return TileProblem(
            loops=self.loops,
            reduction=self.reduction,
            inp=self.inp.tile_operand,
            wgt=self.wgt.tile_operand,
            out=self.out.tile_operand,
            out_store_bytes=config.out_elem_bytes,
            acc_extras=(self.bias.tile_operand,) if self.bias else (),
            alu_passes=alu_passes,
            whole=self.padded_windows,
            kept=frozenset(getattr(self, role).name for role in self.kept),
        )


def reorder_for_tiles(op: BlockedOp, tiles: Mapping[str, int]) -> BlockedOp:
    """``op`` with each DRAM tensor's outer coordinates in
    :func:`~vtac.planning.tiling.coordinate_order` for ``tiles`` (the layouts
    :meth:`~vtac.planning.tiling.TileProblem.reordered` scores). The SRAM boxes follow the same
    order; the host packs whatever layout it is given."""
    extents = dict(op.loops)

    def whole(coord: str | TileWindow) -> bool:
        if isinstance(coord, TileWindow):
            return whole(coord.outer) and whole(coord.inner)
        return tiles[coord] == extents[coord]

    def reordered(operand: BlockedOperand) -> BlockedOperand:
        if operand.role in op.kept:
            return operand
        order = coordinate_order(operand.coords, whole, lambda c: tiles[c])
        spec = replace(operand.spec, coords=tuple(operand.spec.coords[i] for i in order))
        return replace(
            operand,
            spec=spec,
            coords=tuple(operand.coords[i] for i in order),
            window_offsets=tuple(operand.window_offsets[i] for i in order),
        )

    return replace(
        op,
        inp=reordered(op.inp),
        wgt=reordered(op.wgt),
        out=reordered(op.out),
        bias=reordered(op.bias) if op.bias is not None else None,
    )


def block(
    space: IterationSpace,
    embedding: Embedding,
    config: VTAConfig,
    bias: Operand | None = None,
) -> BlockedOp:
    """The blocked form of ``space`` under ``embedding``; ``bias`` is an operand added to the
    accumulators (indexed by output loops only)."""
    extents = space.extents
    lanes = {"batch": config.batch, "block_out": config.block_out, "block_in": config.block_in}
    folded = {dim: embedding.folded(dim) for dim in DIMS}
    group_of = {loop: dim for dim, loops in folded.items() for loop in loops}
    loops: list[tuple[str, int]] = []
    for name, extent in space.loops:
        dim = group_of.get(name)
        if dim is None:
            loops.append((name, extent))
        elif folded[dim][0] == name:
            total = 1
            for loop in folded[dim]:
                total *= extents[loop]
            loops.append((dim, -(-total // lanes[dim])))
    out_loops = {group_of.get(n, n) for n in space.out.loops}
    reduction = frozenset(name for name, _ in loops if name not in out_loops)
    operands = {space.lhs.name: space.lhs, space.rhs.name: space.rhs}

    def blocked(operand: Operand, role: str) -> BlockedOperand:
        groups = tuple(LaneGroup(g, lanes[g], folded[g]) for g in ROLE_GROUPS[role])
        coords: list[tuple[str, str | int]] = []
        tile_coords: list[str | TileWindow] = []
        offsets: list[int] = []
        index: list[tuple[object, ...]] = []

        def use(loop: str) -> None:
            key = ("block", group_of[loop]) if loop in group_of else ("loop", loop)
            if key not in coords:
                coords.append(key)
                tile_coords.append(key[1])
                offsets.append(0)

        for dim, expr in enumerate(operand.dims):
            if isinstance(expr, str):
                use(expr)
                index.append(("loop", expr))
            elif expr.outer in group_of or expr.inner in group_of or not _dma_border(expr, extents):
                use(expr.outer)
                use(expr.inner)
                index.append(("window", expr.outer, expr.stride, expr.inner, expr.offset))
            else:
                coords.append(("rows", dim))
                tile_coords.append(TileWindow(expr.outer, expr.inner, expr.stride))
                offsets.append(expr.offset)
                index.append(("rows",))
        # Whole window dimensions go innermost: the DMA pads only a transfer's two innermost
        # dimensions (rows and columns), so that is where the zero border must be.
        order = sorted(range(len(coords)), key=lambda i: coords[i][0] == "rows")
        coords = [coords[i] for i in order]
        tile_coords = [tile_coords[i] for i in order]
        offsets = [offsets[i] for i in order]
        used = operand.loops | {loop for g in groups for loop in g.loops}
        spec = PackSpec(
            logical_shape=tuple(_dim_size(e, extents) for e in operand.dims),
            extents=tuple((n, e) for n, e in space.loops if n in used),
            index=tuple(index),
            coords=tuple(coords),
            groups=groups,
        )
        elem_bytes = {
            "inp": config.inp_elem_bytes,
            "wgt": config.wgt_elem_bytes,
            "out": config.acc_elem_bytes,
        }[role]
        return BlockedOperand(
            operand.name, role, spec, tuple(tile_coords), tuple(offsets), elem_bytes
        )

    padded = frozenset(
        w.inner
        for w in operands[embedding.inp].windows
        if w.outer not in group_of
        and w.inner not in group_of
        and _dma_border(w, extents)
        and (w.offset < 0 or w.span(extents) + w.offset > w.size)
    )
    bias_blocked = None
    if bias is not None:
        bias_blocked = blocked(bias, "out")
    return BlockedOp(
        loops=tuple(loops),
        reduction=reduction,
        inp=blocked(operands[embedding.inp], "inp"),
        wgt=blocked(operands[embedding.wgt], "wgt"),
        out=blocked(space.out, "out"),
        bias=bias_blocked,
        padded_windows=padded,
    )


def _dma_border(window: Window, extents: dict[str, int]) -> bool:
    """Can LOAD's zero padding supply ``window``'s border whatever the tiling of its outer loop
    (the inner one kept whole)? Each side at most ``MAX_PAD`` and narrower than the kernel, so
    every tile's box holds an element of the tensor."""
    kernel = extents[window.inner]
    before = -window.offset
    after = window.span(extents) + window.offset - window.size
    return max(before, after) <= MAX_PAD and max(before, after) < kernel


def _dim_size(expr: str | Window, extents: dict[str, int]) -> int:
    return extents[expr] if isinstance(expr, str) else expr.size
