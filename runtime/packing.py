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

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from vtac.errors import InvalidInputError


class PackError(InvalidInputError, ValueError):
    """An array that does not match its packing specification, or a malformed specification."""

    what = "packed array"


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

    # ------------------------------------------------------------------ text

    def to_text(self) -> str:
        """A one-line form for IR attributes (the logical shape comes from the tensor type):

        ``n=1, ic=3 | dims [n, ic, oh*2+kh-3] | outer [n, #block_in, rows(2)] |
        lanes [batch 1 (), block_in 16 (ic, kh)]``
        """

        def dim(spec: tuple[Any, ...]) -> str:
            if spec[0] == "loop":
                return str(spec[1])
            if spec[0] == "rows":
                return "rows"
            _, outer, stride, inner, offset = spec
            return f"{outer}*{stride}+{inner}" + (f"{offset:+d}" if offset else "")

        def coord(kind: str, what: str | int) -> str:
            return {"loop": f"{what}", "block": f"#{what}", "rows": f"rows({what})"}[kind]

        extents = ", ".join(f"{n}={e}" for n, e in self.extents)
        dims = ", ".join(dim(i) for i in self.index)
        outer = ", ".join(coord(k, w) for k, w in self.coords)
        lanes = ", ".join(f"{g.name} {g.lanes} ({', '.join(g.loops)})" for g in self.groups)
        return f"{extents} | dims [{dims}] | outer [{outer}] | lanes [{lanes}]"

    @classmethod
    def from_text(cls, text: str, logical_shape: tuple[int, ...]) -> PackSpec:
        """The inverse of :meth:`to_text`; a malformed text is a :class:`PackError`."""
        parts = [p.strip() for p in text.split("|")]
        heads = ("dims [", "outer [", "lanes [")
        if len(parts) != 4 or any(
            not p.startswith(h) or not p.endswith("]")
            for p, h in zip(parts[1:], heads, strict=True)
        ):
            raise PackError(
                f"malformed layout {text!r}: expected 'EXTENTS | dims [..] | "
                "outer [..] | lanes [..]'"
            )
        extents = tuple((n, int(e)) for n, e in re.findall(r"([\w.]+)=(\d+)", parts[0]))

        def items(part: str) -> list[str]:
            body = part[part.index("[") + 1 : -1].strip()
            return [i.strip() for i in re.split(r",\s*(?![^()]*\))", body)] if body else []

        index: list[tuple[Any, ...]] = []
        for item in items(parts[1]):
            window = re.fullmatch(r"([\w.]+)\*(\d+)\+([\w.]+)([+-]\d+)?", item)
            if item == "rows":
                index.append(("rows",))
            elif window:
                o, st, i, off = window.groups()
                index.append(("window", o, int(st), i, int(off or 0)))
            else:
                index.append(("loop", item))
        coords: list[tuple[str, str | int]] = []
        for item in items(parts[2]):
            rows = re.fullmatch(r"rows\((\d+)\)", item)
            if rows:
                coords.append(("rows", int(rows.group(1))))
            elif item.startswith("#"):
                coords.append(("block", item[1:]))
            else:
                coords.append(("loop", item))
        groups = []
        for item in items(parts[3]):
            match = re.fullmatch(r"([\w.]+) (\d+) \(([^)]*)\)", item)
            if not match:
                raise PackError(f"malformed lane group {item!r} in layout {text!r}")
            loops = tuple(x.strip() for x in match.group(3).split(",") if x.strip())
            groups.append(LaneGroup(match.group(1), int(match.group(2)), loops))
        spec = cls(tuple(logical_shape), extents, tuple(index), tuple(coords), tuple(groups))
        spec.check()
        return spec

    def check(self) -> None:
        """Refuse a specification whose names or ranks do not fit together."""
        extents = self.loop_extents
        names = {g.name for g in self.groups}
        if len(self.index) != len(self.logical_shape):
            raise PackError(
                f"the layout indexes {len(self.index)} dimensions, the tensor has "
                f"{len(self.logical_shape)}"
            )
        used = [g for g in self.groups for g in g.loops]
        used += [i[1] for i in self.index if i[0] == "loop"]
        used += [x for i in self.index if i[0] == "window" for x in (i[1], i[3])]
        used += [str(w) for k, w in self.coords if k == "loop"]
        unknown = sorted(set(used) - extents.keys())
        if unknown:
            raise PackError(f"the layout uses loops without an extent: {', '.join(unknown)}")
        for kind, what in self.coords:
            if kind == "block" and what not in names:
                raise PackError(f"block coordinate #{what} names no lane group")
            if kind == "rows" and not 0 <= int(what) < len(self.logical_shape):
                raise PackError(f"rows({what}) is not a dimension of the tensor")

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
            valid = _narrowed(valid, linear < total)
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
            valid = _narrowed(valid, (idx >= 0) & (idx < self.logical_shape[dim]))
            indices.append(idx)
        return indices, valid

    def same_layout(self, other: PackSpec) -> bool:
        """Whether ``other`` puts every element of the same logical tensor at the same packed
        position (and pads the same positions), whatever the loops are called."""
        if self.logical_shape != other.logical_shape or self.packed_shape != other.packed_shape:
            return False
        shape = self.packed_shape
        mine, valid = self._logical_indices()
        theirs, their_valid = other._logical_indices()
        here, there = np.broadcast_to(valid, shape), np.broadcast_to(their_valid, shape)
        if not np.array_equal(here, there):
            return False
        return all(
            np.array_equal(np.broadcast_to(a, shape)[here], np.broadcast_to(b, shape)[here])
            for a, b in zip(mine, theirs, strict=True)
        )

    def pack(self, array: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
        """The packed array of ``array`` (zeros where padding)."""
        if tuple(array.shape) != self.logical_shape:
            raise PackError(f"expected shape {self.logical_shape}, got {tuple(array.shape)}")
        indices, valid = self._logical_indices()
        shape = self.packed_shape
        # clipped while still sparse: the gather broadcasts them, never materialised whole
        clipped = tuple(
            np.clip(idx, 0, n - 1) for idx, n in zip(indices, self.logical_shape, strict=True)
        )
        if valid.all():  # no padding (the mask stays small then): a plain gather
            return np.broadcast_to(array[clipped], shape).astype(dtype)
        mask = np.broadcast_to(valid, shape)
        return np.where(mask, array[clipped], 0).astype(dtype)

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


def _narrowed(valid: np.ndarray, condition: np.ndarray) -> np.ndarray:
    """``valid & condition``, leaving ``valid`` as it is (not broadcast to the packed shape)
    where ``condition`` holds everywhere: masks of layouts without padding stay tiny."""
    return valid if condition.all() else valid & condition
