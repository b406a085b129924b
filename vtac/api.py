"""vtac's Python API: build nn functions, parse and print IR, run pipelines and the reference.

    import vtac
    f = vtac.Function("dense_relu")
    x = f.input("x", (16, 64), "i8")
    w = f.input("w", (32, 64), "i8")
    y = f.cast(f.clip(f.shr(f.dense(x, w), 8), 0, 127), "i8")
    f.output(y)
    module = f.module()
    print(vtac.print_ir(module))
    (out,) = vtac.reference_run(module, {"x": xs, "w": ws})
    lowered = vtac.run_pipeline(module, "vtac-isel")

Every user error raises an exception deriving from ``ValueError``: :class:`IRError` for IR
that does not parse or verify (with the file, line and column when there is text), or that
the builder refuses; :class:`PipelineError` for a pipeline that does not parse or a pass that
fails; :class:`vtac.backends.reference.ReferenceError` for inputs that do not fit a function.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from io import StringIO
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, scf
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.dialects.memref import MemRef
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass, PassPipeline
from xdsl.printer import Printer
from xdsl.utils.exceptions import (
    ArgSpecParseError,
    DiagnosticException,
    ParseError,
    VerifyException,
)
from xdsl.utils.lexer import Location

from vtac.backends.reference import run_function, run_module
from vtac.dialects import nn
from vtac.errors import InvalidInputError
from vtac.parsing import SourceParseError, SourceVerifyException, parse_source


class IRError(InvalidInputError, ValueError):
    """IR that does not parse or verify, or that the builder refuses. Errors in text carry
    their ``location`` (file, line, column) and read ``FILE:LINE:COL: error: ...`` followed by
    the source line."""

    what = "IR"

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message, where=None if location is None else str(location))
        self.location = location


class PipelineError(InvalidInputError, ValueError):
    """A pass pipeline that does not parse, or a pass that fails (named in the message)."""

    what = "pass pipeline"


def context() -> Context:
    """A context with the dialects vtac programs use (builtin, func, arith, scf, memref and
    vtac's nn, tile and vta)."""
    from vtac.opt import vtac_dialects

    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, scf.Scf, MemRef):
        ctx.load_dialect(dialect)
    for name, factory in vtac_dialects().items():
        ctx.register_dialect(name, factory)
    return ctx


def _excerpt(err: BaseException, context: int = 2) -> str:
    """The lines around the op xDSL marks in the IR dump it attaches to a verifier error."""
    lines = "\n".join(getattr(err, "__notes__", [])).splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() and set(line.strip()) <= {"^", "-"}]
    if not marks:
        return "\n".join(lines)
    first, last = marks[0], marks[-1]
    while last + 1 < len(lines) and lines[last + 1].lstrip().startswith(("|", "-")):
        last += 1
    return "\n".join(lines[max(first - 1 - context, 0) : last + 1 + context])


def _parse(source: str | bytes, name: str) -> ModuleOp:
    try:
        return parse_source(context(), source, name)
    except (SourceParseError, SourceVerifyException) as err:
        raise IRError(str(err), err.location) from None


def parse_ir(text: str, name: str = "<string>") -> ModuleOp:
    """Parse and verify textual IR (custom or generic syntax); ``name`` is the file name errors
    report. Raises :class:`IRError` with the location on failure."""
    return _parse(text, name)


def read_ir(path: str | os.PathLike[str]) -> ModuleOp:
    """Parse and verify the IR in the file ``path`` (errors name the file)."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise IRError(f"cannot read {path}: {err.strerror}") from None
    return _parse(data, str(path))


def print_ir(op: Operation, generic: bool = False) -> str:
    """The textual IR of ``op`` (custom syntax unless ``generic``), ending with a newline."""
    stream = StringIO()
    Printer(stream=stream, print_generic_format=generic).print_op(op)
    return stream.getvalue() + "\n"


#: The xDSL passes that make sense on vtac's IR (beside vtac's own), with what they do.
XDSL_PASSES = {
    "canonicalize": "Canonicalization patterns (folds and simplifications).",
    "cse": "Common subexpression elimination.",
    "dce": "Dead code elimination.",
}


def available_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory: vtac's passes, then the xDSL passes of :data:`XDSL_PASSES`."""
    from xdsl.transforms import get_all_passes as xdsl_passes

    from vtac.passes.registry import get_all_passes

    xdsl = xdsl_passes()
    return {**get_all_passes(), **{name: xdsl[name] for name in XDSL_PASSES}}


def run_pipeline(module: ModuleOp, pipeline: str) -> ModuleOp:
    """Apply a pass pipeline in ``vtac-opt -p`` syntax (``"vtac-isel{embedding=fixed},cse"``)
    to a copy of ``module`` and return the copy, verified after every pass."""
    try:
        passes = PassPipeline.parse_spec(available_passes(), pipeline).passes
    except (ArgSpecParseError, ParseError, ValueError) as err:  # ArgSpecParseError: BaseException
        raise PipelineError(f"pipeline {pipeline!r}: {err}") from None
    result = module.clone()
    ctx = context()
    for step in passes:
        try:
            step.apply(ctx, result)
        except (DiagnosticException, ValueError) as err:
            raise PipelineError(f"{step.name}: {err}\n{_excerpt(err)}".strip()) from None
        try:
            result.verify()
        except VerifyException as err:
            raise PipelineError(
                f"the IR after {step.name} does not verify: {err}\n{_excerpt(err)}".strip()
            ) from None
    return result


def reference_run(
    program: ModuleOp | func.FuncOp,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    name: str | None = None,
) -> list[np.ndarray]:
    """Run a function (``program`` itself, or the one called ``name``, or the only one, of a
    module) on the numpy reference backend; ``inputs`` in argument order or by name."""
    if isinstance(program, func.FuncOp):
        return run_function(program, inputs)
    return run_module(program, inputs, name)


# --- the builder --------------------------------------------------------------------------------

_DTYPES = {"i8": nn.I8, "i32": nn.I32}
_NAME = re.compile(r"[A-Za-z_$.-][\w$.-]*")
_NUMBERED = re.compile(r"_\d+$")  # xDSL drops such suffixes from SSA names


class Tensor:
    """A value of a :class:`Function` under construction (an input or an op's result)."""

    def __init__(self, function: Function, value: SSAValue) -> None:
        self.function = function
        self.value = value

    @property
    def type(self) -> TensorType:
        return self.value.type  # type: ignore[return-value]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.type.get_shape())

    @property
    def dtype(self) -> str:
        """``"i8"`` or ``"i32"``."""
        return str(self.type.element_type)

    @property
    def name(self) -> str | None:
        return self.value.name_hint

    def __repr__(self) -> str:
        return f"Tensor(%{self.name or '?'}: {self.type} in @{self.function.name})"


def _is_int(value: object) -> bool:
    """A Python or numpy integer (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _integer(value: object, what: str) -> int:
    if not _is_int(value):
        raise IRError(f"{what} must be an integer, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def _int_list(value: object, what: str, forms: str) -> int | tuple[int, ...]:
    """An integer, or the integers of ``value`` (a list, tuple or other non-string iterable);
    ``forms`` says what ``what`` may be."""
    if _is_int(value):
        return int(value)  # type: ignore[call-overload]
    items = (
        () if isinstance(value, str | bytes) or not isinstance(value, Iterable) else tuple(value)
    )
    if not items or not all(_is_int(v) for v in items):
        raise IRError(f"{what} must be {forms}, got {value!r}")
    return tuple(int(v) for v in items)


def _pair(value: object, what: str) -> tuple[int, int]:
    """``n`` -> (n, n); a pair stays as it is."""
    values = _int_list(value, what, "an int or 2 values")
    if isinstance(values, int):
        return values, values
    if len(values) != 2:
        raise IRError(f"{what} must be an int or 2 values, got {list(values)}")
    return values  # type: ignore[return-value]


def _padding(value: object, what: str) -> tuple[int, int, int, int]:
    """``p`` -> all sides; (ph, pw) -> (ph, pw, ph, pw); [top, left, bottom, right] as is."""
    forms = "an int, (vertical, horizontal) or [top, left, bottom, right]"
    values = _int_list(value, what, forms)
    if isinstance(values, int):
        return values, values, values, values
    if len(values) == 2:
        return values[0], values[1], values[0], values[1]
    if len(values) != 4:
        raise IRError(f"{what} must be {forms}, got {list(values)}")
    return values  # type: ignore[return-value]


class Function:
    """Builds one nn function: declare inputs, apply ops, mark outputs, then :meth:`module`.

    Every op method takes :class:`Tensor` values of this function, checks the op (raising
    :class:`IRError` with the verifier's message) and returns its result; the optional
    ``name`` keyword names the result in the printed IR.
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise IRError(f"a function needs a name (a non-empty string), got {name!r}")
        self.name = name
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self._block = Block()
        self._names: set[str] = set()
        self._module: ModuleOp | None = None

    def _where(self, op_type: type[Operation]) -> str:
        """The prefix of an error about an ``op_type`` op of this function."""
        return f"@{self.name}: {op_type.name}"

    def _check_open(self) -> None:
        if self._module is not None:
            raise IRError(f"@{self.name} is already built: module() was called")

    def _name(self, value: SSAValue, name: str | None) -> None:
        if name is None:
            return
        if not isinstance(name, str) or not _NAME.fullmatch(name) or _NUMBERED.search(name):
            raise IRError(
                f"@{self.name}: {name!r} is not a usable value name (letters, digits, _ $ . -, "
                "not starting with a digit nor ending in _<digits>)"
            )
        if name in self._names:
            raise IRError(f"@{self.name}: the name {name!r} is already used")
        self._names.add(name)
        value.name_hint = name

    def _own(self, *values: Tensor) -> list[SSAValue]:
        for value in values:
            if not isinstance(value, Tensor):
                raise IRError(f"@{self.name}: expected a Tensor, got {type(value).__name__}")
            if value.function is not self:
                raise IRError(f"@{self.name}: {value!r} belongs to another function")
        return [value.value for value in values]

    def input(self, name: str, shape: Sequence[int], dtype: str = "i8") -> Tensor:
        """A new argument ``%name`` of type ``tensor<shape x dtype>`` (dtype i8 or i32)."""
        self._check_open()
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            raise IRError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        dims = _int_list(shape, f"input {name}: shape", "positive ints")
        if isinstance(dims, int) or min(dims) < 1:
            raise IRError(f"input {name}: shape must be positive ints, got {shape!r}")
        arg = self._block.insert_arg(nn.tensor(dims, _DTYPES[dtype]), len(self._block.args))
        try:
            self._name(arg, name)
        except IRError:
            self._block.erase_arg(arg)
            raise
        tensor = Tensor(self, arg)
        self.inputs.append(tensor)
        return tensor

    def _add(
        self,
        op_type: type[Operation],
        operands: Sequence[Tensor],
        *args: object,
        name: str | None,
    ) -> Tensor:
        self._check_open()
        values = self._own(*operands)
        try:
            op = op_type(*values, *args)
            op.verify()
        except (VerifyException, ValueError, OverflowError) as err:
            raise IRError(f"{self._where(op_type)}: {err}") from None
        self._name(op.results[0], name)
        self._block.add_op(op)
        return Tensor(self, op.results[0])

    def conv2d(
        self,
        data: Tensor,
        weights: Tensor,
        strides: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        *,
        name: str | None = None,
    ) -> Tensor:
        """NCHW i8 data by OIHW i8 weights; ``padding`` is one int, (vertical, horizontal) or
        [top, left, bottom, right]."""
        where = self._where(nn.Conv2DOp)
        return self._add(
            nn.Conv2DOp,
            [data, weights],
            _pair(strides, f"{where}: strides"),
            _padding(padding, f"{where}: padding"),
            name=name,
        )

    def dense(self, data: Tensor, weights: Tensor, *, name: str | None = None) -> Tensor:
        """``data weights^T``: [N, K] x [M, K] -> [N, M] i32."""
        return self._add(nn.DenseOp, [data, weights], name=name)

    def matmul(self, lhs: Tensor, rhs: Tensor, *, name: str | None = None) -> Tensor:
        """``lhs rhs``: [M, K] x [K, N] -> [M, N] i32."""
        return self._add(nn.MatmulOp, [lhs, rhs], name=name)

    def add(self, lhs: Tensor, rhs: Tensor, *, name: str | None = None) -> Tensor:
        """i32 addition, elementwise or of a per-channel bias along dimension 1."""
        return self._add(nn.AddOp, [lhs, rhs], name=name)

    def relu(self, x: Tensor, *, name: str | None = None) -> Tensor:
        return self._add(nn.ReluOp, [x], name=name)

    def shr(self, x: Tensor, amount: int, *, name: str | None = None) -> Tensor:
        """Arithmetic shift right by ``amount`` in [0, 31]."""
        amount = _integer(amount, f"{self._where(nn.ShrOp)}: amount")
        return self._add(nn.ShrOp, [x], amount, name=name)

    def clip(self, x: Tensor, low: int, high: int, *, name: str | None = None) -> Tensor:
        """Clamp to [``low``, ``high``]."""
        where = self._where(nn.ClipOp)
        low, high = _integer(low, f"{where}: min"), _integer(high, f"{where}: max")
        return self._add(nn.ClipOp, [x], low, high, name=name)

    def cast(
        self, x: Tensor, dtype: str = "i8", mode: str = "wrap", *, name: str | None = None
    ) -> Tensor:
        """i32 to i8; ``mode`` ``"wrap"`` keeps the low 8 bits, ``"saturate"`` clamps."""
        if dtype != "i8":
            raise IRError(f"@{self.name}: nn.cast converts i32 to i8, not to {dtype!r}")
        if mode not in nn.CAST_MODES:
            raise IRError(
                f"{self._where(nn.CastOp)}: cast mode must be one of {', '.join(nn.CAST_MODES)}, "
                f"got {mode!r}"
            )
        return self._add(nn.CastOp, [x], mode, name=name)

    def max_pool2d(
        self,
        x: Tensor,
        kernel: int | Sequence[int],
        strides: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        *,
        name: str | None = None,
    ) -> Tensor:
        """Max pooling of NCHW i8 or i32; ``strides`` default to the kernel."""
        where = self._where(nn.MaxPool2DOp)
        window = _pair(kernel, f"{where}: kernel")
        step = window if strides is None else _pair(strides, f"{where}: strides")
        pads = _padding(padding, f"{where}: padding")
        return self._add(nn.MaxPool2DOp, [x], window, step, pads, name=name)

    def output(self, *values: Tensor) -> None:
        """Mark ``values`` as results of the function (in order)."""
        self._check_open()
        self._own(*values)
        self.outputs.extend(values)

    def module(self) -> ModuleOp:
        """A ``builtin.module`` holding the function. The first call ends the building; every
        call returns a fresh copy."""
        if self._module is None:
            if not self.outputs:
                raise IRError(f"@{self.name} has no outputs: call output() first")
            self._block.add_op(func.ReturnOp(*(v.value for v in self.outputs)))
            arg_types = [arg.type for arg in self._block.args]
            result_types = [v.type for v in self.outputs]
            function = func.FuncOp(self.name, (arg_types, result_types), Region(self._block))
            self._module = ModuleOp([function])
            self._module.verify()
        return self._module.clone()
