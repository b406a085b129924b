"""Quantized ONNX models as nn functions.

A QDQ model computes in real numbers between ``DequantizeLinear`` and ``QuantizeLinear`` nodes;
with power-of-two scales every real tensor of it is exactly an integer times a power of two
(divided by the window size after an average pool), which is what the importer tracks
symbolically (:class:`Real`). A ``QuantizeLinear`` then becomes integer requantization:
``round(v * 2**(e - e_out))`` clipped to int8.

Rounding. ONNX rounds half to even. On VTA the requantization of a contraction is its ALU
epilogue, and VTA's shift floors, so with ``rounding="half-up"`` (the default) the importer adds
half (``2**(k-1)``, folded into the bias) before shifting right by ``k``: that equals ONNX's
result except on exact ties (``v mod 2**k == 2**(k-1)``) whose quotient would be odd, where it
is one above. With ``rounding="half-even"`` the contraction leaves its int32 accumulator and the
host rounds exactly as ONNX does (``nn.rescale``), at the cost of the wider transfer and a host
step. Requantization that is not a contraction's epilogue (residual adds, pools) always rounds
half to even on the host.

Supported operators (opset 13 or newer): QuantizeLinear, DequantizeLinear, Conv, Gemm, MatMul,
QLinearConv, QLinearMatMul, Add, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, Flatten,
Reshape, Identity, Constant. Scales are per-tensor powers of two, zero points zero (symmetric
int8), shapes static. Anything else is an :class:`~vtac.frontends.onnx.OnnxError` naming the
node, its operator and the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from vtac.dialects import nn
from vtac.dialects.dense import dense_attr
from vtac.frontends.onnx import OnnxError, require_onnx

#: The attribute naming the ONNX node an nn op comes from (reports and host steps use it).
NODE_ATTR = "vtac.onnx_node"
ROUNDINGS = ("half-up", "half-even")
MIN_OPSET = 13


# --- symbolic values ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantized:
    """An int8 tensor of the function (a QuantizeLinear's result or an int8 graph input)."""

    value: SSAValue


@dataclass(frozen=True)
class Dequantized:
    """``q * 2**exp``: the real value a DequantizeLinear makes of an int8 tensor."""

    q: Quantized
    exp: int


@dataclass(frozen=True)
class Real:
    """``value * 2**exp / divisor``, then a per-channel ``bias`` (in units of ``2**exp``) and
    clamps to ``[low, high]`` (real numbers) not yet applied: they fold into the
    requantization. ``epilogue`` says ``value`` is a contraction's result, whose requantization
    can run on VTA."""

    value: SSAValue
    exp: int
    divisor: int = 1
    bias: np.ndarray | None = None
    low: float = -math.inf
    high: float = math.inf
    epilogue: bool = False


@dataclass(frozen=True)
class Constant:
    """An initializer or Constant node's value."""

    array: np.ndarray


@dataclass(frozen=True)
class ScaledConstant:
    """``array * 2**exp``: a DequantizeLinear of an integer constant (weights, biases)."""

    array: np.ndarray
    exp: int


@dataclass(frozen=True)
class FloatInput:
    """A float graph input, which must be quantized (QuantizeLinear) before use."""

    name: str


Symbol = Quantized | Dequantized | Real | Constant | ScaledConstant | FloatInput


@dataclass(frozen=True)
class Boundary:
    """A graph input or output: its ONNX name, shape and dtype, the nn value behind it and the
    scale ``2**exp`` between them (None when the graph's tensor is the int8 value itself)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    value: str
    exp: int | None
    divisor: int = 1


@dataclass
class ImportedModel:
    """The nn function of a model and how its inputs and outputs map to the graph's."""

    module: ModuleOp
    inputs: list[Boundary]
    outputs: list[Boundary]
    #: nn value name -> the ONNX tensor it holds, for every QuantizeLinear's result
    tensors: dict[str, str] = field(default_factory=dict)

    @property
    def function(self) -> func.FuncOp:
        return next(op for op in self.module.ops if isinstance(op, func.FuncOp))


# --- loading ------------------------------------------------------------------------------------


def load_model(source: str | Path | Any) -> Any:
    """An ``onnx.ModelProto`` from a path (or a model itself), checked by onnx's checker and for
    its opset; an :class:`OnnxError` names what is wrong."""
    onnx = require_onnx()
    if isinstance(source, str | Path):
        try:
            data = Path(source).read_bytes()
        except OSError as err:
            raise OnnxError(f"cannot read {source}: {err.strerror}") from None
        try:
            model = onnx.load_model_from_string(data)
        except Exception as err:  # protobuf's DecodeError and friends
            raise OnnxError(
                f"{source}: not an ONNX model (the file does not decode: {err})"
            ) from None
        where = str(source)
    else:
        model, where = source, "the model"
    if not model.graph.node:
        raise OnnxError(f"{where}: malformed ONNX model: the graph has no nodes")
    try:
        onnx.checker.check_model(model)
    except Exception as err:  # onnx.checker.ValidationError
        first = str(err).strip().splitlines()[0]
        raise OnnxError(f"{where}: malformed ONNX model: {first}") from None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < MIN_OPSET:
        raise OnnxError(
            f"{where}: opset {opset}: vtac imports opset {MIN_OPSET} or newer "
            "(onnx.version_converter can convert the model)"
        )
    return model


def import_model(source: str | Path | Any, rounding: str = "half-up") -> ImportedModel:
    """The nn function of a quantized ONNX model (a path or a ``ModelProto``)."""
    if rounding not in ROUNDINGS:
        raise OnnxError(f"rounding must be one of {', '.join(ROUNDINGS)}, got {rounding!r}")
    model = load_model(source)
    return _Importer(model, rounding).run()


# --- the importer -------------------------------------------------------------------------------


_NAME_CHARS = re.compile(r"[^A-Za-z0-9_$.-]")


def _log2(scale: float) -> int | None:
    """``e`` with ``scale == 2**e`` exactly, else None."""
    if not (scale > 0 and math.isfinite(scale)):
        return None
    mantissa, exponent = math.frexp(scale)
    return exponent - 1 if mantissa == 0.5 else None


def _int8_bound(bound: float, exp: int) -> int:
    """A real clamp bound as the int8 value QuantizeLinear makes of it (half to even)."""
    if math.isinf(bound):
        return -128 if bound < 0 else 127
    return int(np.clip(np.rint(bound / 2.0**exp), -128, 127))


class _Importer:
    def __init__(self, model: Any, rounding: str) -> None:
        self.onnx = require_onnx()
        self.model = model
        self.graph = model.graph
        self.rounding = rounding
        self.block = Block()
        self.symbols: dict[str, Symbol] = {}
        self.names: set[str] = set()
        self.inputs: list[Boundary] = []
        self.node: Any = None
        self.index = 0
        self.ext_cache: dict[SSAValue, SSAValue] = {}
        self.float_inputs: dict[str, tuple[int, ...]] = {}
        self.output_values: dict[str, SSAValue] = {}
        self.tensors: dict[str, str] = {}
        from onnx import numpy_helper

        self.numpy_helper = numpy_helper

    # -- errors, names, emission

    def where(self) -> str:
        label = f"'{self.node.name}'" if self.node.name else f"#{self.index}"
        return f"node {label} ({self.node.op_type})"

    def fail(self, reason: str) -> OnnxError:
        return OnnxError(f"{self.where()}: {reason}")

    def unique(self, name: str) -> str:
        """A usable, unused SSA name made of ``name`` (xDSL drops ``_<digits>`` suffixes)."""
        base = _NAME_CHARS.sub(".", name) or "t"
        if base[0].isdigit():
            base = "t" + base
        base = re.sub(r"_(\d+)$", r".\1", base)
        candidate, n = base, 1
        while candidate in self.names:
            n += 1
            candidate = f"{base}.v{n}"
        self.names.add(candidate)
        return candidate

    def emit(self, op: Operation) -> SSAValue:
        label = self.node.name or f"{self.node.op_type}#{self.index}"
        op.attributes[NODE_ATTR] = StringAttr(label)
        try:
            op.verify()
        except VerifyException as err:
            raise self.fail(f"{op.name}: {err}") from None
        self.block.add_op(op)
        return op.results[0]

    def constant(self, array: np.ndarray, element: Any, role: str) -> SSAValue:
        """A tensor constant, named after the node and its ``role`` (program images name their
        buffers after the values)."""
        op = arith.ConstantOp(dense_attr(array, element), nn.tensor(array.shape, element))
        value = self.emit(op)
        value.name_hint = self.unique(f"{self.node.name or self.node.op_type}.{role}")
        return value

    # -- attribute and constant helpers

    def attributes(self) -> dict[str, Any]:
        helper = self.onnx.helper
        return {a.name: helper.get_attribute_value(a) for a in self.node.attribute}

    def only(self, allowed: dict[str, object], attrs: dict[str, Any]) -> None:
        """Refuse attributes with values other than the supported ones."""
        for key, value in attrs.items():
            if key in allowed and allowed[key] is not None and _normal(value) != allowed[key]:
                raise self.fail(f"attribute {key}={_normal(value)!r} is not supported")

    def const(self, name: str, what: str) -> np.ndarray:
        symbol = self.get(name)
        if not isinstance(symbol, Constant):
            raise self.fail(f"{what} must be a constant (an initializer or Constant node)")
        return symbol.array

    def scale_exp(self, name: str, what: str = "scale") -> int:
        scale = self.const(name, what)
        if scale.size != 1:
            raise self.fail(
                f"{what} has {scale.size} values (per-axis quantization): vtac imports "
                "per-tensor scales"
            )
        exp = _log2(float(scale.reshape(-1)[0]))
        if exp is None:
            raise self.fail(
                f"{what} {float(scale.reshape(-1)[0])!r} is not a power of two: VTA requantizes "
                "by shifting, so vtac imports power-of-two scales only (vtac quantize makes them)"
            )
        return exp

    def zero_point(self, inputs: Sequence[str], index: int, what: str) -> None:
        if len(inputs) <= index or not inputs[index]:
            return
        zp = self.const(inputs[index], f"{what} zero point")
        if zp.dtype not in (np.int8, np.int32):
            raise self.fail(
                f"{what} zero point of type {zp.dtype}: vtac imports symmetric int8 "
                "quantization (int8 zero points equal to 0)"
            )
        if np.any(zp != 0):
            raise self.fail(f"{what} zero point {zp.reshape(-1)[:4].tolist()} is not 0 (symmetric)")

    def get(self, name: str) -> Symbol:
        if name not in self.symbols:
            raise self.fail(f"input {name!r} is not defined before its use")
        return self.symbols[name]

    # -- conversions between symbols

    def int8(self, symbol: Symbol, what: str) -> Dequantized:
        if isinstance(symbol, Dequantized):
            return symbol
        if isinstance(symbol, FloatInput):
            raise self.fail(
                f"{what} is the float graph input {symbol.name!r}: vtac runs quantized models "
                "(a QuantizeLinear first; vtac quantize adds them)"
            )
        raise self.fail(
            f"{what} must be a dequantized int8 tensor (a DequantizeLinear output), got "
            f"{type(symbol).__name__}"
        )

    def real(self, symbol: Symbol, what: str) -> Real:
        """``symbol`` as a :class:`Real` with nothing pending (bias and clamps applied)."""
        if isinstance(symbol, Dequantized):
            q = symbol.q.value
            if q not in self.ext_cache:
                self.ext_cache[q] = self.emit(nn.ExtOp(q))
            return Real(self.ext_cache[q], symbol.exp)
        if not isinstance(symbol, Real):
            self.int8(symbol, what)  # raises with the reason
            raise AssertionError
        value = symbol.value
        if symbol.bias is not None:
            value = self.emit(
                nn.AddOp(value, self.constant(symbol.bias.astype(np.int32), nn.I32, "bias"))
            )
        if symbol.low > -math.inf or symbol.high < math.inf:
            low = self.grid(symbol.low, symbol, math.ceil)
            high = self.grid(symbol.high, symbol, math.floor)
            value = self.emit(nn.ClipOp(value, max(low, nn.I32_MIN), min(high, nn.I32_MAX)))
        return Real(value, symbol.exp, symbol.divisor)

    def grid(self, bound: float, symbol: Real, to_int: Callable[[float], int]) -> int:
        """A clamp bound in units of ``2**exp / divisor``; it must lie on that grid."""
        if not math.isfinite(bound):
            return nn.I32_MIN if bound < 0 else nn.I32_MAX
        units = bound * symbol.divisor / 2.0**symbol.exp
        if units != to_int(units):
            raise self.fail(
                f"the clamp bound {bound} is not a multiple of the tensor's scale "
                f"2**{symbol.exp}/{symbol.divisor}: vtac cannot apply it exactly"
            )
        return int(units)

    def quantize(self, symbol: Symbol, exp: int, name: str) -> Quantized:
        """``round(symbol / 2**exp)`` saturated to int8 (QuantizeLinear)."""
        if isinstance(symbol, Dequantized) and symbol.exp == exp:
            return symbol.q
        if isinstance(symbol, Dequantized):
            symbol = self.real(symbol, "the input")
        if not isinstance(symbol, Real):
            self.int8(symbol, "the input")
            raise AssertionError
        low, high = _int8_bound(symbol.low, exp), _int8_bound(symbol.high, exp)
        k = exp - symbol.exp  # shift right by k (with the divisor, divide by divisor * 2**k)
        value = symbol.value
        if symbol.epilogue and symbol.divisor == 1 and 0 <= k <= 31 and self.rounding == "half-up":
            channels = symbol.value.type.get_shape()[1]  # type: ignore[attr-defined]
            bias = np.zeros(channels, np.int64) if symbol.bias is None else symbol.bias
            bias = bias + (1 << (k - 1) if k > 0 else 0)
            if symbol.bias is not None or k > 0:
                if bias.min() < nn.I32_MIN or bias.max() > nn.I32_MAX:
                    raise self.fail("the bias (with the rounding half) leaves the int32 range")
                value = self.emit(
                    nn.AddOp(value, self.constant(bias.astype(np.int32), nn.I32, "bias"))
                )
            if k > 0:
                value = self.emit(nn.ShrOp(value, k))
        else:
            plain = self.real(replace(symbol, low=-math.inf, high=math.inf), "the input")
            multiplier = 2 ** max(-k, 0)
            divisor = symbol.divisor * 2 ** max(k, 0)
            if multiplier >= 2**31 or divisor >= 2**62:
                raise self.fail(f"the scale ratio 2**{-k}/{symbol.divisor} is out of range")
            value = plain.value
            if (multiplier, divisor) != (1, 1):
                value = self.emit(nn.RescaleOp(value, multiplier, divisor))
        if low > high:
            raise self.fail(f"the clamp [{symbol.low}, {symbol.high}] is empty after rounding")
        value = self.emit(nn.ClipOp(value, low, high))
        result = self.emit(nn.CastOp(value, "wrap"))
        result.name_hint = self.unique(name)
        self.tensors[result.name_hint] = name
        return Quantized(result)

    # -- the graph

    def run(self) -> ImportedModel:
        graph = self.graph
        for init in graph.initializer:
            self.symbols[init.name] = Constant(self.numpy_helper.to_array(init))
        initialized = {init.name for init in graph.initializer}
        consumers: dict[str, tuple[int, Any]] = {}
        for index, node in enumerate(graph.node):
            for name in node.input:
                consumers.setdefault(name, (index, node))
        for graph_input in graph.input:
            if graph_input.name in initialized:
                continue
            self.index, self.node = consumers.get(graph_input.name, (0, graph.node[0]))
            self.add_input(graph_input)
        for index, node in enumerate(graph.node):
            self.index, self.node = index, node
            handler = HANDLERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
            if handler is None:
                domain = f" of domain {node.domain!r}" if node.domain not in ("", "ai.onnx") else ""
                raise self.fail(
                    f"vtac does not import this operator{domain} (it imports "
                    f"{', '.join(sorted(HANDLERS))})"
                )
            results = handler(self, list(node.input), self.attributes())
            for name, symbol in zip(node.output, results, strict=False):
                if name:
                    self.symbols[name] = symbol
        outputs = [self.add_output(o) for o in graph.output]
        values = [self.output_values[b.name] for b in outputs]
        self.block.add_op(func.ReturnOp(*values))
        arg_types = [arg.type for arg in self.block.args]
        name = self.unique(graph.name or "model")
        function = func.FuncOp(name, (arg_types, [v.type for v in values]), Region(self.block))
        module = ModuleOp([function])
        module.verify()
        return ImportedModel(module, self.inputs, outputs, self.tensors)

    def add_input(self, value_info: Any) -> None:
        kind = value_info.type.tensor_type
        dims = []
        for i, dim in enumerate(kind.shape.dim):
            if not dim.HasField("dim_value") or dim.dim_value < 1:
                label = dim.dim_param or "unknown"
                raise self.fail(
                    f"graph input {value_info.name!r} has a dynamic shape (dimension {i} is "
                    f"{label!r}): vtac compiles static shapes (fix it, e.g. with "
                    "onnx.tools.update_model_dims)"
                )
            dims.append(dim.dim_value)
        dtype = self.onnx.helper.tensor_dtype_to_np_dtype(kind.elem_type)
        if dtype == np.float32:
            self.symbols[value_info.name] = FloatInput(value_info.name)
            self.float_inputs[value_info.name] = tuple(dims)
            return
        if dtype != np.int8:
            raise self.fail(
                f"graph input {value_info.name!r} has type {dtype}: vtac takes float32 or int8"
            )
        arg = self.block.insert_arg(nn.tensor(dims, nn.I8), len(self.block.args))
        arg.name_hint = self.unique(value_info.name)
        self.symbols[value_info.name] = Quantized(arg)
        self.inputs.append(Boundary(value_info.name, tuple(dims), "int8", arg.name_hint, None))

    def quantize_input(self, symbol: FloatInput, exp: int) -> Quantized:
        known = next((b for b in self.inputs if b.name == symbol.name), None)
        if known is not None:
            if known.exp != exp:
                raise self.fail(
                    f"the graph input {symbol.name!r} is quantized with two scales "
                    f"(2**{known.exp} and 2**{exp})"
                )
            return Quantized(next(a for a in self.block.args if a.name_hint == known.value))
        dims = self.float_inputs[symbol.name]
        arg = self.block.insert_arg(nn.tensor(dims, nn.I8), len(self.block.args))
        arg.name_hint = self.unique(symbol.name)
        self.inputs.append(Boundary(symbol.name, dims, "float32", arg.name_hint, exp))
        return Quantized(arg)

    def add_output(self, value_info: Any) -> Boundary:
        name = value_info.name
        symbol = self.symbols.get(name)
        if isinstance(symbol, Quantized):
            value, exp, divisor, dtype = symbol.value, None, 1, "int8"
        elif isinstance(symbol, Dequantized):
            value, exp, divisor, dtype = symbol.q.value, symbol.exp, 1, "float32"
        elif isinstance(symbol, Real):
            real = self.real(symbol, f"graph output {name!r}")
            value, exp, divisor, dtype = real.value, real.exp, real.divisor, "float32"
        else:
            raise OnnxError(
                f"graph output {name!r}: vtac cannot compute it ({type(symbol).__name__})"
            )
        self.output_values[name] = value
        shape = tuple(value.type.get_shape())  # type: ignore[attr-defined]
        label = value.name_hint or self.unique(name)
        value.name_hint = label
        return Boundary(name, shape, dtype, label, exp, divisor)


def _normal(value: Any) -> Any:
    """Attribute values as plain Python (lists for repeated fields, str for bytes)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


# --- node handlers ------------------------------------------------------------------------------


def _quantize_linear(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    im.only({"saturate": 1}, attrs)
    exp = im.scale_exp(inputs[1], "y_scale")
    im.zero_point(inputs, 2, "y")
    symbol = im.get(inputs[0])
    if isinstance(symbol, FloatInput):
        return [im.quantize_input(symbol, exp)]
    if isinstance(symbol, Constant):
        q = np.clip(np.rint(symbol.array.astype(np.float64) / 2.0**exp), -128, 127)
        return [Constant(q.astype(np.int8))]
    return [im.quantize(symbol, exp, im.node.output[0])]


def _dequantize_linear(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    exp = im.scale_exp(inputs[1], "x_scale")
    im.zero_point(inputs, 2, "x")
    symbol = im.get(inputs[0])
    if isinstance(symbol, Constant):
        if symbol.array.dtype not in (np.int8, np.int32):
            raise im.fail(f"dequantizes a {symbol.array.dtype} constant: expected int8 or int32")
        return [ScaledConstant(symbol.array.astype(np.int64), exp)]
    if isinstance(symbol, Quantized):
        return [Dequantized(symbol, exp)]
    raise im.fail(f"dequantizes {type(symbol).__name__}: expected an int8 tensor or constant")


def _weights(im: _Importer, symbol: Symbol, what: str) -> ScaledConstant:
    if (
        isinstance(symbol, ScaledConstant)
        and symbol.array.min() >= -128
        and symbol.array.max() <= 127
    ):
        return symbol
    raise im.fail(f"{what} must be int8 constants behind a DequantizeLinear")


def _bias(im: _Importer, symbol: Symbol | None, exp: int, channels: int) -> np.ndarray | None:
    """A bias as integers in units of ``2**exp`` (the accumulator's scale)."""
    if symbol is None:
        return None
    if not isinstance(symbol, ScaledConstant):
        raise im.fail("the bias must be an int32 constant behind a DequantizeLinear")
    values = symbol.array.reshape(-1)
    if values.size != channels:
        raise im.fail(f"the bias has {values.size} values for {channels} output channels")
    if symbol.exp < exp:
        raise im.fail(
            f"the bias scale 2**{symbol.exp} is finer than the accumulator's 2**{exp} "
            "(input scale times weight scale): it cannot be added exactly"
        )
    return values.astype(np.int64) << (symbol.exp - exp)


def _conv_node(
    im: _Importer, x: Dequantized, w: ScaledConstant, bias: Symbol | None, attrs: dict[str, Any]
) -> Real:
    im.only({"group": 1, "auto_pad": "NOTSET"}, attrs)
    if w.array.ndim != 4:
        raise im.fail(f"weights of rank {w.array.ndim}: vtac imports 2-D convolutions (OIHW)")
    if attrs.get("dilations", [1, 1]) != [1, 1]:
        raise im.fail(f"dilations {attrs['dilations']} are not supported (only 1)")
    strides = attrs.get("strides", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    weights = im.constant(w.array.astype(np.int8), nn.I8, "weights")
    value = im.emit(nn.Conv2DOp(x.q.value, weights, strides, pads))
    exp = x.exp + w.exp
    return Real(value, exp, bias=_bias(im, bias, exp, w.array.shape[0]), epilogue=True)


def _conv(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    x = im.int8(im.get(inputs[0]), "the data")
    w = _weights(im, im.get(inputs[1]), "the weights")
    bias = im.get(inputs[2]) if len(inputs) > 2 and inputs[2] else None
    return [_conv_node(im, x, w, bias, attrs)]


def _dense(im: _Importer, x: Dequantized, w: ScaledConstant, bias: Symbol | None) -> Real:
    if len(x.q.value.type.get_shape()) != 2 or w.array.ndim != 2:  # type: ignore[attr-defined]
        raise im.fail("vtac imports 2-D matrix products (flatten the data first)")
    weights = im.constant(w.array.astype(np.int8), nn.I8, "weights")
    value = im.emit(nn.DenseOp(x.q.value, weights))
    exp = x.exp + w.exp
    return Real(value, exp, bias=_bias(im, bias, exp, w.array.shape[0]), epilogue=True)


def _gemm(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    im.only({"transA": 0}, attrs)
    if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
        raise im.fail("alpha and beta other than 1 are not supported")
    x = im.int8(im.get(inputs[0]), "A")
    w = _weights(im, im.get(inputs[1]), "B")
    if not attrs.get("transB", 0):
        w = ScaledConstant(w.array.T, w.exp)
    bias = im.get(inputs[2]) if len(inputs) > 2 and inputs[2] else None
    return [_dense(im, x, w, bias)]


def _matmul(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    x = im.int8(im.get(inputs[0]), "A")
    b = im.get(inputs[1])
    if isinstance(b, ScaledConstant):
        return [_dense(im, x, ScaledConstant(_weights(im, b, "B").array.T, b.exp), None)]
    y = im.int8(b, "B")
    value = im.emit(nn.MatmulOp(x.q.value, y.q.value))
    return [Real(value, x.exp + y.exp, epilogue=True)]


def _qlinear_input(im: _Importer, inputs: list[str], at: int, what: str) -> Dequantized:
    symbol = im.get(inputs[at])
    if not isinstance(symbol, Quantized):
        raise im.fail(f"{what} must be an int8 tensor")
    im.zero_point(inputs, at + 2, what)
    return Dequantized(symbol, im.scale_exp(inputs[at + 1], f"{what}_scale"))


def _qlinear_weights(im: _Importer, inputs: list[str], at: int, what: str) -> ScaledConstant:
    array = im.const(inputs[at], what)
    if array.dtype != np.int8:
        raise im.fail(f"{what} must be int8, got {array.dtype}")
    im.zero_point(inputs, at + 2, what)
    return ScaledConstant(array.astype(np.int64), im.scale_exp(inputs[at + 1], f"{what}_scale"))


def _qlinear_conv(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    x = _qlinear_input(im, inputs, 0, "x")
    w = _qlinear_weights(im, inputs, 3, "w")
    y_exp = im.scale_exp(inputs[6], "y_scale")
    im.zero_point(inputs, 7, "y")
    bias = None
    if len(inputs) > 8 and inputs[8]:
        bias = ScaledConstant(im.const(inputs[8], "B").astype(np.int64), x.exp + w.exp)
    real = _conv_node(im, x, w, bias, attrs)
    return [im.quantize(real, y_exp, im.node.output[0])]


def _qlinear_matmul(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    x = _qlinear_input(im, inputs, 0, "a")
    symbol = im.get(inputs[3])
    y_exp = im.scale_exp(inputs[6], "y_scale")
    im.zero_point(inputs, 7, "y")
    if isinstance(symbol, Constant):
        w = _qlinear_weights(im, inputs, 3, "b")
        real = _dense(im, x, ScaledConstant(w.array.T, w.exp), None)
    else:
        b = _qlinear_input(im, inputs, 3, "b")
        real = Real(im.emit(nn.MatmulOp(x.q.value, b.q.value)), x.exp + b.exp, epilogue=True)
    return [im.quantize(real, y_exp, im.node.output[0])]


def _add(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    a, b = im.get(inputs[0]), im.get(inputs[1])
    if isinstance(a, ScaledConstant):
        a, b = b, a
    if isinstance(b, ScaledConstant):  # a bias after a MatMul
        if not (isinstance(a, Real) and a.epilogue and a.bias is None and a.divisor == 1):
            raise im.fail("adds a constant to something other than a contraction's result")
        channels = a.value.type.get_shape()[1]  # type: ignore[attr-defined]
        return [replace(a, bias=_bias(im, b, a.exp, channels))]
    x, y = im.real(a, "A"), im.real(b, "B")
    if x.divisor != 1 or y.divisor != 1:
        raise im.fail("adds an average pool's result: not supported")
    if x.value.type != y.value.type:
        raise im.fail(
            f"adds {x.value.type} to {y.value.type}: vtac imports elementwise adds of equal shapes"
        )
    exp = min(x.exp, y.exp)
    terms = []
    for term in (x, y):
        value = term.value
        if term.exp > exp:
            if term.exp - exp >= 31:
                raise im.fail("the two operands' scales are too far apart")
            value = im.emit(nn.RescaleOp(value, 2 ** (term.exp - exp), 1))
        terms.append(value)
    return [Real(im.emit(nn.AddOp(*terms)), exp)]


def _clamped(im: _Importer, symbol: Symbol, low: float, high: float) -> Real:
    if isinstance(symbol, Dequantized):
        symbol = im.real(symbol, "the input")
    if not isinstance(symbol, Real):
        im.int8(symbol, "the input")
        raise AssertionError
    return replace(symbol, low=max(symbol.low, low), high=min(symbol.high, high))


def _relu(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    return [_clamped(im, im.get(inputs[0]), 0.0, math.inf)]


def _clip(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    bounds = []
    for at, default in ((1, -math.inf), (2, math.inf)):
        if len(inputs) > at and inputs[at]:
            bounds.append(float(im.const(inputs[at], "the clip bound").reshape(-1)[0]))
        else:
            bounds.append(default)
    return [_clamped(im, im.get(inputs[0]), *bounds)]


def _window(im: _Importer, attrs: dict[str, Any], kernel: list[int]) -> tuple[list[int], list[int]]:
    im.only({"auto_pad": "NOTSET", "ceil_mode": 0, "storage_order": 0}, attrs)
    if attrs.get("dilations", [1, 1]) != [1, 1]:
        raise im.fail(f"dilations {attrs['dilations']} are not supported (only 1)")
    if len(kernel) != 2:
        raise im.fail(f"a {len(kernel)}-D window: vtac imports 2-D pooling")
    return attrs.get("strides", [1, 1]), attrs.get("pads", [0, 0, 0, 0])


def _max_pool(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    if len(im.node.output) > 1 and im.node.output[1]:
        raise im.fail("the Indices output is not supported")
    kernel = attrs["kernel_shape"]
    strides, pads = _window(im, attrs, kernel)
    symbol = im.get(inputs[0])
    if isinstance(symbol, Quantized):  # an int8 tensor (QLinear operators' form)
        return [Quantized(im.emit(nn.MaxPool2DOp(symbol.value, kernel, strides, pads)))]
    if isinstance(symbol, Dequantized):
        pooled = im.emit(nn.MaxPool2DOp(symbol.q.value, kernel, strides, pads))
        return [Dequantized(Quantized(pooled), symbol.exp)]
    real = im.real(symbol, "the input")
    pooled = im.emit(nn.MaxPool2DOp(real.value, kernel, strides, pads))
    return [Real(pooled, real.exp, real.divisor)]


def _pooled_input(im: _Importer, symbol: Symbol) -> tuple[SSAValue, int]:
    """The tensor an average pool sums (the int8 one when there is one) and its exponent."""
    if isinstance(symbol, Dequantized):
        return symbol.q.value, symbol.exp
    real = im.real(symbol, "the input")
    if real.divisor != 1:
        raise im.fail("pools an average pool's result: not supported")
    return real.value, real.exp


def _average(
    im: _Importer,
    value: SSAValue,
    exp: int,
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
) -> Real:
    summed = im.emit(nn.SumPool2DOp(value, kernel, strides, pads))
    return Real(summed, exp, kernel[0] * kernel[1])


def _average_pool(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    kernel = attrs["kernel_shape"]
    include_pad = attrs.pop("count_include_pad", 0)
    strides, pads = _window(im, attrs, kernel)
    if any(pads) and not include_pad:
        raise im.fail(
            "padding with count_include_pad=0 divides each window by its own size: not supported"
        )
    return [_average(im, *_pooled_input(im, im.get(inputs[0])), kernel, strides, pads)]


def _global_average_pool(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    value, exp = _pooled_input(im, im.get(inputs[0]))
    shape = value.type.get_shape()  # type: ignore[attr-defined]
    if len(shape) != 4:
        raise im.fail(f"a rank-{len(shape)} input: vtac imports 2-D pooling (NCHW)")
    return [_average(im, value, exp, shape[2:], (1, 1), (0, 0, 0, 0))]


def _reshaped(
    im: _Importer, symbol: Symbol, shape: Callable[[tuple[int, ...]], list[int]]
) -> Symbol:
    if isinstance(symbol, Quantized):  # an int8 tensor (QLinear operators' form)
        source = tuple(symbol.value.type.get_shape())  # type: ignore[attr-defined]
        return Quantized(im.emit(nn.ReshapeOp(symbol.value, shape(source))))
    if isinstance(symbol, Dequantized):
        source = tuple(symbol.q.value.type.get_shape())  # type: ignore[attr-defined]
        value = im.emit(nn.ReshapeOp(symbol.q.value, shape(source)))
        return Dequantized(Quantized(value), symbol.exp)
    real = im.real(symbol, "the data")
    source = tuple(real.value.type.get_shape())  # type: ignore[attr-defined]
    return Real(im.emit(nn.ReshapeOp(real.value, shape(source))), real.exp, real.divisor)


def _flatten(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    axis = attrs.get("axis", 1)

    def shape(source: tuple[int, ...]) -> list[int]:
        at = axis % len(source) if axis < 0 else axis
        return [math.prod(source[:at]), math.prod(source[at:])]

    return [_reshaped(im, im.get(inputs[0]), shape)]


def _reshape(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    im.only({"allowzero": 0}, attrs)
    target = [int(v) for v in im.const(inputs[1], "the shape").reshape(-1)]

    def shape(source: tuple[int, ...]) -> list[int]:
        dims = [source[i] if v == 0 else v for i, v in enumerate(target)]
        if dims.count(-1) == 1:
            known = math.prod(d for d in dims if d != -1)
            dims[dims.index(-1)] = math.prod(source) // max(known, 1)
        if min(dims) < 1 or math.prod(dims) != math.prod(source):
            raise im.fail(f"cannot reshape {list(source)} to {target}")
        return dims

    return [_reshaped(im, im.get(inputs[0]), shape)]


def _identity(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    return [im.get(inputs[0])]


def _constant(im: _Importer, inputs: list[str], attrs: dict[str, Any]) -> list[Symbol]:
    if "value" not in attrs:
        raise im.fail(f"only the value attribute is supported, got {sorted(attrs)}")
    return [Constant(im.numpy_helper.to_array(attrs["value"]))]


Handler = Callable[[_Importer, list[str], dict[str, Any]], list[Symbol]]

#: ONNX operator -> the function that imports a node of it.
HANDLERS: dict[str, Handler] = {
    "QuantizeLinear": _quantize_linear,
    "DequantizeLinear": _dequantize_linear,
    "Conv": _conv,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "QLinearConv": _qlinear_conv,
    "QLinearMatMul": _qlinear_matmul,
    "Add": _add,
    "Relu": _relu,
    "Clip": _clip,
    "MaxPool": _max_pool,
    "AveragePool": _average_pool,
    "GlobalAveragePool": _global_average_pool,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Identity": _identity,
    "Constant": _constant,
}
