"""The nn dialect: result types inferred by the builders, verifier messages, the broadcasting
rule of nn.add, iteration spaces (checked by running them as explicit loops), and the custom
and generic syntax round trips of random valid ops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, StringAttr, i32, i64
from xdsl.ir import Block, SSAValue
from xdsl.utils.exceptions import VerifyException

import vtac
from vtac.backends.reference import conv2d, dense, matmul
from vtac.dialects import nn


def values(*types: object) -> tuple[SSAValue, ...]:
    """Fresh SSA values of the given types (arguments of a detached block)."""
    return tuple(Block(arg_types=types).args)  # type: ignore[arg-type]


def t(shape: tuple[int, ...], element: object = nn.I8) -> object:
    return nn.tensor(shape, element)  # type: ignore[arg-type]


# --- result types and verifier messages ---------------------------------------------------------


def test_builders_infer_result_types() -> None:
    x, w, d, dw, a, b = values(
        t((1, 3, 8, 8)), t((4, 3, 3, 3)), t((2, 16)), t((5, 16)), t((5, 7)), t((7, 3))
    )
    conv = nn.Conv2DOp(x, w, (2, 1), (1, 0, 0, 2))
    assert conv.result.type == t((1, 4, 4, 8), nn.I32)  # (8+1-3)//2+1, (8+2-3)//1+1
    assert conv.stride_values == (2, 1) and conv.padding_values == (1, 0, 0, 2)
    assert nn.DenseOp(d, dw).result.type == t((2, 5), nn.I32)
    assert nn.MatmulOp(a, b).result.type == t((5, 3), nn.I32)
    (acc, bias) = values(t((2, 5), nn.I32), t((5,), nn.I32))
    assert nn.AddOp(acc, bias).result.type == acc.type
    assert nn.ShrOp(acc, 4).shift == 4
    assert nn.ClipOp(acc, -3, 9).bounds == (-3, 9)
    cast = nn.CastOp(acc, "saturate")
    assert cast.result.type == t((2, 5)) and cast.cast_mode == "saturate"
    (big,) = values(t((1, 2, 7, 7), nn.I32))
    pool = nn.MaxPool2DOp(big, (3, 3), (2, 2), (1, 1, 1, 1))
    assert pool.result.type == t((1, 2, 4, 4), nn.I32)
    for op in (conv, cast, pool, nn.ReluOp(acc)):
        op.verify()


def expect(build, message: str) -> None:  # noqa: ANN001
    with pytest.raises(VerifyException, match=message):
        build().verify()


def test_builders_and_verifiers_name_the_problem() -> None:
    x, w, w2, acc, acc8 = values(
        t((1, 3, 8, 8)), t((4, 3, 3, 3)), t((4, 2, 3, 3)), t((2, 5), nn.I32), t((2, 5))
    )
    expect(lambda: nn.Conv2DOp(x, w2), r"data has 3 input channels \(dimension 1\)")
    expect(lambda: nn.Conv2DOp(x, w, (1, 0)), r"strides must be positive, got \[1, 0\]")
    expect(lambda: nn.Conv2DOp(x, w, (1,)), "strides must have 2 values")
    expect(lambda: nn.Conv2DOp(x, w, (1, 1), (0, 0, -3, 0)), "bottom padding must not be negative")
    expect(lambda: nn.Conv2DOp(w, x), "kernel height 8 exceeds the padded input height 3")
    expect(lambda: nn.DenseOp(acc8, w), r"weights must have rank 2 \(M x K\)")
    expect(lambda: nn.MatmulOp(acc8, acc8), r"lhs has K = 5 \(dimension 1\) but rhs has K = 2")
    expect(lambda: nn.AddOp(acc8, acc8), "lhs must have element type i32, got i8")
    expect(lambda: nn.ShrOp(acc, 32), r"shift amount must be in \[0, 31\], got 32")
    expect(lambda: nn.ClipOp(acc, 2, 1), "clip min 2 is greater than max 1")
    expect(lambda: nn.ClipOp(acc, -(2**31) - 1, 0), "leave the i32 range")
    expect(lambda: nn.CastOp(acc, "round"), 'cast mode must be one of wrap, saturate, got "round"')
    expect(lambda: nn.CastOp(acc8), "input must have element type i32, got i8")
    expect(lambda: nn.ReluOp(acc8), "input must have element type i32, got i8")
    expect(lambda: nn.MaxPool2DOp(x, (2, 2), (0, 1)), r"strides must be positive, got \[0, 1\]")
    expect(lambda: nn.MaxPool2DOp(x, (2, 2), (1, 1), (0, 2, 0, 0)), "left padding 2 must be")


def test_padding_wider_than_the_kernel_is_legal() -> None:
    """Border outputs then read zeros only; pooling keeps its rule (a window of padding only
    would have no maximum)."""
    x, w = values(t((1, 3, 8, 8)), t((4, 3, 3, 3)))
    wide = nn.Conv2DOp(x, w, (2, 2), (4, 3, 5, 3))
    wide.verify()
    assert wide.result.type.get_shape() == (1, 4, 8, 6)
    expect(lambda: nn.MaxPool2DOp(x, (2, 2), (1, 1), (3, 0, 0, 0)), "top padding 3 must be")


def test_verifier_checks_the_stated_result_and_attributes() -> None:
    x, w = values(t((1, 3, 8, 8)), t((4, 3, 3, 3)))
    good = nn.Conv2DOp(x, w, (1, 1), (1, 1, 1, 1))

    def conv(result: object, **changes: object) -> nn.Conv2DOp:
        return nn.Conv2DOp.create(
            operands=[x, w], result_types=[result], attributes={**good.attributes, **changes}
        )

    expect(
        lambda: conv(t((1, 4, 6, 6), nn.I32)),
        r"result type should be tensor<1x4x8x8xi32>, got tensor<1x4x6x6xi32>",
    )
    expect(
        lambda: conv(good.result.type, strides=DenseArrayBase.from_list(i32, [1, 1])),
        r"strides must be an array<i64: \.\.\.>, got array<i32: 1, 1>",
    )
    (acc,) = values(t((2, 5), nn.I32))
    expect(
        lambda: nn.ShrOp.create(
            operands=[acc], result_types=[acc.type], attributes={"amount": StringAttr("1")}
        ),
        'amount must be an integer, got "1"',
    )
    expect(
        lambda: nn.ClipOp.create(
            operands=[acc],
            result_types=[acc.type],
            attributes={"min": IntegerAttr(0, i64), "max": IntegerAttr(2**40, i64)},
        ),
        r"clip bounds \[0, 1099511627776\] leave the i32 range",
    )


def test_attributes_beyond_the_ops_own_are_refused() -> None:
    """An attribute vtac would ignore is an error (dilation and groups other than 1 say they are
    not supported); discardable vtac.* attributes are kept."""
    x, w, acc, bias = values(t((1, 3, 8, 8)), t((4, 3, 3, 3)), t((2, 5), nn.I32), t((5,), nn.I32))
    conv = nn.Conv2DOp(x, w, (1, 1), (1, 1, 1, 1))
    ones = DenseArrayBase.from_list(i64, [1, 1])

    def with_attributes(op: nn.NNOp, **extra: object) -> nn.NNOp:
        return type(op).create(
            operands=op.operands,
            result_types=op.result_types,
            attributes={**op.attributes, **extra},  # type: ignore[arg-type]
        )

    with_attributes(conv, dilation=ones, groups=IntegerAttr(1, i64), **{"vtac.note": ones}).verify()
    expect(
        lambda: with_attributes(conv, dilation=DenseArrayBase.from_list(i64, [1, 2])),
        r"dilation \[1, 2\] is not supported \(only 1\)",
    )
    expect(
        lambda: with_attributes(conv, groups=IntegerAttr(3, i64)),
        r"groups = 3 is not supported \(only 1\)",
    )
    pool = nn.MaxPool2DOp(x, (2, 2), (2, 2))
    with_attributes(pool, dilation=ones).verify()
    expect(lambda: with_attributes(pool, groups=IntegerAttr(1, i64)), "unknown attribute 'groups'")
    ops = [
        conv,
        pool,
        nn.DenseOp(*values(t((2, 3)), t((4, 3)))),
        nn.MatmulOp(*values(t((2, 3)), t((3, 4)))),
        nn.AddOp(acc, bias),
        nn.ReluOp(acc),
        nn.ShrOp(acc, 1),
        nn.ClipOp(acc, 0, 1),
        nn.CastOp(acc),
    ]
    for op in ops:
        expect(
            lambda op=op: with_attributes(op, scale=ones), "unknown attribute 'scale' .allowed: "
        )
        with_attributes(op, **{"vtac.anything": ones}).verify()


def test_integer_lists_in_the_custom_syntax_are_canonical_arrays() -> None:
    text = (
        "func.func @f(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>) -> tensor<1x4x4x8xi32> {\n"
        "  %y = nn.conv2d %x, %w {strides = [2, 1], padding = [1, 0, 0, 2]}"
        " : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) -> tensor<1x4x4x8xi32>\n"
        "  func.return %y : tensor<1x4x4x8xi32>\n}\n"
    )
    x, w = values(t((1, 3, 8, 8)), t((4, 3, 3, 3)))
    built = nn.Conv2DOp(x, w, [2, 1], [1, 0, 0, 2])
    parsed = next(op for op in vtac.parse_ir(text).walk() if isinstance(op, nn.Conv2DOp))
    assert parsed.attributes == built.attributes
    assert isinstance(parsed.strides, DenseArrayBase) and parsed.strides.elt_type == i64


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(0, 4),
    st.integers(0, 4),
)
def test_window_output_size_counts_window_positions(
    size: int, kernel: int, stride: int, before: int, after: int
) -> None:
    """The output extent is the number of window starts ``p * stride`` that fit the padded
    input: counted here one by one."""
    fits = kernel <= size + before + after and before < kernel and after < kernel
    (x,) = values(t((1, 2, size, size + 1), nn.I32))
    build = lambda: nn.MaxPool2DOp(  # noqa: E731
        x, (kernel, kernel), (stride, stride), (before, before, after, after)
    )
    if not fits:
        with pytest.raises(VerifyException):
            build()
        return
    count = [
        sum(1 for p in range(n + before + after) if p * stride + kernel <= n + before + after)
        for n in (size, size + 1)
    ]
    assert build().result.type == t((1, 2, *count), nn.I32)


# --- the broadcasting rule of nn.add ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
)
def test_add_accepts_exactly_same_shape_or_per_channel_bias(lhs: list[int], rhs: list[int]) -> None:
    same = lhs == rhs
    channel = len(lhs) >= 2 and (
        rhs == [lhs[1]] or rhs == [n if i == 1 else 1 for i, n in enumerate(lhs)]
    )
    a, b = values(t(tuple(lhs), nn.I32), t(tuple(rhs), nn.I32))
    if same or channel:
        op = nn.AddOp(a, b)
        assert op.result.type == a.type
        assert op.broadcast_axis == (None if same else 1)
    else:
        with pytest.raises(VerifyException, match="cannot add a tensor of shape"):
            nn.AddOp(a, b)


# --- iteration spaces ---------------------------------------------------------------------------


def run_space(space: nn.IterationSpace, arrays: list[np.ndarray]) -> np.ndarray:
    """Execute an iteration space point by point (tiny sizes only)."""
    out = np.zeros(space.result.shape, dtype=np.int64)
    names = [loop.name for loop in space.loops]
    for point in itertools.product(*(range(loop.extent) for loop in space.loops)):
        at = dict(zip(names, point, strict=True))
        product = 1
        for access, array in zip(space.inputs, arrays, strict=True):
            index = tuple(i(at) for i in access.indices)
            if not all(0 <= j < n for j, n in zip(index, access.shape, strict=True)):
                product = 0  # padding
                break
            product *= int(array[index])
        out[tuple(i(at) for i in space.result.indices)] += product
    return out.astype(np.int32)


def test_iteration_spaces_describe_the_loops() -> None:
    x, w = values(t((1, 8, 10, 10)), t((16, 8, 3, 3)))
    space = nn.Conv2DOp(x, w, (2, 2), (1, 0, 0, 1)).iteration_space()
    assert space.parallel == ("n", "oc", "oh", "ow")
    assert space.reductions == ("ic", "kh", "kw")
    assert space.extents == {"n": 1, "oc": 16, "oh": 5, "ow": 5, "ic": 8, "kh": 3, "kw": 3}
    assert space.macs == 16 * 5 * 5 * 8 * 9
    data, weights = space.inputs
    assert [str(i) for i in data.indices] == ["n", "ic", "oh * 2 + kh - 1", "ow * 2 + kw"]
    assert data.indices[2].bounds(space.extents) == (-1, 9)
    assert [i.loop for i in weights.indices] == ["oc", "ic", "kh", "kw"]
    assert data.indices[2].loop is None
    assert space.padded(data) == (False, False, True, True)  # ow * 2 + kw reaches 10
    assert space.padded(weights) == (False,) * 4
    assert str(space).endswith(
        "result[n, oc, oh, ow] += data[n, ic, oh * 2 + kh - 1, ow * 2 + kw] * "
        "weights[oc, ic, kh, kw]"
    )
    d, dw = values(t((4, 32)), t((6, 32)))
    dense_space = nn.DenseOp(d, dw).iteration_space()
    assert str(dense_space) == (
        "for n < 4, m < 6, k < 32 (reduction): result[n, m] += data[n, k] * weights[m, k]"
    )
    a, b = values(t((4, 32)), t((32, 6)))
    assert str(nn.MatmulOp(a, b).iteration_space()) == (
        "for m < 4, n < 6, k < 32 (reduction): result[m, n] += lhs[m, k] * rhs[k, n]"
    )
    assert str(nn.AffineIndex((("a", -1), ("b", 3)), 2)) == "-a + b * 3 + 2"
    assert str(nn.AffineIndex((), -4)) == "-4"


conv_params = st.tuples(
    st.integers(1, 2),  # n
    st.integers(1, 3),  # c
    st.integers(1, 5),  # h
    st.integers(1, 5),  # w
    st.integers(1, 3),  # o
    st.integers(1, 3),  # kh
    st.integers(1, 3),  # kw
    st.integers(1, 3),  # sh
    st.integers(1, 3),  # sw
).filter(lambda p: p[5] <= p[2] + 2 * (p[5] - 1) and p[6] <= p[3] + 2 * (p[6] - 1))


@settings(max_examples=60, deadline=None)
@given(conv_params, st.data())
def test_conv_iteration_space_runs_like_the_reference(params, data: st.DataObject) -> None:  # noqa: ANN001
    n, c, h, w, o, kh, kw, sh, sw = params
    pads = [data.draw(st.integers(0, k + 2)) for k in (kh, kw, kh, kw)]  # wider than the kernel too
    if kh > h + pads[0] + pads[2] or kw > w + pads[1] + pads[3]:
        return
    x, wt = values(t((n, c, h, w)), t((o, c, kh, kw)))
    op = nn.Conv2DOp(x, wt, (sh, sw), pads)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    xa = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    wa = rng.integers(-128, 128, (o, c, kh, kw), dtype=np.int8)
    got = run_space(op.iteration_space(), [xa, wa])
    np.testing.assert_array_equal(got, conv2d(xa, wa, (sh, sw), pads))
    assert got.shape == tuple(op.result.type.get_shape())


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_dense_and_matmul_iteration_spaces_run_like_the_reference(
    rows: int, depth: int, cols: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    xa = rng.integers(-128, 128, (rows, depth), dtype=np.int8)
    wa = rng.integers(-128, 128, (cols, depth), dtype=np.int8)
    x, w, b = values(t((rows, depth)), t((cols, depth)), t((depth, cols)))
    np.testing.assert_array_equal(
        run_space(nn.DenseOp(x, w).iteration_space(), [xa, wa]), dense(xa, wa)
    )
    np.testing.assert_array_equal(
        run_space(nn.MatmulOp(x, b).iteration_space(), [xa, wa.T]), matmul(xa, wa.T)
    )


# --- syntax round trips -------------------------------------------------------------------------


@st.composite
def programs(draw: st.DrawFn) -> vtac.Function:
    """A random valid function: a contraction, then a random epilogue chain."""
    f = vtac.Function("r")
    if draw(st.booleans()):
        n, c, h, o = (draw(st.integers(1, 3)) for _ in range(4))
        k = draw(st.integers(1, 3))
        x = f.input("x", (n, c, h + k, h + k + 1), "i8")
        w = f.input("w", (o, c, k, k), "i8")
        pad = draw(st.integers(0, k - 1))
        y = f.conv2d(x, w, draw(st.integers(1, 3)), pad)
    else:
        n, k, m = (draw(st.integers(1, 9)) for _ in range(3))
        x = f.input("x", (n, k), "i8")
        if draw(st.booleans()):
            y = f.dense(x, f.input("w", (m, k), "i8"))
        else:
            y = f.matmul(x, f.input("w", (k, m), "i8"))
    for step in draw(st.lists(st.sampled_from(["shr", "add", "relu", "clip"]), max_size=4)):
        if step == "shr":
            y = f.shr(y, draw(st.integers(0, 31)))
        elif step == "add":
            y = f.add(y, f.input(f"b{len(f.inputs)}", (y.shape[1],), "i32"))
        elif step == "relu":
            y = f.relu(y)
        else:
            low = draw(st.integers(-(2**31), 2**31 - 1))
            y = f.clip(y, low, draw(st.integers(low, 2**31 - 1)))
    y = f.cast(y, mode=draw(st.sampled_from(nn.CAST_MODES)))
    if y.shape[0] == 1 and len(y.shape) == 4 and draw(st.booleans()):
        y = f.max_pool2d(y, 1, draw(st.integers(1, 2)))
    f.output(y)
    return f


@settings(max_examples=60, deadline=None)
@given(programs())
def test_custom_and_generic_syntax_round_trip(f: vtac.Function) -> None:
    module = f.module()
    text = vtac.print_ir(module)
    assert "nn." in text and '"nn.' not in text
    generic = vtac.print_ir(module, generic=True)
    assert '"nn.' in generic
    for source in (text, generic):
        again = vtac.parse_ir(source)
        assert vtac.print_ir(again) == text
        assert again.is_structurally_equivalent(module)
