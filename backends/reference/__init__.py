"""The reference backend: runs nn functions on numpy arrays with the accelerator's integer
semantics (int32 wrap-around, arithmetic shifts, wrapping or saturating casts).

It is the golden model every lowering is checked against, so it is written for clarity and
exactness: contractions accumulate in int64 and wrap to int32 once, as VTA's 32-bit
accumulators do (addition modulo 2^32 is associative, so the order does not matter; int64
cannot overflow below 2^33 terms of at most 2^14 each). No per-element Python loops: a
convolution is one tensor contraction per kernel tap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp, TensorType
from xdsl.ir import Block, Operation, SSAValue
from xdsl.utils.exceptions import VerifyException

from vtac.dialects import nn
from vtac.errors import InvalidInputError


class ReferenceError(InvalidInputError, ValueError):
    """Inputs that do not match the function, or an op the reference cannot run."""

    what = "function or inputs"


def wrap32(values: np.ndarray) -> np.ndarray:
    """Two's complement wrap of integers to int32 (keeps the low 32 bits)."""
    return np.asarray(values).astype(np.int64).astype(np.int32)


def _windows(
    xp: np.ndarray, kernel: Sequence[int], strides: Sequence[int], out: Sequence[int]
) -> list[tuple[int, int, np.ndarray]]:
    """For each kernel tap (kh, kw), the strided view of padded NCHW ``xp`` it reads."""
    (sh, sw), (oh, ow) = strides, out
    return [
        (kh, kw, xp[:, :, kh : kh + sh * (oh - 1) + 1 : sh, kw : kw + sw * (ow - 1) + 1 : sw])
        for kh in range(kernel[0])
        for kw in range(kernel[1])
    ]


def _pad(x: np.ndarray, padding: Sequence[int], value: int = 0) -> np.ndarray:
    top, left, bottom, right = padding
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def conv2d(
    x: np.ndarray, w: np.ndarray, strides: Sequence[int], padding: Sequence[int]
) -> np.ndarray:
    """NCHW ``x`` by OIHW ``w``, padding [top, left, bottom, right], int32 wrap-around."""
    n, o, oh, ow = nn.conv2d_output_shape(x.shape, w.shape, strides, padding)
    w64 = w.astype(np.int64)
    out = np.zeros((n, o, oh, ow), dtype=np.int64)
    for kh, kw, window in _windows(
        _pad(x.astype(np.int64), padding), w.shape[2:], strides, (oh, ow)
    ):
        out += np.einsum("nchw,oc->nohw", window, w64[:, :, kh, kw], optimize=True)
    return wrap32(out)


def dense(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x W^T`` (x [N, K], W [M, K]), int32 wrap-around."""
    return wrap32(x.astype(np.int64) @ w.astype(np.int64).T)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``A B`` (A [M, K], B [K, N]), int32 wrap-around."""
    return wrap32(a.astype(np.int64) @ b.astype(np.int64))


def add(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """int32 addition, elementwise or of a per-channel bias along dimension 1."""
    if nn.bias_axis(lhs.shape, rhs.shape) is not None:
        rhs = rhs.reshape([n if axis == 1 else 1 for axis, n in enumerate(lhs.shape)])
    return wrap32(lhs.astype(np.int64) + rhs)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0).astype(np.int32)


def shr(x: np.ndarray, amount: int) -> np.ndarray:
    """Arithmetic (sign-extending) shift right."""
    return (x >> amount).astype(np.int32)


def clip(x: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(x, low, high).astype(np.int32)


def cast(x: np.ndarray, mode: str) -> np.ndarray:
    """int32 to int8: ``wrap`` keeps the low 8 bits, ``saturate`` clamps to [-128, 127]."""
    if mode == "saturate":
        return np.clip(x, -128, 127).astype(np.int8)
    return x.astype(np.int8)  # integer narrowing keeps the low 8 bits


def max_pool2d(
    x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> np.ndarray:
    """Max over each window of NCHW ``x``; padded positions read the dtype's minimum."""
    low = np.iinfo(x.dtype).min
    n, c = x.shape[:2]
    out_hw = nn.window_output_shape(x.shape[2:], kernel, strides, padding)
    out = np.full((n, c, *out_hw), low, dtype=x.dtype)
    for _, _, window in _windows(_pad(x, padding, low), kernel, strides, out_hw):
        np.maximum(out, window, out=out)
    return out


def rescale(x: np.ndarray, multiplier: int, divisor: int) -> np.ndarray:
    """``x * multiplier / divisor`` rounded half to even, exactly (Python integers when int64
    could overflow), wrapped to int32."""
    if abs(multiplier) * 2**31 < 2**62 and divisor < 2**30:
        product = x.astype(np.int64) * multiplier
        quotient, remainder = np.divmod(product, divisor)  # floor division, remainder >= 0
    else:
        product = x.astype(object) * multiplier  # Python integers: no overflow
        quotient, remainder = product // divisor, product % divisor
    twice = 2 * remainder
    up = (twice > divisor) | ((twice == divisor) & (quotient % 2 == 1))
    return wrap32(((quotient + up) % 2**32).astype(np.int64))


def sum_pool2d(
    x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], padding: Sequence[int]
) -> np.ndarray:
    """Sum over each window of NCHW ``x`` (padding reads zero), int32 wrap-around."""
    n, c = x.shape[:2]
    out_hw = nn.window_output_shape(x.shape[2:], kernel, strides, padding)
    out = np.zeros((n, c, *out_hw), dtype=np.int64)
    for _, _, window in _windows(_pad(x.astype(np.int64), padding), kernel, strides, out_hw):
        out += window
    return wrap32(out)


_EVALUATORS: dict[type[Operation], Callable[..., np.ndarray]] = {
    nn.Conv2DOp: lambda op, x, w: conv2d(x, w, op.stride_values, op.padding_values),
    nn.DenseOp: lambda op, x, w: dense(x, w),
    nn.MatmulOp: lambda op, a, b: matmul(a, b),
    nn.AddOp: lambda op, a, b: add(a, b),
    nn.ReluOp: lambda op, x: relu(x),
    nn.ShrOp: lambda op, x: shr(x, op.shift),
    nn.ClipOp: lambda op, x: clip(x, *op.bounds),
    nn.CastOp: lambda op, x: cast(x, op.cast_mode),
    nn.MaxPool2DOp: lambda op, x: max_pool2d(
        x, op.kernel_values, op.stride_values, op.padding_values
    ),
    nn.ExtOp: lambda op, x: x.astype(np.int32),
    nn.RescaleOp: lambda op, x: rescale(x, *op.ratio),
    nn.SumPool2DOp: lambda op, x: sum_pool2d(
        x, op.kernel_values, op.stride_values, op.padding_values
    ),
    nn.ReshapeOp: lambda op, x: x.reshape(op.result.type.get_shape()),
}


def constant(op: arith.ConstantOp) -> np.ndarray:
    """The value of an ``arith.constant`` of an i8 or i32 tensor."""
    kind = op.result.type
    if not isinstance(kind, TensorType) or not isinstance(op.value, DenseIntOrFPElementsAttr):
        raise ReferenceError(f"the reference backend runs tensor constants, not {kind}")
    values = np.array(op.value.get_values(), dtype=np.int64)
    return values.reshape(tuple(kind.get_shape())).astype(dtype_of(kind))


def evaluate(op: Operation, args: Sequence[np.ndarray]) -> np.ndarray:
    """The result of one nn op (or tensor constant) on numpy operands."""
    if isinstance(op, arith.ConstantOp):
        return constant(op)
    evaluator = _EVALUATORS.get(type(op))
    if evaluator is None:
        raise ReferenceError(
            f"the reference backend cannot run {op.name} (only nn ops and tensor constants)"
        )
    return evaluator(op, *args)


def dtype_of(kind: TensorType) -> np.dtype:
    """The numpy dtype of an i8 or i32 tensor type."""
    element = kind.element_type
    if element == nn.I8:
        return np.dtype(np.int8)
    if element == nn.I32:
        return np.dtype(np.int32)
    raise ReferenceError(f"the reference backend runs i8 and i32 tensors, not {kind}")


def argument_names(function: func.FuncOp) -> list[str]:
    """The names inputs are given by: each argument's SSA name (``arg<i>`` when it has none).

    xDSL drops a ``_<digits>`` suffix from SSA names, so ``%x_1`` is named ``x``."""
    return [arg.name_hint or f"arg{i}" for i, arg in enumerate(_body(function).args)]


def _body(function: func.FuncOp) -> Block:
    """The body of ``function``; a :class:`ReferenceError` if it is a declaration."""
    if not function.body.blocks:
        raise ReferenceError(_declaration(function))
    return function.body.block


def _declaration(function: func.FuncOp) -> str:
    return (
        f"@{function.sym_name.data} is a declaration (no body): there is nothing to run or "
        "compile (is the file truncated?)"
    )


def _ordered(
    function: func.FuncOp, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray]
) -> list[np.ndarray]:
    """``inputs`` in argument order."""
    where = f"@{function.sym_name.data}"
    names = argument_names(function)
    if not isinstance(inputs, Mapping):
        if len(inputs) != len(names):
            raise ReferenceError(
                f"{where} takes {len(names)} inputs ({', '.join(names)}), got {len(inputs)}"
            )
        return list(inputs)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ReferenceError(
            f"{where}: several arguments are named {', '.join(duplicates)}; "
            "pass the inputs as a list in argument order"
        )
    missing = [n for n in names if n not in inputs]
    unknown = sorted(set(inputs) - set(names))
    if missing or unknown:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(unknown)}"] if unknown else []
        )
        raise ReferenceError(f"{where} takes {', '.join(names)}; {'; '.join(problems)}")
    return [inputs[n] for n in names]


def _checked(what: str, kind: object, array: object) -> np.ndarray:
    """``array`` as the numpy array the argument ``what`` of type ``kind`` expects."""
    if not isinstance(kind, TensorType):
        raise ReferenceError(f"{what}: the reference backend runs tensors, not {kind}")
    dtype = dtype_of(kind)
    values = np.asarray(array)
    shape = tuple(kind.get_shape())
    if values.shape != shape:
        raise ReferenceError(f"{what}: expected shape {shape}, got {values.shape}")
    if not np.issubdtype(values.dtype, np.integer):
        raise ReferenceError(f"{what}: expected integers ({dtype.name}), got dtype {values.dtype}")
    info = np.iinfo(dtype)
    if values.size and (values.min() < info.min or values.max() > info.max):
        raise ReferenceError(
            f"{what}: values in [{values.min()}, {values.max()}] do not fit "
            f"{dtype.name} [{info.min}, {info.max}]"
        )
    return values.astype(dtype)


def run_function(
    function: func.FuncOp, inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray]
) -> list[np.ndarray]:
    """Run ``function`` on ``inputs`` (in argument order, or by argument name, see
    :func:`argument_names`) and return its results as int8/int32 arrays."""
    where = f"@{function.sym_name.data}"
    block = _body(function)
    try:
        function.verify()
    except VerifyException as err:
        raise ReferenceError(f"{where} does not verify: {err}") from None
    values: dict[SSAValue, np.ndarray] = {}
    for name, arg, array in zip(
        argument_names(function), block.args, _ordered(function, inputs), strict=True
    ):
        values[arg] = _checked(f"{where}: argument {name}", arg.type, array)
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            return [values[v] for v in op.arguments]
        try:
            result = evaluate(op, [values[v] for v in op.operands])
        except ReferenceError as err:
            raise ReferenceError(f"{where}: {err}") from None
        values[op.results[0]] = result
    raise ReferenceError(f"{where} has no func.return")


def find_function(module: ModuleOp, name: str | None = None) -> func.FuncOp:
    """The function called ``name`` (or the only function) of ``module``. Declarations
    (functions without a body) are never chosen: naming one, or a module whose only functions
    are declarations, is a :class:`ReferenceError`."""
    functions = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if name is not None:
        named = [f for f in functions if f.sym_name.data == name]
        if len(named) != 1:
            have = ", ".join(f"@{f.sym_name.data}" for f in functions) or "none"
            raise ReferenceError(f"no function @{name} in the module (functions: {have})")
        _body(named[0])
        return named[0]
    if len(functions) != 1:
        have = ", ".join(f"@{f.sym_name.data}" for f in functions)
        raise ReferenceError(
            f"the module has {len(functions)} functions ({have or 'none'}): name the one to run"
        )
    _body(functions[0])
    return functions[0]


def run_module(
    module: ModuleOp,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    name: str | None = None,
) -> list[np.ndarray]:
    """Run the function ``name`` (or the only one) of ``module``."""
    return run_function(find_function(module, name), inputs)
