"""Packing logical tensors into VTA element tensors, and back.

An instruction embedding folds loops of an op onto the GEMM intrinsic's lanes; the DRAM layout of
each operand follows: an array of VTA *elements* (one SRAM entry each: ``[BATCH][BLOCK_IN]`` for
inputs, ``[BLOCK_OUT][BLOCK_IN]`` for weights, ``[BATCH][BLOCK_OUT]`` for accumulators and
outputs). A :class:`PackSpec` says, for every coordinate of that array, which element of the
logical tensor lands there (or zero, for padding). One mechanism covers VTA's blocked layouts
(NCHW1n16c, OIHW16o16i), their transposed variants and im2col, where one input value lands in
several elements.

Coordinates of the packed array are of three kinds:

- ``("loop", name)``: the value of a loop iterated outside the intrinsic;
- ``("block", group)``: the block index of a lane group; within the element, the lane index ``l``
  of that group gives ``block * lanes + l``, split into the group's folded loops (first loop most
  significant); past their product it is padding;
- ``("rows", dim)``: the logical index of dimension ``dim`` itself (a convolution input dimension
  kept whole; the DMA adds its zero border).

Each logical dimension is indexed by a loop, or by ``outer * stride + inner + offset`` (a window),
or taken from a ``rows`` coordinate. Indices outside the logical tensor read zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


class PackError(ValueError):
    """An array that does not match its packing specification, or a malformed specification."""


@dataclass(frozen=True)
class LaneGroup:
    """An intrinsic dimension: its lane count and the loops folded onto it (outermost first)."""

    name: str
    lanes: int
    loops: tuple[str, ...]


@dataclass(frozen=True)
class PackSpec:
    """How a logical tensor maps onto a packed array of VTA elements (see the module doc)."""

    logical_shape: tuple[int, ...]
    extents: tuple[tuple[str, int], ...]
    index: tuple[
        tuple[Any, ...], ...
    ]  # per logical dim: ("loop", n) | ("window", o, s, i, off) | ("rows",)
    coords: tuple[tuple[str, str | int], ...]  # packed outer coordinates
    groups: tuple[LaneGroup, ...]  # lane groups, in the element's lane order

    @property
    def loop_extents(self) -> dict[str, int]:
        return dict(self.extents)

    def group(self, name: str) -> LaneGroup:
        return next(g for g in self.groups if g.name == name)

    def blocks(self, group: LaneGroup) -> int:
        total = 1
        for loop in group.loops:
            total *= self.loop_extents[loop]
        return -(-total // group.lanes)

    @property
    def outer_shape(self) -> tuple[int, ...]:
        """Shape of the array of elements (without the lanes)."""
        extents = self.loop_extents
        shape = []
        for kind, what in self.coords:
            if kind == "loop":
                shape.append(extents[str(what)])
            elif kind == "block":
                shape.append(self.blocks(self.group(str(what))))
            else:
                shape.append(self.logical_shape[int(what)])
        return tuple(shape)

    @property
    def packed_shape(self) -> tuple[int, ...]:
        return self.outer_shape + tuple(g.lanes for g in self.groups)

    # ------------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "logical_shape": list(self.logical_shape),
            "extents": [list(e) for e in self.extents],
            "index": [list(i) for i in self.index],
            "coords": [list(c) for c in self.coords],
            "groups": [[g.name, g.lanes, list(g.loops)] for g in self.groups],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackSpec:
        try:
            return cls(
                logical_shape=tuple(int(n) for n in data["logical_shape"]),
                extents=tuple((str(n), int(e)) for n, e in data["extents"]),
                index=tuple(tuple(i) for i in data["index"]),
                coords=tuple((str(k), w) for k, w in data["coords"]),
                groups=tuple(
                    LaneGroup(str(n), int(lanes), tuple(lp)) for n, lanes, lp in data["groups"]
                ),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise PackError(f"malformed packing specification: {err!r}") from None

    # --------------------------------------------------------------- indices

    def _logical_indices(self) -> tuple[list[np.ndarray], np.ndarray]:
        """For every packed position, the logical index per dimension and a validity mask."""
        shape = self.packed_shape
        rank_outer = len(self.coords)
        grids = np.indices(shape, sparse=True)
        loops: dict[str, np.ndarray] = {}
        valid = np.ones((1,) * len(shape), dtype=bool)
        rows: dict[int, np.ndarray] = {}
        extents = self.loop_extents
        for axis, (kind, what) in enumerate(self.coords):
            if kind == "loop":
                loops[str(what)] = grids[axis]
            elif kind == "rows":
                rows[int(what)] = grids[axis]
        for g_axis, group in enumerate(self.groups):
            block_axis = next(
                (a for a, (k, w) in enumerate(self.coords) if k == "block" and w == group.name),
                None,
            )
            linear = grids[rank_outer + g_axis]
            if block_axis is not None:
                linear = grids[block_axis] * group.lanes + linear
            total = 1
            for loop in group.loops:
                total *= extents[loop]
            valid = valid & (linear < total)
            for loop in reversed(group.loops):
                loops[loop] = linear % extents[loop]
                linear = linear // extents[loop]
        indices = []
        for dim, spec in enumerate(self.index):
            kind = spec[0]
            if kind == "loop":
                idx = loops[spec[1]]
            elif kind == "window":
                _, outer, stride, inner, offset = spec
                idx = loops[outer] * stride + loops[inner] + offset
            else:
                idx = rows[dim]
            valid = valid & (idx >= 0) & (idx < self.logical_shape[dim])
            indices.append(idx)
        return indices, valid

    def pack(self, array: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
        """The packed array of ``array`` (zeros where padding)."""
        if tuple(array.shape) != self.logical_shape:
            raise PackError(f"expected shape {self.logical_shape}, got {tuple(array.shape)}")
        indices, valid = self._logical_indices()
        shape = self.packed_shape
        clipped = [
            np.clip(np.broadcast_to(idx, shape), 0, n - 1)
            for idx, n in zip(indices, self.logical_shape, strict=True)
        ]
        mask = np.broadcast_to(valid, shape)
        return np.where(mask, array[tuple(clipped)], 0).astype(dtype)

    def unpack(self, packed: np.ndarray) -> np.ndarray:
        """The logical tensor held in ``packed`` (each logical element read from one place)."""
        shape = self.packed_shape
        if tuple(packed.shape) != shape:
            raise PackError(f"expected packed shape {shape}, got {tuple(packed.shape)}")
        indices, valid = self._logical_indices()
        mask = np.broadcast_to(valid, shape)
        out = np.zeros(self.logical_shape, dtype=packed.dtype)
        target = tuple(np.broadcast_to(idx, shape)[mask] for idx in indices)
        out[target] = packed[mask]
        return out
