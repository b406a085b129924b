"""vtac's Python API: build nn functions, parse and print IR, run pipelines and the reference.

import vtac
f = vtac.Function("dense_relu")
x = f.input("x", (16, 64), "i8")
w = f.input("w", (32, 64), "i8")
y = f.cast(f.clip(f.shr(f.dense(x, w), 8), 0, 127), "i8")
f.output(y)
module = f.module()
print(vtac.print_ir(module))
outputs = vtac.reference_run(module, {"x": xs, "w": ws})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import StringIO

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.memref import MemRef
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.passes import PassPipeline
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError, VerifyException

from vtac.backends.reference import run_module
from vtac.dialects import nn


class IRError(ValueError):
    """Text that does not parse or verify, with the location and the problem."""


def context() -> Context:
    """A context with the dialects vtac programs use."""
    from vtac.opt import vtac_dialects

    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, scf.Scf, MemRef):
        ctx.load_dialect(dialect)
    for name, factory in vtac_dialects().items():
        ctx.register_dialect(name, factory)  # type: ignore[arg-type]
    return ctx


def parse_ir(text: str, name: str = "<string>") -> ModuleOp:
    """Parse and verify textual IR; raises :class:`IRError` with the location on failure."""
    parser = Parser(context(), text, name)
    try:
        try:
            module = parser.parse_module()
        except (VerifyException, ValueError) as err:  # building an attribute while parsing
            parser.raise_error(str(err))
        module.verify()
    except ParseError as err:
        raise IRError(str(err)) from None
    except VerifyException as err:
        notes = "\n".join(getattr(err, "__notes__", []))
        raise IRError(f"{err}\n{notes}".strip()) from None
    except BaseException as err:  # xDSL's ArgSpecParseError derives from BaseException
        if isinstance(err, KeyboardInterrupt | SystemExit):
            raise
        raise IRError(f"{name}: {err}") from None
    return module


def print_ir(module: Operation, generic: bool = False) -> str:
    """The textual IR of ``module`` (custom syntax unless ``generic``)."""
    stream = StringIO()
    Printer(stream=stream, print_generic_format=generic).print_op(module)
    return stream.getvalue() + "\n"


def run_pipeline(module: ModuleOp, pipeline: str) -> ModuleOp:
    """Apply a pass pipeline given as a string in ``vtac-opt -p`` syntax (in place; returned)."""
    from xdsl.transforms import get_all_passes as xdsl_passes

    from vtac.passes.registry import get_all_passes

    available = {**xdsl_passes(), **get_all_passes()}
    passes = PassPipeline.parse_spec(available, pipeline)
    passes.apply(context(), module)
    return module


def reference_run(
    module: ModuleOp,
    inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    name: str | None = None,
) -> list[np.ndarray]:
    """Run a function of ``module`` on the numpy reference backend."""
    return run_module(module, inputs, name)


_TYPES = {"i8": nn.I8, "i32": nn.I32}


class Function:
    """Builds one nn function: inputs, ops, outputs; ``module()`` gives the IR."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.outputs: list[SSAValue] = []
        self._block = Block()

    def input(self, name: str, shape: Sequence[int], dtype: str = "i8") -> SSAValue:
        if dtype not in _TYPES:
            raise ValueError(f"dtype must be one of {list(_TYPES)}, got {dtype!r}")
        arg = self._block.insert_arg(nn.tensor(shape, _TYPES[dtype]), len(self._block.args))
        arg.name_hint = name
        return arg

    def _add(self, op: Operation) -> SSAValue:
        op.verify()
        self._block.add_op(op)
        return op.results[0]

    def conv2d(
        self,
        x: SSAValue,
        w: SSAValue,
        strides: Sequence[int] = (1, 1),
        padding: Sequence[int] = (0, 0, 0, 0),
    ) -> SSAValue:
        return self._add(nn.Conv2DOp(x, w, strides, padding))

    def dense(self, x: SSAValue, w: SSAValue) -> SSAValue:
        return self._add(nn.DenseOp(x, w))

    def matmul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._add(nn.MatmulOp(a, b))

    def add(self, x: SSAValue, bias: SSAValue) -> SSAValue:
        return self._add(nn.AddOp(x, bias))

    def relu(self, x: SSAValue) -> SSAValue:
        return self._add(nn.ReluOp(x))

    def shr(self, x: SSAValue, amount: int) -> SSAValue:
        return self._add(nn.ShrOp(x, amount))

    def clip(self, x: SSAValue, low: int, high: int) -> SSAValue:
        return self._add(nn.ClipOp(x, low, high))

    def cast(self, x: SSAValue, dtype: str = "i8", mode: str = "wrap") -> SSAValue:
        if dtype != "i8":
            raise ValueError("nn.cast converts i32 to i8")
        return self._add(nn.CastOp(x, mode))

    def max_pool2d(
        self,
        x: SSAValue,
        kernel: Sequence[int],
        strides: Sequence[int],
        padding: Sequence[int] = (0, 0, 0, 0),
    ) -> SSAValue:
        return self._add(nn.MaxPool2DOp(x, kernel, strides, padding))

    def output(self, *values: SSAValue) -> None:
        self.outputs.extend(values)

    def module(self) -> ModuleOp:
        """A module holding the function (the builder can be used once)."""
        if not self.outputs:
            raise ValueError(f"@{self.name} has no outputs: call output() first")
        self._block.add_op(func.ReturnOp(*self.outputs))
        arg_types = [arg.type for arg in self._block.args]
        result_types = [v.type for v in self.outputs]
        function = func.FuncOp(self.name, (arg_types, result_types), Region(self._block))
        module = ModuleOp([function])
        module.verify()
        return module
