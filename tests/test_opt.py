"""vtac-opt on malformed input: a diagnostic with a location and exit status 1, no traceback."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from vtac.opt import main

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.mlir"))


def broken_variants() -> list[tuple[str, str]]:
    """Truncations of every example at many points, changed tokens and wrong types."""
    rng = random.Random(0)
    variants = []
    for path in EXAMPLES:
        text = path.read_text()
        body = text.index("func.func")
        for cut in sorted(rng.sample(range(body + 1, len(text) - 2), 12)):
            variants.append((f"{path.name}: truncated at {cut}", text[:cut]))
        swaps = [
            ("nn.", "nm."),
            ("tensor<", "tensor("),
            ("xi8>", "xf8>"),
            ("->", "=>"),
            ("%", "$"),
            ("i32>", "i16>"),
            ("func.return", "func.retrun"),
            ("{", "["),
        ]
        for old, new in swaps:
            if old in text:
                variants.append((f"{path.name}: {old!r} -> {new!r}", text.replace(old, new, 1)))
    variants.append(("empty function type", "func.func @f(%x: tensor<2xi8>) -> tensor<2xi32> {\n}"))
    variants.append(("binary garbage", "\x00\x01\x02\xff"))
    return variants


@pytest.mark.parametrize(
    ("what", "text"), broken_variants(), ids=lambda v: v if len(v) < 60 else None
)
def test_broken_input_gives_a_diagnostic(
    what: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "broken.mlir"
    source.write_text(text)
    status = main([str(source)])
    err = capsys.readouterr().err
    assert status == 1, what
    assert "Traceback" not in err
    assert "vtac-opt: error:" in err
    # a source position (parse errors), or the failing operation (verifier errors)
    located = f"{source}:" in err or "^^^" in err or "Operation " in err
    assert located, f"{what}: no location in {err!r}"


def test_examples_round_trip_in_both_syntaxes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in EXAMPLES:
        assert main([str(path)]) == 0
        custom = capsys.readouterr().out
        assert main([str(path), "--print-op-generic"]) == 0
        generic = capsys.readouterr().out
        (tmp_path / "generic.mlir").write_text(generic)
        assert main([str(tmp_path / "generic.mlir")]) == 0
        assert capsys.readouterr().out == custom
        (tmp_path / "custom.mlir").write_text(custom)
        assert main([str(tmp_path / "custom.mlir")]) == 0
        assert capsys.readouterr().out == custom


def test_unknown_pass_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(EXAMPLES[0]), "-p", "no-such-pass"]) == 1
    assert "no-such-pass" in capsys.readouterr().err


def test_console_script(tmp_path: Path) -> None:
    source = tmp_path / "bad.mlir"
    source.write_text("func.func @f(%x: tensor<2xi8>")
    done = subprocess.run(
        [sys.executable, "-m", "vtac.opt", str(source)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and f"{source}:1:" in done.stderr
