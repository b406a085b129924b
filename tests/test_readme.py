"""The README's Python examples run as written (from the repository's root, as a reader would
run them), so that the documented API cannot drift from the real one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)


def test_the_readme_has_its_examples() -> None:
    assert any("vtac.compile_module(" in block for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(
    block: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    if "vtac.compile_module(" in block:  # the API example prints what it read
        out = capsys.readouterr().out
        assert "lane_utilization=" in out and "cycles (pynq model)" in out and "GEMM" in out
