"""Strategies for vtac-tile's forced choices over the loops of an unforced compile, and which
of them a compile did not honour."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import strategies as st

from vtac.passes.schedule import TileOptions
from vtac.planning.tiling import Split

if TYPE_CHECKING:
    from vtac.compiler import Compiled


def reduction_loops(compiled: Compiled) -> tuple[str, ...]:
    """The reduction loops of a compiled (one-stage) program, in schedule order: the blocked
    loops that do not index the output buffer."""
    out = next(b for b in compiled.image.buffers if b.name == compiled.output)
    assert out.layout is not None
    parallel = {name for _, name in out.layout.coords}
    return tuple(n for n in compiled.schedule.order if n not in parallel)


@st.composite
def tile_options(draw: st.DrawFn, compiled: Compiled) -> TileOptions:
    """Forced choices for vtac-tile over the loops of ``compiled`` (an unforced compile of the
    program): tile sizes of some loops, the thread counts, a loop order (a random permutation
    with the reduction loops innermost, now and then any permutation), the epilogue, the
    layouts, and head/tail splits over a parallel loop, in up to four parts, over one to three
    steps (or "none"). Some break a limit: the compiler must refuse those with a clear error
    (:func:`is_refusal`)."""
    loops = dict(compiled.loops)
    reductions = reduction_loops(compiled)
    parallel = [n for n in compiled.schedule.order if n not in reductions]
    tiles: dict[str, int] = {}
    if draw(st.booleans()):
        for name, extent in loops.items():
            size = draw(st.none() | st.integers(1, extent) | st.just(extent))
            if size is not None:
                tiles[name] = size
    order: tuple[str, ...] = ()
    how = draw(st.sampled_from(["searched", "valid", "valid", "any"]))
    if how == "valid":
        order = tuple(draw(st.permutations(parallel))) + tuple(draw(st.permutations(reductions)))
    elif how == "any":
        order = tuple(draw(st.permutations(list(compiled.schedule.order))))
    vthreads = draw(st.sampled_from([0, 1, 2]))
    acc_threads = draw(st.sampled_from([0, 0, 1, 2]))
    sizes = {**compiled.schedule.tile, **tiles}

    def split(edge: str) -> str:
        kind = draw(st.sampled_from(["", "", "none", "split"]))
        if kind != "split" or not parallel:
            return kind
        loop = draw(st.sampled_from(parallel))
        tile = sizes.get(loop, loops[loop])
        if edge == "tail":  # the last step holds what is left of the loop
            tile = loops[loop] - (-(-loops[loop] // tile) - 1) * tile
        parts = draw(
            st.lists(st.integers(1, max(1, tile - 1)) | st.just(tile), min_size=1, max_size=3)
        )
        steps = draw(st.sampled_from(["", "", "@2", "@3"]))
        return f"{loop}:{'+'.join(map(str, parts))}{steps}"

    head, tail = split("head"), split("tail")
    # A forced tail split replaces the last tile's epilogue split: forcing both would be
    # contradictory, so "split" is drawn only with a tail that is not forced.
    epilogues = ["auto", "whole"] + ([] if ":" in tail else ["split"])
    return TileOptions(
        tiles=tiles,
        vthreads=vthreads,
        order=order,
        acc_threads=acc_threads,
        epilogue=draw(st.sampled_from(epilogues)),
        refine_layouts=draw(st.booleans()),
        head=head,
        tail=tail,
    )


def unhonoured(options: TileOptions, compiled: Compiled) -> list[str]:
    """The forced choices of ``options`` the schedule ``compiled`` reports does not show."""
    schedule = compiled.schedule
    wrong = [
        f"tile {n}={size}, got {schedule.tile.get(n)}"
        for n, size in options.tiles.items()
        if schedule.tile.get(n) != size
    ]
    if options.vthreads and schedule.vthreads != options.vthreads:
        wrong.append(f"vthreads={options.vthreads}, got {schedule.vthreads}")
    if options.order and schedule.order != options.order:
        wrong.append(f"order {','.join(options.order)}, got {','.join(schedule.order)}")
    if options.acc_threads and schedule.acc_halves != options.acc_threads:
        wrong.append(f"acc_threads={options.acc_threads}, got {schedule.acc_halves}")
    if options.epilogue != "auto" and ":" not in options.tail:
        want = options.epilogue == "split"
        if schedule.split_tail != want:
            wrong.append(f"epilogue={options.epilogue}, got split_tail={schedule.split_tail}")
    if not options.refine_layouts and schedule.refined_layouts:
        wrong.append("keep layouts, got refined layouts")
    for edge in ("head", "tail"):
        text, got = getattr(options, edge), getattr(schedule, edge)
        if text == "none" and got is not None:
            wrong.append(f"{edge}=none, got {got}")
        elif ":" in text and got != Split.parse(text):
            wrong.append(f"{edge}={text}, got {got}")
    return wrong
