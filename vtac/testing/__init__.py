"""Hypothesis strategies and checks for fuzzing vtac (and passes built on it).

Needs hypothesis: ``pip install 'vtac[testing]'`` (the test extra includes it).

    from hypothesis import given
    from vtac.testing import programs, check_program

    @given(programs())
    def test_my_pipeline(program):
        check_program(program)          # compile, simulate strictly, compare bit for bit

:func:`programs` draws nn functions: chains of 1 to 4 contractions (dense, matmul or conv2d with
random shapes, strides 1 to 3, paddings up to and past the kernel's extent, kernels 1 to 7,
channel counts including 1, 3 and non-multiples of 16), each followed by 0 to 4 epilogue ops and
every stage but the last requantized to int8 for the next, with inputs that include the int8
extremes, on a hardware configuration from :func:`any_configs` (VTA's default and batch2
most often, else a random valid one of :func:`configs`). :func:`tile_options` draws forced
choices for vtac-tile (tile sizes, loop order, threads, epilogue, layouts, edge splits) over the
loops of an unforced compile.

Every failure of :func:`check_program` or :func:`check_deterministic` (a wrong result, a
simulator error in strict mode, an exception the compiler should not raise, a case that runs
past its time limit) is an ``AssertionError`` whose message holds a reproducer
(:func:`reproducer`): the program as a ready-to-run ``.mlir`` file, its inputs and hardware
configuration in a folder, and the ``vtac run`` command line, with every forced option, that
shows the difference. Hypothesis shrinks before it reports, so the reproducer it prints is the
minimal case (files are written for that final case only).

Modules: :mod:`.limits` (time limits), :mod:`.programs` (program and configuration strategies),
:mod:`.options` (forced choices), :mod:`.checks` (checks, refusals, reproducers),
:mod:`.instructions` (random instructions), :mod:`.mutations` (malformed input).
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ModuleNotFoundError as err:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "vtac.testing needs hypothesis: pip install 'vtac[testing]'", name=err.name
    ) from None

from vtac.testing.checks import (
    CASE_LOG,
    CASE_SECONDS,
    check_deterministic,
    check_program,
    failure,
    is_layout_refusal,
    is_refusal,
    reproducer,
)
from vtac.testing.instructions import instruction_fields, instructions
from vtac.testing.limits import CaseTimeout, time_limit
from vtac.testing.mutations import (
    IR_OPS,
    IR_TOKENS,
    IR_TYPES,
    mutated_bytes,
    mutated_json,
    mutated_texts,
)
from vtac.testing.options import reduction_loops, tile_options, unhonoured
from vtac.testing.programs import (
    EPILOGUE_OPS,
    FunctionBuilder,
    Program,
    any_configs,
    configs,
    draw_contraction,
    draw_epilogue,
    int8_arrays,
    programs,
)

__all__ = [
    "CASE_LOG",
    "CASE_SECONDS",
    "CaseTimeout",
    "EPILOGUE_OPS",
    "FunctionBuilder",
    "IR_OPS",
    "IR_TOKENS",
    "IR_TYPES",
    "Program",
    "any_configs",
    "check_deterministic",
    "check_program",
    "configs",
    "draw_contraction",
    "draw_epilogue",
    "failure",
    "instruction_fields",
    "instructions",
    "int8_arrays",
    "is_layout_refusal",
    "is_refusal",
    "mutated_bytes",
    "mutated_json",
    "mutated_texts",
    "programs",
    "reduction_loops",
    "reproducer",
    "tile_options",
    "time_limit",
    "unhonoured",
]
