"""One value feeding several operands: the same weights in two stages, one stage's data as
another's weights, one op reading a value twice, a constant and a bias shared by two stages.
Where the uses read the value in different DRAM layouts the program gets one input buffer per
layout (the host packs the argument into each; no buffer holds two layouts); every program
equals the reference bit for bit (strict simulation) for both embeddings and several inputs."""

from __future__ import annotations

import numpy as np
import pytest

import vtac
from vtac.api import PipelineError
from vtac.backends.reference import find_function, run_function
from vtac.compiler import Compiled, CompileError, compile_module, random_inputs
from vtac.runtime.image import ImageError, ProgramImage
from vtac.runtime.simulator import simulate

REQUANT = """  %s = nn.shr %a {amount = 8 : i64} : (tensor<16x64xi32>) -> tensor<16x64xi32>
  %c = nn.clip %s {min = -128 : i64, max = 127 : i64} : (tensor<16x64xi32>) -> tensor<16x64xi32>
  %h = nn.cast %c {mode = "wrap"} : (tensor<16x64xi32>) -> tensor<16x64xi8>
"""

#: Issue 14's chain: both stages read %w as weights, each in the layout its tiles want.
SAME_WEIGHTS = f"""
func.func @f(%x: tensor<16x64xi8>, %w: tensor<64x64xi8>) -> tensor<16x64xi32> {{
  %a = nn.dense %x, %w : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
{REQUANT}  %b = nn.dense %h, %w : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  func.return %b : tensor<16x64xi32>
}}
"""

#: The first stage's data as the second stage's weights.
DATA_AS_WEIGHTS = f"""
func.func @f(%x: tensor<16x64xi8>, %w: tensor<64x64xi8>) -> tensor<16x16xi32> {{
  %a = nn.dense %x, %w : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
{REQUANT}  %b = nn.dense %h, %x : (tensor<16x64xi8>, tensor<16x64xi8>) -> tensor<16x16xi32>
  func.return %b : tensor<16x16xi32>
}}
"""

#: One op reading one argument as data and as weights (x times its own transpose).
SELF_PRODUCT = """
func.func @f(%x: tensor<16x64xi8>) -> tensor<16x16xi32> {
  %a = nn.dense %x, %x : (tensor<16x64xi8>, tensor<16x64xi8>) -> tensor<16x16xi32>
  func.return %a : tensor<16x16xi32>
}
"""

#: A constant weight and a bias argument shared by two stages.
SHARED_CONSTANT_AND_BIAS = """
func.func @f(%x: tensor<16x64xi8>, %bias: tensor<64xi32>) -> tensor<16x64xi32> {
  %v = arith.constant dense<3> : tensor<64x64xi8>
  %a = nn.dense %x, %v : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  %a2 = nn.add %a, %bias : (tensor<16x64xi32>, tensor<64xi32>) -> tensor<16x64xi32>
  %s = nn.shr %a2 {amount = 8 : i64} : (tensor<16x64xi32>) -> tensor<16x64xi32>
  %h = nn.cast %s {mode = "saturate"} : (tensor<16x64xi32>) -> tensor<16x64xi8>
  %b = nn.dense %h, %v : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  %b2 = nn.add %b, %bias : (tensor<16x64xi32>, tensor<64xi32>) -> tensor<16x64xi32>
  func.return %b2 : tensor<16x64xi32>
}
"""

#: Two different constants without names, one per stage (both once named "wgt_const").
TWO_CONSTANTS = """
func.func @f(%x: tensor<16x64xi8>) -> tensor<16x64xi32> {
  %0 = arith.constant dense<3> : tensor<64x64xi8>
  %1 = arith.constant dense<-5> : tensor<64x64xi8>
  %a = nn.dense %x, %0 : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  %s = nn.shr %a {amount = 8 : i64} : (tensor<16x64xi32>) -> tensor<16x64xi32>
  %h = nn.cast %s {mode = "saturate"} : (tensor<16x64xi32>) -> tensor<16x64xi8>
  %b = nn.dense %h, %1 : (tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>
  func.return %b : tensor<16x64xi32>
}
"""

PROGRAMS = {
    "same-weights": SAME_WEIGHTS,
    "data-as-weights": DATA_AS_WEIGHTS,
    "self-product": SELF_PRODUCT,
    "shared-constant-and-bias": SHARED_CONSTANT_AND_BIAS,
    "two-constants": TWO_CONSTANTS,
}


@pytest.fixture(scope="module", params=[(p, e) for p in PROGRAMS for e in ("auto", "fixed")])
def compiled(request: pytest.FixtureRequest) -> tuple[str, Compiled]:
    name, embedding = request.param
    return PROGRAMS[name], compile_module(vtac.parse_ir(PROGRAMS[name]), embedding=embedding)


def run_image(image: ProgramImage, inputs: dict[str, np.ndarray], output: str) -> np.ndarray:
    dram = image.dram.copy()
    for name, array in inputs.items():
        image.set_input(name, array, dram)
    simulate(image.config, image.insns, dram, base=image.base, strict=True)
    return image.read_output(output, dram)


def test_shared_values_compute_the_reference(compiled: tuple[str, Compiled]) -> None:
    text, program = compiled
    function = find_function(vtac.parse_ir(text), None)
    assert program.inputs == [a.name_hint for a in function.body.block.args]
    for seed in (0, 1, 2):
        inputs = random_inputs(function, seed)
        (want,) = run_function(function, inputs)
        got = run_image(program.image, inputs, program.output)
        assert np.array_equal(got, want), f"seed {seed}"


def test_an_argument_read_in_two_layouts_has_one_buffer_per_layout() -> None:
    image = compile_module(vtac.parse_ir(SAME_WEIGHTS)).image
    copies = [b for b in image.buffers if b.input_name == "w"]
    assert [(b.name, b.source) for b in copies] == [("w", None), ("w_1", "w")]
    assert copies[0].layout is not None and copies[1].layout is not None
    assert not copies[0].layout.same_layout(copies[1].layout)
    # the host packs the argument into both
    rng = np.random.default_rng(0)
    w = rng.integers(-128, 128, (64, 64)).astype(np.int8)
    dram = image.dram.copy()
    image.set_input("w", w, dram)
    for buf in copies:
        assert buf.layout is not None
        raw = dram[buf.offset : buf.offset + buf.size].view(np.int8)
        assert np.array_equal(buf.layout.unpack(raw.reshape(buf.packed_shape)), w)


def test_self_product_reads_one_argument_in_two_layouts() -> None:
    image = compile_module(vtac.parse_ir(SELF_PRODUCT)).image
    assert [(b.name, b.role, b.source) for b in image.buffers if b.role == "input"] == [
        ("x", "input", None),
        ("x_1", "input", "x"),
    ]


def test_image_copies_survive_saving_and_are_checked(tmp_path) -> None:  # noqa: ANN001
    image = compile_module(vtac.parse_ir(SAME_WEIGHTS)).image
    image.save(tmp_path / "img")
    loaded = ProgramImage.load(tmp_path / "img")
    assert loaded.buffer("w_1").source == "w" and loaded.inputs() == ["x", "w"]
    loaded.buffer("w_1").source = "nothing"
    with pytest.raises(ImageError, match="source 'nothing' is no input buffer before it"):
        loaded.validate()


def test_a_host_passing_a_tensor_in_another_layout_is_refused() -> None:
    """vtac-lower-to-vta checks the layouts a host passes against those its kernels read (the
    check that would have caught issue 14's wrong result)."""
    from xdsl.dialects import func

    module = vtac.run_pipeline(vtac.parse_ir(SAME_WEIGHTS), "vtac-isel,vtac-layout,vtac-tile")
    host = next(o for o in module.walk() if isinstance(o, func.FuncOp) and o.sym_name.data == "f")
    calls = [o for o in host.body.block.ops if isinstance(o, func.CallOp)]
    w = next(a for a in host.body.block.args if a.name_hint == "w")
    calls[1].operands[1] = w
    with pytest.raises(PipelineError, match="w is laid out as .* @f_stage1 reads w_1 as"):
        vtac.run_pipeline(module, "vtac-lower-to-vta")


def test_a_stage_reading_the_result_before_it_twice_is_refused() -> None:
    text = SAME_WEIGHTS.replace("nn.dense %h, %w", "nn.dense %h, %h").replace(
        "(tensor<16x64xi8>, tensor<64x64xi8>) -> tensor<16x64xi32>\n  func.return",
        "(tensor<16x64xi8>, tensor<16x64xi8>) -> tensor<16x16xi32>\n  func.return",
    )
    text = text.replace("-> tensor<16x64xi32> {", "-> tensor<16x16xi32> {").replace(
        "func.return %b : tensor<16x64xi32>", "func.return %b : tensor<16x16xi32>"
    )
    with pytest.raises(CompileError, match="reads the result of stage 0 as inp and wgt"):
        compile_module(vtac.parse_ir(text))
