"""Blocking: packed layouts of an embedding compute the op exactly (checked with einsum)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vtac.planning.blocking import BlockedOp, block
from vtac.planning.embedding import IterationSpace, Operand, Window, select_embedding
from vtac.runtime.config import VTAConfig

CONFIGS = [VTAConfig(), VTAConfig.named("batch2"), VTAConfig.named("block8_small")]
LANE_LETTERS = {"batch": "X", "block_in": "Y", "block_out": "Z"}


def packed_contraction(op: BlockedOp, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Run the blocked contraction on packed operands with einsum, then unpack the output."""
    letters = {name: chr(97 + i) for i, (name, _) in enumerate(op.loops)}

    def subscripts(operand) -> str:  # noqa: ANN001
        outer = ""
        for coord in operand.coords:
            if isinstance(coord, str):
                outer += letters[coord]
            else:
                raise AssertionError("window rows are checked by the conv tests")
        return outer + "".join(LANE_LETTERS[g.name] for g in operand.spec.groups)

    inp = op.inp.spec.pack(arrays[op.inp.name], np.int64)
    wgt = op.wgt.spec.pack(arrays[op.wgt.name], np.int64)
    eq = f"{subscripts(op.inp)},{subscripts(op.wgt)}->{subscripts(op.out)}"
    return op.out.spec.unpack(np.einsum(eq, inp, wgt))


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 40),
    n=st.integers(1, 40),
    k=st.integers(1, 40),
    config=st.sampled_from(CONFIGS),
    swap=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_matmul_blocking_is_exact(m, n, k, config, swap, seed) -> None:  # noqa: ANN001
    space = IterationSpace(
        loops=(("m", m), ("n", n), ("k", k)),
        lhs=Operand("A", ("m", "k"), 1),
        rhs=Operand("B", ("k", "n"), 1),
        out=Operand("C", ("m", "n"), 4),
    )
    op = block(space, select_embedding(space, config, swap=swap), config)
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k))
    b = rng.integers(-128, 128, (k, n))
    np.testing.assert_array_equal(packed_contraction(op, {"A": a, "B": b}), a @ b)


def test_im2col_packing_places_window_values() -> None:
    space = IterationSpace(
        loops=(("n", 1), ("oc", 4), ("oh", 5), ("ow", 5), ("ic", 3), ("kh", 3), ("kw", 3)),
        lhs=Operand(
            "x", ("n", "ic", Window("oh", "kh", 1, -1, 5), Window("ow", "kw", 1, -1, 5)), 1
        ),
        rhs=Operand("w", ("oc", "ic", "kh", "kw"), 1),
        out=Operand("y", ("n", "oc", "oh", "ow"), 4),
        swappable=False,
    )
    config = VTAConfig()
    emb = select_embedding(space, config)
    assert set(emb.block_in) == {"ic", "kh", "kw"}
    op = block(space, emb, config, bias=Operand("bias", ("oc",), 4))
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (1, 3, 5, 5))
    w = rng.integers(-128, 128, (4, 3, 3, 3))
    y = packed_contraction(op, {"x": x, "w": w})
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros((1, 4, 5, 5), dtype=np.int64)
    for kh in range(3):
        for kw in range(3):
            ref += np.einsum("nchw,oc->nohw", xp[:, :, kh : kh + 5, kw : kw + 5], w[:, :, kh, kw])
    np.testing.assert_array_equal(y, ref)
    assert op.bias is not None and op.bias.coords == ("block_out",)


def test_fixed_conv_keeps_rows_for_dma_padding() -> None:
    space = IterationSpace(
        loops=(("n", 1), ("oc", 32), ("oh", 8), ("ow", 8), ("ic", 32), ("kh", 3), ("kw", 3)),
        lhs=Operand(
            "x", ("n", "ic", Window("oh", "kh", 1, -1, 8), Window("ow", "kw", 1, -1, 8)), 1
        ),
        rhs=Operand("w", ("oc", "ic", "kh", "kw"), 1),
        out=Operand("y", ("n", "oc", "oh", "ow"), 4),
        swappable=False,
    )
    config = VTAConfig()
    op = block(space, select_embedding(space, config), config)
    assert op.inp.spec.coords == (("loop", "n"), ("block", "block_in"), ("rows", 2), ("rows", 3))
    assert op.inp.window_offsets == (0, 0, -1, -1)
    assert op.reduction == frozenset({"block_in", "kh", "kw"})


def test_borders_the_dma_cannot_pad_are_explicit() -> None:
    """A border at least as wide as the kernel (a tile of output rows could read it only) or
    wider than the 15 elements LOAD pads makes its window expanded, zeros included in DRAM."""

    def conv_space(rows: Window, cols: Window) -> IterationSpace:
        extents = (("oh", (rows.size - 2 * rows.offset - 3) // rows.stride + 1),)
        extents += (("ow", (cols.size - 2 * cols.offset - 3) // cols.stride + 1),)
        return IterationSpace(
            loops=(("n", 1), ("oc", 16), *extents, ("ic", 16), ("kh", 3), ("kw", 3)),
            lhs=Operand("x", ("n", "ic", rows, cols), 1),
            rhs=Operand("w", ("oc", "ic", "kh", "kw"), 1),
            out=Operand("y", ("n", "oc", "oh", "ow"), 4),
            swappable=False,
        )

    config = VTAConfig()
    space = conv_space(Window("oh", "kh", 1, -1, 4), Window("ow", "kw", 2, -3, 5))
    op = block(space, select_embedding(space, config), config)
    assert op.inp.spec.coords[-3:] == (("loop", "ow"), ("loop", "kw"), ("rows", 2))
    assert op.padded_windows == frozenset({"kh"})
    space = conv_space(Window("oh", "kh", 1, -3, 4), Window("ow", "kw", 1, -16, 5))
    op = block(space, select_embedding(space, config), config)
    assert op.padded_windows == frozenset()
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (1, 16, 4, 5))
    w = rng.integers(-128, 128, (16, 16, 3, 3))
    xp = np.pad(x, ((0, 0), (0, 0), (3, 3), (16, 16)))
    oh, ow = dict(space.loops)["oh"], dict(space.loops)["ow"]
    ref = np.zeros((1, 16, oh, ow), dtype=np.int64)
    for kh in range(3):
        for kw in range(3):
            window = xp[:, :, kh : kh + oh, kw : kw + ow]
            ref += np.einsum("nchw,oc->nohw", window, w[:, :, kh, kw])
    np.testing.assert_array_equal(packed_contraction(op, {"x": x, "w": w}), ref)
