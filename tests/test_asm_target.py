"""``vtac-opt -t vta-asm``: the printed assembly builds, with ``vtac asm --image``, the image
``vtac compile`` writes (same arena layout, instructions and micro-ops), and that image computes
the reference's result; the assembler's ``.uops`` blocks and ``align=`` option."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import vtac
from vtac.cli import main
from vtac.compiler import compile_module, random_inputs
from vtac.passes.registry import DEFAULT_PIPELINE
from vtac.runtime.assembly import AssemblyError, assemble, assemble_image
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ProgramImage
from vtac.runtime.packing import PackSpec
from vtac.runtime.simulator import simulate

ROOT = Path(__file__).resolve().parents[1]
DENSE = ROOT / "examples" / "dense.mlir"


def vta_asm(source: Path, pipeline: str = DEFAULT_PIPELINE) -> str:
    """``vtac-opt SOURCE -p PIPELINE -t vta-asm``."""
    exe = shutil.which("vtac-opt")
    assert exe is not None, "the vtac-opt console script is not installed"
    done = subprocess.run(
        [exe, str(source), "-p", pipeline, "-t", "vta-asm"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def layouts(text: str) -> dict[str, PackSpec]:
    """The layouts the assembly's comments give, by buffer name."""
    found = {}
    lines = text.splitlines()
    for line, comment in zip(lines, lines[1:], strict=False):
        directive = re.match(r"\.buffer (\w+) ", line)
        layout = re.match(
            r"#   (\d+(?:x\d+)*) \w+(?: in \d+ byte planes, each of|,) layout (.*)$", comment
        )
        if directive and layout:
            shape = tuple(int(n) for n in layout.group(1).split("x"))
            found[directive.group(1)] = PackSpec.from_text(layout.group(2), shape)
    return found


def test_dense_assembly_builds_the_compiled_image_and_computes_the_reference(
    tmp_path: Path,
) -> None:
    text = vta_asm(DENSE)
    source = tmp_path / "dense.s"
    source.write_text(text)
    assert main(["asm", str(source), "--image", "-o", str(tmp_path / "img")]) == 0
    image = ProgramImage.load(tmp_path / "img")
    compiled = compile_module(vtac.parse_ir(DENSE.read_text())).image
    assert image.insns == compiled.insns
    assert np.array_equal(image.dram, compiled.dram)  # micro-ops included
    assert [(b.name, b.role, b.offset, b.size) for b in image.buffers] == [
        (b.name, b.role, b.offset, b.size) for b in compiled.buffers
    ]
    # inputs go in packed, by the layouts the comments give; the result comes out the same way
    packing = layouts(text)
    assert sorted(packing) == ["bias", "result", "w", "x"]
    module = vtac.parse_ir(DENSE.read_text())
    inputs = random_inputs(module.ops.first, seed=5)  # type: ignore[arg-type]
    dram = image.dram.copy()
    for name, array in inputs.items():
        buf = image.buffer(name)
        image.set_input(name, packing[name].pack(array, np.dtype(buf.dtype)), dram)
    simulate(image.config, image.insns, dram, base=image.base, strict=True)
    got = packing["result"].unpack(image.read_output("result", dram))
    (want,) = vtac.reference_run(module, inputs)
    assert got.shape == want.shape == (16, 128)
    np.testing.assert_array_equal(got, want)


def test_wider_elements_get_an_alignment(tmp_path: Path) -> None:
    """block32's 1 KiB weight elements: buffers the weights load from start on a 1 KiB
    boundary (align=1024), so the assembled layout is the compiled one."""
    config = VTAConfig.named("block32")
    rest = DEFAULT_PIPELINE.removeprefix("vtac-isel,")
    text = vta_asm(DENSE, f"vtac-isel{{config=block32}},{rest}")
    assert re.search(r"^\.buffer w input int8 \S+ align=1024  #", text, re.M), text[:800]
    image = assemble_image(text, config, tmp_path / "dense.s")
    compiled = compile_module(vtac.parse_ir(DENSE.read_text()), config).image
    assert image.insns == compiled.insns
    assert np.array_equal(image.dram, compiled.dram)


def test_constants_are_declared_with_a_note(tmp_path: Path) -> None:
    w = np.arange(32 * 16).reshape(32, 16) % 7 - 3
    mlir = tmp_path / "const.mlir"
    mlir.write_text(
        "func.func @f(%x: tensor<4x16xi8>) -> tensor<4x32xi32> {\n"
        f"  %w = arith.constant dense<{w.tolist()}> : tensor<32x16xi8>\n"
        "  %y = nn.dense %x, %w : (tensor<4x16xi8>, tensor<32x16xi8>) -> tensor<4x32xi32>\n"
        "  func.return %y : tensor<4x32xi32>\n}\n"
    )
    text = vta_asm(mlir)
    assert re.search(r"^\.buffer w weight int8 2x1x16x16  # bytes \[\d+, \d+\)$", text, re.M)
    assert (
        "#   constant w: its packed data is not printed here; supply it as the directive's FILE"
        in text
    )
    assert re.search(r"^#   4x32 int32 in 4 byte planes, each of layout ", text, re.M)
    # with the packed weights as the directive's FILE, the image is the compiled one
    compiled = compile_module(vtac.parse_ir(mlir.read_text())).image
    buf = compiled.buffer("w")
    np.save(tmp_path / "w.npy", compiled.dram[buf.offset : buf.offset + buf.size].view(np.int8))
    source = tmp_path / "const.s"
    source.write_text(re.sub(r"^(\.buffer w weight int8) (\S+)", r"\1 512 w.npy", text, flags=re.M))
    image = assemble_image(source.read_text(), VTAConfig(), source)
    assert image.insns == compiled.insns
    assert np.array_equal(image.dram, compiled.dram)


def test_inline_micro_ops() -> None:
    config = VTAConfig()
    text = (
        ".buffer a input int8 16x16\n"
        ".uops k  # two micro-ops\n"
        "  0: dst_idx=1 src_idx=2 wgt_idx=3\n"
        "  dst_idx=4\n"
        "LOAD memory_type=UOP dram_base=@k+1 y_size=1 x_size=1 x_stride=1\n"
        ".uops j align=1024\n"
        "wgt_idx=7\n"
    )
    image = assemble_image(text, config, "p.s")
    k, j = image.buffer("k"), image.buffer("j")
    assert (k.role, k.dtype, k.shape, k.offset) == ("uop", "uint32", (2,), 256)
    assert (j.shape, j.offset) == ((1,), 1024)
    assert image.insns[0].dram_base == 256 // 4 + 1
    words = image.dram[k.offset : k.offset + 8].view(np.uint32)
    assert words.tolist() == [1 | 2 << 11 | 3 << 22, 4]
    assert image.dram[j.offset : j.offset + 4].view(np.uint32).tolist() == [7 << 22]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dst_idx=1\n", r"p.s:1: a micro-op line outside a \.uops block \(\.uops NAME"),
        ("LOAD memory_type=UOP\ndst_idx=1\n", "p.s:2: a micro-op line outside a .uops block"),
        (".uops k\nFINISH\n", "p.s:1: .uops k is followed by no micro-op lines"),
        (".uops k", "p.s:1: .uops k is followed by no micro-op lines"),
        (".uops\n", r"p.s:1: expected \.uops NAME \[align=BYTES\]"),
        (".uops 9k\ndst_idx=0\n", "p.s:1: buffer name '9k' is not an identifier"),
        (".uops k\ndst_idx=x\n", "p.s:2: dst_idx: 'x' is not an integer"),
        (".uops k align=100\ndst_idx=0\n", "p.s:1: align=100: expected a multiple of 256 bytes"),
        (".buffer a input int8 16 align=0", "p.s:1: align=0: expected a multiple of 256"),
        (".uops k\ndst_idx=0\n.uops k\ndst_idx=0\n", "p.s:3: buffer k is declared twice"),
        (".uops k\ndst_idx=99999\n", "p.s: micro-op 0: dst_idx"),
    ],
)
def test_inline_micro_op_errors(text: str, message: str) -> None:
    with pytest.raises(AssemblyError, match=f"^{message}"):
        assemble(text, VTAConfig(), "p.s")
