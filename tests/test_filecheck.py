"""Runs the lit + FileCheck suite in tests/filecheck, so that `pytest` covers it."""

import shutil
import subprocess
import sys
from pathlib import Path

SUITE = Path(__file__).parent / "filecheck"


def lit_executable() -> str:
    """lit beside the running Python (the environment under test), else lit on PATH."""
    beside = Path(sys.executable).parent / "lit"
    return str(beside) if beside.is_file() else shutil.which("lit") or "lit"


def test_lit_suite_passes() -> None:
    done = subprocess.run([lit_executable(), str(SUITE), "-v"], capture_output=True, text=True)
    assert done.returncode == 0, f"lit failed:\n{done.stdout}\n{done.stderr}"
    assert "Passed" in done.stdout, done.stdout
