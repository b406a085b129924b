"""Runs the lit + FileCheck suite in tests/filecheck in this process (one test per file), so
that `pytest` covers it; `lit tests/filecheck` runs the same files standalone."""

import shutil
from pathlib import Path

import lit.Test
import pytest
from lit_inprocess import discover, run_file

SUITE = Path(__file__).parent / "filecheck"
FILES = sorted(Path(test.getSourcePath()).relative_to(SUITE) for test in discover(SUITE))


def check_file(path: Path) -> None:
    """Fail (with the log of what ran) unless the lit file ``path`` passes."""
    result = run_file(path)
    if isinstance(result, lit.Test.Result):
        pytest.skip(f"lit: {result.code.name}: {result.output}")
    assert result.passed, "\n".join(result.log)


@pytest.mark.parametrize("name", FILES, ids=str)
def test_lit_file(name: Path) -> None:
    check_file(SUITE / name)


def test_suite_is_found() -> None:
    assert len(FILES) >= 30, FILES


@pytest.fixture
def scratch_suite(tmp_path: Path) -> Path:
    """An empty lit suite with tests/filecheck's configuration."""
    shutil.copy(SUITE / "lit.cfg", tmp_path / "lit.cfg")
    return tmp_path


MODULE = "func.func @f() {\n  func.return\n}\n"


@pytest.mark.parametrize(
    "text",
    [
        f"// RUN: vtac-opt %s | filecheck %s\n{MODULE}// CHECK: no such output\n",
        f"// RUN: not vtac-opt %s | filecheck %s\n{MODULE}// CHECK: func.func @f\n",
        "// RUN: vtac-opt %s.missing | filecheck %s --allow-empty\n// CHECK-NOT: anything\n",
        f"// RUN: vtac-opt %s | filecheck %s\n{MODULE}// CHECK-NOT: func.func\n",
        f"// RUN: vtac-opt %s | false | filecheck %s\n{MODULE}// CHECK: func.func @f\n",
        f"// RUN: true\n// RUN: not true && vtac-opt %s | filecheck %s\n{MODULE}// CHECK: func\n",
    ],
    ids=["wrong-check", "not-on-success", "missing-input", "check-not", "lit-shell", "and"],
)
def test_runner_fails_a_failing_file(scratch_suite: Path, text: str) -> None:
    path = scratch_suite / "case.mlir"
    path.write_text(text)
    result = run_file(path)
    assert not isinstance(result, lit.Test.Result)
    assert not result.passed, "\n".join(result.log)


def test_runner_passes_a_passing_file(scratch_suite: Path) -> None:
    path = scratch_suite / "case.mlir"
    path.write_text(
        "// RUN: vtac-opt %s | vtac-opt --print-op-generic | filecheck %s\n"
        "// RUN: not vtac-opt %s -p no-such-pass 2>&1 | filecheck %s --check-prefix=ERR\n"
        "// RUN: echo hello > %t.txt && filecheck %s --check-prefix=ECHO --input-file %t.txt\n"
        "// RUN: rm -rf %t.d && mkdir %t.d && cd %t.d && vtac-opt %s > out.mlir\n"
        "// RUN: filecheck %s --check-prefix=CD --input-file %t.d/out.mlir\n"
        f'{MODULE}// CHECK: "func.func"() <{{sym_name = "f"\n'
        "// ERR: vtac-opt: error: {{.*}}no-such-pass\n"
        "// ECHO: hello\n"
        "// CD: func.func @f\n"
    )
    result = run_file(path)
    assert not isinstance(result, lit.Test.Result)
    assert result.passed, "\n".join(result.log)
    # lit's shell ran `echo`, `rm`, `mkdir` and `cd` (whose directory the next command used)
    assert result.delegated == 4, "\n".join(result.log)
