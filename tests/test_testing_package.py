"""vtac.testing is usable by other projects: one import, and a clear message without hypothesis."""

from __future__ import annotations

import subprocess
import sys

import vtac.testing


def test_the_package_exports_its_strategies_and_checks() -> None:
    for name in ("programs", "check_program", "tile_options", "instructions", "mutated_texts"):
        assert name in vtac.testing.__all__
        assert callable(getattr(vtac.testing, name))


def test_without_hypothesis_the_import_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import vtac.testing\nexcept ModuleNotFoundError as err:\n    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'vtac[testing]'" in out.stdout
