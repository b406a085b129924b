"""vtac-tile: tile sizes, tile-loop order and virtual threads; the kernel as tile-dialect IR.

The search (:func:`vtac.passes.tiling.plan_tiles`) keeps every tile within its on-chip buffer
(half of it per virtual thread), every ISA field in range and micro-op kernels within the
micro-op buffer, and scores the rest with the cost model (DRAM bytes and cycles). The kernel
function is then replaced by its tile program (:mod:`vtac.passes.tile_ir`): a function over the
packed DRAM tensors whose body is the tile walk (:func:`vtac.passes.tile_walk.walk_tiles`) as
``tile.dma_load``, ``tile.gemm``, ``tile.alu`` and ``tile.dma_store``, constant weights packed
into ``memref.global``s. The choice is recorded on that function as ``vtac.schedule``:

    {tiles = {n = 1, oc = 4, ...}, order = ["oc", ...], vthreads = 2, est_cycles = ...,
     est_dram_bytes = ..., extents = {n = 1, oc = 4, ...}}

beside the ``vtac.embedding`` chosen by ``vtac-isel``. Options force a choice:
``tiles="oc=2,oh=7"`` pins tile sizes (in blocked loops, as ``vtac.schedule`` names them),
``vthreads=1`` the thread count, ``order="oh,block_out,ow,block_in,kh,kw"`` the tile-loop
order, ``acc_threads=1`` keeps the accumulator buffer whole while two threads ping-pong the
input and weight buffers, and ``tail=whole`` (or ``split``) runs the last tile's epilogue in one
part; ``refine_layouts=false`` keeps the layouts vtac-layout gave the tensors (by default the
outer order of each tensor's elements is refined so a tile moves in as few and as long DMA rows
as it can). A forced choice that breaks a limit is an error naming the limit and the numbers.
"""

from __future__ import annotations

import dataclasses
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
from xdsl.ir import BlockArgument
from xdsl.passes import ModulePass

from vtac.dialects import nn
from vtac.dialects.dense import dense_values
from vtac.passes.blocking import reorder_for_tiles
from vtac.passes.contraction import CompileError, Kernel, analyse, kernels
from vtac.passes.isel import EMBEDDING_ATTR
from vtac.passes.tile_ir import DramTensor, build_kernel, replace_function
from vtac.passes.tile_walk import walk_tiles
from vtac.passes.tiling import Schedule, plan_tiles

SCHEDULE_ATTR = "vtac.schedule"
#: The ``tail`` option: the last tile's epilogue split in two, whole, or whichever is faster.
TAILS: dict[str, bool | None] = {"auto": None, "split": True, "whole": False}


def parse_tiles(text: str) -> dict[str, int]:
    """``"oc=2,oh=7"`` as a mapping (a malformed entry is a :class:`CompileError`)."""
    tiles: dict[str, int] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, _, size = item.partition("=")
        if not size.strip().isdigit():
            raise CompileError(f"tile size {item!r}: expected LOOP=SIZE with SIZE a number")
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
    except (KeyError, AttributeError) as err:
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
    )
    return schedule, extents


def plan(
    kernel: Kernel,
    tiles: dict[str, int] | None = None,
    vthreads: int = 0,
    order: tuple[str, ...] = (),
    acc_threads: int = 0,
    tail: str = "auto",
    refine_layouts: bool = True,
) -> tuple[Schedule, Kernel]:
    """The best schedule for ``kernel``, honouring what is forced (see :class:`Tile`), and the
    kernel with the DRAM layouts it runs with: with ``refine_layouts``, each tensor's outer
    coordinates ordered for the tiles (:func:`vtac.passes.blocking.reorder_for_tiles`), which
    the search scores every candidate with."""
    if tail not in TAILS:
        raise CompileError(f"tail must be one of {', '.join(TAILS)}, got {tail!r}")
    passes = len(kernel.epilogue.steps) + kernel.epilogue.planes - 1
    schedule = plan_tiles(
        kernel.blocked.problem(kernel.config, alu_passes=passes),
        kernel.config,
        forced=tiles,
        vthreads=vthreads or None,
        order=order or None,
        acc_threads=acc_threads or None,
        split_tail=TAILS[tail],
        relayout=refine_layouts,
    )
    if not schedule.refined_layouts:
        return schedule, kernel
    return schedule, dataclasses.replace(
        kernel, blocked=reorder_for_tiles(kernel.blocked, schedule.tile)
    )


def _tensor(kernel: Kernel, role: str, names: dict[str, str]) -> DramTensor:
    """The DRAM tensor playing ``role`` (inp, wgt, bias, out), packed if it is a constant."""
    spec = kernel.layouts[role].spec  # type: ignore[attr-defined]
    if role == "out":
        logical = kernel.function.function_type.outputs.data[0]
        image_role = "output"
    else:
        logical = kernel.arguments[role].type
        const = kernel.constant(role)
        image_role = "input" if const is None else ("constant" if role == "bias" else "weight")
    assert isinstance(logical, TensorType)
    dtype = "int32" if role == "bias" and logical.element_type == nn.I32 else "int8"
    planes = kernel.epilogue.planes if role == "out" else 1
    value = None
    if role != "out" and (const := kernel.constant(role)) is not None:
        assert isinstance(const.value, DenseIntOrFPElementsAttr)
        value = spec.pack(dense_values(const.value), np.dtype(dtype).type)
    shape = tuple(logical.get_shape())
    return DramTensor(names[role], image_role, dtype, shape, spec.to_text(), planes, value)


def tile_kernel(kernel: Kernel, schedule: Schedule) -> list:
    """The globals and the tile-dialect function computing ``kernel`` under ``schedule``."""
    names = {role: kernel.arg_name(role) for role in kernel.arguments}
    names["out"] = "result"
    if len(set(names.values())) != len(names):
        raise CompileError(f"argument names clash with the result buffer: {sorted(names.values())}")
    arguments, constants = [], []
    for role in kernel.arguments:
        (constants if kernel.constant(role) is not None else arguments).append(role)
    position = {a: i for i, a in enumerate(kernel.function.body.block.args)}
    arguments.sort(key=lambda r: position[kernel.arguments[r]])  # type: ignore[index]
    assert all(isinstance(kernel.arguments[r], BlockArgument) for r in arguments)
    arguments.append("out")
    steps = walk_tiles(kernel.blocked, schedule, kernel.epilogue, kernel.config)
    attributes = {
        EMBEDDING_ATTR: kernel.contraction.attributes[EMBEDDING_ATTR],
        SCHEDULE_ATTR: schedule_attr(schedule, kernel.blocked.loops),
    }
    return build_kernel(
        kernel.function.sym_name.data,
        [(r, _tensor(kernel, r, names)) for r in arguments],
        [(r, _tensor(kernel, r, names)) for r in constants],
        steps,
        kernel.config,
        attributes,
    )


@dataclass(frozen=True)
class Tile(ModulePass):
    """Choose (or take the forced) tiling of every kernel; replace it by its tile program."""

    name = "vtac-tile"

    tiles: str = ""
    vthreads: int = 0
    order: str = ""
    acc_threads: int = 0
    tail: str = "auto"
    refine_layouts: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        forced = parse_tiles(self.tiles)
        order = tuple(n.strip() for n in self.order.split(",") if n.strip())
        for function in kernels(op):
            kernel = analyse(function)
            schedule, laid_out = plan(
                kernel,
                forced,
                self.vthreads,
                order,
                self.acc_threads,
                self.tail,
                self.refine_layouts,
            )
            replace_function(function, tile_kernel(laid_out, schedule))
