"""The numpy reference backend and the Python API: hand-computed results, and agreement with
independent numpy formulations under hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vtac
from vtac.backends.reference import ReferenceError, conv2d

I8 = st.integers(-128, 127)


def single(build, inputs):  # noqa: ANN001, ANN201
    """Build a one-output function with ``build(f, *args)`` and run it on the reference."""
    f = vtac.Function("t")
    args = [
        f.input(f"a{i}", arr.shape, "i8" if arr.dtype == np.int8 else "i32")
        for i, arr in enumerate(inputs)
    ]
    f.output(build(f, *args))
    module = f.module()
    reparsed = vtac.parse_ir(vtac.print_ir(module))
    (out,) = vtac.reference_run(reparsed, list(inputs))
    return out


def test_hand_computed_ops() -> None:
    x = np.array([[1, 2], [3, 4]], dtype=np.int8)
    w = np.array([[1, 0], [1, 1], [-1, 2]], dtype=np.int8)
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.dense(a, b), [x, w]), [[1, 3, 3], [3, 7, 5]]
    )
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.matmul(a, b), [x, x]), [[7, 10], [15, 22]]
    )
    acc = np.array([[-9, 300], [2**31 - 1, -(2**31)]], dtype=np.int32)
    np.testing.assert_array_equal(
        single(lambda f, a: f.shr(a, 2), [acc]), [[-3, 75], [2**29 - 1, -(2**29)]]
    )
    np.testing.assert_array_equal(single(lambda f, a: f.relu(a), [acc]), [[0, 300], [2**31 - 1, 0]])
    np.testing.assert_array_equal(
        single(lambda f, a: f.clip(a, -5, 100), [acc]), [[-5, 100], [100, -5]]
    )
    np.testing.assert_array_equal(single(lambda f, a: f.cast(a), [acc]), [[-9, 44], [-1, 0]])
    np.testing.assert_array_equal(
        single(lambda f, a: f.cast(a, mode="saturate"), [acc]), [[-9, 127], [127, -128]]
    )
    bias = np.array([10, -10], dtype=np.int32)
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.add(a, b), [acc, bias]), [[1, 290], [-(2**31) + 9, 2**31 - 10]]
    )


def test_conv_and_pool_by_hand() -> None:
    x = np.arange(16, dtype=np.int8).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 2, 2), dtype=np.int8)
    out = single(lambda f, a, b: f.conv2d(a, b, (2, 2), (0, 0, 0, 0)), [x, w])
    np.testing.assert_array_equal(
        out, [[[[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]]]
    )
    padded = single(lambda f, a, b: f.conv2d(a, b, (1, 1), (1, 1, 0, 0)), [x, w])
    assert (
        padded.shape == (1, 1, 4, 4)
        and padded[0, 0, 0, 0] == 0
        and padded[0, 0, 1, 1] == 0 + 1 + 4 + 5
    )
    pooled = single(lambda f, a: f.max_pool2d(a, (2, 2), (2, 2)), [x])
    np.testing.assert_array_equal(pooled, [[[[5, 7], [13, 15]]]])


def test_int32_wraps_in_contractions() -> None:
    x = np.full((1, 4096), -128, dtype=np.int8)
    w = np.full((1, 4096), -128, dtype=np.int8)
    assert single(lambda f, a, b: f.dense(a, b), [x, w])[0, 0] == np.int64(4096 * 16384).astype(
        np.int32
    )
    big = np.full((1, 2**17 + 1), 127, dtype=np.int8)  # 2^17 * 127^2 > 2^31
    want = (np.int64(big.size) * 127 * 127 + 2**31) % 2**32 - 2**31
    assert single(lambda f, a, b: f.dense(a, b), [big, big])[0, 0] == want


def loop_conv(x, w, stride, pad):  # noqa: ANN001, ANN201
    """Convolution by explicit loops (tiny sizes only)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = (h + pad[0] + pad[2] - kh) // stride[0] + 1
    ow = (wd + pad[1] + pad[3] - kw) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), dtype=np.int64)
    for b in range(n):
        for m in range(o):
            for i in range(oh):
                for j in range(ow):
                    for ci in range(c):
                        for p in range(kh):
                            for q in range(kw):
                                y, xx = i * stride[0] + p - pad[0], j * stride[1] + q - pad[1]
                                if 0 <= y < h and 0 <= xx < wd:
                                    out[b, m, i, j] += int(x[b, ci, y, xx]) * int(w[m, ci, p, q])
    return out.astype(np.int32)


def im2col_conv(x, w, stride, pad):  # noqa: ANN001, ANN201
    """Convolution as one matrix product over im2col columns."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (pad[0], pad[2]), (pad[1], pad[3])))
    oh = (h + pad[0] + pad[2] - kh) // stride[0] + 1
    ow = (wd + pad[1] + pad[3] - kw) // stride[1] + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=np.int64)
    for p in range(kh):
        for q in range(kw):
            cols[:, :, p, q] = xp[
                :, :, p : p + stride[0] * oh : stride[0], q : q + stride[1] * ow : stride[1]
            ]
    out = np.einsum(
        "nkhw,ok->nohw", cols.reshape(n, c * kh * kw, oh, ow), w.reshape(o, -1).astype(np.int64)
    )
    return out.astype(np.int32)


conv_case = st.tuples(
    st.integers(1, 2),
    st.integers(1, 4),
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
).filter(lambda t: t[5] <= t[2] + 2 and t[6] <= t[3] + 2)


@settings(max_examples=40, deadline=None)
@given(conv_case, st.data())
def test_conv_matches_explicit_loops(case, data: st.DataObject) -> None:  # noqa: ANN001
    n, c, h, w_, o, kh, kw, sh, sw = case
    pad = tuple(data.draw(st.integers(0, k - 1)) for k in (kh, kw, kh, kw))
    if (h + pad[0] + pad[2] - kh) < 0 or (w_ + pad[1] + pad[3] - kw) < 0:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 10**6)))
    x = rng.integers(-128, 128, (n, c, h, w_), dtype=np.int8)
    w = rng.integers(-128, 128, (o, c, kh, kw), dtype=np.int8)
    np.testing.assert_array_equal(conv2d(x, w, (sh, sw), pad), loop_conv(x, w, (sh, sw), pad))


@settings(max_examples=15, deadline=None)
@given(
    st.integers(8, 20), st.integers(1, 3), st.sampled_from([1, 3, 16, 35]), st.integers(0, 10**6)
)
def test_conv_matches_im2col_on_larger_sizes(
    size: int, stride: int, channels: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (1, channels, size, size), dtype=np.int8)
    w = rng.integers(-128, 128, (8, channels, 3, 3), dtype=np.int8)
    pad = (1, 1, 1, 1)
    np.testing.assert_array_equal(
        conv2d(x, w, (stride, stride), pad), im2col_conv(x, w, (stride, stride), pad)
    )


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(1, 40),
    st.integers(1, 9),
    st.integers(0, 31),
    st.integers(0, 10**6),
)
def test_requantized_dense_matches_numpy(n: int, k: int, m: int, shift: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, k), dtype=np.int8)
    w = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-(2**20), 2**20, (m,), dtype=np.int32)
    out = single(
        lambda f, a, ww, bb: f.cast(f.clip(f.add(f.shr(f.dense(a, ww), shift), bb), -128, 127)),
        [x, w, b],
    )
    acc = x.astype(np.int64) @ w.astype(np.int64).T
    want = np.clip((acc >> shift) + b, -128, 127).astype(np.int8)
    np.testing.assert_array_equal(out, want)


def test_reference_input_errors() -> None:
    f = vtac.Function("g")
    f.output(f.relu(f.input("x", (2, 2), "i32")))
    module = f.module()
    with pytest.raises(ReferenceError, match="expected shape"):
        vtac.reference_run(module, [np.zeros((3, 2), np.int32)])
    with pytest.raises(ReferenceError, match="missing x"):
        vtac.reference_run(module, {"y": np.zeros((2, 2), np.int32)})
    with pytest.raises(ReferenceError, match="values do not fit int32"):
        g = vtac.Function("h")
        g.output(g.cast(g.relu(g.input("z", (1,), "i32"))))
        vtac.reference_run(g.module(), {"z": np.array([2**40])})


def test_examples_run_on_the_reference() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "examples" / "dense.mlir").read_text()
    module = vtac.parse_ir(text)
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, (16, 256), dtype=np.int8)
    w = rng.integers(-128, 128, (128, 256), dtype=np.int8)
    b = rng.integers(-1000, 1000, (128,), dtype=np.int32)
    (y,) = vtac.reference_run(module, {"x": x, "w": w, "bias": b})
    want = np.clip(((x.astype(np.int64) @ w.astype(np.int64).T) >> 8) + b, -128, 127).astype(
        np.int8
    )
    np.testing.assert_array_equal(y, want)


def test_api_errors_are_clear() -> None:
    with pytest.raises(vtac.IRError, match="<string>:1"):
        vtac.parse_ir("func.func @f(%x: tensor<2xi8>")
    with pytest.raises(vtac.IRError, match="data has K = 3"):
        vtac.parse_ir(
            "func.func @f(%x: tensor<2x3xi8>, %w: tensor<4x5xi8>) -> tensor<2x4xi32> {\n"
            "  %y = nn.dense %x, %w : (tensor<2x3xi8>, tensor<4x5xi8>) -> tensor<2x4xi32>\n"
            "  func.return %y : tensor<2x4xi32>\n}"
        )
    f = vtac.Function("e")
    with pytest.raises(ValueError, match="has no outputs"):
        f.module()
    with pytest.raises(ValueError, match="dtype must be one of"):
        f.input("x", (2,), "f32")


def test_run_pipeline_applies_passes() -> None:
    f = vtac.Function("p")
    f.output(f.relu(f.input("x", (2,), "i32")))
    module = vtac.run_pipeline(f.module(), "canonicalize")
    assert "nn.relu" in vtac.print_ir(module)
