"""The reference backend: runs nn functions on numpy arrays with the accelerator's integer
semantics (int32 wrap-around, arithmetic shifts, wrapping or saturating casts).

It is the golden model every lowering is checked against, so it is written for clarity and
exactness: contractions accumulate in int64 and wrap to int32 once, as VTA's 32-bit
accumulators do (addition modulo 2^32 is associative, so the order does not matter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue

from vtac.dialects import nn


class ReferenceError(ValueError):
    """Inputs that do not match the function, or an op the reference cannot run."""


def wrap32(values: np.ndarray) -> np.ndarray:
    """Two's complement wrap of integers to int32."""
    return values.astype(np.int64).astype(np.int32)


def conv2d(
    x: np.ndarray, w: np.ndarray, strides: Sequence[int], padding: Sequence[int]
) -> np.ndarray:
    """NCHW x OIHW convolution, padding [top, left, bottom, right], int32 wrap-around."""
    top, left, bottom, right = padding
    xp = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, o, oh, ow = nn.conv2d_output_shape(x.shape, w.shape, strides, padding)
    sh, sw = strides
    out = np.zeros((n, o, oh, ow), dtype=np.int64)
    w64 = w.astype(np.int64)
    for kh in range(w.shape[2]):
        for kw in range(w.shape[3]):
            window = xp[:, :, kh : kh + sh * (oh - 1) + 1 : sh, kw : kw + sw * (ow - 1) + 1 : sw]
            out += np.einsum("nchw,oc->nohw", window, w64[:, :, kh, kw], optimize=True)
    return wrap32(out)


def max_pool2d(
    x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> np.ndarray:
    top, left, bottom, right = padding
    low = np.iinfo(x.dtype).min
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=low)
    n, c, h, w = x.shape
    oh = (h + top + bottom - kernel[0]) // strides[0] + 1
    ow = (w + left + right - kernel[1]) // strides[1] + 1
    out = np.full((n, c, oh, ow), low, dtype=x.dtype)
    for kh in range(kernel[0]):
        for kw in range(kernel[1]):
            window = xp[
                :,
                :,
                kh : kh + strides[0] * (oh - 1) + 1 : strides[0],
                kw : kw + strides[1] * (ow - 1) + 1 : strides[1],
            ]
            out = np.maximum(out, window)
    return out


def add(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    axis = nn.bias_axis(lhs.shape, rhs.shape)
    if axis is not None:
        shape = [1] * lhs.ndim
        shape[axis] = lhs.shape[axis]
        rhs = rhs.reshape(shape)
    return wrap32(lhs.astype(np.int64) + rhs)


def cast(x: np.ndarray, mode: str) -> np.ndarray:
    if mode == "saturate":
        return np.clip(x, -128, 127).astype(np.int8)
    return x.astype(np.int8)  # keeps the low 8 bits


def evaluate(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    """The result of one nn op on numpy operands."""
    if isinstance(op, nn.Conv2DOp):
        return conv2d(args[0], args[1], op.stride_values, op.padding_values)
    if isinstance(op, nn.DenseOp):
        return wrap32(args[0].astype(np.int64) @ args[1].astype(np.int64).T)
    if isinstance(op, nn.MatmulOp):
        return wrap32(args[0].astype(np.int64) @ args[1].astype(np.int64))
    if isinstance(op, nn.AddOp):
        return add(args[0], args[1])
    if isinstance(op, nn.ReluOp):
        return np.maximum(args[0], 0).astype(np.int32)
    if isinstance(op, nn.ShrOp):
        return (args[0] >> op.amount.value.data).astype(np.int32)
    if isinstance(op, nn.ClipOp):
        return np.clip(args[0], op.min.value.data, op.max.value.data).astype(np.int32)
    if isinstance(op, nn.CastOp):
        return cast(args[0], op.mode.data)
    if isinstance(op, nn.MaxPool2DOp):
        return max_pool2d(
            args[0],
            [int(v) for v in op.kernel.get_values()],
            [int(v) for v in op.strides.get_values()],
            [int(v) for v in op.padding.get_values()],
        )
    raise ReferenceError(f"the reference backend cannot run {op.name}")


def _dtype(kind: TensorType) -> type[np.integer]:
    width = kind.element_type.width.data  # type: ignore[attr-defined]
    return {8: np.int8, 32: np.int32}[width]


def run_function(
    function: func.FuncOp, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray]
) -> list[np.ndarray]:
    """Run ``function`` on ``inputs`` (positional, or by argument name) and return its results."""
    block = function.body.block
    names = [arg.name_hint or f"arg{i}" for i, arg in enumerate(block.args)]
    if isinstance(inputs, Mapping):
        missing = [n for n in names if n not in inputs]
        extra = sorted(set(inputs) - set(names))
        if missing or extra:
            raise ReferenceError(
                f"@{function.sym_name.data} takes {', '.join(names)}; "
                + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}")
            )
        ordered = [inputs[n] for n in names]
    else:
        if len(inputs) != len(names):
            raise ReferenceError(
                f"@{function.sym_name.data} takes {len(names)} inputs, got {len(inputs)}"
            )
        ordered = list(inputs)
    values: dict[SSAValue, np.ndarray] = {}
    for name, arg, array in zip(names, block.args, ordered, strict=True):
        kind = arg.type
        if not isinstance(kind, TensorType):
            raise ReferenceError(f"argument {name} is not a tensor")
        array = np.asarray(array)
        if tuple(array.shape) != tuple(kind.get_shape()):
            raise ReferenceError(
                f"argument {name}: expected shape {tuple(kind.get_shape())}, got {array.shape}"
            )
        dtype = _dtype(kind)
        if array.size and (array.min() < np.iinfo(dtype).min or array.max() > np.iinfo(dtype).max):
            raise ReferenceError(f"argument {name}: values do not fit {np.dtype(dtype).name}")
        values[arg] = array.astype(dtype)
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            return [values[v] for v in op.arguments]
        values[op.results[0]] = evaluate(op, [values[v] for v in op.operands])
    raise ReferenceError(f"@{function.sym_name.data} has no return")


def find_function(module: ModuleOp, name: str | None = None) -> func.FuncOp:
    """The function called ``name`` (or the only function) of ``module``."""
    functions = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if name is not None:
        functions = [f for f in functions if f.sym_name.data == name]
    if len(functions) != 1:
        which = f"named @{name}" if name else "in the module (give a name)"
        raise ReferenceError(f"expected one function {which}, found {len(functions)}")
    return functions[0]


def run_module(
    module: ModuleOp,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    name: str | None = None,
) -> list[np.ndarray]:
    """Run the function ``name`` (or the only one) of ``module``."""
    return run_function(find_function(module, name), inputs)
