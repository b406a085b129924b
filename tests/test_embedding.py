"""Instruction selection as a constraint problem: embeddings of contractions onto VTA's GEMM."""

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.planning.embedding import (
    DIMS,
    EmbeddingError,
    IterationSpace,
    Operand,
    Window,
    select_embedding,
)
from vtac.runtime.config import VTAConfig

DEFAULT = VTAConfig()
BATCH2 = VTAConfig.named("batch2")


def matmul(m: int, n: int, k: int) -> IterationSpace:
    return IterationSpace(
        loops=(("m", m), ("n", n), ("k", k)),
        lhs=Operand("A", ("m", "k"), 1),
        rhs=Operand("B", ("k", "n"), 1),
        out=Operand("C", ("m", "n"), 4),
    )


def conv(c: int, h: int, k: int, r: int, pad: int, stride: int) -> IterationSpace:
    oh = (h + 2 * pad - r) // stride + 1
    return IterationSpace(
        loops=(("n", 1), ("oc", k), ("oh", oh), ("ow", oh), ("ic", c), ("kh", r), ("kw", r)),
        lhs=Operand(
            "x",
            ("n", "ic", Window("oh", "kh", stride, -pad, h), Window("ow", "kw", stride, -pad, h)),
            1,
        ),
        rhs=Operand("w", ("oc", "ic", "kh", "kw"), 1),
        out=Operand("y", ("n", "oc", "oh", "ow"), 4),
        swappable=False,
    )


def brute_force_issued(space: IterationSpace, config: VTAConfig) -> int:
    """Fewest issued MACs over every assignment of loops to dimensions (roles unswapped or
    swapped), by exhaustive enumeration: the optimum the CP-SAT model must reach."""
    lanes = {"batch": config.batch, "block_out": config.block_out, "block_in": config.block_in}
    names = [name for name, _ in space.loops]
    extents = dict(space.loops)
    best = math.inf
    for swapped in [False, True] if space.swappable else [False]:
        inp, wgt = (space.rhs, space.lhs) if swapped else (space.lhs, space.rhs)
        for choice in itertools.product([None, *DIMS], repeat=len(names)):
            ok = True
            for name, dim in zip(names, choice, strict=True):
                if dim is None:
                    continue
                has = (name in inp.loops, name in wgt.loops, name in space.out.loops)
                want = {
                    "batch": (True, False, True),
                    "block_out": (False, True, True),
                    "block_in": (True, True, False),
                }[dim]
                ok &= has == want and lanes[dim] > 1
            if not ok:
                continue
            issued = 1
            for dim in DIMS:
                folded = math.prod(
                    extents[n] for n, d in zip(names, choice, strict=True) if d == dim
                )
                issued *= -(-folded // lanes[dim]) * lanes[dim]
            issued *= math.prod(extents[n] for n, d in zip(names, choice, strict=True) if d is None)
            best = min(best, issued)
    return int(best)


def test_matmul_default_uses_block_dims() -> None:
    emb = select_embedding(matmul(64, 32, 48), DEFAULT)
    assert emb.block_in == ("k",)
    assert emb.utilization == 1.0
    assert emb.issued_macs == 64 * 32 * 48


def test_matmul_swaps_roles_when_it_wastes_fewer_lanes() -> None:
    # M = 5124 pads to 5136 on BLOCK_OUT (99.77%); N = 700 pads to 704 (99.43%).
    emb = select_embedding(matmul(5124, 700, 2048), DEFAULT)
    assert (emb.inp, emb.wgt) == ("B", "A")
    assert emb.block_out == ("m",)
    assert emb.issued_macs == 5136 * 700 * 2048


def test_matmul_35_rows_keeps_rows_off_block_out() -> None:
    emb = select_embedding(matmul(35, 700, 2048), DEFAULT)
    assert (emb.inp, emb.block_out) == ("A", ("n",))
    assert emb.issued_macs == 35 * 704 * 2048


def test_batch_lanes_take_rows_when_batch_is_two() -> None:
    emb = select_embedding(matmul(35, 700, 2048), BATCH2)
    assert emb.issued_macs == brute_force_issued(matmul(35, 700, 2048), BATCH2)
    assert emb.batch  # BATCH = 2 lanes are used by some parallel loop


def test_conv_with_three_channels_folds_window_onto_block_in() -> None:
    space = conv(3, 224, 64, 7, 3, 2)  # ResNet-18 C1
    flexible = select_embedding(space, DEFAULT)
    fixed = select_embedding(
        space, DEFAULT, forced={"batch": ("n",), "block_out": ("oc",), "block_in": ("ic",)}
    )
    assert set(flexible.block_in) == {"ic", "kh", "kw"}
    assert fixed.utilization == pytest.approx(3 / 16)
    assert flexible.utilization == pytest.approx(147 / 160)


def test_conv_with_full_channels_keeps_tvm_embedding_and_least_traffic() -> None:
    emb = select_embedding(conv(64, 56, 64, 3, 1, 1), DEFAULT)  # C2
    assert (emb.block_out, emb.block_in) == (("oc",), ("ic",))
    assert emb.utilization == 1.0


def test_forced_choice_that_breaks_roles_is_rejected() -> None:
    with pytest.raises(EmbeddingError, match="no embedding"):
        select_embedding(conv(64, 56, 64, 3, 1, 1), DEFAULT, forced={"block_in": ("oc",)})
    with pytest.raises(EmbeddingError, match="not a loop"):
        select_embedding(matmul(16, 16, 16), DEFAULT, forced={"block_in": ("q",)})
    with pytest.raises(EmbeddingError, match="two dimensions"):
        select_embedding(
            matmul(16, 16, 16), DEFAULT, forced={"block_in": ("k",), "block_out": ("k",)}
        )
    with pytest.raises(EmbeddingError, match="unknown intrinsic dimension"):
        select_embedding(matmul(16, 16, 16), DEFAULT, forced={"lanes": ("k",)})


def test_deterministic() -> None:
    space = conv(3, 32, 16, 3, 1, 1)
    assert select_embedding(space, BATCH2) == select_embedding(space, BATCH2)


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 80),
    n=st.integers(1, 80),
    k=st.integers(1, 80),
    config=st.sampled_from([DEFAULT, BATCH2, VTAConfig.named("block8_small")]),
)
def test_matmul_reaches_the_exhaustive_optimum(m: int, n: int, k: int, config: VTAConfig) -> None:
    space = matmul(m, n, k)
    emb = select_embedding(space, config)
    assert emb.issued_macs == brute_force_issued(space, config)
    assert emb.useful_macs == m * n * k
    folded = emb.batch + emb.block_out + emb.block_in
    assert len(folded) == len(set(folded))  # every MAC exactly once: no loop on two dims
