"""vtac-tile: tile sizes, tile-loop order and virtual threads; the kernel as tile-dialect IR.

The search (:func:`vtac.planning.tiling.ranked_tiles`) keeps every tile within its on-chip
buffer (half of it per virtual thread), every ISA field in range and micro-op kernels within
the micro-op buffer, and scores the rest with the cost model (DRAM bytes and cycles); the first
and last steps of the few best may then run in parts (:class:`~vtac.planning.tiling.Split`,
chosen by compiling and timing candidates), and the fastest as compiled wins. The kernel
function is replaced by its tile program (:mod:`vtac.backends.vta.tile_ir`): a function over the
packed DRAM tensors whose body is the tile walk (:func:`vtac.backends.vta.tile_walk.walk_tiles`) as
``tile.dma_load``, ``tile.gemm``, ``tile.alu`` and ``tile.dma_store``, constant weights packed
into ``memref.global``s. The choice is recorded on that function as ``vtac.schedule``:

    {tiles = {n = 1, oc = 4, ...}, order = ["oc", ...], vthreads = 2, acc_threads = 2,
     split_tail = true, refined_layouts = true, head = "oh:2", est_cycles = ...,
     est_dram_bytes = ..., extents = {n = 1, oc = 4, ...}}

beside the ``vtac.embedding`` chosen by ``vtac-isel``. Options force a choice:

- ``tiles="oc=2,oh=7"``: tile sizes (in blocked loops, as ``vtac.schedule`` names them);
- ``vthreads=1``: the thread count; ``acc_threads=1``: the accumulator buffer kept whole while
  two threads ping-pong the input and weight buffers;
- ``order="oh,block_out,ow,block_in,kh,kw"``: the tile-loop order (reduction loops innermost);
- ``epilogue=whole`` (or ``split``): the last tile's epilogue in one part (or two);
- ``refine_layouts=false``: the layouts vtac-layout gave the tensors (by default each tensor's
  outer coordinates are ordered so a tile moves in as few and as long DMA rows as it can);
- ``head="oh:2"``, ``tail="block_out:8+4+2"``, ``tail="block_out:4+4@3"`` or ``none``: the
  first and last steps' splits (parts of so many iterations of the loop, then the rest; over
  the first or last STEPS steps after ``@``).

A forced choice that breaks a limit is an error naming the limit and the numbers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.passes import ModulePass

from vtac.backends.vta.dma import DmaError
from vtac.backends.vta.tile_ir import (
    BUFFER_ATTR,
    DramTensor,
    build_host,
    build_kernel,
    replace_function,
)
from vtac.backends.vta.tile_walk import walk_tiles
from vtac.backends.vta.uop_kernels import KernelError
from vtac.dialects import nn, tile
from vtac.dialects.common import EMBEDDING_ATTR
from vtac.dialects.dense import dense_values
from vtac.dialects.vta import module_config
from vtac.planning.blocking import reorder_for_tiles
from vtac.planning.contraction import (
    STAGE_LAYOUT_LIMIT,
    CompileError,
    CompileRefusal,
    Kernel,
    analyse,
    analyse_stages,
    kernel_stages,
    kernels,
    through_layouts,
)
from vtac.planning.tiling import THOROUGH_FROM, Schedule, Split, TilingError, ranked_tiles
from vtac.runtime.fast_model import FastModel, edge_cycles
from vtac.runtime.target import Target
from vtac.runtime.timing import TimingError

SCHEDULE_ATTR = "vtac.schedule"
#: On a chain's host function: how many stages (kernels) it calls.
STAGES_ATTR = "vtac.stages"
#: The ``epilogue`` option: the last tile's epilogue split in two, whole, or whichever is faster.
EPILOGUES: dict[str, bool | None] = {"auto": None, "split": True, "whole": False}


def parse_tiles(text: str) -> dict[str, int]:
    """``"oc=2,oh=7"`` as a mapping (a malformed entry is a :class:`CompileError`)."""
    tiles: dict[str, int] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, _, size = item.partition("=")
        if not size.strip().isdigit():
            raise CompileError(f"tile size {item!r}: expected LOOP=SIZE with SIZE a number")
        if name.strip() in tiles:
            raise CompileError(f"tile sizes {text!r}: loop {name.strip()} is given twice")
        tiles[name.strip()] = int(size)
    return tiles


def schedule_attr(schedule: Schedule, extents: tuple[tuple[str, int], ...]) -> DictionaryAttr:
    """The ``vtac.schedule`` attribute of a schedule over loops of the given extents."""
    return DictionaryAttr(
        {
            "tiles": DictionaryAttr({n: IntegerAttr(s, i64) for n, s in schedule.tiles}),
            "order": ArrayAttr([StringAttr(n) for n in schedule.order]),
            "vthreads": IntegerAttr(schedule.vthreads, i64),
            "acc_threads": IntegerAttr(schedule.acc_halves, i64),
            "split_tail": BoolAttr.from_bool(schedule.split_tail),
            "refined_layouts": BoolAttr.from_bool(schedule.refined_layouts),
            **{
                name: StringAttr(str(split))
                for name, split in (("head", schedule.head), ("tail", schedule.tail))
                if split is not None
            },
            "est_cycles": IntegerAttr(schedule.cycles, i64),
            "est_dram_bytes": IntegerAttr(schedule.dram_bytes, i64),
            "extents": DictionaryAttr({n: IntegerAttr(e, i64) for n, e in extents}),
        }
    )


def read_schedule(function: func.FuncOp) -> tuple[Schedule, tuple[tuple[str, int], ...]]:
    """The schedule ``vtac-tile`` recorded on a tiled kernel, and its loops' extents."""
    attr = function.attributes.get(SCHEDULE_ATTR)
    where = f"@{function.sym_name.data}"
    if not isinstance(attr, DictionaryAttr):
        raise CompileError(f"{where} has no {SCHEDULE_ATTR}: run vtac-tile first")
    data = attr.data
    try:
        tiles = tuple((n, v.value.data) for n, v in data["tiles"].data.items())  # type: ignore[attr-defined]
        order = tuple(s.data for s in data["order"].data)  # type: ignore[attr-defined]
        extents = tuple((n, v.value.data) for n, v in data["extents"].data.items())  # type: ignore[attr-defined]
        keys = ("vthreads", "acc_threads", "est_cycles", "est_dram_bytes")
        values = {k: data[k].value.data for k in keys}  # type: ignore[attr-defined]
        split_tail = bool(data["split_tail"].value.data)  # type: ignore[attr-defined]
        refined = bool(data["refined_layouts"].value.data)  # type: ignore[attr-defined]
        splits = {k: _split(data[k]) for k in ("head", "tail") if k in data}
    except (KeyError, AttributeError, ValueError) as err:
        raise CompileError(f"{where}: malformed {SCHEDULE_ATTR}: {err}") from None
    loops = sorted(n for n, _ in extents)
    if sorted(dict(tiles)) != loops or sorted(order) != loops:
        raise CompileError(
            f"{where}: {SCHEDULE_ATTR} must give a tile size and a position for each loop of "
            f"{', '.join(loops)}"
        )
    schedule = Schedule(
        tiles,
        order,
        values["vthreads"],
        values["est_cycles"],
        values["est_dram_bytes"],
        values["acc_threads"],
        split_tail,
        refined,
        **splits,
    )
    return schedule, extents


def _split(attr: object) -> Split:
    """A ``"loop:first"`` split of a recorded schedule."""
    return parse_split(attr.data)  # type: ignore[attr-defined]


def parse_split(text: str) -> Split:
    """``"oh:2"`` or ``"block_out:8+4+2"`` as a split (a malformed text is a
    :class:`CompileError`)."""
    try:
        return Split.parse(text)
    except ValueError as err:
        raise CompileError(str(err)) from None


@dataclass(frozen=True)
class TileOptions:
    """What a user may force of vtac-tile's choice (see :class:`Tile`); the rest is searched.
    ``head`` and ``tail`` are "" (searched), "none" or a forced split (:meth:`Split.parse`)."""

    tiles: dict[str, int] = dataclasses.field(default_factory=dict)
    vthreads: int = 0
    order: tuple[str, ...] = ()
    acc_threads: int = 0
    epilogue: str = "auto"
    refine_layouts: bool = True
    head: str = ""
    tail: str = ""


def plan(
    kernel: Kernel, options: TileOptions | None = None, target: Target | None = None
) -> tuple[Schedule, Kernel]:
    """The best schedule for ``kernel`` under ``options``, and the kernel with the DRAM layouts
    it runs with: with ``refine_layouts``, each tensor's outer coordinates ordered for the tiles
    (:func:`vtac.planning.blocking.reorder_for_tiles`), which the search scores every candidate
    with; then the first and last steps split as forced or as :func:`split_edges` finds best."""
    options = options or TileOptions()
    target = target or Target(kernel.config)
    if options.epilogue not in EPILOGUES:
        raise CompileError(
            f"epilogue must be one of {', '.join(EPILOGUES)}, got {options.epilogue!r}"
        )
    forced = {
        edge: None if text in ("", "none") else parse_split(text)
        for edge, text in (("head", options.head), ("tail", options.tail))
    }
    passes = len(kernel.epilogue.steps) + kernel.epilogue.planes - 1
    search = [e for e in ("head", "tail") if getattr(options, e) == ""]
    if options.epilogue != "auto" and "tail" in search:
        search.remove("tail")  # a tail split replaces the last tile's epilogue split
    splits_forced = bool(forced["head"] or forced["tail"])
    candidates = ranked_tiles(
        kernel.blocked.problem(kernel.config, alu_passes=passes),
        kernel.config,
        target.timing,
        forced=options.tiles,
        vthreads=options.vthreads or None,
        order=options.order or None,
        acc_threads=options.acc_threads or None,
        split_tail=False if forced["tail"] else EPILOGUES[options.epilogue],
        relayout=options.refine_layouts,
        count=1 if splits_forced or not search else SPLIT_CANDIDATES,
    )
    model = FastModel(target)
    modelled: list[tuple[Schedule, Kernel]] = []
    for schedule in candidates:
        laid_out = kernel
        if schedule.refined_layouts:
            blocked = reorder_for_tiles(kernel.blocked, schedule.tile)
            laid_out = dataclasses.replace(kernel, blocked=blocked)
        if splits_forced:
            schedule = dataclasses.replace(schedule, **{k: v for k, v in forced.items() if v})
            schedule = dataclasses.replace(
                schedule, cycles=_check_splits(laid_out, schedule, target)
            )
        else:
            estimate = model.estimate([(laid_out, schedule)])
            if estimate is None:
                continue
            schedule = dataclasses.replace(schedule, cycles=estimate.cycles)
        modelled.append((schedule, laid_out))
    if not modelled:
        raise CompileError(f"no tiling of {kernel.contraction.name} can be built")
    modelled.sort(key=lambda c: (c[0].cycles, c[0].dram_bytes))
    # splits gain a few percent: tilings that model much slower than the best are not tried;
    # a short kernel gets the quick search (the best tiling, splits of one step)
    fastest = modelled[0][0].cycles
    thorough = fastest >= THOROUGH_FROM
    close = [c for c in modelled if c[0].cycles <= fastest * SPLIT_WITHIN]
    close = close[:SPLIT_TILINGS] if thorough else close[:1]
    best = modelled[0]
    for schedule, laid_out in close:
        if search:
            schedule = split_edges(laid_out, schedule, search, thorough, target)
        if schedule.cycles < best[0].cycles:
            best = (schedule, laid_out)
    return best


def _check_splits(kernel: Kernel, schedule: Schedule, target: Target) -> int:
    """Cycles of a schedule with forced splits; a :class:`CompileError` names a split the
    walk cannot honour."""
    extents = dict(kernel.blocked.loops)
    for edge in ("head", "tail"):
        split = getattr(schedule, edge)
        if split is None:
            continue
        if split.loop not in extents or split.loop in kernel.blocked.reduction:
            loops = [n for n in extents if n not in kernel.blocked.reduction]
            raise CompileRefusal(
                f"{edge} split {split}: {split.loop!r} is not a parallel loop ({', '.join(loops)})",
                limit="splits run along parallel loops",
            )
        tile = schedule.tile[split.loop]
        trips = -(-extents[split.loop] // tile)
        size = tile if edge == "head" else extents[split.loop] - (trips - 1) * tile
        if sum(split.sizes) >= size:
            raise CompileRefusal(
                f"{edge} split {split}: the {edge} step has {size} iterations of "
                f"{split.loop}, the parts before the last must add up to 1 to {size - 1}",
                limit="a split's parts lie within its step",
            )
    try:
        estimate = FastModel(target, strict=True).estimate([(kernel, schedule)])
    except (TilingError, DmaError, KernelError, TimingError) as err:
        raise CompileRefusal(
            f"the forced splits cannot be honoured: {err}", limit="the tile walk's splits"
        ) from None
    assert estimate is not None
    return estimate.cycles


#: The tilings the analytic model and replay rank best whose cycles the fast model estimates,
#: and whose edge splits are searched (the fastest modelled wins: a tiling a little slower as a
#: whole may split much better).
SPLIT_CANDIDATES = 8
#: ... of those, the ones whose modelled cycles are within this factor of the best one's ...
SPLIT_WITHIN = 1.03
#: ... at most this many.
SPLIT_TILINGS = 3
#: The splits of one step that model best tried over more steps.
STEPS_TRIED = 2
#: The most steps a split covers (the short walks that rank splits keep this many at each end).
MAX_SPLIT_STEPS = 4


def split_edges(
    kernel: Kernel,
    schedule: Schedule,
    edges: list[str],
    thorough: bool = True,
    target: Target | None = None,
) -> Schedule:
    """``schedule`` with the splits of ``edges`` (head, tail; see
    :class:`~vtac.planning.tiling.Split`) that the fast model finds fastest: along each parallel
    loop of the first (last) step, two parts at a few sizes and many parts (halving, or
    eighths); then the two best of those over two to four steps (if ``thorough``). A tail split
    replaces the epilogue-only split of the last tile (``split_tail``). Splits are ranked on a
    short walk that keeps the edges (:func:`~vtac.runtime.fast_model.edge_cycles`), so their
    cost does not grow with the walk; the winner is then estimated whole, and kept only if it
    beats ``schedule``'s own estimate (``schedule.cycles``)."""
    target = target or Target(kernel.config)
    extents = dict(kernel.blocked.loops)
    trips = {n: -(-extents[n] // size) for n, size in schedule.tiles}
    total = math.prod(trips.values())

    def short(candidate: Schedule) -> int | None:
        try:
            return edge_cycles(kernel, candidate, target, MAX_SPLIT_STEPS)
        except (TilingError, DmaError, KernelError, TimingError):
            return None

    base = short(schedule)
    if base is None:
        return schedule
    best = (base, schedule)
    parallel = [n for n in schedule.order if n not in kernel.blocked.reduction]
    first_sizes = {n: min(size, extents[n]) for n, size in schedule.tiles}
    last_sizes = {n: extents[n] - (trips[n] - 1) * size for n, size in schedule.tiles}

    def attempt(start: Schedule, edge: str, split: Split) -> int | None:
        nonlocal best
        changes: dict[str, object] = {edge: split}
        if edge == "tail":
            changes["split_tail"] = False
        candidate = dataclasses.replace(start, **changes)  # type: ignore[arg-type]
        cycles = short(candidate)
        if cycles is not None and cycles < best[0]:
            best = (cycles, candidate)
        return cycles

    for edge, sizes in (("head", first_sizes), ("tail", last_sizes)):
        if edge not in edges:
            continue
        start = best[1]
        tried: list[tuple[int, Split]] = []
        for loop in (n for n in parallel if sizes.get(n, 0) >= 2):
            for split in part_options(loop, sizes[loop], edge):
                if (cycles := attempt(start, edge, split)) is not None:
                    tried.append((cycles, split))
        # the best over more steps (a split that does not pay on one step may on two)
        for _, split in sorted(tried, key=lambda t: t[0])[: STEPS_TRIED if thorough else 0]:
            for steps in range(2, min(MAX_SPLIT_STEPS, total) + 1):
                if attempt(start, edge, dataclasses.replace(split, steps=steps)) is None:
                    break
    if best[1] is schedule:
        return schedule
    estimate = FastModel(target).estimate([(kernel, best[1])])
    if estimate is None or estimate.cycles >= schedule.cycles:
        return schedule
    return dataclasses.replace(best[1], cycles=estimate.cycles)


def part_options(loop: str, size: int, edge: str) -> list[Split]:
    """Splits of a step ``size`` iterations of ``loop`` long worth measuring: two parts at a
    quarter, a third, a half and three quarters; parts halving towards the walk's edge (a head
    starts small, a tail ends small); eighths."""
    options = [(first,) for first in sorted({max(1, size // d) for d in (4, 3, 2)})]
    options.append((3 * size // 4,))
    halving = []
    rest = size
    while rest >= 2:
        halving.append(rest // 2)
        rest -= rest // 2
    options.append(tuple(reversed(halving)) if edge == "head" else tuple(halving))
    if size >= 8:
        options.append((size // 8,) * 7)
    return [Split(loop, sizes) for sizes in dict.fromkeys(options) if 0 < sum(sizes) < size]


def _tensor(
    kernel: Kernel, role: str, names: dict[str, str], sources: dict[str, str]
) -> DramTensor:
    """The DRAM tensor playing ``role`` (inp, wgt, bias, out), packed if it is a constant; an
    earlier stage's result is an input; ``sources`` names the input a copy holds."""
    spec = kernel.layouts[role].spec  # type: ignore[attr-defined]
    if role == "out":
        logical = kernel.result.type
        image_role = "output"
    else:
        logical = kernel.arguments[role].type
        source = kernel.source(role)
        image_role = {"constant": "constant" if role == "bias" else "weight"}.get(source, "input")
    assert isinstance(logical, TensorType)
    dtype = "int32" if role == "bias" and logical.element_type == nn.I32 else "int8"
    planes = kernel.epilogue.planes if role == "out" else 1
    value = None
    if role != "out" and (const := kernel.constant(role)) is not None:
        assert isinstance(const.value, DenseIntOrFPElementsAttr)
        value = spec.pack(dense_values(const.value), np.dtype(dtype).type)
    shape = tuple(logical.get_shape())
    return DramTensor(
        names[role],
        image_role,
        dtype,
        shape,
        spec.to_text(),
        planes,
        value,
        sources.get(role, ""),
    )


def _attributes(kernel: Kernel, schedule: Schedule) -> dict[str, Attribute]:
    return {
        EMBEDDING_ATTR: kernel.contraction.attributes[EMBEDDING_ATTR],
        SCHEDULE_ATTR: schedule_attr(schedule, kernel.blocked.loops),
    }


@dataclass
class _Names:
    """The names of a function's DRAM tensors. A function argument or constant is one tensor
    per layout it is read in: the first keeps its name, each other is a copy under a fresh
    name (``x_1``) whose source is the argument (the host packs the argument into every copy;
    no buffer holds two layouts). Results and intermediate results get names no argument
    has."""

    reserved: set[str]
    given: dict[tuple[SSAValue, str], str] = dataclasses.field(default_factory=dict)
    first: dict[SSAValue, str] = dataclasses.field(default_factory=dict)
    used: set[str] = dataclasses.field(default_factory=set)

    def fresh(self, base: str, own: bool = False) -> str:
        """``base`` if it is free (or, with ``own``, reserved for this very tensor), else the
        first free ``base_N``."""
        taken = self.used | (set() if own else self.reserved)
        name, count = base, 0
        while name in taken:
            count += 1
            name = f"{base}_{count}"
        self.used.add(name)
        return name

    def of(self, value: SSAValue, base: str, layout: str, argument: bool) -> tuple[str, str]:
        """The name of ``value`` read in ``layout`` and the input it copies ("" if none)."""
        key = (value, layout)
        if key not in self.given:
            primary = self.first.get(value)
            if primary is None:
                primary = self.first[value] = self.fresh(base, own=argument)
                self.given[key] = primary
            else:
                self.given[key] = self.fresh(primary)
        name = self.given[key]
        return name, (self.first[value] if argument and name != self.first[value] else "")

    def stage(self, kernel: Kernel, out: str) -> tuple[dict[str, str], dict[str, str]]:
        """The names of a stage's tensors by role, and the sources of copies; ``out`` is the
        name of its result."""
        names, sources = {"out": out}, {}
        for role, value in kernel.arguments.items():
            source = kernel.source(role)
            if source == "stage":
                continue
            layout = kernel.layouts[role].spec.to_text()  # type: ignore[attr-defined]
            base = kernel.arg_name(role)
            names[role], copy = self.of(value, base, layout, source == "argument")
            if copy:
                sources[role] = copy
        return names, sources


def _argument_names(function: func.FuncOp) -> dict[SSAValue, str]:
    """Each argument's name: its name hint, else ``argN``."""
    return {a: a.name_hint or f"arg{a.index}" for a in function.body.block.args}


def _stage_kernel(
    name: str,
    kernel: Kernel,
    schedule: Schedule,
    names: dict[str, str],
    sources: dict[str, str],
) -> tuple[list, list[str]]:
    """The globals and tile function of one stage, and the names of its arguments in order
    (function arguments as the source function orders them, the earlier stage's result first,
    the result last)."""
    arguments, constants = [], []
    for role in kernel.arguments:
        (constants if kernel.source(role) == "constant" else arguments).append(role)
    position = {a: i for i, a in enumerate(kernel.function.body.block.args)}
    arguments.sort(key=lambda r: position.get(kernel.arguments[r], -1))  # type: ignore[arg-type]
    arguments.append("out")
    steps = walk_tiles(kernel.blocked, schedule, kernel.epilogue, kernel.config)
    ops = build_kernel(
        name,
        [(r, _tensor(kernel, r, names, sources)) for r in arguments],
        [(r, _tensor(kernel, r, names, sources)) for r in constants],
        steps,
        kernel.config,
        _attributes(kernel, schedule),
    )
    return ops, [names[r] for r in arguments]


def tile_kernel(kernel: Kernel, schedule: Schedule) -> list:
    """The globals and the tile-dialect function computing ``kernel`` under ``schedule``."""
    arg_names = _argument_names(kernel.function)
    registry = _Names(set(arg_names.values()))
    names, sources = registry.stage(kernel, registry.fresh("result"))
    ops, _ = _stage_kernel(kernel.function.sym_name.data, kernel, schedule, names, sources)
    return ops


def check_chain(stages: list[Kernel]) -> None:
    """Every stage reads the result of the one before in the very layout it was written in
    (vtac does not re-layout tensors between stages), else a :class:`CompileError`."""
    for index, kernel in enumerate(stages[1:], start=1):
        reading = [r for r in kernel.arguments if kernel.source(r) == "stage"]
        if len(reading) > 1:
            raise CompileRefusal(
                f"stage {index} ({kernel.contraction.name}) reads the result of stage "
                f"{index - 1} as {' and '.join(reading)}, two layouts of one tensor; vtac does "
                "not re-layout tensors between stages, and a stage writes one layout",
                limit=STAGE_LAYOUT_LIMIT,
            )
        for role in reading:
            operand = next(
                v
                for v in kernel.contraction.operands
                if through_layouts(v) == kernel.arguments[role]
            )
            pack = operand.owner.source.owner if isinstance(operand.owner, tile.UnpackOp) else None
            if not isinstance(pack, tile.PackOp) or pack.source != kernel.arguments[role]:
                raise CompileRefusal(
                    f"stage {index} ({kernel.contraction.name}) reads the result of stage "
                    f"{index - 1} in another layout than the one it is written in; vtac does not "
                    "re-layout tensors between stages, and no embedding of the two agrees on one",
                    limit=STAGE_LAYOUT_LIMIT,
                )


def tile_chain(function: func.FuncOp, options: TileOptions, target: Target | None = None) -> list:
    """The globals, the stage kernels and the host function of a chain of stages (each stage
    planned on its own under ``options``; the layouts of intermediate results kept as
    vtac-layout gave them, so that writer and reader agree; an argument read in several
    layouts passed once per layout, see :class:`_Names`)."""
    stages = analyse_stages(function)
    check_chain(stages)
    name = function.sym_name.data
    arg_names = _argument_names(function)
    registry = _Names(set(arg_names.values()))
    count = len(stages)
    ops: list = []
    calls: list[tuple[str, list[str]]] = []
    host_args: dict[str, DramTensor] = {}
    scratch: list[DramTensor] = []
    results = [
        registry.fresh("result" if i == count - 1 else f"stage{i}_result") for i in range(count)
    ]
    for index, kernel in enumerate(stages):
        last = index == count - 1
        kept = {r for r in kernel.arguments if kernel.source(r) == "stage"} | set(
            () if last else ("out",)
        )
        blocked = dataclasses.replace(kernel.blocked, kept=frozenset(kept))
        schedule, laid_out = plan(dataclasses.replace(kernel, blocked=blocked), options, target)
        names, sources = registry.stage(laid_out, results[index])
        for role in laid_out.arguments:
            if laid_out.source(role) == "stage":
                names[role] = results[index - 1]
        callee = f"{name}_stage{index}"
        stage_ops, used = _stage_kernel(callee, laid_out, schedule, names, sources)
        ops += stage_ops
        calls.append((callee, used))
        for tensor_name, arg in zip(used, stage_ops[-1].body.block.args, strict=True):
            tensor = _arg_tensor(stage_ops[-1], arg.index)
            if tensor_name == names["out"] and not last:
                scratch.append(dataclasses.replace(tensor, role="scratch"))
            elif tensor_name not in {t.name for t in scratch}:
                host_args.setdefault(tensor_name, tensor)
    order = {n: i for i, n in enumerate(arg_names.values())}
    arguments = sorted(
        host_args.values(),
        key=lambda t: (t.role == "output", order.get(t.source or t.name, 0), bool(t.source)),
    )
    host = build_host(name, arguments, scratch, calls, {STAGES_ATTR: IntegerAttr(count, i64)})
    return [*ops, host]


def _arg_tensor(function: func.FuncOp, index: int) -> DramTensor:
    attrs = function.arg_attrs.data  # type: ignore[union-attr]
    arg = function.body.block.args[index]
    return DramTensor.from_attr(attrs[index].data[BUFFER_ATTR], arg.type, "")


@dataclass(frozen=True)
class Tile(ModulePass):
    """Choose (or take the forced) tiling of every kernel; replace it by its tile program."""

    name = "vtac-tile"

    tiles: str = ""
    vthreads: int = 0
    order: str = ""
    acc_threads: int = 0
    epilogue: str = "auto"
    refine_layouts: bool = True
    head: str = ""
    tail: str = ""
    #: the board whose timing the search estimates cycles with (see Target)
    board: str = "pynq"

    @staticmethod
    def of(options: TileOptions, board: str = "pynq") -> Tile:
        """The pass honouring ``options``."""
        return Tile(
            tiles=",".join(f"{loop}={size}" for loop, size in options.tiles.items()),
            vthreads=options.vthreads,
            order=",".join(options.order),
            acc_threads=options.acc_threads,
            epilogue=options.epilogue,
            refine_layouts=options.refine_layouts,
            head=options.head,
            tail=options.tail,
            board=board,
        )

    def options(self) -> TileOptions:
        """The options this pass was given, parsed."""
        return TileOptions(
            parse_tiles(self.tiles),
            self.vthreads,
            tuple(n.strip() for n in self.order.split(",") if n.strip()),
            self.acc_threads,
            self.epilogue,
            self.refine_layouts,
            self.head,
            self.tail,
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        options = self.options()
        try:
            target = Target.of(module_config(op), self.board)
        except ValueError as err:
            raise CompileError(f"vtac-tile: {err}") from None
        for function in kernels(op):
            if len(kernel_stages(function)) > 1:
                replace_function(function, tile_chain(function, options, target))
                continue
            kernel = analyse(function)
            schedule, laid_out = plan(kernel, options, target)
            replace_function(function, tile_kernel(laid_out, schedule))
