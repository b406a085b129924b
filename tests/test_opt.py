"""vtac-opt on malformed input: a diagnostic with a location and exit status 1, no traceback."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

import vtac
import vtac.dialects.tile
import vtac.dialects.vta
from vtac.opt import main
from vtac.parsing import MAX_NESTING
from vtac.passes.registry import DEFAULT_PIPELINE, get_all_passes

ROOT = Path(__file__).resolve().parents[1]
LIT_EXAMPLES = ROOT / "tests" / "filecheck" / "dialects"


def docstring_example(module: object, first: str, end: str) -> str:
    """The IR example of a dialect module's docstring."""
    doc = module.__doc__ or ""
    return doc[doc.index(first) : doc.index(end)]


def valid_sources() -> dict[str, str]:
    """Valid inputs covering the three dialects: the examples, the op round-trip tests and the
    dialects' documented examples."""
    sources = {path.name: path.read_text() for path in sorted((ROOT / "examples").glob("*.mlir"))}
    for dialect in ("tile", "vta"):
        lines = (LIT_EXAMPLES / dialect / "ops.mlir").read_text().splitlines(keepends=True)
        sources[f"{dialect}/ops.mlir"] = "".join(x for x in lines if not x.startswith("//"))
    sources["tile docstring"] = docstring_example(vtac.dialects.tile, "    !inp", "**Buffers")
    sources["vta docstring"] = docstring_example(
        vtac.dialects.vta, "    builtin", "Instruction ops"
    )
    return sources


SOURCES = valid_sources()
TOKEN = re.compile(r"%\w+|@\w+|#\w+(\.\w+)?|\w+(\.\w+)*|->|[^\s\w]")

# Each swap breaks the syntax or the types of any input holding it.
SWAPS = [
    ("nn.", "nm."),
    ("tensor<", "tensor("),
    ("xi8>", "xf8>"),
    ("->", "=>"),
    ("%", "$"),
    ("i32>", "i16>"),
    ("func.return", "func.retrun"),
    ("{", "["),
    ("#tile.mem<inp>", "#tile.mem<out>"),
    ("#tile.mem<acc>>", "#tile.mem<acc>, 1>"),
    ("x_size = ", "x_size = -"),
    (" : index", " : i32"),
    ("vta.load inp", "vta.load inpt"),
    ("vta.alu shr", "vta.alu"),
    ("vta.program @main", "vta.program"),
    ("reset = ", "reset = 2 : i8, x = "),
    ("[(0, 0, 0)", "[(0, 0, 0, 0)"),
]


def broken_variants() -> list[tuple[str, str]]:
    """Truncations of every source at many points, and swaps that break syntax or types."""
    rng = random.Random(0)
    variants = []
    for name, text in SOURCES.items():
        # inside the outermost region, which a truncation always leaves unclosed
        inside = range(text.index("{\n") + 2, text.rindex("}") + 1)
        for cut in sorted(rng.sample(inside, 10)):
            variants.append((f"{name}: truncated at {cut}", text[:cut]))
        for old, new in SWAPS:
            if old in text:
                variants.append((f"{name}: {old!r} -> {new!r}", text.replace(old, new, 1)))
    variants.append(("empty function body", "func.func @f(%x: tensor<2xi8>) -> tensor<2xi32> {\n}"))
    variants.append(("binary garbage", "\x00\x01\x02\x7f"))
    variants.append(  # xDSL has no byte format for i664 (found by fuzzing)
        (
            "dense array of i664",
            "func.func @f() attributes {a = array<i664: 1>} {\n  func.return\n}",
        )
    )
    return variants


def mutated_variants(count: int = 12) -> list[tuple[str, str]]:
    """Each source with one token replaced by another token of the same source, at random."""
    rng = random.Random(1)
    variants = []
    for name, text in SOURCES.items():
        tokens = list(TOKEN.finditer(text))
        for _ in range(count):
            at, other = rng.choice(tokens), rng.choice(tokens).group()
            variants.append(
                (
                    f"{name}: {at.group()!r}@{at.start()} -> {other!r}",
                    text[: at.start()] + other + text[at.end() :],
                )
            )
    return variants


def run(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    source = tmp_path / "input.mlir"
    source.write_text(text)
    status = main([str(source)])
    return status, capsys.readouterr().err, source


def assert_diagnostic(what: str, err: str, source: Path) -> None:
    assert "Traceback" not in err, what
    assert "internal error" not in err, f"{what}: {err}"
    # parse and verifier errors alike: FILE:LINE:COL: error: MESSAGE, then the source line
    assert re.match(rf"{re.escape(str(source))}:\d+:\d+: error: ", err), f"{what}: {err!r}"


BROKEN = broken_variants()
MUTATED = mutated_variants()


@pytest.mark.parametrize(("what", "text"), BROKEN, ids=[what for what, _ in BROKEN])
def test_broken_input_gives_a_diagnostic(
    what: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err, source = run(text, tmp_path, capsys)
    assert status == 1, what
    assert_diagnostic(what, err, source)


@pytest.mark.parametrize(("what", "text"), MUTATED, ids=[what for what, _ in MUTATED])
def test_changed_token_is_accepted_or_diagnosed(
    what: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err, source = run(text, tmp_path, capsys)
    if status == 0:  # the change kept the input valid (e.g. one SSA name for another)
        assert err == ""
    else:
        assert status == 1, what
        assert_diagnostic(what, err, source)


@pytest.mark.parametrize("name", SOURCES)
def test_sources_round_trip_in_both_syntaxes(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source.mlir"
    source.write_text(SOURCES[name])
    assert main([str(source)]) == 0, capsys.readouterr().err
    custom = capsys.readouterr().out
    assert main([str(source), "--print-op-generic"]) == 0
    generic = capsys.readouterr().out
    (tmp_path / "generic.mlir").write_text(generic)
    assert main([str(tmp_path / "generic.mlir")]) == 0
    assert capsys.readouterr().out == custom
    (tmp_path / "custom.mlir").write_text(custom)
    assert main([str(tmp_path / "custom.mlir")]) == 0
    assert capsys.readouterr().out == custom


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "no-such-pass"], "Unrecognized passes: ['no-such-pass']"),
        (["-p", "vtac-isel{embedding="], "Error parsing pass pipeline specification"),
        (["-p", "vtac-isel{embedding=sideways}"], "embedding must be 'auto' or 'fixed'"),
        (["-p", "vtac-isel{colour=red}"], 'Provided arguments ["colour"] not found'),
        (["-o", "/nonexistent/dir/out.mlir"], "cannot open /nonexistent/dir/out.mlir"),
    ],
)
def test_bad_options_are_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(ROOT / "examples" / "dense.mlir"), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"vtac-opt: error: {message}"), err
    assert "Traceback" not in err


def test_unreadable_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.mlir"
    assert main([str(missing)]) == 1
    err = capsys.readouterr().err
    assert err == f"vtac-opt: error: cannot open {missing}: No such file or directory\n"
    binary = tmp_path / "binary.mlir"
    binary.write_bytes(b"func.func @f() {\n\xff\xfe}\n")
    assert main([str(binary)]) == 1
    assert (
        capsys.readouterr().err
        == f"{binary}:2:1: error: not UTF-8 text (byte 0xff)\n\ufffd\ufffd}}\n^\n"
    )
    text = tmp_path / "input.txt"
    text.write_text("func.func @f() {\n  func.return\n}\n")
    assert main([str(text)]) == 1
    assert "Unrecognized file extension 'txt'" in capsys.readouterr().err


def test_split_chunks_report_their_own_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "chunks.mlir"
    source.write_bytes(b"vta.program @p {\n}\n// -----\n\nvta.program @q {\n\xff}\n")
    assert main([str(source), "--split-input-file"]) == 1
    assert capsys.readouterr().err.startswith(f"{source}:6:1: error: not UTF-8 text")


def test_vtac_passes_are_registered(capsys: pytest.CaptureFixture[str]) -> None:
    """Every registered pass is in the default pipeline and runs after the ones before it."""
    pipeline = DEFAULT_PIPELINE.split(",")
    assert sorted(pipeline) == sorted(get_all_passes())
    for end in range(1, len(pipeline) + 1):
        prefix = ",".join(pipeline[:end])
        assert main([str(ROOT / "examples" / "dense.mlir"), "-p", prefix]) == 0, prefix
        capsys.readouterr()


def test_console_script(tmp_path: Path) -> None:
    source = tmp_path / "bad.mlir"
    source.write_text("func.func @f(%x: tensor<2xi8>")
    done = subprocess.run(
        [sys.executable, "-m", "vtac.opt", str(source)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and f"{source}:1:" in done.stderr


def audit_cases() -> list[tuple[str, str, str]]:
    """Inputs that made an entry point hang or raise (what, text, the expected diagnostic's
    start after the file name)."""
    dense = (ROOT / "examples" / "dense.mlir").read_text()
    vta = SOURCES["vta docstring"]
    matmul = (ROOT / "examples" / "matmul.mlir").read_text()
    nested = "func.func @f() attributes {a = " + "[" * 3000 + "]" * 3000 + "} {\n  func.return\n}\n"
    types = "func.func @f() attributes {a = " + "tuple<" * 3000 + "i32" + ">" * 3000 + "} {\n}\n"
    cases = [
        # xDSL 0.74's string regex backtracks exponentially on these (minutes per line)
        (
            "unterminated string in an nn attribute",
            dense.replace('"wrap"', '"wrap' + "a" * 22, 1),
            ":7:33: error: unterminated string literal",
        ),
        (
            "unterminated string in a vta field",
            vta.replace("x_size = 16, x_stride = 16, pop", 'x_size = ", x_stride = 16, pop', 1),
            ":15:51: error: unterminated string literal",
        ),
        # the first token is read while the parser is made
        ("unterminated string as the first token", '"abc\n', ":1:1: error: unterminated string"),
        (
            "invalid escape as the first token",
            matmul.replace("func.func", '"\\q"', 1),
            ":2:1: error: invalid escape in string literal",
        ),
        # xDSL parses recursively
        ("3000 nested brackets", nested, ":1:95: error: nesting too deep"),
        ("3000 nested types", types, ":1:"),
    ]
    for what, text, _ in cases:
        assert text not in (dense, vta, matmul), what
    return cases


AUDIT = audit_cases()

# Runs each entry point that reads IR on one file, in a child process so that a hang fails the
# test (by its timeout) instead of stalling the suite: [status, stderr] of each.
ENTRY_POINTS = """
import contextlib, io, json, sys
import vtac
from vtac.cli import main as vtac_main
from vtac.opt import main as opt_main
path, out = sys.argv[1:]

def api():
    try:
        vtac.read_ir(path)
    except vtac.IRError as err:
        print(err, file=sys.stderr)
        return 1
    return 0

results = []
for run in (
    lambda: opt_main([path]),
    lambda: vtac_main(["compile", path, "-o", out]),
    lambda: vtac_main(["run", path]),
    api,
):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = run()
    results.append([status, err.getvalue()])
print(json.dumps(results))
"""


@pytest.mark.parametrize(("what", "text", "expected"), AUDIT, ids=[w for w, _, _ in AUDIT])
def test_every_entry_point_diagnoses_audited_inputs(
    what: str, text: str, expected: str, tmp_path: Path
) -> None:
    source = tmp_path / "input.mlir"
    source.write_text(text)
    done = subprocess.run(
        [sys.executable, "-c", ENTRY_POINTS, str(source), str(tmp_path / "image")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for entry, (status, err) in zip(
        ("vtac-opt", "compile", "run", "read_ir"), json.loads(done.stdout), strict=True
    ):
        assert status == 1, f"{what}: {entry}"
        assert err.startswith(f"{source}{expected}"), f"{what}: {entry}: {err!r}"
        assert "Traceback" not in err and "internal error" not in err, f"{what}: {entry}"
    assert not (tmp_path / "image").exists()


def test_deepest_accepted_nesting_parses_in_process() -> None:
    """MAX_NESTING levels of the construct that costs xDSL's parser the most Python frames per
    level (dictionary attributes) parse with the default recursion limit, under pytest's stack."""
    depth = MAX_NESTING - 1  # the function's attribute dictionary is one level
    text = "func.func @f() attributes {a = " + "{a = " * depth + "1" + "}" * depth + "} {\n}\n"
    module = vtac.parse_ir(text)
    assert vtac.print_ir(module).count("{a = ") == depth + 1
    with pytest.raises(vtac.IRError, match="nesting too deep: more than 64 levels"):
        vtac.parse_ir(text.replace("{a = ", "{a = {a = ", 1).replace("}", "}}", 1))
    # brackets in strings and comments do not count
    assert vtac.parse_ir(
        "// " + "[" * 100 + '\nfunc.func @f() attributes {a = "' + "(" * 100 + '"} {\n}'
    )
