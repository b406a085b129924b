"""Runs the lit + FileCheck suite in tests/filecheck, so `pytest` covers it."""

import shutil
import subprocess
import sys
from pathlib import Path

SUITE = Path(__file__).parent / "filecheck"


def test_lit_suite_passes() -> None:
    lit = shutil.which("lit") or str(Path(sys.executable).parent / "lit")
    done = subprocess.run([lit, str(SUITE), "-v"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
