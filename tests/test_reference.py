"""The numpy reference backend: hand-computed results for every op, and agreement with
independent formulations (explicit loops, im2col, Python integers) under hypothesis, at the
int8/int32 extremes included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, i32

import vtac
from vtac.backends.reference import (
    ReferenceError,
    argument_names,
    conv2d,
    find_function,
    max_pool2d,
    run_function,
    run_module,
)

ROOT = Path(__file__).resolve().parents[1]
I32_VALUES = st.one_of(
    st.sampled_from([-(2**31), -(2**31) + 1, -1, 0, 1, 2**31 - 1]), st.integers(-(2**31), 2**31 - 1)
)


def wrap(value: int, bits: int = 32) -> int:
    """Python integer to two's complement of ``bits`` bits."""
    return (value + 2 ** (bits - 1)) % 2**bits - 2 ** (bits - 1)


def single(build: Callable[..., vtac.Tensor], inputs: list[np.ndarray]) -> np.ndarray:
    """Build a one-output function with ``build(f, *args)``, print and parse it back, and run it
    on the reference."""
    f = vtac.Function("t")
    args = [
        f.input(f"a{i}", arr.shape, "i8" if arr.dtype == np.int8 else "i32")
        for i, arr in enumerate(inputs)
    ]
    f.output(build(f, *args))
    reparsed = vtac.parse_ir(vtac.print_ir(f.module()))
    (out,) = vtac.reference_run(reparsed, inputs)
    return out


# --- hand-computed results ----------------------------------------------------------------------


def test_contractions_by_hand() -> None:
    x = np.array([[1, 2], [3, 4]], dtype=np.int8)
    w = np.array([[1, 0], [1, 1], [-1, 2]], dtype=np.int8)
    dense = single(lambda f, a, b: f.dense(a, b), [x, w])
    np.testing.assert_array_equal(dense, [[1, 3, 3], [3, 7, 5]])
    assert dense.dtype == np.int32
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.matmul(a, b), [x, x]), [[7, 10], [15, 22]]
    )
    image = np.arange(16, dtype=np.int8).reshape(1, 1, 4, 4)
    ones = np.ones((1, 1, 2, 2), dtype=np.int8)
    strided = single(lambda f, a, b: f.conv2d(a, b, 2), [image, ones])
    np.testing.assert_array_equal(
        strided, [[[[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]]]
    )
    # top/left padding only: output (4 + 1 - 2) + 1 = 4; row 0 and column 0 see the border
    padded = single(lambda f, a, b: f.conv2d(a, b, 1, (1, 1, 0, 0)), [image, ones])
    assert padded.shape == (1, 1, 4, 4)
    assert padded[0, 0, 0, 0] == 0 and padded[0, 0, 0, 1] == 0 + 1
    assert padded[0, 0, 1, 1] == 0 + 1 + 4 + 5 and padded[0, 0, 3, 3] == 10 + 11 + 14 + 15
    # two channels, two filters: the second filter reads channel 1 negated
    two = np.stack([image[0, 0], -image[0, 0]])[None].astype(np.int8)
    filters = np.zeros((2, 2, 1, 1), dtype=np.int8)
    filters[0, 0], filters[1, 1] = 3, -1
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.conv2d(a, b), [two, filters]),
        np.stack([3 * image[0, 0], image[0, 0]])[None],
    )


def test_elementwise_ops_by_hand() -> None:
    acc = np.array([[-9, 300], [2**31 - 1, -(2**31)]], dtype=np.int32)
    cases = {
        "shr": (lambda f, a: f.shr(a, 2), [[-3, 75], [2**29 - 1, -(2**29)]]),
        "shr0": (lambda f, a: f.shr(a, 0), acc),
        "shr31": (lambda f, a: f.shr(a, 31), [[-1, 0], [0, -1]]),
        "relu": (lambda f, a: f.relu(a), [[0, 300], [2**31 - 1, 0]]),
        "clip": (lambda f, a: f.clip(a, -5, 100), [[-5, 100], [100, -5]]),
        "wrap": (lambda f, a: f.cast(a), [[-9, 44], [-1, 0]]),
        "saturate": (lambda f, a: f.cast(a, mode="saturate"), [[-9, 127], [127, -128]]),
    }
    for name, (build, want) in cases.items():
        got = single(build, [acc])
        np.testing.assert_array_equal(got, want, err_msg=name)
        assert got.dtype == (np.int8 if name in ("wrap", "saturate") else np.int32), name


def test_add_by_hand_wraps_and_broadcasts() -> None:
    acc = np.array([[-9, 300], [2**31 - 1, -(2**31)]], dtype=np.int32)
    bias = np.array([10, -10], dtype=np.int32)
    want = [[1, 290], [-(2**31) + 9, 2**31 - 10]]  # wraps both ways
    np.testing.assert_array_equal(single(lambda f, a, b: f.add(a, b), [acc, bias]), want)
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.add(a, b), [acc, bias.reshape(1, 2)]), want
    )
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.add(a, b), [acc, acc]), [[-18, 600], [-2, 0]]
    )
    planes = np.arange(8, dtype=np.int32).reshape(1, 2, 2, 2)
    per_channel = np.array([100, -100], dtype=np.int32)
    want4 = [[[[100, 101], [102, 103]], [[-96, -95], [-94, -93]]]]
    np.testing.assert_array_equal(single(lambda f, a, b: f.add(a, b), [planes, per_channel]), want4)
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.add(a, b), [planes, per_channel.reshape(1, 2, 1, 1)]), want4
    )


def test_max_pool_by_hand() -> None:
    image = np.arange(16, dtype=np.int8).reshape(1, 1, 4, 4) - 20  # all negative
    np.testing.assert_array_equal(
        single(lambda f, a: f.max_pool2d(a, 2), [image]), [[[[-15, -13], [-7, -5]]]]
    )
    # padding never wins, even over negative values
    padded = single(lambda f, a: f.max_pool2d(a, 2, 2, (1, 1, 0, 0)), [image])
    np.testing.assert_array_equal(padded, [[[[-20, -18], [-12, -10]]]])
    wide = np.array([[[[-(2**31), 5, 2**31 - 1]]]], dtype=np.int32)
    np.testing.assert_array_equal(
        single(lambda f, a: f.max_pool2d(a, (1, 2), 1), [wide]), [[[[5, 2**31 - 1]]]]
    )


def test_contractions_wrap_to_int32() -> None:
    x = np.full((1, 4096), -128, dtype=np.int8)
    assert single(lambda f, a, b: f.dense(a, b), [x, x])[0, 0] == wrap(4096 * 16384)  # 2^26
    big = np.full((1, 2**17 + 1), 127, dtype=np.int8)  # 2^17 * 127^2 > 2^31
    assert single(lambda f, a, b: f.dense(a, b), [big, big])[0, 0] == wrap(big.size * 127 * 127)
    assert single(lambda f, a, b: f.matmul(a, b), [big, big.T])[0, 0] == wrap(big.size * 16129)
    deep = np.full((1, 2**15, 1, 1), -128, dtype=np.int8)  # 2^15 * 2^14 = 2^29, times 4 taps
    taps = np.full((1, 2**15, 2, 2), -128, dtype=np.int8)
    out = single(lambda f, a, b: f.conv2d(a, b, 1, (1, 1, 0, 0)), [deep, taps])
    assert out[0, 0, 0, 0] == wrap(2**15 * 2**14)  # only the bottom-right tap is inside


# --- independent formulations under hypothesis --------------------------------------------------


def loop_conv(x: np.ndarray, w: np.ndarray, stride, pad) -> np.ndarray:  # noqa: ANN001
    """Convolution by explicit loops over Python integers (tiny sizes only)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = (h + pad[0] + pad[2] - kh) // stride[0] + 1
    ow = (wd + pad[1] + pad[3] - kw) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), dtype=np.int64)
    for b in range(n):
        for m in range(o):
            for i in range(oh):
                for j in range(ow):
                    total = 0
                    for ci in range(c):
                        for p in range(kh):
                            for q in range(kw):
                                y, xx = i * stride[0] + p - pad[0], j * stride[1] + q - pad[1]
                                if 0 <= y < h and 0 <= xx < wd:
                                    total += int(x[b, ci, y, xx]) * int(w[m, ci, p, q])
                    out[b, m, i, j] = wrap(total)
    return out.astype(np.int32)


def im2col_conv(x: np.ndarray, w: np.ndarray, stride, pad) -> np.ndarray:  # noqa: ANN001
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
    matrix = cols.reshape(n, c * kh * kw, oh * ow)
    out = np.stack([w.reshape(o, -1).astype(np.int64) @ matrix[b] for b in range(n)])
    return out.reshape(n, o, oh, ow).astype(np.int32)


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
)


def int8s(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random int8 values with the extremes -128 and 127 over-represented."""
    values = rng.integers(-128, 128, shape, dtype=np.int8)
    extremes = rng.random(shape) < 0.2
    values[extremes] = rng.choice(np.array([-128, 127], dtype=np.int8), int(extremes.sum()))
    return values


@settings(max_examples=60, deadline=None)
@given(conv_case, st.data())
def test_conv_matches_explicit_loops(case, data: st.DataObject) -> None:  # noqa: ANN001
    n, c, h, w_, o, kh, kw, sh, sw = case
    pad = tuple(data.draw(st.integers(0, k - 1)) for k in (kh, kw, kh, kw))
    if kh > h + pad[0] + pad[2] or kw > w_ + pad[1] + pad[3]:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x, w = int8s(rng, (n, c, h, w_)), int8s(rng, (o, c, kh, kw))
    np.testing.assert_array_equal(conv2d(x, w, (sh, sw), pad), loop_conv(x, w, (sh, sw), pad))


@settings(max_examples=40, deadline=None)
@given(conv_case, st.data())
def test_conv_with_padding_beyond_the_kernel_matches_explicit_loops(case, data) -> None:  # noqa: ANN001
    """Padding may reach or exceed the kernel (nn.conv2d accepts it, see its docstring): border
    outputs whose window is wholly padding are zero. Built, printed and parsed back."""
    n, c, h, w_, o, kh, kw, sh, sw = case
    pad = tuple(data.draw(st.integers(0, k + 3)) for k in (kh, kw, kh, kw))
    if kh > h + pad[0] + pad[2] or kw > w_ + pad[1] + pad[3]:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x, w = int8s(rng, (n, c, h, w_)), int8s(rng, (o, c, kh, kw))
    got = single(lambda f, a, b: f.conv2d(a, b, (sh, sw), pad), [x, w])
    np.testing.assert_array_equal(got, loop_conv(x, w, (sh, sw), pad))


def test_deepbench_1x1_conv_with_padding_3_matches_explicit_loops() -> None:
    """DeepBench's conv_server 49 and 58 (7x7 input, 1x1 kernel, padding 3, stride 2), with
    fewer channels, written in the issue's custom syntax."""
    text = (
        "func.func @c(%x: tensor<2x24x7x7xi8>, %w: tensor<8x24x1x1xi8>) -> tensor<2x8x7x7xi32> {\n"
        "  %y = nn.conv2d %x, %w {strides = [2, 2], padding = [3, 3, 3, 3]}"
        " : (tensor<2x24x7x7xi8>, tensor<8x24x1x1xi8>) -> tensor<2x8x7x7xi32>\n"
        "  func.return %y : tensor<2x8x7x7xi32>\n}\n"
    )
    rng = np.random.default_rng(49)
    x, w = int8s(rng, (2, 24, 7, 7)), int8s(rng, (8, 24, 1, 1))
    (got,) = vtac.reference_run(vtac.parse_ir(text), {"x": x, "w": w})
    want = loop_conv(x, w, (2, 2), (3, 3, 3, 3))
    np.testing.assert_array_equal(got, want)
    # outputs 0, 1, 5 and 6 of each axis read only padding; 2, 3, 4 read input rows 1, 3, 5
    assert not want[:, :, [0, 1, 5, 6]].any() and not want[:, :, :, [0, 1, 5, 6]].any()
    assert want[:, :, 2:5, 2:5].any()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=2, max_size=4),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_bias_broadcasting_matches_python_ints(shape: list[int], keepdims: bool, seed: int) -> None:
    """``nn.add`` of a per-channel bias ([C] or the shape with every other dimension 1) adds
    ``bias[c]`` to every element of channel c (dimension 1), wrapping in int32."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(np.int32)
    x = rng.integers(info.min, info.max, shape, dtype=np.int32, endpoint=True)
    channels = shape[1]
    b = rng.integers(info.min, info.max, channels, dtype=np.int32, endpoint=True)
    b[0] = info.max  # with an extreme bias, some sums wrap
    bias = (
        b.reshape([channels if axis == 1 else 1 for axis in range(len(shape))]) if keepdims else b
    )
    got = single(lambda f, a, bb: f.add(a, bb), [x, bias])
    want = np.empty(shape, dtype=np.int64)
    for index in np.ndindex(*shape):
        want[index] = wrap(int(x[index]) + int(b[index[1]]))
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int32


@settings(max_examples=15, deadline=None)
@given(
    st.integers(8, 20),
    st.integers(1, 3),
    st.sampled_from([1, 3, 16, 35]),
    st.sampled_from([(1, 1, 1, 1), (0, 0, 0, 0), (2, 1, 0, 2)]),
    st.integers(0, 2**32 - 1),
)
def test_conv_matches_im2col_on_larger_sizes(
    size: int, stride: int, channels: int, pad: tuple[int, ...], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = int8s(rng, (2, channels, size, size + 3))
    w = int8s(rng, (8, channels, 3, 3))
    np.testing.assert_array_equal(
        conv2d(x, w, (stride, stride), pad), im2col_conv(x, w, (stride, stride), pad)
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 12), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_dense_and_matmul_match_sums_of_python_ints(
    rows: int, depth: int, cols: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x, w = int8s(rng, (rows, depth)), int8s(rng, (cols, depth))
    want = [
        [wrap(sum(int(x[i, k]) * int(w[j, k]) for k in range(depth))) for j in range(cols)]
        for i in range(rows)
    ]
    np.testing.assert_array_equal(single(lambda f, a, b: f.dense(a, b), [x, w]), want)
    np.testing.assert_array_equal(
        single(lambda f, a, b: f.matmul(a, b), [x, np.ascontiguousarray(w.T)]), want
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(I32_VALUES, min_size=1, max_size=8), st.integers(0, 31), I32_VALUES, I32_VALUES)
def test_elementwise_ops_match_python_ints(xs: list[int], amount: int, a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    f = vtac.Function("e")
    x = f.input("x", (1, len(xs)), "i32")
    y = f.input("y", (1, len(xs)), "i32")
    f.output(
        f.shr(x, amount),
        f.relu(x),
        f.clip(x, low, high),
        f.cast(x),
        f.cast(x, mode="saturate"),
        f.add(x, y),
    )
    module = vtac.parse_ir(vtac.print_ir(f.module()))
    inputs = {"x": np.array([xs], dtype=np.int32), "y": np.full((1, len(xs)), a, dtype=np.int32)}
    got = [out[0].tolist() for out in vtac.reference_run(module, inputs)]
    assert got == [
        [v >> amount for v in xs],
        [max(v, 0) for v in xs],
        [min(max(v, low), high) for v in xs],
        [wrap(v, 8) for v in xs],
        [min(max(v, -128), 127) for v in xs],
        [wrap(v + a) for v in xs],
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(1, 3),
    st.booleans(),
    st.data(),
)
def test_max_pool_matches_explicit_loops(
    h: int, w: int, k: int, stride: int, wide: bool, data: st.DataObject
) -> None:
    pad = [data.draw(st.integers(0, k - 1)) for _ in range(4)]
    if k > h + pad[0] + pad[2] or k > w + pad[1] + pad[3]:
        return
    dtype = np.int32 if wide else np.int8
    info = np.iinfo(dtype)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(info.min, info.max, (2, 3, h, w), dtype=dtype, endpoint=True)
    oh, ow = (h + pad[0] + pad[2] - k) // stride + 1, (w + pad[1] + pad[3] - k) // stride + 1
    want = np.empty((2, 3, oh, ow), dtype=dtype)
    for i in range(oh):
        for j in range(ow):
            rows = [r for r in range(i * stride - pad[0], i * stride - pad[0] + k) if 0 <= r < h]
            cols = [c for c in range(j * stride - pad[1], j * stride - pad[1] + k) if 0 <= c < w]
            want[:, :, i, j] = x[:, :, rows][:, :, :, cols].max(axis=(2, 3))
    got = max_pool2d(x, (k, k), (stride, stride), pad)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == dtype


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(1, 40),
    st.integers(1, 9),
    st.integers(0, 31),
    st.integers(0, 2**32 - 1),
)
def test_requantized_dense_matches_numpy(n: int, k: int, m: int, shift: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, w = int8s(rng, (n, k)), int8s(rng, (m, k))
    b = rng.integers(-(2**20), 2**20, (m,), dtype=np.int32)
    out = single(
        lambda f, a, ww, bb: f.cast(f.clip(f.add(f.shr(f.dense(a, ww), shift), bb), -128, 127)),
        [x, w, b],
    )
    acc = x.astype(np.int64) @ w.astype(np.int64).T
    want = np.clip((acc >> shift) + b, -128, 127).astype(np.int8)
    np.testing.assert_array_equal(out, want)


# --- the examples -------------------------------------------------------------------------------


def test_examples_run_on_the_reference() -> None:
    rng = np.random.default_rng(0)
    x, w = int8s(rng, (16, 256)), int8s(rng, (128, 256))
    b = rng.integers(-1000, 1000, (128,), dtype=np.int32)
    (y,) = vtac.reference_run(
        vtac.read_ir(ROOT / "examples" / "dense.mlir"), {"x": x, "w": w, "bias": b}
    )
    acc = x.astype(np.int64) @ w.astype(np.int64).T
    np.testing.assert_array_equal(y, np.clip((acc >> 8) + b, -128, 127).astype(np.int8))

    a, bm = int8s(rng, (35, 100)), int8s(rng, (100, 64))
    (c,) = vtac.reference_run(vtac.read_ir(ROOT / "examples" / "matmul.mlir"), [a, bm])
    np.testing.assert_array_equal(c, a.astype(np.int64) @ bm.astype(np.int64))

    x, w = int8s(rng, (1, 64, 56, 56)), int8s(rng, (64, 64, 3, 3))
    bias = rng.integers(-50, 50, (64,), dtype=np.int32)
    module = vtac.read_ir(ROOT / "examples" / "conv2d.mlir")
    (y,) = vtac.reference_run(module, {"x": x, "w": w, "bias": bias})
    acc = im2col_conv(x, w, (1, 1), (1, 1, 1, 1)).astype(np.int64)
    want = np.clip((acc >> 8) + bias.reshape(1, 64, 1, 1), 0, 127).astype(np.int8)
    np.testing.assert_array_equal(y, want)


# --- errors -------------------------------------------------------------------------------------


def relu_module(*names: str) -> ModuleOp:
    f = vtac.Function("g")
    f.output(*(f.relu(f.input(name, (2, 2), "i32")) for name in names))
    return f.module()


def test_input_errors_name_the_argument() -> None:
    module = relu_module("x", "y")
    ok = np.zeros((2, 2), np.int32)
    cases = [
        ([np.zeros((3, 2), np.int32), ok], r"argument x: expected shape \(2, 2\), got \(3, 2\)"),
        ([ok], r"@g takes 2 inputs \(x, y\), got 1"),
        ({"x": ok}, "@g takes x, y; missing y"),
        ({"x": ok, "y": ok, "z": ok}, "@g takes x, y; unknown z"),
        (
            [ok, np.full((2, 2), 0.5)],
            "argument y: expected integers \\(int32\\), got dtype float64",
        ),
        (
            [ok, np.full((2, 2), 2**40)],
            r"argument y: values in \[1099511627776, 1099511627776\] do not fit int32",
        ),
        ([ok, np.zeros((2, 2), bool)], "argument y: expected integers"),
    ]
    for inputs, message in cases:
        with pytest.raises(ReferenceError, match=message):
            vtac.reference_run(module, inputs)
    i8 = vtac.Function("h")
    i8.output(i8.input("v", (2,), "i8"))
    with pytest.raises(ReferenceError, match=r"do not fit int8 \[-128, 127\]"):
        vtac.reference_run(i8.module(), [np.array([0, 128])])
    (same,) = vtac.reference_run(i8.module(), [np.array([-128, 127], dtype=np.int64)])
    assert same.dtype == np.int8 and same.tolist() == [-128, 127]


def test_inputs_by_name_need_distinct_names() -> None:
    module = vtac.parse_ir(
        "func.func @f(%x_1: tensor<2xi32>, %x_2: tensor<2xi32>, %3: tensor<2xi32>)"
        " -> tensor<2xi32> {\n  func.return %x_1 : tensor<2xi32>\n}"
    )
    function = find_function(module)
    assert argument_names(function) == ["x", "x", "arg2"]
    ones = np.ones(2, np.int32)
    with pytest.raises(
        ReferenceError, match="several arguments are named x; pass the inputs as a list"
    ):
        run_function(function, {"x": ones, "arg2": ones})
    assert run_function(function, [ones, 2 * ones, 3 * ones])[0].tolist() == [1, 1]


def test_functions_are_found_by_name() -> None:
    relu = (
        "({0}: tensor<2xi32>) -> tensor<2xi32> {{\n"
        "  %y = nn.relu {0} : (tensor<2xi32>) -> tensor<2xi32>\n"
        "  func.return %y : tensor<2xi32>\n}}\n"
    )
    module = vtac.parse_ir("func.func @g" + relu.format("%x") + "func.func @k" + relu.format("%x"))
    inputs = [np.array([-3, 3], np.int32)]
    with pytest.raises(
        ReferenceError, match=r"the module has 2 functions \(@g, @k\): name the one"
    ):
        run_module(module, inputs)
    with pytest.raises(ReferenceError, match=r"no function @z in the module \(functions: @g, @k\)"):
        run_module(module, inputs, "z")
    assert run_module(module, inputs, "k")[0].tolist() == [0, 3]
    with pytest.raises(ReferenceError, match=r"the module has 0 functions \(none\)"):
        run_module(ModuleOp([]), [])


DECLARATION = "func.func @gemm(%a: tensor<20x33xi8>, %b: tensor<33x4xi8>) -> tensor<20x4xi32>\n"


def test_declarations_are_never_chosen() -> None:
    """A truncated file holding only a declaration: a ReferenceError naming it, by name or as
    the only function (find_function is also the compiler's), never an xDSL ValueError."""
    module = vtac.parse_ir(DECLARATION)
    for name in (None, "gemm"):
        with pytest.raises(ReferenceError, match=r"@gemm is a declaration \(no body\)"):
            find_function(module, name)
    (declaration,) = module.ops
    with pytest.raises(ReferenceError, match="@gemm is a declaration"):
        argument_names(declaration)  # type: ignore[arg-type]
    with pytest.raises(ReferenceError, match="@gemm is a declaration"):
        run_function(declaration, [])  # type: ignore[arg-type]


def test_ops_outside_nn_and_invalid_functions_are_refused() -> None:
    module = vtac.parse_ir(
        "func.func @f(%x: tensor<2xi32>) -> i32 {\n"
        "  %c = arith.constant 1 : i32\n  func.return %c : i32\n}"
    )
    with pytest.raises(ReferenceError, match="@f: the reference backend runs tensor constants"):
        run_module(module, [np.zeros(2, np.int32)])
    function = func.FuncOp("bad", ((), (i32,)))
    function.body.block.add_op(func.ReturnOp())
    with pytest.raises(ReferenceError, match="@bad does not verify: Expected arguments"):
        run_function(function, [])


def test_tensor_constants_are_evaluated() -> None:
    module = vtac.parse_ir(
        "func.func @f(%x: tensor<1x2xi8>) -> tensor<1x3xi32> {\n"
        "  %w = arith.constant dense<[[1, -2], [3, 4], [-128, 127]]> : tensor<3x2xi8>\n"
        "  %b = arith.constant dense<5> : tensor<3xi32>\n"
        "  %y = nn.dense %x, %w : (tensor<1x2xi8>, tensor<3x2xi8>) -> tensor<1x3xi32>\n"
        "  %z = nn.add %y, %b : (tensor<1x3xi32>, tensor<3xi32>) -> tensor<1x3xi32>\n"
        "  func.return %z : tensor<1x3xi32>\n}\n"
    )
    (result,) = run_module(module, {"x": np.array([[2, -1]], dtype=np.int8)})
    assert result.tolist() == [[2 + 2 + 5, 6 - 4 + 5, -256 - 127 + 5]]
