"""vtac's errors: one base class, refusals naming their limit, invalid input saying what."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import vtac
from vtac.backends.vta.dma import DmaError, DmaRefusal, plan_box
from vtac.errors import InvalidInputError, RefusalError, VtacError
from vtac.testing import is_layout_refusal, is_refusal

#: The package's top-level packages (pyproject maps each to its own folder).
PACKAGES = ("vtac", "vtac.dialects", "vtac.passes", "vtac.backends", "vtac.runtime")

#: Exception classes of the package that are not errors a user can cause: the simulator's
#: internal fault (it becomes a SimError) and the fuzz harness's timeouts.
NOT_USER_ERRORS = {
    "vtac.runtime.simulator._Fault",
    "vtac.testing.limits._Expired",
    "vtac.testing.limits.CaseTimeout",
}

#: Errors of both kinds: their refusals are a subclass that adds RefusalError.
MIXED = {"vtac.planning.contraction.CompileError", "vtac.backends.vta.dma.DmaError"}

#: Errors that were ValueErrors before the hierarchy and stay so (handlers catch them as such).
VALUE_ERRORS = (
    "vtac.api.IRError",
    "vtac.api.PipelineError",
    "vtac.backends.reference.ReferenceError",
    "vtac.backends.vta.BackendError",
    "vtac.bench.BenchError",
    "vtac.frontends.onnx.OnnxError",
    "vtac.planning.contraction.CompileError",
    "vtac.backends.vta.dma.DmaError",
    "vtac.planning.embedding.EmbeddingError",
    "vtac.passes.insert_deps.DependencyError",
    "vtac.backends.vta.tile_ir.TileIRError",
    "vtac.planning.tiling.TilingError",
    "vtac.backends.vta.uop_kernels.KernelError",
    "vtac.runtime.assembly.AssemblyError",
    "vtac.runtime.config.ConfigError",
    "vtac.runtime.image.ImageError",
    "vtac.runtime.isa.EncodingError",
    "vtac.runtime.packing.PackError",
    "vtac.runtime.timing.TimingError",
)


def _package_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the package, by qualified name."""
    found = {}
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        for info in pkgutil.walk_packages(path, f"{package}."):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == info.name
                ):
                    found[f"{info.name}.{name}"] = value
    return found


def test_every_error_of_the_package_derives_from_the_base() -> None:
    classes = _package_exceptions()
    assert len(classes) >= 25
    strays = [
        n for n, c in classes.items() if n not in NOT_USER_ERRORS and not issubclass(c, VtacError)
    ]
    assert not strays, f"not VtacError: {strays}"
    unclassified = [
        n
        for n, c in classes.items()
        if issubclass(c, VtacError)
        and not issubclass(c, InvalidInputError | RefusalError)
        and n not in {"vtac.errors.VtacError", *MIXED}
    ]
    assert not unclassified, f"neither invalid input nor a refusal: {unclassified}"
    for name in VALUE_ERRORS:
        assert issubclass(classes[name], ValueError), name


def test_refusals_name_their_limit() -> None:
    with pytest.raises(DmaRefusal) as padded:
        plan_box((4, 40), (-16, 0), (20, 40))
    assert is_refusal(padded.value) and padded.value.limit == "LOAD padding"
    assert isinstance(padded.value, DmaError | ValueError)
    assert not is_layout_refusal(padded.value)
    with pytest.raises(DmaError) as malformed:
        plan_box((4, 5), (0, 0), (0, 5))  # a caller's mistake, not a limit
    assert not is_refusal(malformed.value)


def test_invalid_input_says_what_and_where() -> None:
    with pytest.raises(vtac.IRError) as bad:
        vtac.parse_ir("func.func @f() {\n  nn.nope\n}", name="m.mlir")
    assert isinstance(bad.value, InvalidInputError) and not is_refusal(bad.value)
    assert bad.value.what == "IR" and bad.value.where is not None
    assert bad.value.where == str(bad.value.location) and bad.value.where.startswith("m.mlir:")
