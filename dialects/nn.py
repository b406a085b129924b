"""The nn dialect: quantized tensor operators with value semantics.

Data and weights are i8 tensors, accumulators and biases i32; every op states its result type,
and its verifier checks it against the shapes and attributes (naming the mismatching dimension).

    %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
           : (tensor<1x64x56x56xi8>, tensor<64x64x3x3xi8>) -> tensor<1x64x56x56xi32>

Layouts: conv2d takes NCHW data and OIHW weights; padding is [top, left, bottom, right].
``dense`` computes ``y = x W^T`` (x [N, K], W [M, K]); ``matmul`` computes ``C = A B``.
``add`` adds a tensor of the same shape, or broadcasts a per-channel bias: ``[C]`` or
``[1, C, 1, 1]`` along dimension 1 of a rank-4 tensor, ``[M]`` along the last dimension of a
rank-2 one.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

I8 = IntegerType(8)
I32 = IntegerType(32)
CAST_MODES = ("wrap", "saturate")


def tensor(shape: Sequence[int], element: Attribute) -> TensorType:
    return TensorType(element, list(shape))


def _shape(
    value: SSAValue, what: str, rank: int | None = None, element: Attribute | None = None
) -> tuple[int, ...]:
    kind = value.type
    if not isinstance(kind, TensorType):
        raise VerifyException(f"{what} must be a tensor, got {kind}")
    shape = tuple(kind.get_shape())
    if any(n < 1 for n in shape):
        raise VerifyException(f"{what} must have a static, non-empty shape, got {kind}")
    if rank is not None and len(shape) != rank:
        raise VerifyException(f"{what} must have rank {rank}, got {kind}")
    if element is not None and kind.element_type != element:
        raise VerifyException(f"{what} must have element type {element}, got {kind.element_type}")
    return shape


def _ints(attr: DenseArrayBase, name: str, count: int) -> tuple[int, ...]:
    values = tuple(int(v) for v in attr.get_values())
    if len(values) != count:
        raise VerifyException(f"{name} must have {count} values, got {len(values)}")
    return values


def _expect_result(op: Operation, shape: Sequence[int], element: Attribute) -> None:
    want = tensor(shape, element)
    if op.results[0].type != want:
        raise VerifyException(f"result type should be {want}, got {op.results[0].type}")


def _array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


_BINARY = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"
_UNARY = "$input attr-dict `:` functional-type(operands, results)"


def conv2d_output_shape(
    x: Sequence[int], w: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> tuple[int, int, int, int]:
    """NCHW output shape of a convolution (padding [top, left, bottom, right])."""
    n, _, h, wd = x
    o, _, kh, kw = w
    oh = (h + padding[0] + padding[2] - kh) // strides[0] + 1
    ow = (wd + padding[1] + padding[3] - kw) // strides[1] + 1
    return n, o, oh, ow


@irdl_op_definition
class Conv2DOp(IRDLOperation):
    """2-D convolution of NCHW i8 data with OIHW i8 weights, accumulated in i32."""

    name = "nn.conv2d"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    strides = attr_def(DenseArrayBase)
    padding = attr_def(DenseArrayBase)
    traits = traits_def(Pure())
    assembly_format = _BINARY

    def __init__(self, x: SSAValue, w: SSAValue, strides: Sequence[int], padding: Sequence[int]):
        shape = conv2d_output_shape(_shape(x, "data"), _shape(w, "weights"), strides, padding)
        super().__init__(
            operands=[x, w],
            result_types=[tensor(shape, I32)],
            attributes={"strides": _array(strides), "padding": _array(padding)},
        )

    @property
    def stride_values(self) -> tuple[int, int]:
        return _ints(self.strides, "strides", 2)  # type: ignore[return-value]

    @property
    def padding_values(self) -> tuple[int, int, int, int]:
        return _ints(self.padding, "padding", 4)  # type: ignore[return-value]

    def verify_(self) -> None:
        x = _shape(self.lhs, "data", 4, I8)
        w = _shape(self.rhs, "weights", 4, I8)
        strides = self.stride_values
        padding = self.padding_values
        if x[1] != w[1]:
            raise VerifyException(
                f"data has {x[1]} input channels but weights expect {w[1]} (dimension 1)"
            )
        if min(strides) < 1:
            raise VerifyException(f"strides must be positive, got {list(strides)}")
        if min(padding) < 0:
            raise VerifyException(f"padding must not be negative, got {list(padding)}")
        for side, pad, kernel in zip(
            ("top", "left", "bottom", "right"), padding, (w[2], w[3], w[2], w[3]), strict=True
        ):
            if pad >= kernel:
                raise VerifyException(
                    f"{side} padding {pad} must be smaller than the kernel ({kernel})"
                )
        shape = conv2d_output_shape(x, w, strides, padding)
        if min(shape) < 1:
            raise VerifyException(f"the kernel does not fit the padded input: output {shape}")
        _expect_result(self, shape, I32)


@irdl_op_definition
class DenseOp(IRDLOperation):
    """``y = x W^T``: x [N, K] i8, W [M, K] i8, y [N, M] i32."""

    name = "nn.dense"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = _BINARY

    def __init__(self, x: SSAValue, w: SSAValue):
        n = _shape(x, "data")[0]
        m = _shape(w, "weights")[0]
        super().__init__(operands=[x, w], result_types=[tensor((n, m), I32)])

    def verify_(self) -> None:
        x = _shape(self.lhs, "data", 2, I8)
        w = _shape(self.rhs, "weights", 2, I8)
        if x[1] != w[1]:
            raise VerifyException(
                f"data has K = {x[1]} (dimension 1) but weights have K = {w[1]} (dimension 1)"
            )
        _expect_result(self, (x[0], w[0]), I32)


@irdl_op_definition
class MatmulOp(IRDLOperation):
    """``C = A B``: A [M, K] i8, B [K, N] i8, C [M, N] i32."""

    name = "nn.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = _BINARY

    def __init__(self, a: SSAValue, b: SSAValue):
        m = _shape(a, "lhs")[0]
        n = _shape(b, "rhs")[1]
        super().__init__(operands=[a, b], result_types=[tensor((m, n), I32)])

    def verify_(self) -> None:
        a = _shape(self.lhs, "lhs", 2, I8)
        b = _shape(self.rhs, "rhs", 2, I8)
        if a[1] != b[0]:
            raise VerifyException(
                f"lhs has K = {a[1]} (dimension 1) but rhs has K = {b[0]} (dimension 0)"
            )
        _expect_result(self, (a[0], b[1]), I32)


def bias_axis(shape: Sequence[int], bias: Sequence[int]) -> int | None:
    """The axis a per-channel bias broadcasts along (None: same shape, no broadcast)."""
    if tuple(bias) == tuple(shape):
        return None
    if len(shape) == 4 and (tuple(bias) == (shape[1],) or tuple(bias) == (1, shape[1], 1, 1)):
        return 1
    if len(shape) == 2 and tuple(bias) == (shape[1],):
        return 1
    raise VerifyException(
        f"cannot add a tensor of shape {list(bias)} to one of shape {list(shape)}: expected the "
        f"same shape or a per-channel bias"
    )


@irdl_op_definition
class AddOp(IRDLOperation):
    """Elementwise i32 addition, or a per-channel bias broadcast (see the module doc)."""

    name = "nn.add"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = _BINARY

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[lhs.type])

    def verify_(self) -> None:
        shape = _shape(self.lhs, "lhs", element=I32)
        bias_axis(shape, _shape(self.rhs, "rhs", element=I32))
        _expect_result(self, shape, I32)


class _UnaryOp(IRDLOperation):
    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = _UNARY

    def verify_(self) -> None:
        shape = _shape(self.input, "input", element=I32)
        _expect_result(self, shape, I32)


@irdl_op_definition
class ReluOp(_UnaryOp):
    """``max(x, 0)`` on i32."""

    name = "nn.relu"

    def __init__(self, x: SSAValue):
        super().__init__(operands=[x], result_types=[x.type])


@irdl_op_definition
class ShrOp(_UnaryOp):
    """Arithmetic shift right of i32 by a constant ``amount`` in [0, 31]."""

    name = "nn.shr"
    amount = attr_def(IntegerAttr)

    def __init__(self, x: SSAValue, amount: int):
        super().__init__(
            operands=[x], result_types=[x.type], attributes={"amount": IntegerAttr(amount, i64)}
        )

    def verify_(self) -> None:
        super().verify_()
        if not 0 <= self.amount.value.data <= 31:
            raise VerifyException(f"shift amount must be in [0, 31], got {self.amount.value.data}")


@irdl_op_definition
class ClipOp(_UnaryOp):
    """Clamp i32 values to [min, max]."""

    name = "nn.clip"
    min = attr_def(IntegerAttr)
    max = attr_def(IntegerAttr)

    def __init__(self, x: SSAValue, low: int, high: int):
        super().__init__(
            operands=[x],
            result_types=[x.type],
            attributes={"min": IntegerAttr(low, i64), "max": IntegerAttr(high, i64)},
        )

    def verify_(self) -> None:
        super().verify_()
        low, high = self.min.value.data, self.max.value.data
        if low > high:
            raise VerifyException(f"clip min {low} is greater than max {high}")
        if low < -(2**31) or high > 2**31 - 1:
            raise VerifyException(f"clip bounds [{low}, {high}] leave the i32 range")


@irdl_op_definition
class CastOp(IRDLOperation):
    """i32 to i8: ``wrap`` keeps the low 8 bits, ``saturate`` clamps to [-128, 127]."""

    name = "nn.cast"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    mode = attr_def(StringAttr)
    traits = traits_def(Pure())
    assembly_format = _UNARY

    def __init__(self, x: SSAValue, mode: str = "wrap"):
        shape = _shape(x, "input")
        super().__init__(
            operands=[x], result_types=[tensor(shape, I8)], attributes={"mode": StringAttr(mode)}
        )

    def verify_(self) -> None:
        shape = _shape(self.input, "input", element=I32)
        if self.mode.data not in CAST_MODES:
            raise VerifyException(f"cast mode must be one of {CAST_MODES}, got {self.mode.data!r}")
        _expect_result(self, shape, I8)


@irdl_op_definition
class MaxPool2DOp(IRDLOperation):
    """2-D max pooling of an NCHW tensor (i8 or i32); padding [top, left, bottom, right] reads
    as the element type's minimum."""

    name = "nn.max_pool2d"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    kernel = attr_def(DenseArrayBase)
    strides = attr_def(DenseArrayBase)
    padding = attr_def(DenseArrayBase)
    traits = traits_def(Pure())
    assembly_format = _UNARY

    def __init__(
        self, x: SSAValue, kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
    ):
        n, c, h, w = _shape(x, "input", 4)
        oh = (h + padding[0] + padding[2] - kernel[0]) // strides[0] + 1
        ow = (w + padding[1] + padding[3] - kernel[1]) // strides[1] + 1
        element = x.type.element_type  # type: ignore[attr-defined]
        super().__init__(
            operands=[x],
            result_types=[tensor((n, c, oh, ow), element)],
            attributes={
                "kernel": _array(kernel),
                "strides": _array(strides),
                "padding": _array(padding),
            },
        )

    def verify_(self) -> None:
        n, c, h, w = _shape(self.input, "input", 4)
        element = self.input.type.element_type  # type: ignore[attr-defined]
        if element not in (I8, I32):
            raise VerifyException(f"max_pool2d takes i8 or i32, got {element}")
        kh, kw = _ints(self.kernel, "kernel", 2)
        sh, sw = _ints(self.strides, "strides", 2)
        pads = _ints(self.padding, "padding", 4)
        if min(kh, kw) < 1 or min(sh, sw) < 1:
            raise VerifyException("kernel and strides must be positive")
        for side, pad, k in zip(
            ("top", "left", "bottom", "right"), pads, (kh, kw, kh, kw), strict=True
        ):
            if not 0 <= pad < k:
                raise VerifyException(f"{side} padding {pad} must be in [0, {k})")
        oh = (h + pads[0] + pads[2] - kh) // sh + 1
        ow = (w + pads[1] + pads[3] - kw) // sw + 1
        if min(oh, ow) < 1:
            raise VerifyException("the pooling window does not fit the padded input")
        _expect_result(self, (n, c, oh, ow), element)


NN = Dialect(
    "nn",
    [Conv2DOp, DenseOp, MatmulOp, AddOp, ReluOp, ShrOp, ClipOp, CastOp, MaxPool2DOp],
    [],
)
