"""Chains of contractions: each stage's int8 result stays in DRAM for the next, one program runs
them all, and the result equals the reference bit for bit (strict simulation)."""

from __future__ import annotations

from pathlib import Path

import pytest

import vtac
from vtac.cli import main
from vtac.compiler import CompileError, compile_module, run_module
from vtac.runtime.config import VTAConfig


def requant(value: str, shape: str, amount: int, low: int = -128) -> tuple[str, str]:
    """Lines requantizing ``value`` of ``tensor<{shape}xi32>`` to int8, and the result name."""
    t, q = f"tensor<{shape}xi32>", f"tensor<{shape}xi8>"
    name = value.lstrip("%")
    lines = (
        f"  %{name}_s = nn.shr {value} {{amount = {amount} : i64}} : ({t}) -> {t}\n"
        f"  %{name}_c = nn.clip %{name}_s {{min = {low} : i64, max = 127 : i64}} : ({t}) -> {t}\n"
        f'  %{name}_q = nn.cast %{name}_c {{mode = "wrap"}} : ({t}) -> {q}\n'
    )
    return lines, f"%{name}_q"


def dense_chain(n: int, widths: list[int]) -> str:
    """Dense layers of the given widths (widths[0] is the input's), each requantized to int8."""
    args = [f"%x: tensor<{n}x{widths[0]}xi8>"]
    body, value = "", "%x"
    for i, (k, m) in enumerate(zip(widths, widths[1:], strict=False)):
        args.append(f"%w{i}: tensor<{m}x{k}xi8>")
        body += (
            f"  %a{i} = nn.dense {value}, %w{i} : (tensor<{n}x{k}xi8>, tensor<{m}x{k}xi8>) -> "
            f"tensor<{n}x{m}xi32>\n"
        )
        lines, value = requant(f"%a{i}", f"{n}x{m}", 7, low=0 if i % 2 else -128)
        body += lines
    out = f"tensor<{n}x{widths[-1]}xi8>"
    head = f"func.func @chain({', '.join(args)}) -> {out} {{\n"
    return f"{head}{body}  func.return {value} : {out}\n}}\n"


CONV_BLOCK = """
func.func @block(%x: tensor<NB x16x10x10xi8>, %w1: tensor<32x16x3x3xi8>, %b1: tensor<32xi32>,
                 %w2: tensor<16x32x3x3xi8>) -> tensor<NB x16x5x5xi8> {
  %a = nn.conv2d %x, %w1 {strides = [1, 1], padding = [1, 1, 1, 1]}
      : (tensor<NB x16x10x10xi8>, tensor<32x16x3x3xi8>) -> tensor<NB x32x10x10xi32>
  %s = nn.shr %a {amount = 8 : i64} : (tensor<NB x32x10x10xi32>) -> tensor<NB x32x10x10xi32>
  %d = nn.add %s, %b1 : (tensor<NB x32x10x10xi32>, tensor<32xi32>) -> tensor<NB x32x10x10xi32>
  %c = nn.clip %d {min = 0 : i64, max = 127 : i64}
      : (tensor<NB x32x10x10xi32>) -> tensor<NB x32x10x10xi32>
  %h = nn.cast %c {mode = "wrap"} : (tensor<NB x32x10x10xi32>) -> tensor<NB x32x10x10xi8>
  %e = nn.conv2d %h, %w2 {strides = [2, 2], padding = [1, 1, 1, 1]}
      : (tensor<NB x32x10x10xi8>, tensor<16x32x3x3xi8>) -> tensor<NB x16x5x5xi32>
  %r = nn.relu %e : (tensor<NB x16x5x5xi32>) -> tensor<NB x16x5x5xi32>
  %y = nn.cast %r {mode = "saturate"} : (tensor<NB x16x5x5xi32>) -> tensor<NB x16x5x5xi8>
  func.return %y : tensor<NB x16x5x5xi8>
}
"""

MATMUL_CHAIN = """
func.func @mm(%a: tensor<20x48xi8>, %b: tensor<48x40xi8>, %c: tensor<40x24xi8>)
    -> tensor<20x24xi32> {
  %p = nn.matmul %a, %b : (tensor<20x48xi8>, tensor<48x40xi8>) -> tensor<20x40xi32>
  %q = nn.shr %p {amount = 7 : i64} : (tensor<20x40xi32>) -> tensor<20x40xi32>
  %r = nn.cast %q {mode = "saturate"} : (tensor<20x40xi32>) -> tensor<20x40xi8>
  %y = nn.matmul %r, %c : (tensor<20x40xi8>, tensor<40x24xi8>) -> tensor<20x24xi32>
  func.return %y : tensor<20x24xi32>
}
"""

CONFIGS = ["default", "batch2", "block8_small"]


def conv_block(batch: int) -> str:
    return CONV_BLOCK.replace("NB x", f"{batch}x")


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(
    "text",
    [dense_chain(8, [64, 32, 16]), dense_chain(5, [40, 24, 35, 19]), conv_block(1), MATMUL_CHAIN],
    ids=["dense2", "dense3-odd", "conv-block", "matmul2"],
)
def test_chains_compute_the_reference(text: str, config: str) -> None:
    report = run_module(vtac.parse_ir(text), config=VTAConfig.named(config), seed=3)
    assert report.match
    assert len(report.compiled.stages) == text.count("nn.dense") + text.count(
        "nn.conv2d"
    ) + text.count("nn.matmul")


def test_batched_conv_chain_on_batch2() -> None:
    assert run_module(vtac.parse_ir(conv_block(2)), config=VTAConfig.named("batch2")).match


def test_intermediate_is_a_scratch_buffer_of_the_image() -> None:
    compiled = compile_module(vtac.parse_ir(dense_chain(8, [64, 32, 16])))
    roles = {b.name: b.role for b in compiled.image.buffers}
    assert roles["stage0_result"] == "scratch"
    assert compiled.inputs == ["x", "w0", "w1"]
    work = compiled.image.workload
    assert work is not None and work.macs == 8 * 64 * 32 + 8 * 32 * 16


def test_stages_choose_embeddings_that_agree_on_the_layout_between_them() -> None:
    """The second product reads the first one's result as its right-hand side: the stages'
    own best embeddings disagree on its layout, so vtac-isel chooses them jointly (the first
    product transposed writes what the second reads as its input). TVM's fixed embeddings
    agree on no layout: that chain is refused (vtac does not re-layout between stages)."""
    text = MATMUL_CHAIN.replace("nn.matmul %r, %c", "nn.matmul %c2, %r").replace(
        "(tensor<20x40xi8>, tensor<40x24xi8>) -> tensor<20x24xi32>",
        "(tensor<24x20xi8>, tensor<20x40xi8>) -> tensor<24x40xi32>",
    )
    text = text.replace("%c: tensor<40x24xi8>", "%c2: tensor<24x20xi8>")
    text = text.replace("tensor<20x24xi32>", "tensor<24x40xi32>")
    report = run_module(vtac.parse_ir(text))
    assert report.match
    assert report.compiled.stages[0].embedding.inp == "rhs"  # the first product transposed
    with pytest.raises(CompileError, match="does not re-layout tensors between stages"):
        compile_module(vtac.parse_ir(text), embedding="fixed")


def test_a_result_used_twice_is_refused() -> None:
    text = dense_chain(8, [64, 32, 16]).replace(
        "func.return %a1_q",
        "%z = nn.dense %a0_q, %w1 : (tensor<8x32xi8>, tensor<16x32xi8>) -> "
        "tensor<8x16xi32>\n  func.return %a1_q",
    )
    with pytest.raises(CompileError):
        compile_module(vtac.parse_ir(text))


def test_cli_prints_each_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "chain.mlir"
    source.write_text(dense_chain(5, [40, 24, 35]))
    assert main(["run", str(source)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "match"
    for stage in (0, 1):
        assert any(line.startswith(f"stage {stage} embedding: inp=") for line in lines)
        assert any(line.startswith(f"stage {stage} schedule: tiles[") for line in lines)
    compiled = compile_module(vtac.parse_ir(source.read_text()))
    assert f"lane utilisation: {compiled.utilization:.4f} over 2 stages" in lines
    assert compiled.useful_macs == 5 * 40 * 24 + 5 * 24 * 35
