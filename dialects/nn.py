"""The nn dialect: quantized tensor operators with value semantics.

Data and weights are i8 tensors, accumulators and biases i32, all with static shapes. Every op
states its result type and its verifier checks it against the operands and attributes, naming
the mismatching dimension and saying what the type should be.

    %y = nn.conv2d %x, %w {strides = [1, 1], padding = [1, 1, 1, 1]}
           : (tensor<1x64x56x56xi8>, tensor<64x64x3x3xi8>) -> tensor<1x64x56x56xi32>

Integer lists such as ``[1, 1]`` are read as (and printed in) the canonical
``array<i64: 1, 1>`` form. Each op takes exactly its own attributes (and discardable ``vtac.*``
ones): an attribute vtac would not honour is an error, never silently ignored (see
:class:`NNOp`).

Ops and their semantics (the reference backend, :mod:`vtac.backends.reference`, executes them):

- ``nn.conv2d``: NCHW i8 data, OIHW i8 weights; ``strides`` [sh, sw] (positive) and
  ``padding`` [top, left, bottom, right] (non-negative, any size: padded positions read zero, so
  outputs whose window lies wholly in the padding are zero). Output height
  ``(H + top + bottom - KH) // sh + 1``, width likewise. i32 result. Dilation 1 and one group
  only: ``dilation = [1, 1]`` and ``groups = 1`` may be written, other values are refused.
- ``nn.dense``: ``y = x W^T`` with x [N, K], W [M, K] (i8), y [N, M] (i32).
- ``nn.matmul``: ``C = A B`` with A [M, K], B [K, N] (i8), C [M, N] (i32).
- ``nn.add``: i32 + i32. The right operand has the left one's shape (elementwise), or is a
  per-channel bias along dimension 1 (C of NCHW, M of dense's [N, M], N of matmul's [M, N]):
  shape ``[C]``, or the left shape with every dimension but 1 set to 1 (``[1, C, 1, 1]``,
  ``[1, M]``). The left operand must have rank >= 2 to be broadcast to.
- ``nn.relu`` (``max(x, 0)``), ``nn.shr`` (arithmetic shift right by ``amount`` in [0, 31]),
  ``nn.clip`` (clamp to [``min``, ``max``], min <= max, both in the i32 range): i32 to i32.
- ``nn.cast``: i32 to i8, ``mode = "wrap"`` keeps the low 8 bits, ``"saturate"`` clamps to
  [-128, 127].
- ``nn.max_pool2d``: NCHW, i8 or i32, ``kernel`` [kh, kw], ``strides`` [sh, sw], ``padding``
  [top, left, bottom, right] (each side smaller than the kernel; padded positions never win:
  they read the element type's minimum). The result keeps the element type. Dilation 1 only,
  as for conv2d.

Ops that whole networks need around the contractions (the ONNX frontend writes them; they run on
the host between VTA programs until they gain a VTA lowering):

- ``nn.ext``: i8 to i32, sign-extending.
- ``nn.rescale``: i32 to i32, ``x * multiplier / divisor`` (both positive) rounded half to
  even, computed exactly (no intermediate overflow), then wrapped to i32.
- ``nn.sum_pool2d``: NCHW i8 or i32 to i32, the sum over each window (``kernel``, ``strides``,
  ``padding`` as for max_pool2d; padded positions read zero).
- ``nn.reshape``: the same elements in row-major order under the result's shape (same count,
  same element type).

All arithmetic on i32 wraps modulo 2^32, as VTA's accumulators do. The contractions describe
their loops with :meth:`iteration_space` (an :class:`IterationSpace`), which drives instruction
selection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from xdsl.dialects.builtin import (
    ArrayAttr,
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
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

I8 = IntegerType(8)
I32 = IntegerType(32)
I32_MIN, I32_MAX = -(2**31), 2**31 - 1
CAST_MODES = ("wrap", "saturate")
SIDES = ("top", "left", "bottom", "right")


def tensor(shape: Sequence[int], element: Attribute) -> TensorType:
    """The ranked tensor type ``tensor<shape x element>``."""
    return TensorType(element, list(shape))


def _shape(
    kind: Attribute,
    what: str,
    rank: int | None = None,
    element: Attribute | None = None,
    layout: str = "",
) -> tuple[int, ...]:
    """The static shape of ``kind``, checked to be a tensor of ``rank`` and ``element``."""
    if not isinstance(kind, TensorType):
        raise VerifyException(f"{what} must be a tensor, got {kind}")
    if not kind.has_static_shape():
        raise VerifyException(f"{what} must have a static shape, got {kind}")
    shape = tuple(kind.get_shape())
    if any(n < 1 for n in shape):
        raise VerifyException(f"{what} must not have zero-sized dimensions, got {kind}")
    if rank is not None and len(shape) != rank:
        named = f" ({layout})" if layout else ""
        raise VerifyException(f"{what} must have rank {rank}{named}, got {kind}")
    if element is not None and kind.element_type != element:
        raise VerifyException(f"{what} must have element type {element}, got {kind.element_type}")
    return shape


def _ints(attr: Attribute, name: str, count: int) -> tuple[int, ...]:
    if not isinstance(attr, DenseArrayBase) or attr.elt_type != i64:
        raise VerifyException(f"{name} must be an array<i64: ...>, got {attr}")
    values = tuple(int(v) for v in attr.get_values())
    if len(values) != count:
        raise VerifyException(f"{name} must have {count} values, got {len(values)}")
    return values


def _int(attr: Attribute, name: str) -> int:
    if not isinstance(attr, IntegerAttr) or not isinstance(attr.type, IntegerType):
        raise VerifyException(f"{name} must be an integer, got {attr}")
    return attr.value.data


def _cast_mode(attr: Attribute) -> str:
    if isinstance(attr, StringAttr) and attr.data in CAST_MODES:
        return attr.data
    raise VerifyException(f"cast mode must be one of {', '.join(CAST_MODES)}, got {attr}")


def _array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def _expect_result(op: Operation, want: TensorType) -> None:
    if op.results[0].type != want:
        raise VerifyException(f"result type should be {want}, got {op.results[0].type}")


def _check_window(
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: Sequence[int],
    what: str,
    pad_below_kernel: bool,
) -> None:
    """Positive kernel and strides; each padding side non-negative and, if
    ``pad_below_kernel``, smaller than the kernel extent along it."""
    if min(kernel) < 1:
        raise VerifyException(f"{what} extents must be positive, got {list(kernel)}")
    if min(strides) < 1:
        raise VerifyException(f"strides must be positive, got {list(strides)}")
    for side, pad, extent in zip(SIDES, padding, (*kernel, *kernel), strict=True):
        if pad < 0:
            raise VerifyException(f"{side} padding must not be negative, got {pad}")
        if pad_below_kernel and pad >= extent:
            raise VerifyException(
                f"{side} padding {pad} must be smaller than the {what} ({extent})"
            )


def window_output_shape(
    size: Sequence[int], kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> tuple[int, int]:
    """Output (height, width) of a sliding window over ``size`` = (H, W), padding
    [top, left, bottom, right]."""
    oh = (size[0] + padding[0] + padding[2] - kernel[0]) // strides[0] + 1
    ow = (size[1] + padding[1] + padding[3] - kernel[1]) // strides[1] + 1
    return oh, ow


def conv2d_output_shape(
    x: Sequence[int], w: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> tuple[int, int, int, int]:
    """NCHW output shape of a convolution of NCHW ``x`` by OIHW ``w``."""
    oh, ow = window_output_shape(x[2:], w[2:], strides, padding)
    return x[0], w[0], oh, ow


def _check_fits(size: Sequence[int], kernel: Sequence[int], padding: Sequence[int]) -> None:
    for axis, n, k, before, after in zip(
        ("height", "width"), size, kernel, padding[:2], padding[2:], strict=True
    ):
        if k > n + before + after:
            raise VerifyException(
                f"the kernel {axis} {k} exceeds the padded input {axis} {n + before + after}"
            )


def conv2d_result_type(
    data: Attribute, weights: Attribute, strides: Sequence[int], padding: Sequence[int]
) -> TensorType:
    """The result type of ``nn.conv2d`` (raises :class:`VerifyException` on invalid operands)."""
    x = _shape(data, "data", 4, I8, "NCHW")
    w = _shape(weights, "weights", 4, I8, "OIHW")
    if x[1] != w[1]:
        raise VerifyException(
            f"data has {x[1]} input channels (dimension 1) but weights expect {w[1]} (dimension 1)"
        )
    _check_window(w[2:], strides, padding, "kernel", pad_below_kernel=False)
    _check_fits(x[2:], w[2:], padding)
    return tensor(conv2d_output_shape(x, w, strides, padding), I32)


def dense_result_type(data: Attribute, weights: Attribute) -> TensorType:
    """The result type of ``nn.dense``."""
    x = _shape(data, "data", 2, I8, "N x K")
    w = _shape(weights, "weights", 2, I8, "M x K")
    if x[1] != w[1]:
        raise VerifyException(
            f"data has K = {x[1]} (dimension 1) but weights have K = {w[1]} (dimension 1)"
        )
    return tensor((x[0], w[0]), I32)


def matmul_result_type(lhs: Attribute, rhs: Attribute) -> TensorType:
    """The result type of ``nn.matmul``."""
    a = _shape(lhs, "lhs", 2, I8, "M x K")
    b = _shape(rhs, "rhs", 2, I8, "K x N")
    if a[1] != b[0]:
        raise VerifyException(
            f"lhs has K = {a[1]} (dimension 1) but rhs has K = {b[0]} (dimension 0)"
        )
    return tensor((a[0], b[1]), I32)


def bias_axis(shape: Sequence[int], bias: Sequence[int]) -> int | None:
    """The axis ``bias`` broadcasts along when added to a tensor of ``shape`` (None: the shapes
    are equal, the addition is elementwise); see the module doc for the rule."""
    shape, bias = tuple(shape), tuple(bias)
    if bias == shape:
        return None
    allowed = "the same shape"
    if len(shape) >= 2:
        keepdims = tuple(n if axis == 1 else 1 for axis, n in enumerate(shape))
        if bias in ((shape[1],), keepdims):
            return 1
        allowed += f" or a per-channel bias along dimension 1 ({[shape[1]]} or {list(keepdims)})"
    raise VerifyException(
        f"cannot add a tensor of shape {list(bias)} to one of shape {list(shape)}: expected "
        + allowed
    )


def add_result_type(lhs: Attribute, rhs: Attribute) -> TensorType:
    """The result type of ``nn.add``."""
    shape = _shape(lhs, "lhs", element=I32)
    bias_axis(shape, _shape(rhs, "rhs", element=I32))
    return tensor(shape, I32)


def elementwise_result_type(value: Attribute) -> TensorType:
    """The result type of ``nn.relu``, ``nn.shr`` and ``nn.clip``: the i32 input's."""
    return tensor(_shape(value, "input", element=I32), I32)


def cast_result_type(value: Attribute) -> TensorType:
    """The result type of ``nn.cast``: the i32 input's shape, i8."""
    return tensor(_shape(value, "input", element=I32), I8)


def max_pool2d_result_type(
    value: Attribute, kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> TensorType:
    """The result type of ``nn.max_pool2d``."""
    n, c, h, w = _shape(value, "input", 4, layout="NCHW")
    element = value.element_type  # type: ignore[attr-defined]
    if element not in (I8, I32):
        raise VerifyException(f"input must have element type i8 or i32, got {element}")
    _check_window(kernel, strides, padding, "pooling window", pad_below_kernel=True)
    _check_fits((h, w), kernel, padding)
    return tensor((n, c, *window_output_shape((h, w), kernel, strides, padding)), element)


# --- iteration spaces ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Loop:
    """One loop of an iteration space: ``name`` runs over ``[0, extent)``; a reduction loop
    does not index the result."""

    name: str
    extent: int
    reduction: bool = False


@dataclass(frozen=True)
class AffineIndex:
    """An index ``sum(coefficient * loop) + constant`` into one tensor dimension."""

    terms: tuple[tuple[str, int], ...]
    constant: int = 0

    @staticmethod
    def of(loop: str) -> AffineIndex:
        """The index that is just ``loop``."""
        return AffineIndex(((loop, 1),))

    @property
    def loops(self) -> tuple[str, ...]:
        return tuple(loop for loop, _ in self.terms)

    @property
    def loop(self) -> str | None:
        """The loop when the index is exactly one loop, else None."""
        if len(self.terms) == 1 and self.terms[0][1] == 1 and self.constant == 0:
            return self.terms[0][0]
        return None

    def __call__(self, point: Mapping[str, int]) -> int:
        """The index at the loop values ``point``."""
        return sum(c * point[loop] for loop, c in self.terms) + self.constant

    def bounds(self, extents: Mapping[str, int]) -> tuple[int, int]:
        """The smallest and largest index over the loops' ranges."""
        low = high = self.constant
        for loop, c in self.terms:
            span = c * (extents[loop] - 1)
            low, high = low + min(span, 0), high + max(span, 0)
        return low, high

    def __str__(self) -> str:
        parts = [(c < 0, loop if abs(c) == 1 else f"{loop} * {abs(c)}") for loop, c in self.terms]
        if self.constant or not parts:
            parts.append((self.constant < 0, str(abs(self.constant))))
        text = ("-" if parts[0][0] else "") + parts[0][1]
        for negative, term in parts[1:]:
            text += (" - " if negative else " + ") + term
        return text


@dataclass(frozen=True)
class Access:
    """How the loops index one operand (or the result) of ``shape``: an index per dimension.
    Indices outside ``[0, size)`` of an input read zero (padding)."""

    name: str
    shape: tuple[int, ...]
    indices: tuple[AffineIndex, ...]

    @property
    def loops(self) -> frozenset[str]:
        return frozenset(loop for index in self.indices for loop in index.loops)

    def __str__(self) -> str:
        return f"{self.name}[{', '.join(str(i) for i in self.indices)}]"


@dataclass(frozen=True)
class IterationSpace:
    """A contraction ``result[...] += product of inputs[...]`` summed over every point of the
    loops (in i32, wrapping); ``inputs`` follow the op's operand order."""

    loops: tuple[Loop, ...]
    inputs: tuple[Access, ...]
    result: Access

    @property
    def extents(self) -> dict[str, int]:
        return {loop.name: loop.extent for loop in self.loops}

    @property
    def parallel(self) -> tuple[str, ...]:
        return tuple(loop.name for loop in self.loops if not loop.reduction)

    @property
    def reductions(self) -> tuple[str, ...]:
        return tuple(loop.name for loop in self.loops if loop.reduction)

    @property
    def macs(self) -> int:
        """Multiply-accumulates: the number of points."""
        total = 1
        for loop in self.loops:
            total *= loop.extent
        return total

    def padded(self, access: Access) -> tuple[bool, ...]:
        """For each dimension of ``access``: can its index leave ``[0, size)``?"""
        extents = self.extents
        flags = []
        for index, size in zip(access.indices, access.shape, strict=True):
            low, high = index.bounds(extents)
            flags.append(low < 0 or high >= size)
        return tuple(flags)

    def __str__(self) -> str:
        loops = ", ".join(
            f"{loop.name} < {loop.extent}" + (" (reduction)" if loop.reduction else "")
            for loop in self.loops
        )
        product = " * ".join(str(access) for access in self.inputs)
        return f"for {loops}: {self.result} += {product}"


def _space(
    loops: Sequence[tuple[str, int, bool]],
    inputs: Sequence[tuple[str, SSAValue, Sequence[AffineIndex | str]]],
    result: tuple[str, SSAValue, Sequence[str]],
) -> IterationSpace:
    def access(name: str, value: SSAValue, indices: Sequence[AffineIndex | str]) -> Access:
        return Access(
            name,
            tuple(value.type.get_shape()),  # type: ignore[attr-defined]
            tuple(AffineIndex.of(i) if isinstance(i, str) else i for i in indices),
        )

    return IterationSpace(
        tuple(Loop(*loop) for loop in loops),
        tuple(access(*operand) for operand in inputs),
        access(*result),
    )


# --- operations ---------------------------------------------------------------------------------


class NNOp(IRDLOperation):
    """Base of the nn ops: their custom syntax, and the attributes they accept.

    ``%r = nn.op %a, %b {attributes} : (A, B) -> R``. In the dictionary, a plain list of
    integers (``strides = [1, 1]``) stands for the canonical ``array<i64: 1, 1>`` of the op's
    integer-list attributes (:attr:`INT_LISTS`); the printer writes the canonical form.

    An op takes its own attributes, the discardable ``vtac.*`` ones vtac's passes add, and the
    names in :attr:`FIXED_AT_ONE` (``dilation``, ``groups``) only at their one supported
    value 1. Any other attribute is an error: the lowering and the reference would silently
    ignore it."""

    INT_LISTS: ClassVar[tuple[str, ...]] = ()
    FIXED_AT_ONE: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        operands = [parser.parse_unresolved_operand()]
        for _ in cls.get_irdl_definition().operands[1:]:
            parser.parse_punctuation(",")
            operands.append(parser.parse_unresolved_operand())
        attributes = parser.parse_optional_attr_dict()
        for key in cls.INT_LISTS:
            value = attributes.get(key)
            if isinstance(value, ArrayAttr):
                items = [
                    v.value.data for v in value if isinstance(v, IntegerAttr) and v.type == i64
                ]
                if len(items) == len(value):
                    attributes[key] = _array(items)
        parser.parse_punctuation(":")
        types_at = parser.pos
        signature = parser.parse_function_type()
        if len(signature.inputs) != len(operands):
            expected = f"{len(operands)} operand type{'s' if len(operands) > 1 else ''}"
            parser.raise_error(f"Expected {expected}, but got {len(signature.inputs)}", types_at)
        values = [
            parser.resolve_operand(operand, kind)
            for operand, kind in zip(operands, signature.inputs, strict=True)
        ]
        return cls.create(
            operands=values, result_types=signature.outputs.data, attributes=attributes
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_list(self.operands, printer.print_operand)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_function_type(self.operand_types, self.result_types)

    def verify_(self) -> None:
        own = [*self.get_irdl_definition().attributes, *self.FIXED_AT_ONE]
        for key in self.attributes:
            if key not in own and not key.startswith("vtac."):
                allowed = ", ".join([*own, "discardable vtac.* ones"])
                raise VerifyException(f"unknown attribute {key!r} (allowed: {allowed})")
        if "dilation" in self.FIXED_AT_ONE and "dilation" in self.attributes:
            dilation = _ints(self.attributes["dilation"], "dilation", 2)
            if dilation != (1, 1):
                raise VerifyException(f"dilation {list(dilation)} is not supported (only 1)")
        if "groups" in self.FIXED_AT_ONE and "groups" in self.attributes:
            groups = _int(self.attributes["groups"], "groups")
            if groups != 1:
                raise VerifyException(f"groups = {groups} is not supported (only 1)")


@irdl_op_definition
class Conv2DOp(NNOp):
    """2-D convolution of NCHW i8 data (``lhs``) by OIHW i8 weights (``rhs``), i32 result.

    Unlike max_pool2d, padding may reach or exceed the kernel: real networks do that (DeepBench
    has 1x1 convolutions with padding 3), and it is well defined, since padded positions read
    zero and the outputs of windows wholly inside the padding are zero."""

    name = "nn.conv2d"
    lhs = operand_def()
    rhs = operand_def()
    result = result_def()
    strides = attr_def(Attribute)
    padding = attr_def(Attribute)
    traits = traits_def(Pure())
    INT_LISTS: ClassVar[tuple[str, ...]] = ("strides", "padding", "dilation")
    FIXED_AT_ONE: ClassVar[tuple[str, ...]] = ("dilation", "groups")

    def __init__(
        self,
        data: SSAValue,
        weights: SSAValue,
        strides: Sequence[int] = (1, 1),
        padding: Sequence[int] = (0, 0, 0, 0),
    ):
        if len(strides) != 2 or len(padding) != 4:
            raise VerifyException(
                f"strides must have 2 values and padding 4, got {list(strides)} and {list(padding)}"
            )
        super().__init__(
            operands=[data, weights],
            result_types=[conv2d_result_type(data.type, weights.type, strides, padding)],
            attributes={"strides": _array(strides), "padding": _array(padding)},
        )

    @property
    def stride_values(self) -> tuple[int, int]:
        return _ints(self.strides, "strides", 2)  # type: ignore[return-value]

    @property
    def padding_values(self) -> tuple[int, int, int, int]:
        """[top, left, bottom, right]"""
        return _ints(self.padding, "padding", 4)  # type: ignore[return-value]

    def verify_(self) -> None:
        super().verify_()
        want = conv2d_result_type(
            self.lhs.type, self.rhs.type, self.stride_values, self.padding_values
        )
        _expect_result(self, want)

    def iteration_space(self) -> IterationSpace:
        """Loops n, oc, oh, ow and reductions ic, kh, kw; the data is read at
        ``[n, ic, oh * sh + kh - top, ow * sw + kw - left]``."""
        n, oc, oh, ow = self.result.type.get_shape()  # type: ignore[attr-defined]
        _, ic, kh, kw = self.rhs.type.get_shape()  # type: ignore[attr-defined]
        (sh, sw), (top, left, _, _) = self.stride_values, self.padding_values
        rows = AffineIndex((("oh", sh), ("kh", 1)), -top)
        cols = AffineIndex((("ow", sw), ("kw", 1)), -left)
        return _space(
            [
                ("n", n, False),
                ("oc", oc, False),
                ("oh", oh, False),
                ("ow", ow, False),
                ("ic", ic, True),
                ("kh", kh, True),
                ("kw", kw, True),
            ],
            [
                ("data", self.lhs, ["n", "ic", rows, cols]),
                ("weights", self.rhs, ["oc", "ic", "kh", "kw"]),
            ],
            ("result", self.result, ["n", "oc", "oh", "ow"]),
        )


@irdl_op_definition
class DenseOp(NNOp):
    """``y = x W^T``: x [N, K] i8 (``lhs``), W [M, K] i8 (``rhs``), y [N, M] i32."""

    name = "nn.dense"
    lhs = operand_def()
    rhs = operand_def()
    result = result_def()
    traits = traits_def(Pure())

    def __init__(self, data: SSAValue, weights: SSAValue):
        super().__init__(
            operands=[data, weights], result_types=[dense_result_type(data.type, weights.type)]
        )

    def verify_(self) -> None:
        super().verify_()
        _expect_result(self, dense_result_type(self.lhs.type, self.rhs.type))

    def iteration_space(self) -> IterationSpace:
        """Loops n, m and the reduction k: ``y[n, m] += x[n, k] * W[m, k]``."""
        n, k = self.lhs.type.get_shape()  # type: ignore[attr-defined]
        m = self.rhs.type.get_shape()[0]  # type: ignore[attr-defined]
        return _space(
            [("n", n, False), ("m", m, False), ("k", k, True)],
            [("data", self.lhs, ["n", "k"]), ("weights", self.rhs, ["m", "k"])],
            ("result", self.result, ["n", "m"]),
        )


@irdl_op_definition
class MatmulOp(NNOp):
    """``C = A B``: A [M, K] i8 (``lhs``), B [K, N] i8 (``rhs``), C [M, N] i32."""

    name = "nn.matmul"
    lhs = operand_def()
    rhs = operand_def()
    result = result_def()
    traits = traits_def(Pure())

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[matmul_result_type(lhs.type, rhs.type)])

    def verify_(self) -> None:
        super().verify_()
        _expect_result(self, matmul_result_type(self.lhs.type, self.rhs.type))

    def iteration_space(self) -> IterationSpace:
        """Loops m, n and the reduction k: ``C[m, n] += A[m, k] * B[k, n]``."""
        m, k = self.lhs.type.get_shape()  # type: ignore[attr-defined]
        n = self.rhs.type.get_shape()[1]  # type: ignore[attr-defined]
        return _space(
            [("m", m, False), ("n", n, False), ("k", k, True)],
            [("lhs", self.lhs, ["m", "k"]), ("rhs", self.rhs, ["k", "n"])],
            ("result", self.result, ["m", "n"]),
        )


@irdl_op_definition
class AddOp(NNOp):
    """i32 addition, elementwise or of a per-channel bias (see the module doc)."""

    name = "nn.add"
    lhs = operand_def()
    rhs = operand_def()
    result = result_def()
    traits = traits_def(Pure())

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[add_result_type(lhs.type, rhs.type)])

    def verify_(self) -> None:
        super().verify_()
        _expect_result(self, add_result_type(self.lhs.type, self.rhs.type))

    @property
    def broadcast_axis(self) -> int | None:
        """The axis the right operand broadcasts along (None: elementwise)."""
        return bias_axis(
            self.lhs.type.get_shape(),  # type: ignore[attr-defined]
            self.rhs.type.get_shape(),  # type: ignore[attr-defined]
        )


class _ElementwiseOp(NNOp):
    input = operand_def()
    result = result_def()
    traits = traits_def(Pure())

    def verify_(self) -> None:
        super().verify_()
        _expect_result(self, elementwise_result_type(self.input.type))


@irdl_op_definition
class ReluOp(_ElementwiseOp):
    """``max(x, 0)`` on i32."""

    name = "nn.relu"

    def __init__(self, x: SSAValue):
        super().__init__(operands=[x], result_types=[elementwise_result_type(x.type)])


@irdl_op_definition
class ShrOp(_ElementwiseOp):
    """Arithmetic shift right of i32 by the constant ``amount`` in [0, 31]."""

    name = "nn.shr"
    amount = attr_def(Attribute)

    def __init__(self, x: SSAValue, amount: int):
        super().__init__(
            operands=[x],
            result_types=[elementwise_result_type(x.type)],
            attributes={"amount": IntegerAttr(amount, i64)},
        )
        self.verify_()

    @property
    def shift(self) -> int:
        return _int(self.amount, "amount")

    def verify_(self) -> None:
        super().verify_()
        if not 0 <= self.shift <= 31:
            raise VerifyException(f"shift amount must be in [0, 31], got {self.shift}")


@irdl_op_definition
class ClipOp(_ElementwiseOp):
    """Clamp i32 values to [``min``, ``max``]."""

    name = "nn.clip"
    min = attr_def(Attribute)
    max = attr_def(Attribute)

    def __init__(self, x: SSAValue, low: int, high: int):
        super().__init__(
            operands=[x],
            result_types=[elementwise_result_type(x.type)],
            attributes={"min": IntegerAttr(low, i64), "max": IntegerAttr(high, i64)},
        )
        self.verify_()

    @property
    def bounds(self) -> tuple[int, int]:
        """(min, max)"""
        return _int(self.min, "min"), _int(self.max, "max")

    def verify_(self) -> None:
        super().verify_()
        low, high = self.bounds
        if low > high:
            raise VerifyException(f"clip min {low} is greater than max {high}")
        if low < I32_MIN or high > I32_MAX:
            raise VerifyException(
                f"clip bounds [{low}, {high}] leave the i32 range [{I32_MIN}, {I32_MAX}]"
            )


@irdl_op_definition
class CastOp(NNOp):
    """i32 to i8: ``wrap`` keeps the low 8 bits, ``saturate`` clamps to [-128, 127]."""

    name = "nn.cast"
    input = operand_def()
    result = result_def()
    mode = attr_def(Attribute)
    traits = traits_def(Pure())

    def __init__(self, x: SSAValue, mode: str = "wrap"):
        super().__init__(
            operands=[x],
            result_types=[cast_result_type(x.type)],
            attributes={"mode": StringAttr(mode)},
        )
        self.verify_()

    @property
    def cast_mode(self) -> str:
        """``"wrap"`` or ``"saturate"``."""
        return _cast_mode(self.mode)

    def verify_(self) -> None:
        super().verify_()
        _cast_mode(self.mode)
        _expect_result(self, cast_result_type(self.input.type))


@irdl_op_definition
class MaxPool2DOp(NNOp):
    """2-D max pooling of an NCHW i8 or i32 tensor (see the module doc)."""

    name = "nn.max_pool2d"
    input = operand_def()
    result = result_def()
    kernel = attr_def(Attribute)
    strides = attr_def(Attribute)
    padding = attr_def(Attribute)
    traits = traits_def(Pure())
    INT_LISTS: ClassVar[tuple[str, ...]] = ("kernel", "strides", "padding", "dilation")
    FIXED_AT_ONE: ClassVar[tuple[str, ...]] = ("dilation",)

    def __init__(
        self,
        x: SSAValue,
        kernel: Sequence[int],
        strides: Sequence[int],
        padding: Sequence[int] = (0, 0, 0, 0),
    ):
        if len(kernel) != 2 or len(strides) != 2 or len(padding) != 4:
            raise VerifyException(
                f"kernel and strides must have 2 values and padding 4, got {list(kernel)}, "
                f"{list(strides)} and {list(padding)}"
            )
        super().__init__(
            operands=[x],
            result_types=[max_pool2d_result_type(x.type, kernel, strides, padding)],
            attributes={
                "kernel": _array(kernel),
                "strides": _array(strides),
                "padding": _array(padding),
            },
        )

    @property
    def kernel_values(self) -> tuple[int, int]:
        return _ints(self.kernel, "kernel", 2)  # type: ignore[return-value]

    @property
    def stride_values(self) -> tuple[int, int]:
        return _ints(self.strides, "strides", 2)  # type: ignore[return-value]

    @property
    def padding_values(self) -> tuple[int, int, int, int]:
        """[top, left, bottom, right]"""
        return _ints(self.padding, "padding", 4)  # type: ignore[return-value]

    def verify_(self) -> None:
        super().verify_()
        want = max_pool2d_result_type(
            self.input.type, self.kernel_values, self.stride_values, self.padding_values
        )
        _expect_result(self, want)


@irdl_op_definition
class ExtOp(NNOp):
    """i8 to i32, sign-extending."""

    name = "nn.ext"
    input = operand_def()
    result = result_def()
    traits = traits_def(Pure())

    def __init__(self, x: SSAValue):
        super().__init__(operands=[x], result_types=[ext_result_type(x.type)])

    def verify_(self) -> None:
        super().verify_()
        _expect_result(self, ext_result_type(self.input.type))


def ext_result_type(value: Attribute) -> TensorType:
    """The result type of ``nn.ext``: the i8 input's shape, i32."""
    return tensor(_shape(value, "input", element=I8), I32)


@irdl_op_definition
class RescaleOp(_ElementwiseOp):
    """``x * multiplier / divisor`` on i32, rounded half to even (see the module doc)."""

    name = "nn.rescale"
    multiplier = attr_def(Attribute)
    divisor = attr_def(Attribute)

    def __init__(self, x: SSAValue, multiplier: int, divisor: int):
        super().__init__(
            operands=[x],
            result_types=[elementwise_result_type(x.type)],
            attributes={
                "multiplier": IntegerAttr(multiplier, i64),
                "divisor": IntegerAttr(divisor, i64),
            },
        )
        self.verify_()

    @property
    def ratio(self) -> tuple[int, int]:
        """(multiplier, divisor)"""
        return _int(self.multiplier, "multiplier"), _int(self.divisor, "divisor")

    def verify_(self) -> None:
        super().verify_()
        multiplier, divisor = self.ratio
        if multiplier < 1 or divisor < 1:
            raise VerifyException(
                f"multiplier and divisor must be positive, got {multiplier} and {divisor}"
            )


def sum_pool2d_result_type(
    value: Attribute, kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> TensorType:
    """The result type of ``nn.sum_pool2d``: max_pool2d's shape, i32."""
    return tensor(max_pool2d_result_type(value, kernel, strides, padding).get_shape(), I32)


@irdl_op_definition
class SumPool2DOp(NNOp):
    """Window sums of an NCHW i8 or i32 tensor, i32 result (see the module doc)."""

    name = "nn.sum_pool2d"
    input = operand_def()
    result = result_def()
    kernel = attr_def(Attribute)
    strides = attr_def(Attribute)
    padding = attr_def(Attribute)
    traits = traits_def(Pure())
    INT_LISTS: ClassVar[tuple[str, ...]] = ("kernel", "strides", "padding")

    def __init__(
        self,
        x: SSAValue,
        kernel: Sequence[int],
        strides: Sequence[int],
        padding: Sequence[int] = (0, 0, 0, 0),
    ):
        if len(kernel) != 2 or len(strides) != 2 or len(padding) != 4:
            raise VerifyException(
                f"kernel and strides must have 2 values and padding 4, got {list(kernel)}, "
                f"{list(strides)} and {list(padding)}"
            )
        super().__init__(
            operands=[x],
            result_types=[sum_pool2d_result_type(x.type, kernel, strides, padding)],
            attributes={
                "kernel": _array(kernel),
                "strides": _array(strides),
                "padding": _array(padding),
            },
        )

    @property
    def kernel_values(self) -> tuple[int, int]:
        return _ints(self.kernel, "kernel", 2)  # type: ignore[return-value]

    @property
    def stride_values(self) -> tuple[int, int]:
        return _ints(self.strides, "strides", 2)  # type: ignore[return-value]

    @property
    def padding_values(self) -> tuple[int, int, int, int]:
        """[top, left, bottom, right]"""
        return _ints(self.padding, "padding", 4)  # type: ignore[return-value]

    def verify_(self) -> None:
        super().verify_()
        want = sum_pool2d_result_type(
            self.input.type, self.kernel_values, self.stride_values, self.padding_values
        )
        _expect_result(self, want)


@irdl_op_definition
class ReshapeOp(NNOp):
    """The same elements under the result's shape (see the module doc)."""

    name = "nn.reshape"
    input = operand_def()
    result = result_def()
    traits = traits_def(Pure())

    def __init__(self, x: SSAValue, shape: Sequence[int]):
        super().__init__(
            operands=[x],
            result_types=[tensor(shape, x.type.element_type)],  # type: ignore[attr-defined]
        )

    def verify_(self) -> None:
        super().verify_()
        source = _shape(self.input.type, "input")
        target = _shape(self.result.type, "result")
        if self.result.type.element_type != self.input.type.element_type:  # type: ignore[attr-defined]
            raise VerifyException("nn.reshape keeps the element type")
        if _count(source) != _count(target):
            raise VerifyException(
                f"cannot reshape {list(source)} ({_count(source)} elements) to {list(target)} "
                f"({_count(target)} elements)"
            )


def _count(shape: Sequence[int]) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


CONTRACTIONS = (Conv2DOp, DenseOp, MatmulOp)

NN = Dialect(
    "nn",
    [
        Conv2DOp,
        DenseOp,
        MatmulOp,
        AddOp,
        ReluOp,
        ShrOp,
        ClipOp,
        CastOp,
        MaxPool2DOp,
        ExtOp,
        RescaleOp,
        SumPool2DOp,
        ReshapeOp,
    ],
    [],
)
