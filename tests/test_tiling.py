"""Tile-size selection: limits honoured, forced sizes checked, the cost model's preferences."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.planning.tiling import (
    CHISEL_UOP_DEPTH,
    Schedule,
    Split,
    TileOperand,
    TileProblem,
    TileWindow,
    TilingError,
    candidate_sizes,
    ranked_tiles,
)
from vtac.runtime.config import VTAConfig

DEFAULT = VTAConfig()
SMALL = VTAConfig.named("block8_small")


def plan_tiles(problem: TileProblem, config: VTAConfig, **options: object) -> Schedule:
    """The best schedule of :func:`ranked_tiles`."""
    return ranked_tiles(problem, config, **options)[0]  # type: ignore[arg-type]


def dense(config: VTAConfig, m: int, nb: int, kb: int) -> TileProblem:
    return TileProblem(
        loops=(("m", m), ("n", nb), ("k", kb)),
        reduction=frozenset({"k"}),
        inp=TileOperand("A", ("m", "k"), config.inp_elem_bytes),
        wgt=TileOperand("B", ("n", "k"), config.wgt_elem_bytes),
        out=TileOperand("C", ("m", "n"), config.acc_elem_bytes),
        out_store_bytes=config.out_elem_bytes,
        acc_extras=(TileOperand("bias", ("n",), config.acc_elem_bytes),),
        alu_passes=4,
    )


def conv(ocb: int, oh: int, icb: int, k: int, stride: int) -> TileProblem:
    return TileProblem(
        loops=(("oc", ocb), ("oh", oh), ("ow", oh), ("ic", icb), ("kh", k), ("kw", k)),
        reduction=frozenset({"ic", "kh", "kw"}),
        inp=TileOperand(
            "x", ("ic",), 16, (TileWindow("oh", "kh", stride), TileWindow("ow", "kw", stride))
        ),
        wgt=TileOperand("w", ("oc", "ic", "kh", "kw"), 256),
        out=TileOperand("y", ("oc", "oh", "ow"), 64),
        out_store_bytes=16,
    )


def footprints(problem: TileProblem, tile: dict[str, int]) -> tuple[int, int, int]:
    def size(op: TileOperand) -> int:
        total = 1
        for loop in op.loops:
            total *= tile[loop]
        for w in op.windows:
            total *= (tile[w.outer] - 1) * w.stride + tile[w.inner]
        return total

    acc = size(problem.out) + sum(size(extra) for extra in problem.acc_extras)
    return size(problem.inp), size(problem.wgt), acc


def test_candidate_sizes_cover_every_trip_count_when_small() -> None:
    assert candidate_sizes(7) == [7, 4, 3, 2, 1]
    big = candidate_sizes(5000)
    assert len(big) <= 24 and big[0] == 5000 and big[-1] == 1


@settings(max_examples=15, deadline=None)
@given(
    m=st.integers(1, 300),
    nb=st.integers(1, 80),
    kb=st.integers(1, 200),
    config=st.sampled_from([DEFAULT, SMALL, VTAConfig.named("batch2")]),
)
def test_chosen_tiles_fit_every_buffer(m: int, nb: int, kb: int, config: VTAConfig) -> None:
    problem = dense(config, m, nb, kb)
    schedule = plan_tiles(problem, config)
    inp, wgt, acc = footprints(problem, schedule.tile)
    threads = schedule.vthreads
    assert inp * threads <= config.inp_depth
    assert wgt * threads <= config.wgt_depth
    assert acc * schedule.acc_halves <= config.acc_depth
    assert schedule.order[-1] == "k"  # reduction innermost


def test_halo_rows_count_against_the_input_buffer() -> None:
    problem = conv(4, 56, 4, 3, 1)
    schedule = plan_tiles(problem, DEFAULT)
    inp, _, _ = footprints(problem, schedule.tile)
    assert inp * schedule.vthreads <= DEFAULT.inp_depth


def test_double_buffering_preferred_when_it_fits() -> None:
    assert plan_tiles(dense(DEFAULT, 64, 8, 32), DEFAULT).vthreads == 2


def test_forced_sizes_that_break_a_limit_name_it() -> None:
    problem = dense(DEFAULT, 4096, 64, 64)
    with pytest.raises(TilingError, match=r"input tile exceeds 1024 entries.*m=4096"):
        plan_tiles(problem, DEFAULT, forced={"m": 4096, "n": 1, "k": 64}, vthreads=2)
    with pytest.raises(TilingError, match="outside"):
        plan_tiles(problem, DEFAULT, forced={"m": 0})
    with pytest.raises(TilingError, match="unknown loop"):
        plan_tiles(problem, DEFAULT, forced={"q": 2})


def test_forced_sizes_are_kept() -> None:
    schedule = plan_tiles(dense(DEFAULT, 64, 8, 32), DEFAULT, forced={"m": 16, "k": 4})
    assert schedule.tile["m"] == 16 and schedule.tile["k"] == 4


def test_micro_op_kernels_stay_within_the_chisel_buffer() -> None:
    problem = conv(32, 7, 32, 3, 1)
    tile = plan_tiles(problem, DEFAULT).tile
    sizes = sorted(tile.values())
    volume = 1
    for size in sizes:
        volume *= size
    assert volume // (sizes[-1] * sizes[-2]) <= CHISEL_UOP_DEPTH


def test_deterministic() -> None:
    problem = conv(8, 28, 4, 3, 2)
    assert plan_tiles(problem, DEFAULT) == plan_tiles(problem, DEFAULT)


@pytest.mark.parametrize(
    ("tiles", "threads"),
    [({"block_out": 2, "oh": 4, "block_in": 1}, 2), ({"block_out": 4, "oh": 14}, 1)],
)
def test_replay_tracks_the_timed_simulator(tiles: dict[str, int], threads: int) -> None:
    import vtac
    from vtac.compiler import compile_module
    from vtac.runtime.timing import time_program
    from vtac.workloads import conv as conv_text

    compiled = compile_module(
        vtac.parse_ir(conv_text(32, 14, 64, 3, 1, 1)), tiles=tiles, vthreads=threads
    )
    timed = time_program(DEFAULT, compiled.image.insns).cycles
    assert abs(compiled.schedule.cycles - timed) <= 0.03 * timed


def test_split_text_round_trips_and_gives_its_parts() -> None:
    split = Split.parse("block_out:8+4+2@3")
    assert split == Split("block_out", (8, 4, 2), 3)
    assert str(split) == "block_out:8+4+2@3" and str(Split.parse("oh:2")) == "oh:2"
    assert split.parts(16) == [(0, 8), (8, 4), (12, 2), (14, 2)]
    assert split.parts(14) == [(0, 8), (8, 4), (12, 2)]  # nothing left for a last part
    assert split.parts(10) == [(0, 8), (8, 2)]  # a shorter step has fewer parts
    for bad in ("oh", "oh:", "oh:0", "oh:2+", "oh:2@0", "oh:2@", ":2", "oh:a"):
        with pytest.raises(ValueError, match="expected LOOP:SIZE"):
            Split.parse(bad)


def test_split_covers_the_first_and_last_steps_it_names() -> None:
    schedule = Schedule(
        (("m", 1),), ("m",), 2, 0, 0, head=Split("m", (1,), 2), tail=Split("m", (2,), 3)
    )
    covered = [schedule.split_of(step, 8) for step in range(8)]
    assert covered == [schedule.head] * 2 + [None] * 3 + [schedule.tail] * 3
    assert schedule.split_of(0, 2) == schedule.tail  # the tail wins where both reach


def test_ranked_tilings_come_best_first_and_differ() -> None:
    problem = dense(DEFAULT, 256, 8, 16)
    ranked = ranked_tiles(problem, DEFAULT, count=4)
    assert ranked[0] == plan_tiles(problem, DEFAULT)
    keys = [(s.cycles, s.dram_bytes) for s in ranked]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == 4
