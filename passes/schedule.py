"""vtac-tile: tile sizes, tile-loop order and virtual threads for every kernel.

The search (:func:`vtac.passes.tiling.plan_tiles`) keeps every tile within its on-chip buffer
(half of it per virtual thread), every ISA field in range and micro-op kernels within the
micro-op buffer, and scores the rest with the cost model (DRAM bytes and cycles). The choice is
recorded on the contraction as ``vtac.schedule``:

    {tiles = {n = 1, oc = 4, ...}, order = ["oc", ...], vthreads = 2, est_cycles = ...,
     est_dram_bytes = ...}

Options force a choice: ``tiles="oc=2,oh=7"`` pins tile sizes (in blocked loops, as the
``vtac.schedule`` of an unforced run names them) and ``vthreads=1`` the thread count; a forced
choice that breaks a limit is an error naming the limit and the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.passes import ModulePass

from vtac.passes.contraction import CompileError, Kernel, analyse, kernels
from vtac.passes.tiling import Schedule, plan_tiles

SCHEDULE_ATTR = "vtac.schedule"


def parse_tiles(text: str) -> dict[str, int]:
    """``"oc=2,oh=7"`` as a mapping (a malformed entry is a :class:`CompileError`)."""
    tiles: dict[str, int] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, _, size = item.partition("=")
        if not size.strip().isdigit():
            raise CompileError(f"tile size {item!r}: expected LOOP=SIZE with SIZE a number")
        tiles[name.strip()] = int(size)
    return tiles


def schedule_attr(schedule: Schedule) -> DictionaryAttr:
    """The ``vtac.schedule`` attribute of a schedule."""
    return DictionaryAttr(
        {
            "tiles": DictionaryAttr({n: IntegerAttr(s, i64) for n, s in schedule.tiles}),
            "order": ArrayAttr([StringAttr(n) for n in schedule.order]),
            "vthreads": IntegerAttr(schedule.vthreads, i64),
            "est_cycles": IntegerAttr(schedule.cycles, i64),
            "est_dram_bytes": IntegerAttr(schedule.dram_bytes, i64),
        }
    )


def schedule_of(kernel: Kernel) -> Schedule:
    """The schedule ``vtac-tile`` recorded on the kernel's contraction."""
    attr = kernel.contraction.attributes.get(SCHEDULE_ATTR)
    if not isinstance(attr, DictionaryAttr):
        raise CompileError(f"{kernel.contraction.name} has no {SCHEDULE_ATTR}: run vtac-tile first")
    data = attr.data
    try:
        tiles = tuple((n, v.value.data) for n, v in data["tiles"].data.items())  # type: ignore[attr-defined]
        order = tuple(s.data for s in data["order"].data)  # type: ignore[attr-defined]
        values = {k: data[k].value.data for k in ("vthreads", "est_cycles", "est_dram_bytes")}  # type: ignore[attr-defined]
    except (KeyError, AttributeError) as err:
        raise CompileError(f"malformed {SCHEDULE_ATTR}: {err}") from None
    loops = [name for name, _ in kernel.blocked.loops]
    if sorted(dict(tiles)) != sorted(loops) or sorted(order) != sorted(loops):
        raise CompileError(
            f"{SCHEDULE_ATTR} must give a tile size and a position for each loop of "
            f"{', '.join(loops)}"
        )
    return Schedule(
        tiles, order, values["vthreads"], values["est_cycles"], values["est_dram_bytes"]
    )


def plan(kernel: Kernel, tiles: dict[str, int] | None = None, vthreads: int = 0) -> Schedule:
    """The best schedule for ``kernel``, honouring forced tile sizes and thread count."""
    passes = len(kernel.epilogue.steps) + kernel.epilogue.planes - 1
    problem = kernel.blocked.problem(kernel.config, alu_passes=passes)
    return plan_tiles(problem, kernel.config, forced=tiles, vthreads=vthreads or None)


@dataclass(frozen=True)
class Tile(ModulePass):
    """Choose (or take the forced) tiling of every kernel and record it as vtac.schedule."""

    name = "vtac-tile"

    tiles: str = ""
    vthreads: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        forced = parse_tiles(self.tiles)
        for function in kernels(op):
            kernel = analyse(function)
            schedule = plan(kernel, forced, self.vthreads)
            kernel.contraction.attributes[SCHEDULE_ATTR] = schedule_attr(schedule)
