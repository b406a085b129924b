"""The package's layers, read from its imports (module-level and inside functions): passes do
not import each other, dialects import no timing or image code, the ISA module and the
configuration do not import each other both ways, and module-level imports have no cycle."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Runtime code the dialects must not depend on (the timing model and the image format).
NOT_FOR_DIALECTS = ("vtac.runtime.timing", "vtac.runtime.timing_params", "vtac.runtime.image")


@dataclass(frozen=True)
class Import:
    """One import of a vtac module by another."""

    source: str
    target: str
    module_level: bool  # at import time (not inside a function or under TYPE_CHECKING)


def _modules() -> dict[str, Path]:
    """Every module of the package by name, found through pyproject's package-dir."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    modules = {}
    for package, folder in setuptools["package-dir"].items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((package, *parts))] = path
    return modules


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, module_level: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every import statement under ``node``, and whether it runs at import time."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, module_level
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, False)
        elif isinstance(child, ast.If) and _is_type_checking(child):
            for statement in child.body:  # for the type checker only
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), False)
            for statement in child.orelse:
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), module_level)
        else:
            yield from _walk(child, module_level)


def _imports_of(name: str, path: Path) -> list[Import]:
    is_package = path.name == "__init__.py"
    found = []
    for node, module_level in _walk(ast.parse(path.read_text()), True):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            assert isinstance(node, ast.ImportFrom)
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from vtac.passes import isel`` imports the module vtac.passes.isel
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in MODULES:  # a name inside a module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append(Import(name, target, module_level))
    return found


IMPORTS = [imp for name, path in MODULES.items() for imp in _imports_of(name, path)]


def _registered_pass_modules() -> set[str]:
    """Modules of the passes the registry names (the ModulePass subclasses)."""
    from vtac.passes.registry import get_all_passes

    return {factory().__module__ for factory in get_all_passes().values()}


def test_the_module_list_covers_the_package() -> None:
    for name in ("vtac.cli", "vtac.dialects.vta", "vtac.passes.isel", "vtac.runtime.isa"):
        assert name in MODULES
    assert "vtac.frontends.onnx.importer" in MODULES
    registry = {(i.target, i.module_level) for i in IMPORTS if i.source == "vtac.passes.registry"}
    assert ("vtac.passes.isel", False) in registry  # inside a function
    assert ("vtac.dialects.vta", True) in {
        (i.target, i.module_level) for i in IMPORTS if i.source == "vtac.passes.lower_to_vta"
    }


def test_no_pass_imports_another_pass() -> None:
    passes = _registered_pass_modules()
    assert {"vtac.passes.isel", "vtac.passes.schedule"} <= passes
    found = {(i.source, i.target) for i in IMPORTS if i.source in passes and i.target in passes}
    assert not found, "a pass imports another pass"


def test_passes_folder_holds_only_passes() -> None:
    """Planners and code generation live in vtac.planning and vtac.backends.vta, not passes/."""
    in_folder = {name for name in MODULES if name.startswith("vtac.passes.")}
    assert in_folder == _registered_pass_modules() | {"vtac.passes.registry"}


def test_dialects_import_no_timing_or_image_code() -> None:
    found = [
        i
        for i in IMPORTS
        if i.source.startswith("vtac.dialects") and i.target.startswith(NOT_FOR_DIALECTS)
    ]
    assert not found


def test_the_tile_dialect_does_not_import_the_vta_dialect() -> None:
    assert not [
        i for i in IMPORTS if (i.source, i.target) == ("vtac.dialects.tile", "vtac.dialects.vta")
    ]


@pytest.mark.parametrize(
    ("low", "high"),
    [("vtac.runtime.config", "vtac.runtime.isa"), ("vtac.errors", "vtac")],
)
def test_lower_layers_do_not_import_higher_ones(low: str, high: str) -> None:
    """The configuration is below the ISA module; vtac.errors imports nothing of vtac."""
    found = [i for i in IMPORTS if i.source == low and (i.target + ".").startswith(high + ".")]
    assert not found


def test_the_pass_registry_does_not_import_the_backend_at_import_time() -> None:
    found = [
        i
        for i in IMPORTS
        if i.source == "vtac.passes.registry"
        and i.module_level
        and i.target.startswith("vtac.backends")
    ]
    assert not found


def test_module_level_imports_have_no_cycle() -> None:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for i in IMPORTS:
        if i.module_level:
            graph[i.source].add(i.target)
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles
