"""Micro-op kernels: an affine loop nest of GEMM or ALU steps as few VTA instructions.

A tile's compute is a small loop nest; every step touches accumulator entry
``dst = d0 + sum(i_l * dst_l)``, source ``src = s0 + sum(i_l * src_l)`` and, for GEMM, weight
``wgt = w0 + sum(i_l * wgt_l)``. VTA runs such a nest as one instruction: two loops become its
``iter_out``/``iter_in`` with their coefficients as factors, the others are enumerated as micro-ops.
:func:`build_kernels` picks the two loops that leave the fewest micro-ops, subject to

- the field widths of the factors and the 14-bit iteration counts,
- the FPGA rule that no micro-op writes the accumulator entry either of the two executions before
  it wrote (checked on the exact execution sequence; the enumerated loops may run with those
  that keep the destination in place outermost, so a reduction need not be folded to be safe).

When no order avoids such a repeat (an output tile of one or two entries accumulating over a
reduction), the nest is split into several instructions, preferably along a loop that does not
move the destination; instructions drain the pipeline between them.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from vtac.errors import RefusalError
from vtac.runtime.config import LOOP_ITER_BITS, VTAConfig
from vtac.runtime.isa import Uop

MAX_ITER = (1 << LOOP_ITER_BITS) - 1

#: Micro-ops kept on chip at once (the Chisel design's buffer), so programs run on both designs.
UOP_BUDGET = 2048


class KernelError(RefusalError, ValueError):
    """The loop nest cannot be expressed within the ISA's limits."""

    limit = "the loop fields of a GEMM or ALU instruction"


@dataclass(frozen=True)
class AffineLoop:
    """One loop of the nest: its extent and its coefficient in each index."""

    extent: int
    dst: int
    src: int
    wgt: int = 0


@dataclass(frozen=True)
class KernelInsn:
    """One GEMM/ALU instruction: loop factors and the micro-ops it enumerates."""

    iter_out: int
    iter_in: int
    dst_factor_out: int
    dst_factor_in: int
    src_factor_out: int
    src_factor_in: int
    wgt_factor_out: int
    wgt_factor_in: int
    uops: tuple[Uop, ...]


def _uops(loops: list[AffineLoop], base: tuple[int, int, int]) -> list[Uop]:
    """Row-major enumeration of ``loops`` (first loop outermost)."""
    result = []
    for index in itertools.product(*(range(loop.extent) for loop in loops)):
        dst, src, wgt = base
        for i, loop in zip(index, loops, strict=True):
            dst += i * loop.dst
            src += i * loop.src
            wgt += i * loop.wgt
        result.append(Uop(dst, src, wgt))
    return result


def _dst_sequence(outer: AffineLoop, inner: AffineLoop, uops: list[Uop]) -> np.ndarray:
    dst = np.array([u.dst_idx for u in uops], dtype=np.int64)
    i = np.arange(outer.extent, dtype=np.int64)[:, None, None] * outer.dst
    j = np.arange(inner.extent, dtype=np.int64)[None, :, None] * inner.dst
    return (i + j + dst[None, None, :]).reshape(-1)


def hazard_free(sequence: np.ndarray) -> bool:
    """No destination equals either of the two before it."""
    return not ((sequence[1:] == sequence[:-1]).any() or (sequence[2:] == sequence[:-2]).any())


def _fits(loop: AffineLoop, config: VTAConfig, alu: bool) -> bool:
    src_limit = config.acc_depth if alu else config.inp_depth
    return (
        loop.extent <= MAX_ITER
        and 0 <= loop.dst < config.acc_depth
        and 0 <= loop.src < src_limit
        and 0 <= loop.wgt < (1 if alu else config.wgt_depth)
    )


def _hazard_free_uops(
    rest: list[AffineLoop],
    base: tuple[int, int, int],
    outer: AffineLoop,
    inner: AffineLoop,
    check_hazards: bool,
) -> list[Uop] | None:
    """The micro-ops enumerating ``rest`` inside the two folded loops, in an order with no
    write-after-write hazard: as given, else with the loops that keep the destination in place
    outermost (so consecutive micro-ops write different entries); None if neither is free."""
    orders = [rest]
    fixed_outermost = sorted(rest, key=lambda loop: loop.dst != 0)
    if fixed_outermost != rest:
        orders.append(fixed_outermost)
    for order in orders:
        uops = _uops(order, base)
        if not check_hazards or hazard_free(_dst_sequence(outer, inner, uops)):
            return uops
    return None


def build_kernels(
    loops: list[AffineLoop],
    base: tuple[int, int, int],
    config: VTAConfig,
    alu: bool = False,
    check_hazards: bool = True,
) -> list[KernelInsn]:
    """Instructions (usually one) that execute every step of the nest exactly once."""
    return list(_kernels(tuple(loops), base, config, alu, check_hazards))


@functools.lru_cache(maxsize=4096)
def _kernels(
    nest: tuple[AffineLoop, ...],
    base: tuple[int, int, int],
    config: VTAConfig,
    alu: bool,
    check_hazards: bool,
) -> tuple[KernelInsn, ...]:
    """:func:`build_kernels`, remembered: a tile walk repeats the same nests step after step,
    and the tile search lowers many walks of one op."""
    loops = [loop for loop in nest if loop.extent > 1]
    unit = AffineLoop(1, 0, 0, 0)
    n = len(loops)
    pairs: list[tuple[int | None, int | None]] = [
        (o, i) for o in range(n) for i in range(n) if o != i
    ]
    pairs += [(o, None) for o in range(n)] + [(None, None)]

    def rest_of(pair: tuple[int | None, int | None]) -> list[AffineLoop]:
        return [loop for k, loop in enumerate(loops) if k not in pair]

    pairs.sort(key=lambda pair: math.prod(loop.extent for loop in rest_of(pair)))
    for pair in pairs:
        outer, inner = (loops[k] if k is not None else unit for k in pair)
        if not (_fits(outer, config, alu) and _fits(inner, config, alu)):
            continue
        uops = _hazard_free_uops(rest_of(pair), base, outer, inner, check_hazards)
        if uops is None:
            continue
        return (
            KernelInsn(
                iter_out=outer.extent,
                iter_in=inner.extent,
                dst_factor_out=outer.dst,
                dst_factor_in=inner.dst,
                src_factor_out=outer.src,
                src_factor_in=inner.src,
                wgt_factor_out=outer.wgt,
                wgt_factor_in=inner.wgt,
                uops=tuple(uops),
            ),
        )
    # Split along a loop, preferably one that leaves the destination in place: one instruction
    # per iteration (a single step is always hazard-free, so this terminates).
    if not loops:
        raise KernelError(f"a single step at {base} does not fit the instruction's fields")
    k = next((k for k, loop in enumerate(loops) if loop.dst == 0), 0)
    loop, rest = loops[k], loops[:k] + loops[k + 1 :]
    result: list[KernelInsn] = []
    for i in range(loop.extent):
        shifted = (base[0] + i * loop.dst, base[1] + i * loop.src, base[2] + i * loop.wgt)
        result += _kernels(tuple(rest), shifted, config, alu, check_hazards)
    return tuple(result)
