"""Tile-size selection for a blocked contraction, scored by an analytical cycle model.

After instruction selection, an op is a loop nest over VTA *elements*: every loop either walks
blocks of an intrinsic dimension or is iterated outside the intrinsic, and every scalar operand
access has become an access to an input, weight or accumulator entry. Tiling chooses, for each
loop, how many iterations one on-chip tile covers, which tile loops run outermost, and whether
two virtual threads ping-pong between the halves of every buffer so that loads overlap compute.

Candidates are enumerated exhaustively (vectorised with numpy) under the hard limits, buffer
capacity and micro-op buffer size, and scored with the board's ``TimingParams``: the same costs
the timed simulator charges. The best-scored few are then replayed tile by tile (:func:`replay`:
the DMA transfers lowering emits, reuse of resident tiles, the three modules overlapping as
buffer hazards allow), which tracks the timed simulator within about a percent, and the fastest
replay wins. Reduction loops always run innermost, so an accumulator tile stays on chip until
it is complete.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from vtac.backends.vta.dma import MAX_STRIDE, DmaError, plan_box
from vtac.errors import RefusalError
from vtac.runtime.config import LOOP_ITER_BITS, VTAConfig
from vtac.runtime.steady_state import extrapolate, sampled_loops, walked_steps
from vtac.runtime.timing_params import TimingParams

MAX_ITER = (1 << LOOP_ITER_BITS) - 1
#: Micro-ops the Chisel design holds: kernels stay within it so programs run on both designs.
CHISEL_UOP_DEPTH = 2048
#: Candidates per loop order and thread count that the analytical model ranks best and that
#: are then replayed tile by tile to choose among them.
REPLAYED = 32
#: ... for a kernel the analytical model puts under ``THOROUGH_FROM`` cycles.
REPLAYED_QUICK = 16
#: Kernels estimated at this many cycles or more get the thorough search (more candidates
#: replayed here; in vtac-tile, edge splits searched on several tilings and over several steps).
THOROUGH_FROM = 40_000
#: Tiles replayed per search at most (candidates beyond it keep their analytical estimate).
REPLAY_STEPS = 10_000
#: Accumulator entries from which the walk's last tile runs its epilogue in two parts.
SPLIT_ENTRIES = 64


class TilingError(RefusalError, ValueError):
    """No schedule satisfies the limits, or a forced one breaks a limit (named in the message)."""

    limit = "the tile schedule's limits (buffer entries, loop trips, forced choices)"


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
    #: The DRAM array's extent per coordinate (loops, then windows) and each window's offset
    #: (negative over a zero border); empty: exactly what the loops cover.
    shape: tuple[int, ...] = ()
    offsets: tuple[int, ...] = ()

    @property
    def all_loops(self) -> frozenset[str]:
        window_loops = {w.outer for w in self.windows} | {w.inner for w in self.windows}
        return frozenset(self.loops) | window_loops

    def box(
        self, origin: Mapping[str, int], size: Mapping[str, int]
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Origin and size, per DRAM coordinate, of the tile at ``origin`` of ``size``."""
        offsets = self.offsets or (0,) * len(self.windows)
        lo = [origin[n] for n in self.loops]
        extent = [size[n] for n in self.loops]
        for w, offset in zip(self.windows, offsets, strict=True):
            lo.append(origin[w.outer] * w.stride + origin[w.inner] + offset)
            extent.append((size[w.outer] - 1) * w.stride + size[w.inner])
        return tuple(lo), tuple(extent)

    def dram_shape(self, extents: Mapping[str, int]) -> tuple[int, ...]:
        if self.shape:
            return self.shape
        spans = ((extents[w.outer] - 1) * w.stride + extents[w.inner] for w in self.windows)
        return (*(extents[n] for n in self.loops), *spans)


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
    #: loops that must not be split (window loops over a zero border: see ranked_tiles)
    whole: frozenset[str] = frozenset()
    #: tensors whose DRAM layout is fixed (shared with another stage): never reordered
    kept: frozenset[str] = frozenset()

    @property
    def extents(self) -> dict[str, int]:
        return dict(self.loops)

    def reordered(self, tiles: Mapping[str, int]) -> TileProblem:
        """The problem with every tensor's loop coordinates in :func:`coordinate_order` for
        ``tiles`` (its DRAM layout refined for them)."""
        extents = self.extents

        def operand(op: TileOperand) -> TileOperand:
            if op.name in self.kept:
                return op
            order = coordinate_order(
                op.loops,
                lambda c: tiles[c] == extents[c],  # type: ignore[index]
                lambda c: tiles[c],
            )
            shape = op.dram_shape(extents)
            loops = tuple(op.loops[i] for i in order)
            shape = tuple(shape[i] for i in order) + shape[len(op.loops) :]
            return replace(op, loops=loops, shape=shape)

        return replace(
            self,
            inp=operand(self.inp),
            wgt=operand(self.wgt),
            out=operand(self.out),
            acc_extras=tuple(operand(e) for e in self.acc_extras),
        )


def coordinate_order(
    coords: Sequence[str | TileWindow],
    whole: Callable[[str | TileWindow], bool],
    size: Callable[[str], int] | None = None,
) -> list[int]:
    """The order of a tensor's outer coordinates that makes a tile's transfer merge into the
    fewest, longest rows: coordinates the tile covers in part outermost, the one of them the
    tile spans furthest (``size``) innermost, those it covers whole innermost, windows of whole
    rows last (the DMA pads only there); stable otherwise."""

    def key(i: int, c: str | TileWindow) -> tuple[bool, bool, int, int]:
        window, full = isinstance(c, TileWindow), whole(c)
        span = size(c) if size is not None and not window and not full else 0  # type: ignore[arg-type]
        return (window, full, span, i)

    return [k[-1] for k in sorted(key(i, c) for i, c in enumerate(coords))]


@dataclass(frozen=True)
class Split:
    """Steps of the walk run in parts along one of their parallel loops: ``sizes`` iterations
    of ``loop`` each, then the rest. Each part's GEMM starts once the data it reads is on chip
    (a head split shortens the wait for the first tile's loads), and on the walk's last step
    each part's epilogue and STORE follow its GEMM (a tail split leaves less work after the
    last load; parts shrinking towards the end leave least). A head split covers the walk's
    first ``steps`` steps, a tail split its last ``steps``: a load-bound walk's compute then
    follows its loads part by part instead of a step behind. Written ``loop:first`` for two
    parts of one step, ``loop:8+4+2`` for more, ``loop:8+4+2@3`` over three steps."""

    loop: str
    sizes: tuple[int, ...]
    steps: int = 1

    def parts(self, size: int) -> list[tuple[int, int]]:
        """(start, extent) of the parts of a loop ``size`` iterations long (a step shorter
        than the sizes add up to has fewer parts)."""
        bounds = [b for b in itertools.accumulate(self.sizes, initial=0) if b < size]
        return [(a, b - a) for a, b in itertools.pairwise([*bounds, size])]

    def __str__(self) -> str:
        steps = f"@{self.steps}" if self.steps > 1 else ""
        return f"{self.loop}:{'+'.join(map(str, self.sizes))}{steps}"

    @staticmethod
    def parse(text: str) -> Split:
        """``"oh:2"``, ``"block_out:8+4+2"`` or ``"block_out:8+4+2@3"`` as a split; a
        ValueError says what is wrong."""
        loop, _, rest = text.partition(":")
        sizes, at, steps = rest.partition("@")
        numbers = [*sizes.split("+"), steps if at else "1"]
        if not loop.strip() or not all(n.strip().isdigit() and int(n) >= 1 for n in numbers):
            raise ValueError(
                f"split {text!r}: expected LOOP:SIZE, LOOP:SIZE+SIZE+... or LOOP:SIZE+...@STEPS "
                "with positive numbers"
            )
        return Split(loop.strip(), tuple(int(n) for n in numbers[:-1]), int(numbers[-1]))


def split_axis(coords: Sequence[str | TileWindow], box: Sequence[int], loop: str) -> int | None:
    """The coordinate of a row-major box along which iterations of ``loop`` are contiguous
    slabs: the only coordinate ``loop`` indexes (as a loop, or a window's outer loop), with no
    coordinate before it spanning more than one entry. -1 when no coordinate involves
    ``loop``; None when the box cannot be split along it."""
    hits = [
        i
        for i, c in enumerate(coords)
        if c == loop or (isinstance(c, TileWindow) and loop in (c.outer, c.inner))
    ]
    if not hits:
        return -1
    if len(hits) > 1:
        return None
    i = hits[0]
    coord = coords[i]
    if isinstance(coord, TileWindow) and coord.inner == loop:
        return None
    return None if any(extent > 1 for extent in box[:i]) else i


def slab_rows(
    coord: str | TileWindow, start: int, extent: int, size: Mapping[str, int]
) -> tuple[int, int]:
    """The range, relative to the tile's box, of the coordinate that iterations
    [start, start + extent) of a loop read (a window's rows include its halo)."""
    if isinstance(coord, TileWindow):
        return start * coord.stride, (start + extent - 1) * coord.stride + size[coord.inner]
    return start, start + extent


@dataclass(frozen=True)
class Schedule:
    """Chosen tile sizes, tile-loop order (outermost first) and virtual threads, with the
    cost model's estimate."""

    tiles: tuple[tuple[str, int], ...]
    order: tuple[str, ...]
    vthreads: int
    cycles: int
    dram_bytes: int
    #: threads the accumulator buffer is split between: ``vthreads`` (0), or 1 with two threads
    #: (loads ping-pong while one accumulator tile, up to the whole buffer, fills)
    acc_threads: int = 0
    #: whether the walk's last tile runs its epilogue in two parts (see epilogue_parts)
    split_tail: bool = True
    #: whether the tensors' DRAM layouts are refined for the tiles (TileProblem.reordered)
    refined_layouts: bool = False
    #: the walk's first step in parts (see Split), and its last one
    head: Split | None = None
    tail: Split | None = None

    @property
    def tile(self) -> dict[str, int]:
        return dict(self.tiles)

    def trips(self, extents: Mapping[str, int]) -> dict[str, int]:
        """Tiles per loop of loops of ``extents``."""
        return {n: -(-extents[n] // size) for n, size in self.tiles}

    def split_of(self, step: int, total: int) -> Split | None:
        """The split step ``step`` of a walk of ``total`` steps runs with: the tail's over the
        last ``tail.steps`` steps, else the head's over the first ``head.steps``."""
        if self.tail and step >= total - self.tail.steps:
            return self.tail
        if self.head and step < self.head.steps:
            return self.head
        return None

    @property
    def acc_halves(self) -> int:
        """Parts of the accumulator buffer output tiles alternate between."""
        return self.acc_threads or self.vthreads

    def __str__(self) -> str:
        sizes = ", ".join(f"{name}={size}" for name, size in self.tiles)
        extra = f" acc_threads={self.acc_halves}" if self.acc_halves != self.vthreads else ""
        extra += "" if self.split_tail or self.tail else " epilogue=whole"
        for name, split in (("head", self.head), ("tail", self.tail)):
            extra += f" {name}={split}" if split else ""
        return (
            f"tiles[{sizes}] order[{', '.join(self.order)}] vthreads={self.vthreads}{extra} "
            f"est_cycles={self.cycles} est_dram_bytes={self.dram_bytes}"
        )


def epilogue_parts(
    box: tuple[tuple[int, ...], tuple[int, ...]], final: bool
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The output boxes (origin, size) an output tile's epilogue and STORE run over: the whole
    ``box``, but for the walk's ``final`` tile two parts, so the first part's STORE overlaps the
    second part's ALU work and only the small second part's STORE is left after the last
    compute. The split is along the outermost coordinate spanning more than one element, the
    second part a fifth of it (the epilogue's ALU passes take about four times the cycles a
    STORE of the same entries does). A tile under ``SPLIT_ENTRIES`` entries stays whole: its
    STORE is shorter than the two micro-op loads the second part's new kernels take."""
    lo, size = box
    coord = next((c for c, extent in enumerate(size) if extent > 1), None)
    if not final or coord is None or math.prod(size) < SPLIT_ENTRIES:
        return [box]
    first = size[coord] - max(1, size[coord] // 5)
    head = size[:coord] + (first,) + size[coord + 1 :]
    tail_lo = lo[:coord] + (lo[coord] + first,) + lo[coord + 1 :]
    tail = size[:coord] + (size[coord] - first,) + size[coord + 1 :]
    return [(lo, head), (tail_lo, tail)]


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


def _row_elems(
    op: TileOperand,
    tiles: Mapping[str, np.ndarray],
    extents: Mapping[str, int] | None = None,
) -> np.ndarray:
    """Entries in one contiguous DRAM row of a tile transfer: the innermost dimension, or with
    ``extents`` (layouts refined per tile, :func:`coordinate_order`) the loops a tile covers
    whole times the innermost one it covers in part."""
    if op.windows:
        w = op.windows[-1]
        return (tiles[w.outer] - 1) * w.stride + tiles[w.inner]
    ones = np.ones_like(next(iter(tiles.values())))
    if not op.loops:
        return ones
    if extents is None:
        return tiles[op.loops[-1]]
    whole, partial = ones, ones
    for loop in op.loops:
        full = tiles[loop] == extents[loop]
        whole = np.where(full, whole * extents[loop], whole)
        partial = np.where(full, partial, np.maximum(partial, tiles[loop]))
    return whole * partial


def ranked_tiles(
    problem: TileProblem,
    config: VTAConfig,
    timing: TimingParams | None = None,
    forced: Mapping[str, int] | None = None,
    vthreads: int | None = None,
    order: Sequence[str] | None = None,
    acc_threads: int | None = None,
    split_tail: bool | None = None,
    relayout: bool = False,
    count: int = 1,
    replay_steps: int = REPLAY_STEPS,
) -> list[Schedule]:
    """The ``count`` schedules with the fewest replayed cycles (then fewest DRAM bytes) among
    those the analytical model ranks best, best first, no two alike in both; their ``cycles``
    are the replay's.

    ``forced`` pins tile sizes of some loops, ``vthreads`` the thread count, ``order`` the
    tile-loop order (outermost first, reduction loops innermost), ``acc_threads`` how many parts
    the accumulator buffer is split into and ``split_tail`` the epilogue of the last tile; a
    forced choice that breaks a limit raises :class:`TilingError` naming the limit and the
    numbers. With ``relayout`` every candidate is scored with the DRAM layouts refined for its
    tiles (:meth:`TileProblem.reordered`), which the caller then uses. At most
    ``replay_steps`` tile steps are replayed (0: the analytical ranking alone).
    """
    timing = timing or TimingParams()
    extents = problem.extents
    orders = [_check_order(problem, tuple(order))] if order else _orders(problem)
    forced = dict(forced or {})
    for loop, size in forced.items():
        if loop not in extents:
            raise TilingError(f"forced tile for unknown loop {loop!r}; loops: {', '.join(extents)}")
        if not 1 <= size <= extents[loop]:
            raise TilingError(
                f"forced tile {loop}={size} is outside [1, {extents[loop]}] (the loop's extent)"
            )
        if loop in problem.whole and size != extents[loop]:
            raise TilingError(
                f"forced tile {loop}={size}: {loop} must stay whole ({extents[loop]}), it runs "
                "a window over the zero border, where a tile could hold no element to load"
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
    if acc_threads and vthreads and acc_threads > vthreads:
        raise TilingError(f"acc_threads={acc_threads} exceeds vthreads={vthreads}")
    thread_options = [
        (v, a)
        for v in ([vthreads] if vthreads else [2, 1])
        for a in ([acc_threads] if acc_threads else [v, 1] if v > 1 else [1])
        if a <= v
    ]
    groups: list[list[Schedule]] = []
    failures: list[str] = []
    for threads, acc in thread_options:
        for loops, refine in itertools.product(orders, [False, True] if relayout else [False]):
            groups.append(
                _best_for(
                    problem, config, timing, names, grid, loops, (threads, acc), failures, refine
                )
            )
    # a short kernel replays fewer candidates (the compile time is not worth it)
    estimate = min((g[0].cycles for g in groups if g), default=0)
    keep = REPLAYED if estimate >= THOROUGH_FROM else REPLAYED_QUICK
    candidates = list(dict.fromkeys(c for g in groups for c in g[:keep]))  # each once
    candidates.sort(key=lambda c: (c.cycles, c.dram_bytes))
    transfers: dict[tuple[tuple[str, ...], ...], _Transfers] = {}
    best: dict[Schedule, tuple[tuple[int, int], Schedule]] = {}  # candidate -> best variant
    budget = replay_steps
    for candidate in candidates:
        steps = math.prod(-(-extents[n] // size) for n, size in candidate.tiles)
        layouts = [(False, problem)]
        if relayout:
            refined = problem.reordered(candidate.tile)
            layouts += [(True, refined)] if refined != problem else []
        tails = [split_tail] if split_tail is not None else [True, False]
        sampled = sampled_loops(candidate.trips(extents), candidate.order)
        steps = walked_steps(candidate.trips(extents), sampled) if sampled else steps
        replays = steps * len(layouts) * len(tails)  # every variant replays every step
        if replays > budget:
            continue
        budget -= replays
        for (refine, laid_out), tail in itertools.product(layouts, tails):
            key_of_layout = tuple(op.loops for op in (laid_out.inp, laid_out.wgt, laid_out.out))
            moves = transfers.setdefault(key_of_layout, _Transfers(laid_out, timing))
            variant = replace(candidate, split_tail=tail, refined_layouts=refine)
            try:
                cycles = replay_extrapolated(laid_out, config, timing, variant, moves, sampled)
            except DmaError as err:
                sizes = ", ".join(f"{n}={size}" for n, size in candidate.tiles)
                failures.append(f"the DMA cannot move {err} (tiles {sizes})")
                break
            key = (cycles, candidate.dram_bytes)
            if candidate not in best or key < best[candidate][0]:
                best[candidate] = (key, replace(variant, cycles=cycles))
    if not best and budget == replay_steps and candidates:
        return [candidates[0]]  # too many tiles to replay: the analytical estimate
    if not best:
        reason = failures[0] if failures else "no candidate"
        what = (
            "the forced tile sizes break a limit"
            if forced or vthreads or order
            else "no tiling fits"
        )
        raise TilingError(f"{what}: {reason}")
    # candidates that replay alike are usually one tiling seen twice (oh and ow swapped)
    alike = dict(sorted(best.values(), key=lambda kv: kv[0])[::-1])
    return sorted(alike.values(), key=lambda v: (v.cycles, v.dram_bytes))[:count]


def _check_order(problem: TileProblem, order: tuple[str, ...]) -> tuple[str, ...]:
    """A forced tile-loop order, checked: every loop once, reduction loops innermost."""
    names = [name for name, _ in problem.loops]
    if sorted(order) != sorted(names):
        raise TilingError(
            f"forced order {', '.join(order)} must name each loop once: {', '.join(names)}"
        )
    first_reduction = next(
        i for i, n in enumerate(order + ("",)) if n in problem.reduction or not n
    )
    late = [n for n in order[first_reduction:] if n not in problem.reduction]
    if late:
        raise TilingError(
            f"forced order {', '.join(order)}: reduction loops "
            f"({', '.join(sorted(problem.reduction))}) must be innermost, {late[0]} is inside them"
        )
    return order


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
    threading: tuple[int, int],
    failures: list[str],
    relayout: bool = False,
) -> list[Schedule]:
    """The ``REPLAYED`` candidates the analytical model scores best for ``order`` and
    ``threading`` (virtual threads, accumulator parts), none if no candidate keeps within the
    limits. ``relayout``: transfer rows as the layouts refined per candidate make them."""
    threads, acc_threads = threading
    refined = problem.extents if relayout else None
    extents = problem.extents
    tiles = {name: grid[:, i] for i, name in enumerate(names)}
    trips = {name: -(-extents[name] // tiles[name]) for name in names}
    ok = np.ones(len(grid), dtype=bool)

    def limit(mask: np.ndarray, message: str) -> None:
        """Drop the candidates ``mask`` rules out; record why, the limit that drops the last
        ones first (it is what stops every tiling)."""
        nonlocal ok
        if not mask.all() and ok.any():
            first = int(np.argmin(mask | ~ok)) if (ok & ~mask).any() else -1
            if first >= 0 and not mask[first]:
                sizes = ", ".join(f"{n}={int(tiles[n][first])}" for n in names)
                extra = f", acc_threads={acc_threads}" if acc_threads != threads else ""
                why = f"{message} (tiles {sizes}, vthreads={threads}{extra})"
                failures.insert(0 if not (ok & mask).any() else len(failures), why)
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
        acc_fp * acc_threads <= config.acc_depth,
        f"accumulator tile exceeds {config.acc_depth // acc_threads} entries",
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
        stride = op.dram_shape(extents)[-1] if op.loops or op.windows else 1
        if stride > MAX_STRIDE:  # rows of a DRAM row this long are too far apart for a 2D DMA
            rows = _footprint(op, tiles) > _row_elems(op, tiles)
            limit(~rows, f"a {op.name} tile's row stride {stride} exceeds {MAX_STRIDE}")
    if threads > 1:
        paired = [trips[n] for n in names if acc_threads == 1 or n not in problem.reduction]
        has_pair = np.zeros(len(grid), dtype=bool)
        for t in paired:
            has_pair |= t >= 2
        what = "tile loop" if acc_threads == 1 else "parallel tile loop"
        limit(has_pair, f"two virtual threads need a {what} with 2 or more trips")
    if not ok.any():
        return []

    def loads(op: TileOperand) -> np.ndarray:
        """Times a tile of ``op`` is (re)loaded: the trips of every loop down to the innermost
        one that indexes it."""
        count = np.ones(len(grid), dtype=np.int64)
        indexing = [i for i, n in enumerate(order) if n in op.all_loops]
        for name in order[: (max(indexing) + 1 if indexing else 0)]:
            count = count * trips[name]
        return count

    def transfer_cycles(op: TileOperand, count: np.ndarray, footprint: np.ndarray) -> np.ndarray:
        layout = None if op.name in problem.kept else refined
        row = np.minimum(_row_elems(op, tiles, layout), (1 << 16) - 1)
        rows = -(-footprint // row)
        return count * (timing.mem_insn_overhead + rows * timing.row_cycles(row * op.elem_bytes))

    all_trips = np.ones(len(grid), dtype=np.int64)
    for name in names:
        all_trips = all_trips * trips[name]
    out_tiles = all_trips
    for name in problem.reduction:
        out_tiles = out_tiles // trips[name]
    load_cycles = transfer_cycles(problem.inp, loads(problem.inp), inp_fp)
    load_cycles += transfer_cycles(problem.wgt, loads(problem.wgt), wgt_fp)
    out_fp = _footprint(problem.out, tiles)
    out_layout = None if problem.out.name in problem.kept else refined
    out_row = np.minimum(_row_elems(problem.out, tiles, out_layout), (1 << 16) - 1)
    store_cycles = out_tiles * (
        timing.mem_insn_overhead
        + -(-out_fp // out_row) * timing.row_cycles(out_row * problem.out_store_bytes)
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
        if acc_threads == 1:  # a tile's epilogue and store wait for the one before
            compute_cycles = compute_cycles + store_cycles
        cycles = np.maximum(np.maximum(load_cycles, compute_cycles), store_cycles) + first_load
    else:
        cycles = load_cycles + compute_cycles + store_cycles
    cycles = np.where(ok, cycles, np.iinfo(np.int64).max)
    order_key = np.lexsort((np.where(ok, dram, np.iinfo(np.int64).max), cycles))
    return [
        Schedule(
            tiles=tuple((n, int(tiles[n][best])) for n in names),
            order=order,
            vthreads=threads,
            cycles=int(cycles[best]),
            dram_bytes=int(dram[best]),
            acc_threads=acc_threads,
        )
        for best in order_key[: min(REPLAYED, int(ok.sum()))]
    ]


class _Transfers:
    """Cycles of moving tile boxes with the DMA plan lowering uses (rows merged, borders
    padded), cached per operand and box."""

    def __init__(self, problem: TileProblem, timing: TimingParams) -> None:
        self.timing = timing
        self.shapes = {
            op.name: op.dram_shape(problem.extents)
            for op in (problem.inp, problem.wgt, problem.out, *problem.acc_extras)
        }
        self.cache: dict[tuple[object, ...], int | DmaError] = {}

    def cycles(
        self, op: TileOperand, elem_bytes: int, box: tuple[tuple[int, ...], tuple[int, ...]]
    ) -> int:
        """Cycles of the transfers of ``box`` (origin, size); a :class:`DmaError` if the DMA
        cannot move it. They depend on the origin only through the zero border of the two
        innermost dimensions, so boxes of one size and border share a cache entry."""
        shape = self.shapes[op.name]
        lo, size = box
        border = tuple(
            (max(0, -o), max(0, o + s - n))
            for n, o, s in zip(shape[-2:], lo[-2:], size[-2:], strict=True)
        )
        key = (op.name, elem_bytes, size, border)
        if key not in self.cache:
            try:
                transfers = plan_box(shape, *box)
            except DmaError as err:
                self.cache[key] = DmaError(f"a {op.name} tile: {err}")
                raise self.cache[key] from None
            self.cache[key] = sum(
                self.timing.transfer_cycles(
                    t.y_size, t.x_size * elem_bytes, t.sram_entries - t.x_size * t.y_size
                )
                for t in transfers
            )
        cached = self.cache[key]
        if isinstance(cached, DmaError):
            raise cached
        return cached


def replay_extrapolated(
    problem: TileProblem,
    config: VTAConfig,
    timing: TimingParams,
    schedule: Schedule,
    transfers: _Transfers,
    sampled: Mapping[str, int],
) -> int:
    """:func:`replay`'s cycles for the whole walk, from a few iterations of the ``sampled``
    loops (:func:`~vtac.runtime.steady_state.extrapolate`)."""
    if not sampled:
        return replay(problem, config, timing, schedule, transfers)
    _, total = extrapolate(
        sampled, lambda visit: (replay(problem, config, timing, schedule, transfers, visit),)
    )
    return round(total[0])


def replay(
    problem: TileProblem,
    config: VTAConfig,
    timing: TimingParams,
    schedule: Schedule,
    transfers: _Transfers | None = None,
    visit: Mapping[str, Sequence[int]] | None = None,
) -> int:
    """Cycles of ``schedule`` replayed tile by tile as lowering walks it (``visit``: only the
    given tile indices of some loops, as :func:`~vtac.backends.vta.tile_walk.walk_tiles` takes
    them): boxes reloaded only
    when their buffer half holds another one, the DMA's own transfers, micro-op kernels loaded
    while they are not on chip, and the three modules overlapping as far as buffer hazards allow
    (a load waits for the compute that last read its half; a reset, for the store that last
    read its accumulators). A :class:`DmaError` says which box the DMA cannot move."""
    transfers = transfers or _Transfers(problem, timing)
    extents = problem.extents
    tile, order, threads = schedule.tile, schedule.order, schedule.vthreads
    acc_halves = schedule.acc_halves
    trips = [-(-extents[n] // tile[n]) for n in order]
    spans = [
        [(i * tile[n], min(tile[n], extents[n] - i * tile[n])) for i in range(t)]
        for n, t in zip(order, trips, strict=True)
    ]
    reduction = [p for p, n in enumerate(order) if n in problem.reduction]
    boxes: dict[tuple[str, tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]] = {}
    operands = (problem.inp, problem.wgt, problem.out, *problem.acc_extras)
    depends = {op.name: [p for p, n in enumerate(order) if n in op.all_loops] for op in operands}

    def box(op: TileOperand, index: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The box of ``op`` at the tile ``index``, cached by the indices ``op`` depends on."""
        key = (op.name, tuple(index[p] for p in depends[op.name]))
        if key not in boxes:
            origin = {n: spans[p][index[p]][0] for p, n in enumerate(order)}
            size = {n: spans[p][index[p]][1] for p, n in enumerate(order)}
            boxes[key] = op.box(origin, size)
        return boxes[key]

    def moved(op: TileOperand, elem_bytes: int, where: tuple) -> int:  # noqa: ANN401
        return transfers.cycles(op, elem_bytes, where)

    uop_budget = min(config.uop_depth, CHISEL_UOP_DEPTH)
    kernels: dict[tuple[object, ...], tuple[int, int]] = {}  # kernel -> (slot, micro-ops)
    next_slot = 0
    distinct = 0  # micro-ops of the kernels seen: while they fit together, one LOAD first

    def kernel(key: tuple[object, ...], uops: int) -> int:
        """Cycles of loading a micro-op kernel, 0 while it is on chip (or loaded first, with
        every other kernel, as lowering does while they all fit in the buffer together)."""
        nonlocal next_slot, distinct
        if key in kernels:
            return 0
        distinct += uops
        if distinct <= uop_budget:
            kernels[key] = (distinct - uops, uops)
            next_slot = distinct
            return 0
        if next_slot + uops > uop_budget:
            next_slot = 0
        lo, hi = next_slot, next_slot + uops
        for other, (slot, length) in list(kernels.items()):
            if slot < hi and lo < slot + length:
                del kernels[other]
        kernels[key] = (lo, uops)
        next_slot = hi
        return timing.transfer_cycles(1, uops * config.uop_elem_bytes)

    resident: dict[tuple[str, int], tuple] = {}
    # one copy of each accumulator extra (the bias) serves every accumulator part: all of it
    # when it fits beside an output tile, else the tile's box (as the tile walk does)
    out_max = int(_footprint(problem.out, tile))
    whole = {
        e.name: out_max + math.prod(e.dram_shape(extents)) <= config.acc_depth // acc_halves
        for e in problem.acc_extras
    }
    load_free = compute_free = store_free = 0
    read_end = [0] * threads  # end of the last compute reading each input/weight half
    ready = [0] * threads  # end of the last load into each input/weight half
    stored = [0] * acc_halves  # end of the last store from each accumulator part
    total = math.prod(trips)
    strides = [math.prod(trips[p + 1 :]) for p in range(len(trips))]
    per_out_tile = math.prod(trips[p] for p in reduction)
    visited = [(visit or {}).get(n, range(t)) for n, t in zip(order, trips, strict=True)]
    for index in itertools.product(*visited):
        step = sum(i * stride for i, stride in zip(index, strides, strict=True))
        out_tiles = step // per_out_tile
        first = all(index[p] == 0 for p in reduction)
        last = all(index[p] == trips[p] - 1 for p in reduction)
        io_half, acc_half = step % threads, out_tiles % acc_halves
        out = box(problem.out, index)
        out_entries = math.prod(out[1])
        prepare = 0  # compute work that needs no input or weights: reset, bias, micro-ops
        if first:
            prepare += out_entries * timing.gemm_cycles_per_uop + timing.gemm_pipeline_fill
            prepare += kernel(("reset",), 1)
            for extra in problem.acc_extras:
                shape = extra.dram_shape(extents)
                where = ((0,) * len(shape), shape) if whole[extra.name] else box(extra, index)
                if resident.get((extra.name, 0)) != where:
                    prepare += moved(extra, extra.elem_bytes, where)
                    resident[(extra.name, 0)] = where
        load = 0
        for op in (problem.inp, problem.wgt):
            where = box(op, index)
            if resident.get((op.name, io_half)) != where:
                load += moved(op, op.elem_bytes, where)
                resident[(op.name, io_half)] = where
        sizes = sorted(spans[p][i][1] for p, i in enumerate(index))
        volume = math.prod(sizes)
        uops = volume // (sizes[-1] * (sizes[-2] if len(sizes) > 1 else 1))
        prepare += kernel(("gemm", io_half, acc_half, *sizes), uops)
        compute = volume * timing.gemm_cycles_per_uop + timing.gemm_pipeline_fill
        if load:
            load_free = max(load_free, read_end[io_half]) + load
            ready[io_half] = load_free
        if first:
            compute_free = max(compute_free, stored[acc_half])
        compute_free = max(compute_free + prepare, ready[io_half]) + compute
        read_end[io_half] = compute_free
        if last:
            for part in epilogue_parts(out, step == total - 1 and schedule.split_tail):
                # micro-ops: one for the immediate steps, the bias ADD's over the box
                at = (acc_half, tuple(a - b for a, b in zip(part[0], out[0], strict=True)))
                compute_free += kernel(("alu", *at), 1)
                if problem.acc_extras:
                    sizes = sorted(part[1])
                    uops = math.prod(sizes[:-2])
                    compute_free += kernel(("add", *at, part[1], uops), uops)
                compute_free += problem.alu_passes * (
                    math.prod(part[1]) * timing.alu_cycles_per_uop + timing.alu_pipeline_fill
                )
                store = moved(problem.out, problem.out_store_bytes, part)
                store_free = max(store_free, compute_free) + store
            stored[acc_half] = store_free
    return max(compute_free, store_free)
