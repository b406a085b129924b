"""The installed package: every subpackage and data file of the mapped folders is in the wheel."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
FOLDERS: dict[str, str] = SETUPTOOLS["package-dir"]  # package -> folder (vtac/, dialects/, ...)


def package_of(directory: Path) -> str:
    """The import name a directory under one of the mapped folders installs as."""
    for package, folder in FOLDERS.items():
        top = ROOT / folder
        if directory == top or top in directory.parents:
            return ".".join([package, *directory.relative_to(top).parts])
    raise AssertionError(f"{directory} is in no mapped folder")


def files_under_mapped_folders() -> list[Path]:
    paths = (p for folder in FOLDERS.values() for p in (ROOT / folder).rglob("*"))
    return sorted(p for p in paths if p.is_file() and "__pycache__" not in p.parts)


def test_every_package_is_listed() -> None:
    """A non-editable install ships only the listed packages: one missing (as vtac.backends.vta
    was) makes every ``vtac`` command fail at import."""
    listed = set(SETUPTOOLS["packages"])
    packages = {package_of(p.parent) for p in files_under_mapped_folders() if p.suffix == ".py"}
    assert sorted(packages - listed) == [], "packages missing from [tool.setuptools] packages"
    for package in listed:
        prefix = max((p for p in FOLDERS if package == p or package.startswith(p + ".")), key=len)
        folder = ROOT / FOLDERS[prefix] / Path(*package.removeprefix(prefix).split(".")[1:])
        assert folder.is_dir(), f"listed package {package} has no folder {folder}"


def test_every_data_file_is_package_data() -> None:
    """Every other file (vtac/data/*.csv, runtime/configs/*.json) is package data of a listed
    package, and every package-data pattern matches a file."""
    data: dict[str, list[str]] = SETUPTOOLS["package-data"]
    shipped = set()
    for path in files_under_mapped_folders():
        if path.suffix in (".py", ".pyc"):
            continue
        package = package_of(path.parent)
        assert package in SETUPTOOLS["packages"], f"{path.relative_to(ROOT)}: {package} unlisted"
        matching = [p for p in data.get(package, []) if fnmatch.fnmatch(path.name, p)]
        assert matching, f"{path.relative_to(ROOT)} is not package data of {package}"
        shipped.update((package, p) for p in matching)
    unused = {(package, p) for package, patterns in data.items() for p in patterns} - shipped
    assert not unused, f"package-data patterns that match no file: {sorted(unused)}"
