"""The configurations the explorer searches: the fields of ``vta_config.json`` it varies, the
values each takes, and which combinations are valid and fit a board.

A point of the space is a tuple of indices, one per field, into that field's values (ordered, so
that a neighbour of a value is one step up or down). Only configurations that
:class:`~vtac.runtime.config.VTAConfig` accepts and that fit the board's budget
(:func:`vtac.explore.resources.fits`) belong to the space: no algorithm ever proposes another.

The fields are ``LOG_BATCH``, ``LOG_BLOCK`` and the four buffer sizes. VTA's configuration has
one ``LOG_BLOCK`` (``BLOCK_IN = BLOCK_OUT``): ``pkg_config.py`` derives ``LOG_BLOCK_IN`` and
``LOG_BLOCK_OUT`` from it, vtac's :class:`VTAConfig` keeps the same format, and a separate
``LOG_BLOCK_IN``/``LOG_BLOCK_OUT`` is no key a ``vta_config.json`` can hold, so the explorer
searches the square GEMM shapes the format describes. The data widths stay int8/int8/int32
(the only ones vtac compiles for).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from vtac.explore.resources import Board, estimate, fits
from vtac.runtime.config import ConfigError, VTAConfig

Point = tuple[int, ...]

#: Each field and the values it takes (log2): BATCH 1-4, BLOCK 8-32, micro-op buffers of 512
#: to 8192 micro-ops, input buffers of 8-64 KiB, weight 64-512 KiB, accumulator 32-256 KiB
#: (VTA's default, 1x16_i8w8a32_15_15_18_17, is inside; so are its neighbours both ways).
FIELDS: dict[str, tuple[int, ...]] = {
    "LOG_BATCH": (0, 1, 2),
    "LOG_BLOCK": (3, 4, 5),
    "LOG_UOP_BUFF_SIZE": (11, 12, 13, 14, 15),
    "LOG_INP_BUFF_SIZE": (13, 14, 15, 16),
    "LOG_WGT_BUFF_SIZE": (16, 17, 18, 19),
    "LOG_ACC_BUFF_SIZE": (15, 16, 17, 18),
}


@dataclass(frozen=True)
class Space:
    """The valid configurations of :data:`FIELDS` that fit ``board`` within ``fraction`` of its
    resources."""

    board: Board
    fraction: float = 1.0
    fields: tuple[tuple[str, tuple[int, ...]], ...] = tuple(FIELDS.items())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    @property
    def sizes(self) -> tuple[int, ...]:
        """How many values each field takes."""
        return tuple(len(values) for _, values in self.fields)

    @property
    def raw_size(self) -> int:
        """Combinations of the fields' values, valid or not."""
        size = 1
        for n in self.sizes:
            size *= n
        return size

    def config(self, point: Point) -> VTAConfig:
        """The configuration at ``point`` (a :class:`ConfigError` if it is not a valid one)."""
        values = {name: values[i] for (name, values), i in zip(self.fields, point, strict=True)}
        return VTAConfig(**values)

    def point(self, config: VTAConfig) -> Point | None:
        """The point of ``config``, None if one of its fields takes a value outside the space."""
        indices = []
        for name, values in self.fields:
            value = getattr(config, name)
            if value not in values:
                return None
            indices.append(values.index(value))
        return tuple(indices)

    @cached_property
    def points(self) -> tuple[Point, ...]:
        """Every point of the space, in lexicographic order."""
        found = []
        for point in itertools.product(*(range(n) for n in self.sizes)):
            try:
                config = self.config(point)
            except ConfigError:
                continue
            if fits(estimate(config, self.board), self.board, self.fraction):
                found.append(point)
        return tuple(found)

    @cached_property
    def members(self) -> frozenset[Point]:
        return frozenset(self.points)

    def __contains__(self, point: object) -> bool:
        return point in self.members

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[Point]:
        return iter(self.points)

    @cached_property
    def prefixes(self) -> frozenset[Point]:
        """Every prefix of a point of the space (the empty one included)."""
        return frozenset(p[:k] for p in self.points for k in range(len(self.sizes) + 1))

    def allowed(self, prefix: Sequence[int]) -> list[int]:
        """Values of the next field that some point of the space continues ``prefix`` with."""
        field = len(prefix)
        return [v for v in range(self.sizes[field]) if (*prefix, v) in self.prefixes]

    def sample(self, rng: random.Random) -> Point:
        """A point drawn uniformly."""
        return self.points[rng.randrange(len(self.points))]

    def neighbours(self, point: Point) -> list[Point]:
        """Points one step away in one field."""
        found = []
        for field, size in enumerate(self.sizes):
            for step in (-1, 1):
                value = point[field] + step
                if 0 <= value < size:
                    other = (*point[:field], value, *point[field + 1 :])
                    if other in self.members:
                        found.append(other)
        return found
