"""vtac: a compiler for the VTA deep-learning accelerator.

The Python API: build (:class:`Function`) or parse (:func:`parse_ir`) nn programs, print them
(:func:`print_ir`), run pass pipelines (:func:`run_pipeline`) and the numpy reference
(:func:`reference_run`). The runtime (configurations, ISA, images, simulators) lives in
:mod:`vtac.runtime`.
"""

from vtac.api import (
    Function,
    IRError,
    PipelineError,
    Tensor,
    parse_ir,
    print_ir,
    read_ir,
    reference_run,
    run_pipeline,
)

__all__ = [
    "Function",
    "IRError",
    "PipelineError",
    "Tensor",
    "parse_ir",
    "print_ir",
    "read_ir",
    "reference_run",
    "run_pipeline",
]
