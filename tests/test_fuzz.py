"""Property-based fuzzing: whatever vtac compiles computes what the tensor program says, or
vtac refuses with a clear error; malformed input never crashes or hangs the tools. Example
counts come from the hypothesis profile (tests/conftest.py): bounded in CI, 10,000 with the
long profile. Every failure of a compile-and-simulate property carries a reproducer (see
vtac.testing.check_program)."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

import vtac
from vtac.cli import main as cli_main
from vtac.compiler import compile_module
from vtac.errors import VtacError
from vtac.opt import VtacOptMain
from vtac.opt import main as opt_main
from vtac.passes.registry import DEFAULT_PIPELINE
from vtac.passes.schedule import TileOptions
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import EncodingError, Finish, decode_program, encode, encode_program
from vtac.runtime.simulator import SimError, simulate
from vtac.testing import (
    CASE_SECONDS,
    CaseTimeout,
    Program,
    check_deterministic,
    check_program,
    configs,
    failure,
    instructions,
    is_layout_refusal,
    is_refusal,
    mutated_bytes,
    mutated_json,
    mutated_texts,
    programs,
    reproducer,
    tile_options,
    time_limit,
    unhonoured,
)

SHIPPED = (VTAConfig(), VTAConfig.named("batch2"))
#: Seconds one malformed input may keep a tool busy before it counts as a hang.
FRONT_DOOR_SECONDS = min(60.0, CASE_SECONDS)
#: The profile's example count (tests/conftest.py); compiling twice per case, the determinism
#: property runs half of it.
EXAMPLES = settings.default.max_examples


def refusals_on(program: Program):  # noqa: ANN201
    """What a property accepts as a refusal of ``program``: on VTA's shipped configurations
    (every drawn one-stage program fits them) only a chain whose stages disagree on the layout
    between them, which vtac does not re-layout; on a random configuration also a limit named
    by the compiler (a tiny buffer may hold no tile at all)."""
    if program.config not in SHIPPED:
        return is_refusal
    return None if program.stages == 1 else is_layout_refusal


# ------------------------------------------------------------------ compile and simulate


@given(programs())
def test_compiled_programs_compute_the_reference(program: Program) -> None:
    check_program(program, refused=refusals_on(program))


@given(st.data())
def test_random_hardware_configurations(data: st.DataObject) -> None:
    program = data.draw(programs(config=data.draw(configs())))
    check_program(program, refused=is_refusal)


@given(programs(max_stages=1), st.sampled_from(["auto", "fixed"]), st.data())
def test_forced_choices_are_honoured_or_refused(
    program: Program, embedding: str, data: st.DataObject
) -> None:
    program.embedding = embedding
    unforced = check_program(program, refused=refusals_on(program))
    if unforced is None:
        return  # no tiling fits this configuration at all
    program.tiling = data.draw(tile_options(unforced.compiled), label="tiling")
    report = check_program(program, refused=is_refusal)
    if report is not None:
        wrong = unhonoured(program.tiling, report.compiled)
        assert not wrong, failure(program, f"forced choices not honoured: {'; '.join(wrong)}")


@settings(max_examples=max(1, EXAMPLES // 2))
@given(programs())
def test_compiling_is_deterministic(program: Program) -> None:
    check_deterministic(program, refused=refusals_on(program))


# ------------------------------------------------------------------------- the front door

#: What vtac-opt may raise for malformed input (its main() prints each as a diagnostic);
#: anything else, a plain ValueError included, is a bug.
OPT_USER_ERRORS = (ParseError, VerifyException, DiagnosticException, VtacError)


def run_opt(args: list[str]) -> tuple[int, str]:
    """vtac-opt ``args`` in-process, letting any exception but a user error escape; (status,
    stderr) of vtac.opt.main as well, which must not report an internal error."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            VtacOptMain(description="vtac-opt", args=[*args, "-o", "/dev/null"]).run()
            status = 0
        except OPT_USER_ERRORS:
            status = 1
    errors = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
        assert opt_main([*args, "-o", "/dev/null"]) == status
    assert "internal error" not in errors.getvalue(), errors.getvalue()
    return status, errors.getvalue()


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """vtac ``args`` in-process (vtac.cli.main lets anything but a user error escape): status,
    stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli_main(args)
    assert status in (0, 1), status
    if status:
        assert "mismatch" in out.getvalue() or err.getvalue().startswith(
            ("vtac: error: ", str(args[1]))
        ), (out.getvalue(), err.getvalue())
    return status, out.getvalue(), err.getvalue()


@given(program=programs(config=VTAConfig()), data=st.data())
def test_mutated_ir_gives_a_diagnostic_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory, program: Program, data: st.DataObject
) -> None:
    """Mutated IR into vtac-opt (parsing, and the default pipeline), vtac compile and vtac run:
    a diagnostic and status 1, or a correct compile and run; never a traceback, a wrong result
    or a hang."""
    mutated = data.draw(mutated_texts(program.text), label="mutated IR")
    folder = tmp_path_factory.mktemp("ir")
    path = folder / "m.mlir"
    path.write_text(mutated)
    with time_limit(FRONT_DOOR_SECONDS, "vtac-opt on the mutated IR"):
        parsed, _ = run_opt([str(path)])
    with time_limit(FRONT_DOOR_SECONDS, "the default pipeline on the mutated IR"):
        run_opt([str(path), "-p", DEFAULT_PIPELINE])
    with time_limit(FRONT_DOOR_SECONDS, "vtac compile on the mutated IR"):
        compiled, _, _ = run_cli(["compile", str(path), "-o", str(folder / "image")])
    with time_limit(FRONT_DOOR_SECONDS, "vtac run on the mutated IR"):
        status, out, _ = run_cli(["run", str(path)])
    assert "mismatch" not in out, f"a wrong result:\n{mutated}"
    if parsed:  # what the parser refuses, nothing compiles
        assert compiled == status == 1


@given(st.binary(min_size=16, max_size=16 * 12), st.integers(0, 3), st.booleans())
def test_random_instruction_bytes_never_hang(raw: bytes, pad: int, strict: bool) -> None:
    config = VTAConfig()
    raw = raw[: len(raw) - len(raw) % 16]
    try:
        insns = decode_program(raw, config)
    except EncodingError:
        return
    with time_limit(FRONT_DOOR_SECONDS, "simulating"), contextlib.suppress(SimError):
        simulate(config, insns, np.zeros(4096 * (pad + 1), dtype=np.uint8), strict=strict)


@given(st.data(), st.booleans())
def test_random_valid_instructions_never_hang(data: st.DataObject, strict: bool) -> None:
    """Instructions built from the ISA records, every field within its width (raw bytes
    almost never decode): a clear SimError or a run, never a hang or another exception."""
    config = data.draw(st.sampled_from(SHIPPED) | configs(), label="config")
    insns = data.draw(st.lists(instructions(config), min_size=1, max_size=12), label="insns")
    if data.draw(st.booleans()):
        insns.append(Finish())
    assert decode_program(encode_program(insns, config), config) == insns
    seed = data.draw(st.none() | st.integers(0, 2**32 - 1), label="dram seed")
    dram = np.zeros(1 << 16, np.uint8)
    if seed is not None:
        dram = np.random.default_rng(seed).integers(0, 256, dram.size, dtype=np.uint8)
    with time_limit(FRONT_DOOR_SECONDS, "simulating"), contextlib.suppress(SimError):
        simulate(config, insns, dram, strict=strict)


IMAGE_PROGRAM = """\
func.func @conv(%x: tensor<1x5x6x6xi8>, %w: tensor<16x5x3x3xi8>, %bias: tensor<16xi32>)
    -> tensor<1x16x6x6xi8> {
  %0 = nn.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
      : (tensor<1x5x6x6xi8>, tensor<16x5x3x3xi8>) -> tensor<1x16x6x6xi32>
  %1 = nn.add %0, %bias : (tensor<1x16x6x6xi32>, tensor<16xi32>) -> tensor<1x16x6x6xi32>
  %2 = nn.shr %1 {amount = 6 : i64} : (tensor<1x16x6x6xi32>) -> tensor<1x16x6x6xi32>
  %3 = nn.cast %2 {mode = "saturate"} : (tensor<1x16x6x6xi32>) -> tensor<1x16x6x6xi8>
  func.return %3 : tensor<1x16x6x6xi8>
}
"""


@functools.cache
def compiled_image(folder: str) -> tuple[dict[str, bytes], dict[str, str]]:
    """A real compiled image (conv2d with bias, shift and cast): its three files, and the
    --input/--check files of a correct run."""
    from vtac.compiler import random_inputs, run_module

    module = vtac.parse_ir(IMAGE_PROGRAM)
    function = next(iter(module.ops))
    inputs = random_inputs(function, seed=1)  # type: ignore[arg-type]
    report = run_module(module, inputs)
    assert report.match
    report.compiled.image.save(Path(folder) / "image")
    files = {}
    for name, array in {**inputs, "result": report.outputs["reference"]}.items():
        files[name] = str(Path(folder) / f"{name}.npy")
        np.save(files[name], array)
    contents = {
        name: (Path(folder) / "image" / name).read_bytes()
        for name in ("program.json", "insn.bin", "dram.bin")
    }
    return contents, files


@st.composite
def mutated_instructions(draw: st.DrawFn, data: bytes, config: VTAConfig) -> bytes:
    """An instruction stream with an instruction replaced by a random valid one, deleted,
    duplicated or moved."""
    insns = [data[i : i + 16] for i in range(0, len(data), 16)]
    i = draw(st.integers(0, len(insns) - 1))
    j = draw(st.integers(0, len(insns) - 1))
    how = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "move"]))
    if how == "replace":
        insns[i] = encode(draw(instructions(config)), config)
    elif how == "delete":
        del insns[i]
    elif how == "duplicate":
        insns.insert(j, insns[i])
    else:
        insns.insert(j, insns.pop(i))
    return b"".join(insns)


def test_the_fuzzed_image_runs_and_matches(tmp_path: Path) -> None:
    contents, files = compiled_image(str(tmp_path))
    folder = tmp_path / "copy"
    folder.mkdir()
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    inputs = [f"--input={n}={files[n]}" for n in ("x", "w", "bias")]
    status, out, _ = run_cli(["sim", str(folder), *inputs, f"--check=result={files['result']}"])
    assert (status, out) == (0, "result: match\n")


@given(st.data())
def test_mutated_program_images_give_a_clear_error_or_a_run(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """A real compiled image with program.json, insn.bin or dram.bin mutated (bits and bytes
    flipped, files cut short, JSON values replaced, instructions replaced by random valid ones)
    through vtac sim, strict or not: a clean error or a run, never a traceback or a hang."""
    contents, files = compiled_image(str(tmp_path_factory.mktemp("compiled")))
    name = data.draw(st.sampled_from(sorted(contents)), label="file")
    original = contents[name]
    if name == "program.json" and data.draw(st.booleans()):
        mutated = data.draw(mutated_json(original.decode()), label="program.json").encode()
    elif name == "insn.bin" and data.draw(st.booleans()):
        config = VTAConfig()
        mutated = data.draw(mutated_instructions(original, config), label="insn.bin")
    else:
        mutated = data.draw(mutated_bytes(original), label=name)
    folder = tmp_path_factory.mktemp("image")
    for other, content in contents.items():
        (folder / other).write_bytes(mutated if other == name else content)
    args = ["sim", str(folder), f"--check=result={files['result']}"]
    args += [f"--input={n}={files[n]}" for n in ("x", "w", "bias") if data.draw(st.booleans())]
    args += ["--strict"] if data.draw(st.booleans(), label="strict") else []
    with time_limit(FRONT_DOOR_SECONDS, "vtac sim on the mutated image"):
        run_cli(args)


# ---------------------------------------------------------------------------- reproducers

#: Every vtac-tile option forced (with embedding="fixed", which gives these loops).
FORCED = TileOptions(
    tiles={"batch": 5, "block_out": 1},
    vthreads=2,
    order=("batch", "block_out", "block_in"),
    acc_threads=1,
    epilogue="whole",
    refine_layouts=False,
    head="batch:2",
    tail="none",
)
DENSE = """\
func.func @fuzz(%x: tensor<20x33xi8>, %w: tensor<4x33xi8>) -> tensor<20x4xi32> {
  %v0 = nn.dense %x, %w : (tensor<20x33xi8>, tensor<4x33xi8>) -> tensor<20x4xi32>
  func.return %v0 : tensor<20x4xi32>
}
"""


def dense_program(**options: object) -> Program:
    rng = np.random.default_rng(0)
    inputs = {
        "x": rng.integers(-128, 128, (20, 33)).astype(np.int8),
        "w": rng.integers(-128, 128, (4, 33)).astype(np.int8),
    }
    return Program(DENSE, inputs, VTAConfig(), **options)  # type: ignore[arg-type]


def test_reproducer_carries_every_forced_option(tmp_path: Path) -> None:
    from vtac.cli import _compile_options, build_parser

    program = dense_program(embedding="fixed", tiling=FORCED)
    command = shlex.split(reproducer(program, tmp_path / "repro"))
    assert command[:3] == ["vtac", "run", str(tmp_path / "repro" / "program.mlir")]
    assert _compile_options(build_parser().parse_args(command[1:])) == program.compile_options()
    assert (tmp_path / "repro" / "command.sh").read_text() == shlex.join(command) + "\n"


def test_reproducer_reruns_the_program(tmp_path: Path) -> None:
    program = dense_program(tiling=TileOptions(tiles={"m": 2}, vthreads=1, epilogue="whole"))
    report = check_program(program)
    assert report is not None and "m=2" in str(report.compiled.schedule)
    status, out, _ = run_cli(shlex.split(reproducer(program, tmp_path / "repro"))[1:])
    assert status == 0 and out.startswith("match\n")
    assert "m=2" in out and "vthreads=1" in out and "epilogue=whole" in out


def test_a_failing_check_prints_a_command_that_reproduces_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong reference (monkeypatched) makes the check fail: its message holds the program
    and a vtac run command with the forced options that shows the mismatch."""
    import vtac.compiler

    def wrong(function, inputs):  # noqa: ANN001, ANN202
        return [np.zeros((20, 4), np.int32) + 1]

    monkeypatch.setattr(vtac.compiler, "run_function", wrong)
    program = dense_program(embedding="fixed", tiling=FORCED)
    with pytest.raises(AssertionError, match="computes a different result") as failed:
        check_program(program)
    message = str(failed.value)
    assert "--- program.mlir ---\n" + DENSE in message
    command = message.split("--- reproduce with ---\n")[1].strip()
    args = shlex.split(command)
    assert args[:2] == ["vtac", "run"]
    for flag in ("--embedding", "--tiles", "--vthreads", "--order", "--acc-threads"):
        assert flag in args
    for flag in ("--epilogue", "--keep-layouts", "--head", "--tail"):
        assert flag in args
    status, out, _ = run_cli(args[1:])
    assert status == 1 and out.startswith("mismatch\n")


def test_compiler_exceptions_and_hangs_fail_with_a_reproducer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import vtac.compiler

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise IndexError("list index out of range")

    monkeypatch.setattr(vtac.compiler, "compile_module", broken)
    program = dense_program()
    with pytest.raises(AssertionError, match=r"IndexError: list index out of range") as failed:
        check_program(program)
    assert "--- reproduce with ---\n  vtac run " in str(failed.value)
    assert isinstance(failed.value.__cause__, IndexError)
    with pytest.raises(AssertionError, match="IndexError"):
        check_program(program, refused=is_refusal)  # not a refusal: no limit named

    def hang(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        while True:
            pass

    monkeypatch.setattr(vtac.compiler, "compile_module", hang)
    with pytest.raises(AssertionError, match=r"ran longer than 0.2 s[\s\S]*vtac run "):
        check_program(program, timeout=0.2)


def test_simulator_errors_fail_with_a_reproducer(monkeypatch: pytest.MonkeyPatch) -> None:
    import vtac.compiler

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise SimError("strict mode: a race between LOAD and GEMM")

    monkeypatch.setattr(vtac.compiler, "simulate", refuse)
    with pytest.raises(AssertionError, match=r"SimError: strict mode[\s\S]*vtac run "):
        check_program(dense_program())


def test_refusals_are_recognised_by_type_and_limit() -> None:
    program = dense_program(tiling=TileOptions(tiles={"m": 2}, acc_threads=2, vthreads=1))
    assert check_program(program, refused=is_refusal) is None
    with pytest.raises(AssertionError, match="acc_threads=2 exceeds vthreads=1"):
        check_program(program)
    assert not is_refusal(ValueError("no tiling fits"))  # the type matters too


def test_deterministic_check_fails_with_a_reproducer(monkeypatch: pytest.MonkeyPatch) -> None:
    import vtac.compiler

    real = vtac.compiler.compile_module
    calls = []

    def flaky(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        tiling = TileOptions(tiles={"m": len(calls)})
        return real(*args, **{**kwargs, "tiling": tiling})

    monkeypatch.setattr(vtac.compiler, "compile_module", flaky)
    with pytest.raises(AssertionError, match=r"two compiles[\s\S]*vtac compile .* && diff -r"):
        check_deterministic(dense_program())


def test_a_hypothesis_failure_reports_the_minimal_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis shrinks first: the reported reproducer is the minimal failing program, and
    only that one is written. (A stand-in run_module fails every program with a relu, without
    compiling: shrinking takes many cases.)"""
    import types

    import vtac.compiler
    import vtac.testing.checks

    def run_module(module, inputs, config, **options):  # noqa: ANN001, ANN003, ANN202
        bad = "nn.relu" in str(module)
        result = np.ones(1, np.int32)
        outputs = {"result": result, "reference": result + bad}
        return types.SimpleNamespace(match=not bad, outputs=outputs)

    monkeypatch.setattr(vtac.compiler, "run_module", run_module)
    written: list[Program] = []
    monkeypatch.setattr(
        vtac.testing.checks, "reproducer", lambda p, d=None: written.append(p) or "vtac run X"
    )

    @settings(max_examples=500, database=None)
    @given(programs())
    def prop(program: Program) -> None:
        check_program(program)

    with pytest.raises(AssertionError) as failed:
        prop()
    assert len(written) == 1
    assert "--- reproduce with ---\n  vtac run X" in str(failed.value)
    minimal = written[0]
    assert minimal.config == VTAConfig()
    assert minimal.text.count("nn.") == 2 and "nn.relu" in minimal.text
    assert "nn.dense %x, %w : (tensor<1x1xi8>, tensor<1x1xi8>)" in minimal.text


def test_time_limit() -> None:
    with (
        pytest.raises(CaseTimeout, match="spinning ran longer than 0.1 s"),
        time_limit(0.1, "spinning"),
    ):
        while True:
            pass
    with time_limit(5):
        pass


def test_mutations_keep_json_valid_and_reach_integers() -> None:
    from hypothesis import find

    # an integer of a type replaced by another (the input's 33 columns, say)
    found = find(mutated_texts(DENSE), lambda t: re.search(r"tensor<20x(?!33x)\d+xi8>", t))
    assert found.count("\n") == DENSE.count("\n")
    doc = json.loads(find(mutated_json('{"a": [1, 2], "b": "x"}'), lambda t: "2" not in t))
    assert isinstance(doc, dict)


def test_tile_options_draw_every_forced_choice() -> None:
    from hypothesis import find

    compiled = compile_module(vtac.parse_ir(DENSE), VTAConfig())
    for option, default in (
        ("tiles", {}),
        ("order", ()),
        ("vthreads", 0),
        ("acc_threads", 0),
        ("epilogue", "auto"),
        ("refine_layouts", True),
        ("head", ""),
        ("tail", ""),
    ):
        found = find(tile_options(compiled), lambda t, o=option, d=default: getattr(t, o) != d)
        assert getattr(found, option) != default
    order = find(tile_options(compiled), lambda t: bool(t.order)).order
    assert sorted(order) == sorted(dict(compiled.loops))
    split = find(tile_options(compiled), lambda t: ":" in t.head).head
    assert split.partition(":")[0] in ("block_out", "m")  # a parallel loop
