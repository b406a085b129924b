"""Program images (save, load, validation, relocation) and the vtac command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vtac.cli import main
from vtac.runtime.assembly import AssemblyError, assemble, assemble_image, disassemble
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import Buffer, ImageBuilder, ImageError, ProgramImage
from vtac.runtime.isa import Finish, Load, MemType
from vtac.runtime.simulator import simulate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "gemm16"


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    out = tmp_path / "gemm16"
    assert main(["asm", str(EXAMPLE / "gemm16.s"), "--image", "-o", str(out)]) == 0
    return out


def expected() -> np.ndarray:
    a = np.load(EXAMPLE / "a.npy").astype(np.int32)
    w = np.load(EXAMPLE / "w.npy").astype(np.int32)
    return np.clip((a @ w.T) >> 4, -128, 127).astype(np.int8)


def run_image(image: ProgramImage) -> np.ndarray:
    dram = image.dram.copy()
    simulate(image.config, image.insns, dram, base=image.base, strict=True)
    return image.read_output("out", dram)


def test_example_reproduces_numpy(image_dir: Path) -> None:
    image = ProgramImage.load(image_dir)
    np.testing.assert_array_equal(run_image(image), expected())
    np.testing.assert_array_equal(np.load(EXAMPLE / "expected.npy"), expected())


def test_save_load_round_trip(image_dir: Path, tmp_path: Path) -> None:
    image = ProgramImage.load(image_dir)
    image.save(tmp_path / "copy")
    again = ProgramImage.load(tmp_path / "copy")
    assert again.insns == image.insns
    assert np.array_equal(again.dram, image.dram)
    assert again.buffers == image.buffers
    for name in ("program.json", "insn.bin", "dram.bin"):
        assert (tmp_path / "copy" / name).read_bytes() == (image_dir / name).read_bytes()


def test_relocation_keeps_results(image_dir: Path) -> None:
    image = ProgramImage.load(image_dir)
    moved = image.relocate(0x10000)
    assert moved.base == 0x10000
    assert moved.insns[1].dram_base == image.insns[1].dram_base + 0x10000 // 16
    np.testing.assert_array_equal(run_image(moved), expected())
    with pytest.raises(ImageError, match="not a non-negative multiple of 4096"):
        image.relocate(0x100)


def test_inputs_and_outputs_pack_by_layout(image_dir: Path) -> None:
    image = ProgramImage.load(image_dir)
    a = np.arange(256).reshape(16, 16).astype(np.int8)
    image.set_input("a", a)
    assert np.array_equal(image.read_output("a"), a)
    with pytest.raises(ImageError, match=r"expected shape \(16, 16\)"):
        image.set_input("a", np.zeros((4, 4), np.int8))
    with pytest.raises(ImageError, match="do not fit int8"):
        image.set_input("a", np.full((16, 16), 300))
    with pytest.raises(ImageError, match="no buffer named 'b'"):
        image.buffer("b")


def edit_json(directory: Path, change) -> None:  # noqa: ANN001
    meta = json.loads((directory / "program.json").read_text())
    change(meta)
    (directory / "program.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "insn.bin").unlink(), "insn.bin: missing"),
        (lambda d: (d / "program.json").write_text("{"), "not valid JSON"),
        (lambda d: edit_json(d, lambda m: m.update(format_version=9)), "format_version 9"),
        (
            lambda d: edit_json(d, lambda m: m["config"].update(LOG_BLOCK=-2)),
            "invalid configuration",
        ),
        (lambda d: edit_json(d, lambda m: m.update(dram_bytes=5)), "but program.json says 5"),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(offset=100)),
            "not aligned to 256",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(size=7)),
            "does not match its packed shape",
        ),
        (lambda d: edit_json(d, lambda m: m["buffers"][1].update(role="cake")), "role 'cake'"),
        (lambda d: edit_json(d, lambda m: m.update(base=0x10000)), "outside the arena"),
        (
            lambda d: (d / "insn.bin").write_bytes(b"\x07" * 16),
            "insn.bin: instruction 0: unknown opcode 7",
        ),
        (lambda d: (d / "insn.bin").write_bytes(b"\x00" * 15), "multiple of 16"),
        (lambda d: (d / "program.json").write_text("[]"), "program.json: expected a JSON object"),
        (lambda d: edit_json(d, lambda m: m.pop("buffers")), "'buffers' missing or not a list"),
        (
            lambda d: edit_json(d, lambda m: m.update(instructions="11")),
            "'instructions' missing or not an integer",
        ),
        (lambda d: edit_json(d, lambda m: m.update(base=True)), "'base' missing or not an integer"),
        (
            lambda d: edit_json(d, lambda m: m.update(instructions=12)),
            "insn.bin: 11 instructions, but program.json says 12",
        ),
        (
            lambda d: edit_json(d, lambda m: m.update(base=100)),
            "base 0x64 is not a multiple of 4096",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"].__setitem__(0, 3)),
            "buffer 0 is not an object",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][2].update(name="a")),
            "buffer 'a' appears twice",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(dtype="float16")),
            "buffer a: dtype 'float16' is not one of",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][3].update(offset=1024)),
            r"buffer out: bytes \[1024, 1280\) leave the 1024-byte arena",
        ),
        (lambda d: edit_json(d, lambda m: m["buffers"][1].pop("size")), "buffer 1: 'size' missing"),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(name=5)),
            "buffer 1: 'name' must be a string, got 5",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(role=["input"])),
            r"buffer 1: 'role' must be a string, got \['input'\]",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(dtype=8)),
            "buffer 1: 'dtype' must be a string, got 8",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(offset="256")),
            "buffer 1: 'offset' must be an integer, got '256'",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(planes=True)),
            "buffer 1: 'planes' must be an integer, got True",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(shape=[16, "16"])),
            r"buffer 1: shape \[16, '16'\] is not a list of integers",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(plane=4)),
            r"buffer 1: unknown key\(s\) plane",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(shape=[0, 16], size=0)),
            r"buffer a: shape \(0, 16\) is not a tuple of positive integers",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(shape=[16, -16], size=-256)),
            r"buffer a: shape \(16, -16\) is not a tuple of positive integers",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(shape=[], size=0)),
            "buffer a: size 0 is not an integer >= 1",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(offset=-256)),
            "buffer a: offset -256 is not an integer >= 0",
        ),
        (
            lambda d: edit_json(d, lambda m: m["buffers"][1].update(planes=0)),
            "buffer a: planes 0 is not an integer >= 1",
        ),
    ],
)
def test_load_validation_errors(image_dir: Path, damage, message: str) -> None:  # noqa: ANN001
    damage(image_dir)
    with pytest.raises(ImageError, match=message):
        ProgramImage.load(image_dir)


def test_relocation_needs_whole_elements(tmp_path: Path) -> None:
    """With 16 KiB weight elements a 4 KiB move is not a whole number of them."""
    config = VTAConfig(LOG_BLOCK=7)
    builder = ImageBuilder(config)
    builder.add("w", "weight", "int8", (config.wgt_elem_bytes,))
    image = builder.build([Load(memory_type=MemType.WGT, y_size=1, x_size=1), Finish()])
    with pytest.raises(
        ImageError,
        match=r"cannot relocate to base 0x1000: the program moves WGT elements of 16384 bytes",
    ):
        image.relocate(0x1000)
    moved = image.relocate(0x8000)
    assert moved.insns[0].dram_base == 2
    moved.save(tmp_path / "moved")
    edit_json(tmp_path / "moved", lambda m: m.update(base=0x1000))
    with pytest.raises(
        ImageError, match=r"base 0x1000 is not a multiple of the 16384-byte WGT elements"
    ):
        ProgramImage.load(tmp_path / "moved")


def test_buffers_built_in_python_are_checked_too() -> None:
    arena = np.zeros(256, np.uint8)
    for buffer, message in (
        (Buffer(5, "input", 0, 16, "int8", (16,)), "buffer 0: name 5 is not a string"),  # type: ignore[arg-type]
        (Buffer("a", "input", 0, 16, "int8", (16.0,)), r"shape \(16.0,\) is not a tuple"),  # type: ignore[arg-type]
        (Buffer("a", "output", 0, 64, "int8", (16,), planes=-4), "planes -4 is not an integer"),
    ):
        with pytest.raises(ImageError, match=message):
            ProgramImage(VTAConfig(), [Finish()], arena, [buffer]).validate()


def test_dram_base_outside_arena_is_rejected(image_dir: Path) -> None:
    image = ProgramImage.load(image_dir)
    image.insns[1] = Load(memory_type=MemType.INP, dram_base=10_000, y_size=1, x_size=1, x_stride=1)
    with pytest.raises(ImageError, match=r"instruction 1 \(LOAD INP\) accesses bytes"):
        image.validate()


# ------------------------------------------------------------------ assembly


def test_assembly_round_trip_and_errors() -> None:
    config = VTAConfig()
    insns = assemble((EXAMPLE / "gemm16.s").read_text(), config)
    assert assemble(disassemble(insns), config) == insns
    with pytest.raises(AssemblyError, match="x.s:2: unknown mnemonic 'FOO'"):
        assemble("FINISH\nFOO a=1\n", config, "x.s")
    with pytest.raises(AssemblyError, match="x.s:1: LOAD: sram_base = 70000 does not fit"):
        assemble("LOAD sram_base=70000", config, "x.s")


DIRECTIVES = ".buffer u uop uint32 1\n.buffer a input int8 16x16\n"


def test_buffer_references_resolve_in_elements() -> None:
    text = DIRECTIVES + (
        "LOAD memory_type=INP dram_base=@a+3 y_size=1 x_size=1\n"
        "LOAD memory_type=UOP dram_base=@a y_size=1 x_size=1\n"
        "LOAD memory_type=UOP dram_base=@u y_size=1 x_size=1\n"
    )
    assert [insn.dram_base for insn in assemble(text, VTAConfig())] == [256 // 16 + 3, 64, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (".bufer a input int8 16", "p.s:1: unknown directive '.bufer'"),
        (".buffer a input int8", r"p.s:1: expected \.buffer NAME ROLE DTYPE SHAPE \[FILE\]"),
        (".buffer 1a input int8 16", "p.s:1: buffer name '1a' is not an identifier"),
        (".buffer a cake int8 16", "p.s:1: role 'cake' is not one of input, output"),
        (".buffer a input float 16", "p.s:1: dtype 'float' is not one of int8"),
        ("\n.buffer a input int8 16x0", "p.s:2: shape '16x0' is not positive sizes"),
        (DIRECTIVES + ".buffer a input int8 16", "p.s:3: buffer a is declared twice"),
        (
            "LOAD memory_type=INP dram_base=@b y_size=1 x_size=1",
            r"p.s:1: dram_base=@b: no buffer named 'b' \(buffers: none\)",
        ),
        (
            DIRECTIVES + "LOAD memory_type=INP dram_base=@a+x y_size=1 x_size=1",
            "p.s:3: dram_base=@a\\+x: 'x' is not a number of elements",
        ),
        (
            DIRECTIVES + "LOAD memory_type=7 dram_base=@a y_size=1 x_size=1",
            "p.s:3: dram_base=@a: memory type 7 has no element size",
        ),
        (DIRECTIVES + "FINISH\nGEMM dram_base=@a", "p.s:4: GEMM has no field 'dram_base'"),
        (
            DIRECTIVES + "LOAD memory_type=INP dram_base=@a dram_base=@a",
            "p.s:3: field dram_base given twice",
        ),
    ],
)
def test_assembly_directive_errors(text: str, message: str) -> None:
    with pytest.raises(AssemblyError, match=f"^{message}"):
        assemble(text, VTAConfig(), "p.s")


def test_buffer_reference_must_be_a_whole_element() -> None:
    # block32: 1024-byte weight elements; buffer a starts at byte 256
    text = DIRECTIVES + "LOAD memory_type=WGT dram_base=@a y_size=1 x_size=1"
    with pytest.raises(
        AssemblyError, match="^p.s:3: dram_base=@a: buffer a starts at byte 256, not on a 1024-byte"
    ):
        assemble(text, VTAConfig.named("block32"), "p.s")


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        (".buffer a input int8 16x16 nope.npy", r"p.s:1: cannot read .*nope.npy"),
        (
            ".buffer a input int8 4x4 a.npy",
            r"p.s:1: buffer a: expected shape \(4, 4\), got \(16, 16\)",
        ),
        (".buffer a input int8 16x16 a.txt", "p.s:1: a.txt: expected a .npy array or micro-op .s"),
        (".buffer u uop int32 1 u.s", r"p.s:1: micro-ops \(u.s\) need dtype uint32"),
        (".buffer u uop uint32 1 bad.s", "bad.s:1: expected dst_idx=, src_idx= or wgt_idx="),
        (
            ".buffer u uop uint32 1\nLOAD memory_type=INP dram_base=@u y_size=1 x_size=64",
            r"p.s: instruction 0 \(LOAD INP\) accesses bytes \[0x0, 0x400\) outside the arena",
        ),
    ],
)
def test_assembly_image_errors(tmp_path: Path, directive: str, message: str) -> None:
    np.save(tmp_path / "a.npy", np.zeros((16, 16), np.int8))
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "u.s").write_text("dst_idx=1\n")
    (tmp_path / "bad.s").write_text("dst=1\n")
    source = tmp_path / "p.s"
    source.write_text(directive + "\n")
    with pytest.raises(AssemblyError, match=f"^{tmp_path}/{message}"):
        assemble_image(source.read_text(), VTAConfig(), source)


# ----------------------------------------------------------------------- CLI


def test_cli_asm_disasm_identical_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "p.bin"
    assert main(["asm", str(EXAMPLE / "gemm16.s"), "-o", str(binary)]) == 0
    assert main(["disasm", str(binary)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[2].startswith("2: LOAD pop_prev_dep=0")
    assert "memory_type=WGT" in text and "dram_base=2" in text
    (tmp_path / "p.s").write_text(text)
    again = tmp_path / "again.bin"
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(again)]) == 0
    assert again.read_bytes() == binary.read_bytes()


def test_readme_gemm16_commands(tmp_path: Path) -> None:
    """The README's commands: the example's image from its assembly, run and checked."""
    exe = shutil.which("vtac")
    assert exe is not None
    image = tmp_path / "gemm16"
    subprocess.run(
        [exe, "asm", "examples/gemm16/gemm16.s", "--image", "-o", str(image)], cwd=ROOT, check=True
    )
    done = subprocess.run(
        [exe, "sim", str(image), "--check", "out=examples/gemm16/expected.npy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "out: match" in done.stdout


def test_cli_asm_image_disasm_asm_gives_identical_bytes(
    image_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw.bin"
    assert main(["asm", str(EXAMPLE / "gemm16.s"), "-o", str(raw)]) == 0  # @-references too
    assert raw.read_bytes() == (image_dir / "insn.bin").read_bytes()
    assert main(["disasm", str(image_dir)]) == 0
    text = capsys.readouterr().out
    assert "dram_base=16 " in text and "dram_base=48 " in text
    (tmp_path / "p.s").write_text(text)
    assert main(["asm", str(tmp_path / "p.s"), "-o", str(tmp_path / "again.bin")]) == 0
    assert (tmp_path / "again.bin").read_bytes() == (image_dir / "insn.bin").read_bytes()
    image = ProgramImage.load(image_dir)
    assert [(b.name, b.role, b.offset) for b in image.buffers] == [
        ("uops", "uop", 0),
        ("a", "input", 256),
        ("w", "weight", 512),
        ("out", "output", 768),
    ]
    np.testing.assert_array_equal(image.read_output("w"), np.load(EXAMPLE / "w.npy"))


def test_cli_asm_image_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "p.s"
    source.write_text("# arena\n.buffer a input int8 16x16 missing.npy\nFINISH\n")
    assert main(["asm", str(source), "--image", "-o", str(tmp_path / "img")]) == 1
    assert capsys.readouterr().err.startswith(f"vtac: error: {source}:2: cannot read ")
    assert main(["asm", str(source), "--image", "--uops", "-o", str(tmp_path / "img")]) == 1
    assert "give one of them" in capsys.readouterr().err
    assert not (tmp_path / "img").exists()


def test_cli_uops(tmp_path: Path, capsys: pytest.CaptureFixture[str], image_dir: Path) -> None:
    words = tmp_path / "u.bin"
    assert main(["asm", "--uops", str(EXAMPLE / "uops.s"), "-o", str(words)]) == 0
    assert main(["disasm", "--uops", str(words)]) == 0
    assert capsys.readouterr().out == "0: dst_idx=0 src_idx=0 wgt_idx=0\n"
    assert main(["disasm", "--uops", str(image_dir)]) == 0
    assert capsys.readouterr().out == "# buffer uops\n0: dst_idx=0 src_idx=0 wgt_idx=0\n"
    (tmp_path / "odd.bin").write_bytes(bytes(6))
    assert main(["disasm", "--uops", str(tmp_path / "odd.bin")]) == 1
    assert "6 bytes is not a whole number of micro-ops" in capsys.readouterr().err


def test_cli_disasm_shows_out_of_range_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "odd.bin"
    raw.write_bytes((0 | 7 << 7 | 65535 << 10).to_bytes(16, "little"))  # memory type 7, sram 65535
    assert main(["disasm", str(raw)]) == 0
    out = capsys.readouterr().out
    assert "memory_type=7" in out and "sram_base=65535" in out


def test_cli_sim(image_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    args = ["sim", str(image_dir), "--stats", "--strict", "--output-dir", str(out_dir)]
    args += ["--check", f"out={EXAMPLE / 'expected.npy'}", "--dram-out", str(tmp_path / "dram.bin")]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "out: match" in printed
    assert "gemm_counter: 16" in printed and "alu_counter: 48" in printed
    np.testing.assert_array_equal(np.load(out_dir / "out.npy"), expected())
    assert (tmp_path / "dram.bin").stat().st_size == ProgramImage.load(image_dir).dram.size


def test_cli_sim_cycles_and_trace(
    image_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.json"
    assert (
        main(["sim", str(image_dir), "--cycles", "--trace", str(trace), "--board", "ultra96"]) == 0
    )
    printed = capsys.readouterr().out
    assert "cycles: " in printed and "on ultra96" in printed and "gemm micro-ops: 16" in printed
    assert json.loads(trace.read_text())["traceEvents"]


def test_cli_sim_with_new_inputs(
    image_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = np.eye(16, dtype=np.int8) * 16
    np.save(tmp_path / "a.npy", a)
    w = np.load(EXAMPLE / "w.npy")
    np.save(
        tmp_path / "want.npy", np.clip(w.astype(np.int32).T * 16 >> 4, -128, 127).astype(np.int8)
    )
    args = [
        "sim",
        str(image_dir),
        "--input",
        f"a={tmp_path / 'a.npy'}",
        "--check",
        f"out={tmp_path / 'want.npy'}",
    ]
    assert main(args) == 0
    assert "out: match" in capsys.readouterr().out
    np.save(tmp_path / "bad.npy", np.zeros((16, 16), np.int8))
    assert main(["sim", str(image_dir), "--check", f"out={tmp_path / 'bad.npy'}"]) == 1
    assert "mismatch" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["disasm", "/nonexistent.bin"], "cannot read /nonexistent.bin"),
        (["sim", "/nonexistent"], "not a program image directory"),
        (["disasm", "--config", "nope", "x"], "no shipped configuration named 'nope'"),
        (["sim", "IMAGE", "--input", "a"], "--input expects NAME=FILE.npy"),
        (["sim", "IMAGE", "--input", "zz=/nonexistent.npy"], "cannot read /nonexistent.npy"),
    ],
)
def test_cli_errors(
    argv: list[str], message: str, image_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(image_dir) if a == "IMAGE" else a for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("vtac: error: ") and message in err
    assert "Traceback" not in err


def test_cli_asm_error_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bad.s"
    source.write_text("# comment\nFINISH\nGEMM iter_in=99999\n")
    assert main(["asm", str(source), "-o", str(tmp_path / "o.bin")]) == 1
    assert f"{source}:3: GEMM: iter_in = 99999 does not fit" in capsys.readouterr().err


def test_cli_sim_reports_program_errors(
    image_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = ProgramImage.load(image_dir)
    image.insns = image.insns[:-1]  # drop FINISH
    image.save(image_dir)
    assert main(["sim", str(image_dir)]) == 1
    assert "ends without FINISH" in capsys.readouterr().err


def test_console_script_runs(tmp_path: Path) -> None:
    exe = shutil.which("vtac")
    assert exe is not None, "the vtac console script is not installed"
    done = subprocess.run([exe, "configs"], capture_output=True, text=True, check=True)
    assert "1x16_i8w8a32_15_15_18_17" in done.stdout


@pytest.mark.parametrize("command", [["configs"], ["run", str(ROOT / "examples" / "dense.mlir")]])
def test_cli_stops_quietly_on_a_closed_stdout(command: list[str]) -> None:
    """`vtac run ... | head -1`: the reader is gone before vtac writes; no BrokenPipeError
    traceback, status 1."""
    exe = shutil.which("vtac")
    assert exe is not None, "the vtac console script is not installed"
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([exe, *command], stdout=write, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, "")


def test_regression_binary_program_json_is_refused(image_dir: Path) -> None:
    """Found by fuzzing: a program.json that is not UTF-8 raised UnicodeDecodeError."""
    (image_dir / "program.json").write_bytes(b"\x80\xff")
    with pytest.raises(ImageError, match="not valid JSON"):
        ProgramImage.load(image_dir)


@pytest.mark.parametrize("command", ["run", "compile"])
def test_regression_truncated_declaration_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Found by auditing the fuzzer: a file cut after the signature holds only a declaration;
    vtac run raised xDSL's ValueError ('block' property of Region ...) as a traceback."""
    source = tmp_path / "gemm.mlir"
    source.write_text(
        "func.func @gemm(%a: tensor<20x33xi8>, %b: tensor<33x4xi8>) -> tensor<20x4xi32>\n"
    )
    extra = ["-o", str(tmp_path / "image")] if command == "compile" else []
    for name in ([], ["--function", "gemm"]):
        assert main([command, str(source), *extra, *name]) == 1
        err = capsys.readouterr().err
        assert err.startswith("vtac: error: @gemm is a declaration (no body)"), err


SMALL_CONV = """\
func.func @conv(%x: tensor<1x5x6x6xi8>, %w: tensor<16x5x3x3xi8>) -> tensor<1x16x6x6xi32> {
  %0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
      : (tensor<1x5x6x6xi8>, tensor<16x5x3x3xi8>) -> tensor<1x16x6x6xi32>
  func.return %0 : tensor<1x16x6x6xi32>
}
"""


def _set(layout: dict, path: tuple, value: object) -> None:
    node = layout
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("index", 2, 1), 1.5, r"index \['loop', 1.5\] of dimension 2 is not \['loop', NAME\]"),
        (("index", 0), ["window", "oc", 0, "ic", 0], r"index \['window', 'oc', 0, 'ic', 0\]"),
        (("index", 0), ["rows"], "dimension 0 is read from no rows"),
        (("coords", 2), ["loop", "ic"], "dimension 2 reads loop kh, which is neither a"),
        (("coords", 0, 0), None, r"coordinate \['None', 'block_out'\] is not"),
        (("coords", 0), ["rows", "n"], r"coordinate \['rows', 'n'\] is not"),
        (("coords", 0), ["rows", 7], r"rows\(7\) is not a dimension of the tensor"),
        (("extents", 0, 1), 0, "extent oc=0 is not a positive integer"),
        (("groups", 0, 1), 0, "malformed lane group"),
        (("logical_shape", 0), 15, r"logical shape \(15, 5, 3, 3\) is not the shape"),
    ],
)
def test_regression_malformed_layouts_are_refused(
    tmp_path: Path, path: tuple, value: object, message: str
) -> None:
    """Found by fuzzing mutated images: a layout in program.json with a wrong field type, an
    unknown coordinate kind or a loop placed nowhere raised KeyError or ValueError (a traceback
    from vtac sim); each is an ImageError naming the buffer."""
    import vtac
    from vtac.compiler import compile_module

    compile_module(vtac.parse_ir(SMALL_CONV)).image.save(tmp_path)
    meta = json.loads((tmp_path / "program.json").read_text())
    (weights,) = (b for b in meta["buffers"] if b["name"] == "w")
    assert [c[0] for c in weights["layout"]["coords"]][:1] == ["block"]
    _set(weights["layout"], path, value)
    (tmp_path / "program.json").write_text(json.dumps(meta))
    with pytest.raises(ImageError, match="buffer w: layout: " + message):
        ProgramImage.load(tmp_path)


# ------------------------------------------------------------------ a newcomer's first hour


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import vtac

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"vtac {vtac.__version__}\n"


def test_commands_that_compile_nothing_load_neither_xdsl_nor_ortools(image_dir: Path) -> None:
    """What keeps `vtac configs`, `--help`, `--version` and `disasm` within 0.3 s of `python -c
    pass` (benchmarks/startup.py measures it)."""
    script = (
        "import contextlib, io, sys\n"
        "from vtac.cli import main\n"
        "for argv in sys.argv[1:]:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main(argv.split())\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'xdsl', 'ortools', 'pandas'}))\n"
    )
    commands = ["configs", "--help", "--version", f"disasm {image_dir / 'insn.bin'}"]
    done = subprocess.run(
        [sys.executable, "-c", script, *commands], capture_output=True, text=True, check=True
    )
    assert done.stdout == "[]\n", done.stderr


def test_startup_benchmark_compares_with_python() -> None:
    """benchmarks/startup.py's measurement, on one quick command (the script itself runs the
    vtac commands)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("startup", ROOT / "benchmarks" / "startup.py")
    assert spec is not None and spec.loader is not None
    startup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(startup)
    (row,) = startup.measure([("python -V", [sys.executable, "-V"], True)], repeat=1)
    assert row["command"] == "python -V" and row["budget"] == startup.BUDGET
    assert row["ratio"] == pytest.approx(row["seconds"] / row["baseline_seconds"], abs=0.01)
    assert row["cpu_seconds"] > 0
    assert row["within_budget"] == (row["cpu_over_baseline"] <= startup.BUDGET)


def test_plain_sim_says_what_it_did(
    image_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sim", str(image_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ran 11 instructions in ")
    assert out[1] == "outputs: out 16x16 int8 (not saved: --output-dir DIR writes each as NAME.npy)"
    assert "--stats" in out[2] and "--cycles" in out[2]
    assert main(["sim", str(image_dir), "--output-dir", str(tmp_path / "o")]) == 0
    assert f"wrote {tmp_path / 'o' / 'out.npy'}" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(tmp_path / "o" / "out.npy"), expected())


def test_compile_dumps_the_ir_after_each_pass_and_sim_names_gemm_utilisation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dense, image = ROOT / "examples" / "dense.mlir", tmp_path / "img"
    assert main(["compile", str(dense), "-o", str(image), "--dump-ir", str(tmp_path / "ir")]) == 0
    assert "lane_utilization=1.0000" in capsys.readouterr().out
    names = sorted(p.name for p in (tmp_path / "ir").iterdir())
    assert names == [
        "0-input.mlir",
        "1-vtac-isel.mlir",
        "2-vtac-layout.mlir",
        "3-vtac-tile.mlir",
        "4-vtac-lower-to-vta.mlir",
        "5-vtac-insert-deps.mlir",
    ]
    assert "vtac.embedding" in (tmp_path / "ir" / "1-vtac-isel.mlir").read_text()
    assert "vta.program" in (tmp_path / "ir" / "5-vtac-insert-deps.mlir").read_text()
    assert main(["sim", str(image), "--cycles"]) == 0
    out = capsys.readouterr().out
    assert "GEMM utilisation (useful MACs per cycle over the peak, time-based): 0." in out


def test_progress_prints_only_work_over_its_delay() -> None:
    import io

    from vtac.progress import Progress

    quick = io.StringIO()
    with Progress(delay=60, stream=quick) as progress:
        progress("vtac-isel")
    assert quick.getvalue() == ""
    slow = io.StringIO()
    with Progress(delay=0, stream=slow, prefix="vtac bench C2") as progress:
        progress("vtac-isel")
        for _ in range(200):  # the timer thread announces the phase under way
            if slow.getvalue():
                break
            time.sleep(0.01)
        progress("vtac-tile")
    lines = slow.getvalue().splitlines()
    assert [line.split("] ")[1] for line in lines] == ["vtac-isel", "vtac-tile"]
    assert lines[0].startswith("vtac bench C2: [0.")


def test_vtac_opt_help_lists_vtac_passes_and_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vtac.opt import main as opt_main

    assert opt_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "vtac-isel          Embed contractions onto VTA's GEMM" in out
    assert "options: tiles, vthreads, order" in out and "--config NAME|FILE" in out
    assert "--print-between-passes" in out and "cse " in out
    assert "convert-print-format-to-riscv-debug" not in out  # xDSL's other passes are not listed
    dense = str(ROOT / "examples" / "dense.mlir")
    assert opt_main([dense, "--config", "batch2"]) == 0
    printed = capsys.readouterr().out
    assert 'vta.config = {TARGET = "sim"' in printed and "LOG_BATCH = 1 : i64" in printed
    (tmp_path / "b2.mlir").write_text(printed)
    assert opt_main([str(tmp_path / "b2.mlir"), "--config", "batch2"]) == 0
    capsys.readouterr()
    assert opt_main([str(tmp_path / "b2.mlir"), "--config", "default"]) == 1
    assert "the input module's vta.config is another configuration" in capsys.readouterr().err
