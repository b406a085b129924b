"""The Python API: the Function builder, parsing and printing, pipelines, and the errors every
misuse raises (ValueError subclasses with the location, never an xDSL BaseException)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

import vtac
from vtac.backends.reference import ReferenceError

ROOT = Path(__file__).resolve().parents[1]


def dense_relu() -> vtac.Function:
    f = vtac.Function("dense_relu")
    x = f.input("x", (16, 64), "i8")
    w = f.input("w", (32, 64), "i8")
    y = f.dense(x, w, name="acc")
    y = f.shr(y, 8)
    y = f.clip(y, 0, 127)
    y = f.cast(y, "i8", name="y")
    f.output(y)
    return f


def test_builder_makes_a_verified_module_that_prints_and_runs() -> None:
    f = dense_relu()
    x, w = f.inputs
    assert (x.shape, x.dtype, x.name) == ((16, 64), "i8", "x")
    (y,) = f.outputs
    assert (y.shape, y.dtype) == ((16, 32), "i8")
    assert repr(y) == "Tensor(%y: tensor<16x32xi8> in @dense_relu)"
    module = f.module()
    assert isinstance(module, ModuleOp)
    text = vtac.print_ir(module)
    assert text.startswith("builtin.module {\n  func.func @dense_relu(%x: tensor<16x64xi8>, %w:")
    assert "%acc = nn.dense %x, %w : (tensor<16x64xi8>, tensor<32x64xi8>) -> tensor<16x32xi32>" in (
        text
    )
    assert '%y = nn.cast %1 {mode = "wrap"}' in text
    rng = np.random.default_rng(1)
    xa = rng.integers(-128, 128, (16, 64), dtype=np.int8)
    wa = rng.integers(-128, 128, (32, 64), dtype=np.int8)
    want = np.clip((xa.astype(np.int64) @ wa.astype(np.int64).T) >> 8, 0, 127).astype(np.int8)
    for program in (module, vtac.parse_ir(text), module.body.block.first_op):
        (out,) = vtac.reference_run(program, {"x": xa, "w": wa})  # type: ignore[arg-type]
        np.testing.assert_array_equal(out, want)


def test_module_ends_building_and_returns_fresh_copies() -> None:
    f = dense_relu()
    first, second = f.module(), f.module()
    assert first is not second and first.is_structurally_equivalent(second)
    first.body.block.first_op.detach()  # type: ignore[union-attr]
    assert len(list(f.module().body.block.ops)) == 1
    with pytest.raises(vtac.IRError, match="@dense_relu is already built: module"):
        f.relu(f.outputs[0])
    with pytest.raises(vtac.IRError, match="already built"):
        f.input("z", (1,), "i32")


def test_conv_and_pool_arguments_have_short_forms() -> None:
    f = vtac.Function("c")
    x = f.input("x", (1, 3, 9, 9), "i8")
    w = f.input("w", (4, 3, 3, 3), "i8")
    assert f.conv2d(x, w).shape == (1, 4, 7, 7)
    assert f.conv2d(x, w, 2, 1).shape == (1, 4, 5, 5)
    assert f.conv2d(x, w, (1, 2), (1, 0)).shape == (1, 4, 9, 4)  # padding (vertical, horizontal)
    assert f.conv2d(x, w, 1, (2, 0, 0, 2)).shape == (1, 4, 9, 9)  # [top, left, bottom, right]
    y = f.cast(f.relu(f.conv2d(x, w, padding=1)), mode="saturate")
    assert f.max_pool2d(y, 3).shape == (1, 4, 3, 3)  # strides default to the kernel
    assert f.max_pool2d(y, (2, 3), 1, 1).shape == (1, 4, 10, 9)
    with pytest.raises(vtac.IRError, match=r"strides must be an int or 2 values, got \[1, 1, 1\]"):
        f.conv2d(x, w, (1, 1, 1))
    with pytest.raises(vtac.IRError, match="padding must be an int, .vertical, horizontal. or"):
        f.conv2d(x, w, 1, (1, 1, 1))


def test_builder_errors_name_the_function_and_op() -> None:
    f = vtac.Function("e")
    x = f.input("x", (2, 3), "i8")
    w = f.input("w", (4, 5), "i8")
    acc = f.input("acc", (2, 4), "i32")
    cases = [
        (lambda: f.dense(x, w), r"@e: nn.dense: data has K = 3 \(dimension 1\) but weights"),
        (lambda: f.conv2d(x, w), r"@e: nn.conv2d: data must have rank 4 \(NCHW\)"),
        (lambda: f.shr(acc, 40), r"@e: nn.shr: shift amount must be in \[0, 31\], got 40"),
        (lambda: f.shr(acc, 2**70), "@e: nn.shr: .*out of range"),
        (lambda: f.clip(acc, 9, 1), "@e: nn.clip: clip min 9 is greater than max 1"),
        (lambda: f.cast(acc, mode="round"), "@e: nn.cast: cast mode must be one of wrap, sat"),
        (lambda: f.cast(acc, "i16"), "@e: nn.cast converts i32 to i8, not to 'i16'"),
        (lambda: f.add(x, acc), "@e: nn.add: lhs must have element type i32, got i8"),
        (lambda: f.relu(x), "@e: nn.relu: input must have element type i32, got i8"),
        (lambda: f.max_pool2d(x, 2), r"@e: nn.max_pool2d: input must have rank 4 \(NCHW\)"),
        (lambda: f.input("bad", (2, 3), "f32"), "dtype must be one of i8, i32, got 'f32'"),
        (lambda: f.input("bad", (2, 0), "i8"), r"input bad: shape must be positive ints"),
        (lambda: f.input("x", (2,), "i8"), "@e: the name 'x' is already used"),
        (lambda: f.input("x_1", (2,), "i8"), "'x_1' is not a usable value name"),
        (lambda: f.input("9a", (2,), "i8"), "'9a' is not a usable value name"),
        (lambda: f.relu(acc, name="acc"), "the name 'acc' is already used"),
        (lambda: f.relu(np.zeros(2)), "@e: expected a Tensor, got ndarray"),  # type: ignore[arg-type]
        (lambda: f.output(acc, 3), "@e: expected a Tensor, got int"),  # type: ignore[arg-type]
        (lambda: vtac.Function(""), "a function needs a name"),
        # arguments of the wrong kind: IRError naming the argument, never another exception
        (lambda: f.shr(acc, "8"), "@e: nn.shr: amount must be an integer, got '8'"),
        (lambda: f.shr(acc, True), "@e: nn.shr: amount must be an integer, got True"),
        (lambda: f.clip(acc, 1.5, 3), "@e: nn.clip: min must be an integer, got 1.5"),
        (lambda: f.clip(acc, 0, None), "@e: nn.clip: max must be an integer, got None"),
        (lambda: f.conv2d(x, w, strides="ab"), "@e: nn.conv2d: strides must be an int or 2 va"),
        (lambda: f.conv2d(x, w, (1.0, 1)), r"strides must be an int or 2 values, got \(1.0, 1\)"),
        (lambda: f.conv2d(x, w, 1, None), "@e: nn.conv2d: padding must be an int, .vertical"),
        (lambda: f.max_pool2d(x, [2, "2"]), "@e: nn.max_pool2d: kernel must be an int or 2 va"),
        (lambda: f.cast(acc, mode=None), "@e: nn.cast: cast mode must be one of wrap, saturate"),
        (lambda: f.input("s", 5, "i8"), "input s: shape must be positive ints, got 5"),
        (lambda: f.input("s", "ab", "i8"), "input s: shape must be positive ints, got 'ab'"),
        (lambda: f.input("s", (2,), ["i8"]), r"dtype must be one of i8, i32, got \['i8'\]"),
        (lambda: f.input(3, (2,), "i8"), "@e: 3 is not a usable value name"),
        (lambda: f.relu(acc, name=b"r"), "@e: b'r' is not a usable value name"),
        (lambda: vtac.Function(None), "a function needs a name .a non-empty string., got None"),  # type: ignore[arg-type]
    ]
    for call, message in cases:
        with pytest.raises(vtac.IRError, match=message):
            call()
    assert [t.name for t in f.inputs] == ["x", "w", "acc"]  # refused inputs left no trace
    # numpy integers are integers
    assert f.shr(acc, np.int64(3)).shape == (2, 4)
    assert f.clip(acc, np.int32(-1), np.int8(5)).shape == (2, 4)
    other = vtac.Function("o")
    with pytest.raises(vtac.IRError, match=r"@o: Tensor\(%acc: tensor<2x4xi32> in @e\) belongs"):
        other.relu(acc)
    with pytest.raises(vtac.IRError, match="@o has no outputs: call output"):
        other.module()
    f.output(f.relu(acc))
    assert len(list(f.module().body.block.first_op.body.block.args)) == 3  # type: ignore[union-attr]


def test_parse_errors_carry_the_location() -> None:
    with pytest.raises(vtac.IRError, match="<string>:1:") as info:
        vtac.parse_ir("func.func @f(%x: tensor<2xi8>")
    assert info.value.location is not None and info.value.location.line == 1
    with pytest.raises(
        vtac.IRError, match="<string>:2:18: error: Operation nn.conv3d is not registered"
    ):
        vtac.parse_ir("func.func @f() {\n  %y = nn.conv3d : () -> ()\n  func.return\n}")
    # the first token is read when the parser is made: its errors are located too
    with pytest.raises(vtac.IRError) as info:
        vtac.parse_ir('"abc', "first.mlir")
    assert str(info.value) == 'first.mlir:1:1: error: unterminated string literal\n"abc\n^'
    with pytest.raises(vtac.IRError, match=r"<string>:1:1: error: invalid escape in string"):
        vtac.parse_ir('"\\q" @f() {\n}')


def test_verifier_errors_carry_the_failing_ops_location() -> None:
    """Any dialect's verifier error reads FILE:LINE:COL: error: OP: MESSAGE, then the op's
    source line and a caret under its start."""
    text = (
        "func.func @f(%x: tensor<2x3xi8>, %w: tensor<4x5xi8>) -> tensor<2x4xi32> {\n"
        "  %y = nn.dense %x, %w : (tensor<2x3xi8>, tensor<4x5xi8>) -> tensor<2x4xi32>\n"
        "  func.return %y : tensor<2x4xi32>\n}"
    )
    with pytest.raises(vtac.IRError) as info:
        vtac.parse_ir(text, "model.mlir")
    assert str(info.value).splitlines() == [
        "model.mlir:2:3: error: nn.dense: data has K = 3 (dimension 1) but weights have K = 5 "
        "(dimension 1)",
        "  %y = nn.dense %x, %w : (tensor<2x3xi8>, tensor<4x5xi8>) -> tensor<2x4xi32>",
        "  ^",
    ]
    assert tuple(info.value.location) == ("model.mlir", 2, 3)  # type: ignore[arg-type]
    with pytest.raises(vtac.IRError, match="(?s)<string>:2:3: error: nn.cast: cast mode must be"):
        vtac.parse_ir(
            "func.func @f(%x: tensor<2xi32>) {\n"
            "  %y = nn.cast %x {mode = 3} : (tensor<2xi32>) -> tensor<2xi8>\n  func.return\n}"
        )
    # func.return's types: outside nn, located all the same
    with pytest.raises(vtac.IRError) as info:
        vtac.parse_ir(
            "func.func @f(%x: tensor<2xi32>) -> tensor<2xi8> {\n  func.return %x : tensor<2xi32>\n}"
        )
    assert str(info.value).startswith(
        "<string>:2:3: error: func.return: Expected arguments to have the same types as the "
        "function output types"
    )
    # a vta op verifies against its module's configuration, known once the module is parsed
    vta = (
        "builtin.module attributes {vta.config = {LOG_INP_BUFF_SIZE = 13 : i64}} {\n"
        '  vta.buffer @x {role = "input", size = 256}\n'
        "  vta.program @p {\n"
        "    vta.load inp @x[0] {sram_base = 1000, y_size = 1, x_size = 1, x_stride = 1}\n"
        "  }\n}"
    )
    with pytest.raises(vtac.IRError, match="<string>:4:5: error: vta.load: SRAM entries"):
        vtac.parse_ir(vta)
    assert vtac.parse_ir(vta.replace("13", "15"))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mangled_text_parses_or_raises_ir_error(data: st.DataObject) -> None:
    """Deleting, duplicating or replacing a piece of a valid program never escapes as another
    exception type."""
    text = (ROOT / "examples" / "conv2d.mlir").read_text()
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start, min(len(text), start + 12)))
    piece = data.draw(st.sampled_from(["", text[start:end] * 2, "0", "-1", "?", "x", "]", "i32"]))
    with contextlib.suppress(vtac.IRError):
        vtac.parse_ir(text[:start] + piece + text[end:])


def test_read_ir_names_the_file(tmp_path: Path) -> None:
    module = vtac.read_ir(ROOT / "examples" / "matmul.mlir")
    assert "nn.matmul" in vtac.print_ir(module)
    broken = tmp_path / "broken.mlir"
    broken.write_text("func.func @f(\n")
    with pytest.raises(vtac.IRError, match="broken.mlir:2"):
        vtac.read_ir(broken)
    with pytest.raises(vtac.IRError, match="cannot read .*missing.mlir: No such file"):
        vtac.read_ir(tmp_path / "missing.mlir")
    binary = tmp_path / "binary.mlir"
    binary.write_bytes(b"func.func @f() {\n\xff\xfe}")
    with pytest.raises(vtac.IRError, match=r"binary.mlir:2:1: error: not UTF-8 text \(byte 0xff\)"):
        vtac.read_ir(binary)


def test_print_ir_generic_and_custom_agree() -> None:
    module = dense_relu().module()
    generic = vtac.print_ir(module, generic=True)
    assert '"nn.dense"(%x, %w)' in generic and generic.endswith("\n")
    assert vtac.print_ir(vtac.parse_ir(generic)) == vtac.print_ir(module)


def test_run_pipeline_returns_a_new_module() -> None:
    module = dense_relu().module()
    before = vtac.print_ir(module)
    lowered = vtac.run_pipeline(module, "vtac-isel{embedding=fixed},canonicalize")
    assert vtac.print_ir(module) == before  # the input is unchanged
    assert "vtac.embedding" in vtac.print_ir(lowered)
    assert vtac.print_ir(vtac.run_pipeline(module, "")) == before


def test_run_pipeline_errors_are_pipeline_errors() -> None:
    module = dense_relu().module()
    cases = [
        ("no-such-pass", r"pipeline 'no-such-pass': Unrecognized passes: \['no-such-pass'\]"),
        ("vtac-isel{", r"(?s)pipeline 'vtac-isel\{': .*Expected argument name"),
        ("vtac-isel{bogus=1}", r"pipeline 'vtac-isel\{bogus=1\}': .*bogus"),
        ("vtac-isel{embedding=nope}", "vtac-isel: embedding must be"),
    ]
    for pipeline, message in cases:
        with pytest.raises(vtac.PipelineError, match=message):
            vtac.run_pipeline(module, pipeline)
    f = vtac.Function("wide")
    x = f.input("x", (1, 16), "i8")
    f.output(f.clip(f.dense(x, f.input("w", (16, 16), "i8")), 0, 100000))
    with pytest.raises(vtac.PipelineError, match="vtac-isel: nn.clip: clip maximum 100000"):
        vtac.run_pipeline(f.module(), "vtac-isel")


def test_reference_run_checks_inputs() -> None:
    module = dense_relu().module()
    with pytest.raises(ReferenceError, match="@dense_relu takes x, w; missing w"):
        vtac.reference_run(module, {"x": np.zeros((16, 64), np.int8)})
    function = module.body.block.first_op
    assert isinstance(function, func.FuncOp)
    with pytest.raises(
        ReferenceError, match=r"@dense_relu: argument w: expected shape \(32, 64\), got \(64, 32\)"
    ):
        vtac.reference_run(function, [np.zeros((16, 64), np.int8), np.zeros((64, 32), np.int8)])


def test_errors_are_value_errors() -> None:
    for error in (vtac.IRError, vtac.PipelineError, ReferenceError):
        assert issubclass(error, ValueError)
