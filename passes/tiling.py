"""Tile-size selection for a blocked contraction, scored by an analytical cycle model.

After instruction selection, an op is a loop nest over VTA *elements*: every loop either walks
blocks of an intrinsic dimension or is iterated outside the intrinsic, and every scalar operand
access has become an access to an input, weight or accumulator entry. Tiling chooses, for each
loop, how many iterations one on-chip tile covers, which tile loops run outermost, and whether
two virtual threads ping-pong between the halves of every buffer so that loads overlap compute.

Candidates are enumerated exhaustively (vectorised with numpy) under the hard limits, buffer
capacity and micro-op buffer size, and scored with the board's ``TimingParams``: the same costs
the timed simulator charges. Reduction loops always run innermost, so an
accumulator tile stays on chip until it is complete.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from vtac.runtime.config import LOOP_ITER_BITS, VTAConfig
from vtac.runtime.timing_params import TimingParams

MAX_ITER = (1 << LOOP_ITER_BITS) - 1
#: Micro-ops the Chisel design holds: kernels stay within it so programs run on both designs.
CHISEL_UOP_DEPTH = 2048


class TilingError(ValueError):
    """No schedule satisfies the limits, or a forced one breaks a limit (named in the message)."""


@dataclass(frozen=True)
class TileWindow:
    """An operand index ``outer * stride + inner`` (a convolution window over rows)."""

    outer: str
    inner: str
    stride: int


@dataclass(frozen=True)
class TileOperand:
    """An operand's element tensor: the loops indexing it directly, its windows, its bytes."""

    name: str
    loops: tuple[str, ...]
    elem_bytes: int
    windows: tuple[TileWindow, ...] = ()

    @property
    def all_loops(self) -> frozenset[str]:
        window_loops = {w.outer for w in self.windows} | {w.inner for w in self.windows}
        return frozenset(self.loops) | window_loops


@dataclass(frozen=True)
class TileProblem:
    """A blocked contraction ``out += inp * wgt`` over element-level loops.

    ``acc_extras`` are further tensors loaded into the accumulator buffer (a per-channel bias);
    ``alu_passes`` counts the epilogue's ALU instructions over each accumulator entry.
    """

    loops: tuple[tuple[str, int], ...]
    reduction: frozenset[str]
    inp: TileOperand
    wgt: TileOperand
    out: TileOperand
    out_store_bytes: int
    acc_extras: tuple[TileOperand, ...] = ()
    alu_passes: int = 0
    #: loops that must not be split (window loops over a zero border: see plan_tiles)
    whole: frozenset[str] = frozenset()

    @property
    def extents(self) -> dict[str, int]:
        return dict(self.loops)


@dataclass(frozen=True)
class Schedule:
    """Chosen tile sizes, tile-loop order (outermost first) and virtual threads, with the
    cost model's estimate."""

    tiles: tuple[tuple[str, int], ...]
    order: tuple[str, ...]
    vthreads: int
    cycles: int
    dram_bytes: int

    @property
    def tile(self) -> dict[str, int]:
        return dict(self.tiles)

    def __str__(self) -> str:
        sizes = ", ".join(f"{name}={size}" for name, size in self.tiles)
        return (
            f"tiles[{sizes}] order[{', '.join(self.order)}] vthreads={self.vthreads} "
            f"est_cycles={self.cycles} est_dram_bytes={self.dram_bytes}"
        )


def candidate_sizes(extent: int, limit: int = 24) -> list[int]:
    """Tile sizes worth trying for a loop: one per distinct trip count, thinned to ``limit``."""
    sizes = sorted({-(-extent // trips) for trips in range(1, extent + 1)}, reverse=True)
    if len(sizes) <= limit:
        return sizes
    divisors = [s for s in sizes if extent % s == 0]
    picks = set(divisors[: limit // 2])
    for index in np.linspace(0, len(sizes) - 1, limit - len(picks)).round().astype(int):
        picks.add(sizes[int(index)])
    return sorted(picks, reverse=True)


def _footprint(op: TileOperand, tiles: Mapping[str, np.ndarray]) -> np.ndarray:
    """Entries one tile of ``op`` occupies, halo rows of windows included."""
    size = np.ones_like(next(iter(tiles.values())))
    for loop in op.loops:
        size = size * tiles[loop]
    for w in op.windows:
        size = size * ((tiles[w.outer] - 1) * w.stride + tiles[w.inner])
    return size


def _row_elems(op: TileOperand, tiles: Mapping[str, np.ndarray]) -> np.ndarray:
    """Entries in one contiguous DRAM row of a tile transfer (the innermost dimension)."""
    if op.windows:
        w = op.windows[-1]
        return (tiles[w.outer] - 1) * w.stride + tiles[w.inner]
    return tiles[op.loops[-1]] if op.loops else np.ones_like(next(iter(tiles.values())))


def plan_tiles(
    problem: TileProblem,
    config: VTAConfig,
    timing: TimingParams | None = None,
    forced: Mapping[str, int] | None = None,
    vthreads: int | None = None,
) -> Schedule:
    """The schedule with the fewest estimated cycles (then fewest DRAM bytes).

    ``forced`` pins tile sizes of some loops and ``vthreads`` the thread count; a forced choice
    that breaks a limit raises :class:`TilingError` naming the limit and the numbers.
    """
    timing = timing or TimingParams()
    extents = problem.extents
    forced = dict(forced or {})
    for loop, size in forced.items():
        if loop not in extents:
            raise TilingError(f"forced tile for unknown loop {loop!r}; loops: {', '.join(extents)}")
        if not 1 <= size <= extents[loop]:
            raise TilingError(
                f"forced tile {loop}={size} is outside [1, {extents[loop]}] (the loop's extent)"
            )
    names = [name for name, _ in problem.loops]
    # Window loops over a zero border stay whole: a tile of them could fall entirely in the
    # border, a box with no element for the DMA to move.
    choices = [
        [forced[n]]
        if n in forced
        else [extents[n]]
        if n in problem.whole
        else candidate_sizes(extents[n])
        for n in names
    ]
    grid = np.array(list(itertools.product(*choices)), dtype=np.int64).reshape(-1, len(names))
    thread_options = [vthreads] if vthreads else [2, 1]
    best: tuple[tuple[int, int], Schedule] | None = None
    failures: list[str] = []
    for threads in thread_options:
        for order in _orders(problem):
            result = _best_for(problem, config, timing, names, grid, order, threads, failures)
            if result is None:
                continue
            key = (result.cycles, result.dram_bytes)
            if best is None or key < best[0]:
                best = (key, result)
    if best is None:
        reason = failures[0] if failures else "no candidate"
        what = "the forced tile sizes break a limit" if forced or vthreads else "no tiling fits"
        raise TilingError(f"{what}: {reason}")
    return best[1]


def _orders(problem: TileProblem) -> list[tuple[str, ...]]:
    """Tile-loop orders worth scoring: the loops indexing the input outermost, or those
    indexing the weights; reduction loops always innermost (other interleavings reload more)."""
    extents = problem.extents
    parallel = [n for n in extents if n not in problem.reduction]
    reduction = tuple(n for n in extents if n in problem.reduction)
    wgt_side = [n for n in parallel if n in problem.wgt.all_loops]
    inp_side = [n for n in parallel if n not in problem.wgt.all_loops]
    orders = {tuple(inp_side + wgt_side) + reduction, tuple(wgt_side + inp_side) + reduction}
    return sorted(orders)


def _best_for(
    problem: TileProblem,
    config: VTAConfig,
    timing: TimingParams,
    names: list[str],
    grid: np.ndarray,
    order: tuple[str, ...],
    threads: int,
    failures: list[str],
) -> Schedule | None:
    extents = problem.extents
    tiles = {name: grid[:, i] for i, name in enumerate(names)}
    trips = {name: -(-extents[name] // tiles[name]) for name in names}
    ok = np.ones(len(grid), dtype=bool)

    def limit(mask: np.ndarray, message: str) -> None:
        nonlocal ok
        if not mask.all() and ok.any():
            first = int(np.argmin(mask | ~ok)) if (ok & ~mask).any() else -1
            if first >= 0 and not mask[first]:
                sizes = ", ".join(f"{n}={int(tiles[n][first])}" for n in names)
                failures.append(f"{message} (tiles {sizes}, vthreads={threads})")
        ok &= mask

    inp_fp = _footprint(problem.inp, tiles)
    wgt_fp = _footprint(problem.wgt, tiles)
    acc_fp = _footprint(problem.out, tiles)
    for extra in problem.acc_extras:
        acc_fp = acc_fp + _footprint(extra, tiles)
    limit(
        inp_fp * threads <= config.inp_depth,
        f"input tile exceeds {config.inp_depth // threads} entries",
    )
    limit(
        wgt_fp * threads <= config.wgt_depth,
        f"weight tile exceeds {config.wgt_depth // threads} entries",
    )
    limit(
        acc_fp * threads <= config.acc_depth,
        f"accumulator tile exceeds {config.acc_depth // threads} entries",
    )
    # Micro-ops of one tile's GEMM: two loops fold into iter_out/iter_in, the rest enumerate.
    sizes = np.sort(grid, axis=1)
    folded = sizes[:, -1] * (sizes[:, -2] if grid.shape[1] > 1 else 1)
    volume = np.prod(grid, axis=1)
    uops = volume // folded
    uop_budget = min(config.uop_depth, CHISEL_UOP_DEPTH) // threads
    limit(uops <= uop_budget, f"GEMM micro-op kernel exceeds {uop_budget} micro-ops")
    for name in names:
        limit(tiles[name] <= MAX_ITER, f"tile of {name} exceeds {MAX_ITER} loop iterations")
    for op in (problem.inp, problem.wgt, problem.out):
        limit(_row_elems(op, tiles) < 1 << 16, f"a {op.name} transfer row exceeds 65535 entries")
    if threads > 1:
        parallel_trips = [trips[n] for n in names if n not in problem.reduction]
        has_pair = np.zeros(len(grid), dtype=bool)
        for t in parallel_trips:
            has_pair |= t >= 2
        limit(has_pair, "two virtual threads need a parallel tile loop with 2 or more trips")
    if not ok.any():
        return None

    def loads(op: TileOperand) -> np.ndarray:
        """Times a tile of ``op`` is (re)loaded: the trips of every loop down to the innermost
        one that indexes it."""
        count = np.ones(len(grid), dtype=np.int64)
        indexing = [i for i, n in enumerate(order) if n in op.all_loops]
        for name in order[: (max(indexing) + 1 if indexing else 0)]:
            count = count * trips[name]
        return count

    def transfer_cycles(op: TileOperand, count: np.ndarray, footprint: np.ndarray) -> np.ndarray:
        row = _row_elems(op, tiles)
        rows = -(-footprint // row)
        beats = -(-(row * op.elem_bytes) // timing.bus_bytes)
        return count * (timing.mem_insn_overhead + rows * (timing.dram_row_latency + beats))

    all_trips = np.ones(len(grid), dtype=np.int64)
    for name in names:
        all_trips = all_trips * trips[name]
    out_tiles = all_trips
    for name in problem.reduction:
        out_tiles = out_tiles // trips[name]
    load_cycles = transfer_cycles(problem.inp, loads(problem.inp), inp_fp)
    load_cycles += transfer_cycles(problem.wgt, loads(problem.wgt), wgt_fp)
    out_fp = _footprint(problem.out, tiles)
    store_cycles = out_tiles * (
        timing.mem_insn_overhead
        + -(-out_fp // _row_elems(problem.out, tiles))
        * (
            timing.dram_row_latency
            + -(-(_row_elems(problem.out, tiles) * problem.out_store_bytes) // timing.bus_bytes)
        )
    )
    total_uops = math.prod(extents.values())
    compute_cycles = total_uops * timing.gemm_cycles_per_uop + all_trips * timing.gemm_pipeline_fill
    total_out = math.prod(extents[n] for n in problem.out.all_loops)
    compute_cycles += problem.alu_passes * (
        total_out * timing.alu_cycles_per_uop + out_tiles * timing.alu_pipeline_fill
    )
    for extra in problem.acc_extras:
        compute_cycles += transfer_cycles(extra, loads(extra), _footprint(extra, tiles))
    dram = (
        loads(problem.inp) * inp_fp * problem.inp.elem_bytes
        + loads(problem.wgt) * wgt_fp * problem.wgt.elem_bytes
        + out_tiles * out_fp * problem.out_store_bytes
    )
    if threads > 1:
        first_load = (load_cycles // np.maximum(all_trips, 1)) + store_cycles // np.maximum(
            out_tiles, 1
        )
        cycles = np.maximum(np.maximum(load_cycles, compute_cycles), store_cycles) + first_load
    else:
        cycles = load_cycles + compute_cycles + store_cycles
    cycles = np.where(ok, cycles, np.iinfo(np.int64).max)
    order_key = np.lexsort((np.where(ok, dram, np.iinfo(np.int64).max), cycles))
    best = int(order_key[0])
    return Schedule(
        tiles=tuple((n, int(tiles[n][best])) for n in names),
        order=order,
        vthreads=threads,
        cycles=int(cycles[best]),
        dram_bytes=int(dram[best]),
    )
