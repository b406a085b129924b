"""vtac: a compiler for the VTA deep-learning accelerator.

The everyday Python API, all of it importable from ``vtac``:

- programs: build (:class:`Function`) or parse (:func:`parse_ir`, :func:`read_ir`) nn programs,
  print them (:func:`print_ir`), run pass pipelines (:func:`run_pipeline`) and the numpy
  reference (:func:`reference_run`);
- compiling: :func:`compile_module` (a :class:`Compiled`: the program image and the plan),
  :func:`run_module` (compile, simulate strictly and check: a :class:`RunReport`),
  :class:`TileOptions` (forced compiler choices);
- hardware: :class:`VTAConfig` and :func:`resolve_config` (a ``vta_config.json`` path or a
  shipped name, see :func:`shipped_configs`);
- running: :class:`ProgramImage` (``set_input``/``read_output``), :func:`simulate` (bit-exact)
  and :func:`time_program` (cycles).

Names are imported on first use, so that ``import vtac`` (and the ``vtac`` command) start fast:
the compiler pulls in xDSL and OR-Tools only when it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "Function": "vtac.api",
    "IRError": "vtac.api",
    "PipelineError": "vtac.api",
    "Tensor": "vtac.api",
    "parse_ir": "vtac.api",
    "print_ir": "vtac.api",
    "read_ir": "vtac.api",
    "reference_run": "vtac.api",
    "run_pipeline": "vtac.api",
    "CompileError": "vtac.compiler",
    "Compiled": "vtac.compiler",
    "RunReport": "vtac.compiler",
    "compile_module": "vtac.compiler",
    "run_module": "vtac.compiler",
    "TileOptions": "vtac.passes.schedule",
    "VTAConfig": "vtac.runtime.config",
    "resolve_config": "vtac.runtime.config",
    "shipped_configs": "vtac.runtime.config",
    "ProgramImage": "vtac.runtime.image",
    "simulate": "vtac.runtime.simulator",
    "time_program": "vtac.runtime.timing",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vtac' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
