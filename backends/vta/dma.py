"""DMA planning: a box of a DRAM tensor as VTA's 2D strided, zero-padded transfers.

DRAM tensors are row-major arrays of VTA *elements* (one SRAM entry each). A tile is a box of
such a tensor, possibly reaching past its edges on the two innermost dimensions (a convolution
window over the zero border), and lands in SRAM as a contiguous row-major box. VTA's LOAD moves
``y_size`` rows of ``x_size`` elements ``x_stride`` apart and zero-pads up to 15 elements on each
side; :func:`plan_box` covers the box with as few such transfers as it can, merging trailing
dimensions that the box spans completely into longer rows.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

from vtac.errors import RefusalError, VtacError
from vtac.runtime.config import PAD_BITS, SIZE_BITS, STRIDE_BITS

MAX_PAD = (1 << PAD_BITS) - 1
MAX_SIZE = (1 << SIZE_BITS) - 1
MAX_STRIDE = (1 << STRIDE_BITS) - 1


class DmaError(VtacError, ValueError):
    """A box that VTA's transfers cannot express (named limit and numbers in the message)."""


class DmaRefusal(DmaError, RefusalError):
    """A box past a limit of LOAD and STORE's fields (the ``limit``)."""


@dataclass(frozen=True)
class Transfer:
    """One LOAD/STORE: element offsets relative to the tensor and the SRAM box start."""

    dram_offset: int
    sram_offset: int
    y_size: int
    x_size: int
    x_stride: int
    y_pad_0: int = 0
    y_pad_1: int = 0
    x_pad_0: int = 0
    x_pad_1: int = 0

    @property
    def sram_entries(self) -> int:
        return (self.y_pad_0 + self.y_size + self.y_pad_1) * (
            self.x_pad_0 + self.x_size + self.x_pad_1
        )


def plan_box(
    shape: tuple[int, ...], origin: tuple[int, ...], size: tuple[int, ...]
) -> list[Transfer]:
    """Transfers that fill a row-major SRAM box of ``size`` from ``shape[origin:origin+size]``.

    Only the two innermost dimensions may reach outside the tensor (zero padding).
    """
    return list(_plan_box(tuple(shape), tuple(origin), tuple(size)))


@functools.lru_cache(maxsize=1 << 16)
def _plan_box(
    shape: tuple[int, ...], origin: tuple[int, ...], size: tuple[int, ...]
) -> tuple[Transfer, ...]:
    if not (len(shape) == len(origin) == len(size)) or not shape:
        raise DmaError(f"box rank mismatch: shape {shape}, origin {origin}, size {size}")
    for dim, (n, o, s) in enumerate(zip(shape, origin, size, strict=True)):
        if s < 1:
            raise DmaError(f"box size {s} in dimension {dim} is not positive")
        if dim < len(shape) - 2 and (o < 0 or o + s > n):
            raise DmaError(f"box [{o}, {o + s}) leaves dimension {dim} of extent {n}")
    shape, origin, size = _merge_full_trailing(shape, origin, size)
    if len(shape) == 1:
        shape, origin, size = (1, *shape), (0, *origin), (1, *size)
    (h, w), (oy, ox), (sy, sx) = shape[-2:], origin[-2:], size[-2:]
    y_pad_0, y_pad_1 = max(0, -oy), max(0, oy + sy - h)
    x_pad_0, x_pad_1 = max(0, -ox), max(0, ox + sx - w)
    for name, pad in (("top", y_pad_0), ("bottom", y_pad_1), ("left", x_pad_0), ("right", x_pad_1)):
        if pad > MAX_PAD:
            raise DmaRefusal(
                f"{name} padding of {pad} elements exceeds the {MAX_PAD} a LOAD can add",
                limit="LOAD padding",
            )
    rows, cols = sy - y_pad_0 - y_pad_1, sx - x_pad_0 - x_pad_1
    if rows <= 0 or cols <= 0:
        raise DmaError(f"box {origin}+{size} holds no element of the tensor {shape}")
    if cols > MAX_SIZE or rows > MAX_SIZE:
        raise DmaRefusal(
            f"transfer of {rows} rows x {cols} elements exceeds {MAX_SIZE} per field",
            limit="DMA size fields",
        )
    if w > MAX_STRIDE and rows > 1:
        raise DmaRefusal(f"row stride {w} exceeds {MAX_STRIDE}", limit="DMA stride field")
    lead_strides = [math.prod(shape[d + 1 :]) for d in range(len(shape) - 2)]
    slab = sy * sx
    transfers = []
    lead_ranges = [range(o, o + s) for o, s in zip(origin[:-2], size[:-2], strict=True)]
    for number, index in enumerate(itertools.product(*lead_ranges)):
        base = sum(i * st for i, st in zip(index, lead_strides, strict=True))
        transfers.append(
            Transfer(
                dram_offset=base + (oy + y_pad_0) * w + ox + x_pad_0,
                sram_offset=number * slab,
                y_size=rows,
                x_size=cols,
                x_stride=w if rows > 1 else cols,
                y_pad_0=y_pad_0,
                y_pad_1=y_pad_1,
                x_pad_0=x_pad_0,
                x_pad_1=x_pad_1,
            )
        )
    return tuple(transfers)


def _merge_full_trailing(
    shape: tuple[int, ...], origin: tuple[int, ...], size: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Fold the innermost dimension into its neighbour while the box spans it completely
    (so consecutive rows are contiguous in DRAM and in SRAM)."""
    shape, origin, size = list(shape), list(origin), list(size)
    while (
        len(shape) >= 2
        and origin[-1] == 0
        and size[-1] == shape[-1]
        and origin[-2] >= 0
        and origin[-2] + size[-2] <= shape[-2]
        and size[-2] * size[-1] <= MAX_SIZE
    ):
        inner = shape.pop()
        origin.pop()
        size.pop()
        shape[-1] *= inner
        origin[-1] *= inner
        size[-1] *= inner
    return tuple(shape), tuple(origin), tuple(size)
