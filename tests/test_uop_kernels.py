"""Micro-op kernels: every step exactly once, fewest micro-ops, no write-after-write hazard;
loaded all at once when they fit in the buffer together."""

import itertools
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.backends.vta.tile_walk import Compute
from vtac.backends.vta.uop_kernels import AffineLoop, KernelInsn, build_kernels, hazard_free
from vtac.passes.lower_to_vta import emit_instructions
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Alu, AluOp, Load, MemType

CONFIG = VTAConfig()


def executed(kernels: list[KernelInsn]) -> list[tuple[int, int, int]]:
    """The (dst, src, wgt) steps the instructions execute, in order."""
    steps = []
    for k in kernels:
        for i, j in itertools.product(range(k.iter_out), range(k.iter_in)):
            for u in k.uops:
                steps.append(
                    (
                        u.dst_idx + i * k.dst_factor_out + j * k.dst_factor_in,
                        u.src_idx + i * k.src_factor_out + j * k.src_factor_in,
                        u.wgt_idx + i * k.wgt_factor_out + j * k.wgt_factor_in,
                    )
                )
    return steps


def expected(loops: list[AffineLoop], base: tuple[int, int, int]) -> Counter:
    steps = Counter()
    for index in itertools.product(*(range(lp.extent) for lp in loops)):
        steps[
            (
                base[0] + sum(i * lp.dst for i, lp in zip(index, loops, strict=True)),
                base[1] + sum(i * lp.src for i, lp in zip(index, loops, strict=True)),
                base[2] + sum(i * lp.wgt for i, lp in zip(index, loops, strict=True)),
            )
        ] += 1
    return steps


def test_dense_tile_folds_rows_and_reduction() -> None:
    # rows m=4, output blocks n=3, reduction blocks k=8
    loops = [AffineLoop(4, 3, 8, 0), AffineLoop(3, 1, 0, 8), AffineLoop(8, 0, 1, 1)]
    (kernel,) = build_kernels(loops, (0, 0, 0), CONFIG)
    assert len(kernel.uops) == 3
    assert Counter(executed([kernel])) == expected(loops, (0, 0, 0))


def test_single_output_entry_splits_the_reduction() -> None:
    loops = [AffineLoop(8, 0, 1, 1)]
    kernels = build_kernels(loops, (5, 0, 0), CONFIG)
    assert len(kernels) == 8
    assert Counter(executed(kernels)) == expected(loops, (5, 0, 0))


def test_hazard_check() -> None:
    import numpy as np

    assert hazard_free(np.array([0, 1, 2, 0, 1, 2]))
    assert not hazard_free(np.array([0, 1, 0]))
    assert not hazard_free(np.array([3, 3]))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            AffineLoop,
            st.integers(1, 6),
            st.sampled_from([0, 1, 2, 5, 7]),
            st.integers(0, 9),
            st.integers(0, 9),
        ),
        min_size=1,
        max_size=4,
    ),
    st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)),
)
def test_every_step_exactly_once_and_hazard_free(loops, base) -> None:  # noqa: ANN001
    kernels = build_kernels(loops, base, CONFIG)
    steps = executed(kernels)
    assert Counter(steps) == expected(loops, base)
    for k in kernels:
        dst = [s[0] for s in executed([k])]
        assert all(dst[t] != dst[t - 1] for t in range(1, len(dst)))
        assert all(dst[t] != dst[t - 2] for t in range(2, len(dst)))


def test_reduction_enumerated_outside_the_destination_loops() -> None:
    # a conv tile: output blocks 16, rows 7, columns 7 (moving dst); window 3x3 (dst fixed)
    loops = [
        AffineLoop(16, 49, 0, 9),
        AffineLoop(7, 7, 30, 0),
        AffineLoop(7, 1, 2, 0),
        AffineLoop(3, 0, 15, 3),
        AffineLoop(3, 0, 1, 1),
    ]
    (kernel,) = build_kernels(loops, (0, 0, 0), CONFIG)
    assert len(kernel.uops) == 7 * 3 * 3  # the two largest loops folded
    assert Counter(executed([kernel])) == expected(loops, (0, 0, 0))


def _alu_steps(count: int) -> list[Compute]:
    """``count`` ALU steps over 256 accumulator entries from different bases: 16 micro-ops
    each (two of the four loops fold into iter_out/iter_in), every kernel distinct."""
    loops = tuple(AffineLoop(4, 4**k, 4**k, 0) for k in range(4))
    return [
        Compute("alu", loops, (base, base, 0), alu_op=AluOp.SHR, imm=0) for base in range(count)
    ]


def _uop_loads(count: int) -> list[Load]:
    program = emit_instructions(_alu_steps(count), CONFIG)
    return [i for i, _ in program.insns if isinstance(i, Load) and i.memory_type == MemType.UOP]


def test_kernels_that_fit_together_are_loaded_once_first() -> None:
    loads = _uop_loads(100)  # 1600 micro-ops
    assert [(load.sram_base, load.x_size) for load in loads] == [(0, 1600)]
    program = emit_instructions(_alu_steps(100), CONFIG)
    assert isinstance(program.insns[0][0], Load)
    alus = [i for i, _ in program.insns if isinstance(i, Alu)]
    assert [(a.uop_bgn, a.uop_end) for a in alus] == [(16 * k, 16 * k + 16) for k in range(100)]


def test_kernels_over_the_buffer_are_loaded_as_they_are_used() -> None:
    loads = _uop_loads(140)  # 2240 micro-ops: more than the 2048 kept on chip
    assert len(loads) == 140
    assert all(load.x_size == 16 and load.sram_base + 16 <= 2048 for load in loads)
