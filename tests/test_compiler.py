"""End to end: nn functions compiled to VTA programs, simulated in strict mode, and compared
bit for bit with the reference backend. The workload suites (DeepBench, ResNet-18) are in
tests/test_workloads.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vtac
from vtac.cli import main
from vtac.compiler import CompileError, compile_module, run_module
from vtac.passes.schedule import TileOptions
from vtac.planning.tiling import TilingError
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Alu, AluOp
from vtac.runtime.simulator import simulate
from vtac.workloads import conv, matmul

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {name: VTAConfig.named(name) for name in ("default", "batch2", "block8_small")}
DENSE = ROOT / "examples" / "dense.mlir"


def check(text: str, config: VTAConfig | None = None, **options: object) -> None:
    report = run_module(vtac.parse_ir(text), config=config, **options)  # type: ignore[arg-type]
    assert report.match, f"mismatch:\n{report.outputs}"


@pytest.mark.parametrize("example", ["dense", "matmul", "resnet18_c2", "resnet18_c1"])
def test_examples_match(example: str) -> None:
    check((ROOT / "examples" / f"{example}.mlir").read_text())


@pytest.mark.parametrize(
    "shape",
    [(3, 32, 64, 7, 3, 2), (64, 14, 64, 3, 1, 1), (64, 14, 128, 1, 0, 2), (1, 20, 32, 5, 0, 2)],
    ids=["c1-like", "3x3", "1x1-stride2", "one-channel"],
)
@pytest.mark.parametrize("config", ["default", "batch2"])
@pytest.mark.parametrize("embedding", ["auto", "fixed"])
def test_conv_embeddings(shape: tuple[int, ...], config: str, embedding: str) -> None:
    check(conv(*shape), CONFIGS[config], embedding=embedding)


@pytest.mark.parametrize("config", ["default", "batch2"])
@pytest.mark.parametrize("embedding", ["auto", "fixed"])
def test_deepbench_padding_wider_than_the_kernel(config: str, embedding: str) -> None:
    """DeepBench's conv_server/49 and /58 (1x1 kernel, padding 3, stride 2) with fewer channels:
    the output border reads zeros only (nn.conv2d used to refuse padding this wide)."""
    check(conv(64, 7, 32, 1, 3, 2, 2), CONFIGS[config], embedding=embedding)


def test_regression_borders_the_dma_cannot_pad() -> None:
    """A tile of output rows reading the zero border only (a box with no element to load: a
    DmaError in lowering) and borders past the 15 elements LOAD can pad: the zeros are
    explicit in DRAM instead."""
    check(conv(16, 3, 16, 1, 2, 1), embedding="fixed", tiles={"oh": 1})
    check(conv(16, 4, 16, 3, 17, 3, w=5, s=2, pad_w=16, stride_w=1))
    check(conv(3, 4, 16, 3, 17, 3), CONFIGS["batch2"])


def test_flexible_embedding_beats_fixed_on_three_channels() -> None:
    text = conv(3, 32, 64, 7, 3, 2)
    flexible = compile_module(vtac.parse_ir(text))
    fixed = compile_module(vtac.parse_ir(text), embedding="fixed")
    assert flexible.embedding.utilization > 0.9
    assert fixed.embedding.utilization == pytest.approx(3 / 16)


def test_compiling_twice_gives_identical_images(tmp_path: Path) -> None:
    text = conv(16, 12, 32, 3, 1, 1)
    for name in ("a", "b"):
        compile_module(vtac.parse_ir(text)).image.save(tmp_path / name)
    for file in ("program.json", "insn.bin", "dram.bin"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


@settings(max_examples=10, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 60),
    st.lists(st.integers(1, 12), min_size=3, max_size=3),
    st.sampled_from([None, 1, 2]),
)
def test_forced_tiles_are_honoured_or_refused(m, k, sizes, threads) -> None:  # noqa: ANN001
    text = matmul(m, 20, k, True)
    loops = compile_module(vtac.parse_ir(text)).loops
    tiles = {name: min(size, extent) for (name, extent), size in zip(loops, sizes, strict=True)}
    try:
        report = run_module(vtac.parse_ir(text), tiles=tiles, vthreads=threads)
    except TilingError as err:
        assert "exceed" in str(err) or "need" in str(err)
        return
    assert report.match
    assert report.compiled.schedule.tile == tiles


def test_unsupported_programs_are_refused() -> None:
    text = (
        "func.func @f(%x: tensor<4x16xi32>) -> tensor<4x16xi32> {\n"
        "  %y = nn.relu %x : (tensor<4x16xi32>) -> tensor<4x16xi32>\n"
        "  func.return %y : tensor<4x16xi32>\n}\n"
    )
    with pytest.raises(CompileError, match="vtac compiles functions of a chain of nn.conv2d"):
        compile_module(vtac.parse_ir(text))


def test_cli_run_and_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(ROOT / "examples" / "dense.mlir")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "match"
    assert "gemm_counter" in out and "compile time" in out
    assert (
        main(["compile", str(ROOT / "examples" / "matmul.mlir"), "-o", str(tmp_path / "img")]) == 0
    )
    assert main(["sim", str(tmp_path / "img"), "--strict"]) == 0
    assert main(["run", str(ROOT / "examples" / "dense.mlir"), "--tiles", "n=99"]) == 1
    assert "forced tile n=99" in capsys.readouterr().err
    assert main(["run", str(ROOT / "examples" / "dense.mlir"), "--config", "block8_small"]) == 0


def test_cli_run_prints_the_fixed_embedding_beside_a_flexible_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    three = tmp_path / "three.mlir"
    three.write_text(conv(3, 9, 16, 3, 1, 2))
    assert main(["run", str(three)]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith("embedding: inp=data wgt=weights")
    chosen = float(line.split("lane_utilization=")[1].split()[0])
    assert line.endswith(" (fixed embedding: lane_utilization=0.1875)") and chosen > 0.5
    # the fixed embedding itself, or one that fills the lanes anyway: one utilisation only
    for command in (["run", str(three), "--embedding", "fixed"], ["run", str(DENSE)]):
        assert main(command) == 0
        line = capsys.readouterr().out.splitlines()[1]
        assert line.count("lane_utilization=") == 1 and "fixed embedding" not in line


def test_cli_chooses_the_function_and_checks_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = tmp_path / "two.mlir"
    two.write_text(
        (ROOT / "examples" / "matmul.mlir").read_text()
        + (
            "func.func @relu(%x: tensor<4x16xi32>) -> tensor<4x16xi32> {\n"
            "  %y = nn.relu %x : (tensor<4x16xi32>) -> tensor<4x16xi32>\n"
            "  func.return %y : tensor<4x16xi32>\n}\n"
        )
    )
    image = tmp_path / "img"
    for command in (["run", str(two)], ["compile", str(two), "-o", str(image)]):
        assert main(command) == 1
        assert capsys.readouterr().err == (
            f"vtac: error: {two} has 2 functions (@matmul, @relu): choose one with --function "
            "NAME\n"
        )
    assert main(["run", str(two), "--function", "matmul"]) == 0
    assert capsys.readouterr().out.startswith("match\n")
    assert main(["compile", str(two), "-o", str(image), "--function", "matmul"]) == 0
    assert main(["sim", str(image), "--strict"]) == 0
    capsys.readouterr()
    assert main(["run", str(two), "--function", "dense"]) == 1
    assert "no function @dense in the module (functions: @matmul, @relu)" in capsys.readouterr().err
    # inputs: all of them or none
    a = tmp_path / "a.npy"
    np.save(a, np.zeros((35, 100), np.int8))
    assert main(["run", str(two), "--function", "matmul", "--input", f"a={a}"]) == 1
    assert capsys.readouterr().err == (
        "vtac: error: @matmul takes a, b: give every input with --input or none (random "
        "inputs); missing b\n"
    )
    assert (
        main(
            [
                "run",
                str(two),
                "--function",
                "matmul",
                "--input",
                f"a={a}",
                "--input",
                f"b={a}",
                "--input",
                f"c={a}",
            ]
        )
        == 1
    )
    assert "unknown c" in capsys.readouterr().err
    # an image directory that cannot be written
    assert main(["compile", str(two), "--function", "matmul", "-o", str(a / "img")]) == 1
    assert capsys.readouterr().err.startswith(f"vtac: error: cannot write {a / 'img'}: ")


def test_cli_reports_ir_errors_at_their_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.mlir"
    bad.write_text(
        "func.func @f(%x: tensor<2x16xi8>, %w: tensor<4x16xi8>) -> tensor<2x4xi32> {\n"
        "  %y = nn.dense %x, %w : (tensor<2x16xi8>, tensor<4x16xi8>) -> tensor<2x4xi32>\n"
        "  func.return %x : tensor<2x16xi8>\n}\n"
    )
    for command in (["run", str(bad)], ["compile", str(bad), "-o", str(tmp_path / "img")]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"{bad}:3:3: error: func.return: Expected arguments"), err
        assert err.endswith("\n  func.return %x : tensor<2x16xi8>\n  ^\n")
    binary = tmp_path / "binary.mlir"
    binary.write_bytes(b"\x80")
    assert main(["run", str(binary)]) == 1
    assert capsys.readouterr().err.startswith(f"{binary}:1:1: error: not UTF-8 text (byte 0x80)")


def test_bench_with_tvm_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    out = tmp_path / "bench.json"
    assert main(["bench", "resnet18", "--compare", "tvm", "--only", "C10", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["workload"] == "C10" and row["correct"]
    # No schedule beats its roofline: loads and stores share the DRAM port, as the roofline's
    # memory bound counts them; C10 comes close to it.
    assert row["macs"] / 256 <= row["roofline_cycles"] <= row["cycles"]
    assert row["cycles"] <= 1.15 * row["roofline_cycles"]
    assert row["tvm_cycles"] > row["cycles"]
    for key in ("macs", "utilization", "instructions", "dram_bytes", "compile_s", "sim_s"):
        assert key in row
    assert row["utilization"] == row["fixed_utilization"] == 1.0  # 256 channels fill the lanes
    out = capsys.readouterr().out
    assert "geometric-mean speedup" in out
    head, line = out.splitlines()[:2]
    assert line.split()[head.split().index("fixed_lane_util")] == "1.000"
    error = row["tvm_model_ms"] / row["tvm_measured_ms"] - 1
    assert row["tvm_model_error"] == pytest.approx(error)
    assert line.split()[head.split().index("model_err")] == f"{error:+.1%}"
    assert f"worst error {error:+.1%} (C10)" in out
    assert main(["bench", str(tmp_path / "missing.csv")]) == 1
    assert "nor a readable CSV" in capsys.readouterr().err


def test_regression_whole_window_rows_stay_innermost() -> None:
    """Found by fuzzing: with output columns on the batch lanes, the input's whole-row window
    was not among the two innermost dimensions, where the DMA's zero padding applies."""
    text = (
        "func.func @f(%x: tensor<1x16x3x3xi8>, %w: tensor<1x16x5x1xi8>) -> tensor<1x1x1x3xi32> {\n"
        "  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 0, 1, 0>}"
        " : (tensor<1x16x3x3xi8>, tensor<1x16x5x1xi8>) -> tensor<1x1x1x3xi32>\n"
        "  func.return %y : tensor<1x1x1x3xi32>\n}\n"
    )
    check(text, CONFIGS["batch2"])


def test_regression_unpadded_windows_may_be_split() -> None:
    """Found by fuzzing: keeping every window loop whole left no tiling for a 3x6 kernel on a
    16-entry weight buffer; windows without a zero border can be split safely."""
    config = VTAConfig(
        LOG_BLOCK=3,
        LOG_UOP_BUFF_SIZE=12,
        LOG_INP_BUFF_SIZE=9,
        LOG_WGT_BUFF_SIZE=10,
        LOG_ACC_BUFF_SIZE=11,
    )
    check(conv(16, 3, 1, 3, 0, 1, w=6, s=6), config)


def test_regression_forced_split_of_a_padded_window_is_refused() -> None:
    """Found by fuzzing: forcing a window loop over a zero border into tiles of 1 gave a tile
    holding no input element (a DmaError deep in lowering); it is refused up front."""
    text = (
        "func.func @f(%x: tensor<1x3x3x1xi8>, %w: tensor<1x3x3x2xi8>) -> tensor<1x1x1x2xi32> {\n"
        "  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>}"
        " : (tensor<1x3x3x1xi8>, tensor<1x3x3x2xi8>) -> tensor<1x1x1x2xi32>\n"
        "  func.return %y : tensor<1x1x1x2xi32>\n}\n"
    )
    loops = compile_module(vtac.parse_ir(text)).loops
    with pytest.raises(TilingError, match="must stay whole"):
        compile_module(vtac.parse_ir(text), tiles={name: 1 for name, _ in loops})


def test_regression_splits_that_once_deadlocked_compile_and_match() -> None:
    """Found by the DeepBench tests: eight-part tail splits over the last four steps left more
    than eight compute-to-load tokens outstanding, and the queue credits of an earlier version
    of vtac-insert-deps deadlocked, so the tile search dropped such splits and refused them
    when forced. Tokens now never deadlock: the forced split compiles and matches."""
    text = conv(256, 4, 1024, 1, 0, 1)
    options = TileOptions(
        tiles={"block_out": 8, "block_in": 16}, head="none", tail="block_out:1+1+1+1+1+1+1@4"
    )
    assert run_module(vtac.parse_ir(text), tiling=options).match


@pytest.mark.parametrize("amount", [15, 16, 20, 31])
def test_shifts_beyond_the_alu_range_are_split_and_match(amount: int) -> None:
    """The ALU shifts by an amount's low 5 bits read as a signed number (SHR 20 shifts left by
    12), so nn.shr by more than 15 becomes several SHRs of at most 15. The strict simulator
    (which refuses other immediates) and the hardware rule without --strict both match."""
    text = (
        "func.func @f(%x: tensor<16x32xi8>, %w: tensor<16x32xi8>) -> tensor<16x16xi32> {\n"
        "  %a = nn.dense %x, %w : (tensor<16x32xi8>, tensor<16x32xi8>) -> tensor<16x16xi32>\n"
        f"  %s = nn.shr %a {{amount = {amount} : i64}} : (tensor<16x16xi32>) -> tensor<16x16xi32>\n"
        "  func.return %s : tensor<16x16xi32>\n"
        "}\n"
    )
    rng = np.random.default_rng(amount)
    inputs = {name: rng.integers(-128, 128, (16, 32), dtype=np.int8) for name in ("x", "w")}
    report = run_module(vtac.parse_ir(text), inputs)
    assert report.match
    image = report.compiled.image
    shifts = [i.imm for i in image.insns if isinstance(i, Alu) and i.alu_opcode == AluOp.SHR]
    assert shifts and all(0 <= imm <= 15 for imm in shifts)
    dram = image.dram.copy()
    for name, value in inputs.items():
        image.set_input(name, value, dram)
    simulate(image.config, image.insns, dram, base=image.base)
    got = image.read_output(report.compiled.output, dram)
    np.testing.assert_array_equal(got, report.outputs["reference"])


def test_constant_weights_are_packed_at_compile_time() -> None:
    """Weights and a bias given as arith.constant go into the image, packed; only the data is an
    input. The reference backend evaluates the constants, so the run is checked end to end."""
    rng = np.random.default_rng(3)
    w = rng.integers(-128, 128, (40, 35))
    b = rng.integers(-(2**12), 2**12, 40)
    text = (
        "func.func @f(%x: tensor<5x35xi8>) -> tensor<5x40xi8> {\n"
        f"  %w = arith.constant dense<{w.tolist()}> : tensor<40x35xi8>\n"
        f"  %b = arith.constant dense<{b.tolist()}> : tensor<40xi32>\n"
        "  %acc = nn.dense %x, %w : (tensor<5x35xi8>, tensor<40x35xi8>) -> tensor<5x40xi32>\n"
        "  %y = nn.add %acc, %b : (tensor<5x40xi32>, tensor<40xi32>) -> tensor<5x40xi32>\n"
        "  %s = nn.shr %y {amount = 6 : i64} : (tensor<5x40xi32>) -> tensor<5x40xi32>\n"
        '  %c = nn.cast %s {mode = "saturate"} : (tensor<5x40xi32>) -> tensor<5x40xi8>\n'
        "  func.return %c : tensor<5x40xi8>\n}\n"
    )
    compiled = compile_module(vtac.parse_ir(text))
    assert compiled.inputs == ["x"]
    image = compiled.image
    weights = image.buffer("w")
    assert (weights.role, image.buffer("b").role) == ("weight", "constant")
    stored = image.dram[weights.offset : weights.offset + weights.size].view(np.int8)
    packed = weights.layout.pack(w.astype(np.int8), np.int8)
    assert np.array_equal(stored.reshape(packed.shape), packed)
    assert run_module(vtac.parse_ir(text)).match
