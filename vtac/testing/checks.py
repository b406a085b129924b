"""Checks a fuzz case runs (compile, simulate strictly, compare bit for bit; determinism), what
counts as a refusal, and reproducers for failures."""

from __future__ import annotations

import hashlib
import os
import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vtac.errors import RefusalError
from vtac.planning.contraction import STAGE_LAYOUT_LIMIT
from vtac.testing.limits import CaseTimeout, time_limit
from vtac.testing.programs import Program

if TYPE_CHECKING:
    from vtac.compiler import RunReport

#: Seconds one compile-and-simulate case may take before it fails as a hang
#: (``VTAC_FUZZ_CASE_SECONDS`` overrides it).
CASE_SECONDS = float(os.environ.get("VTAC_FUZZ_CASE_SECONDS", "120"))

#: A file :func:`check_program` appends one line per case to (``VTAC_FUZZ_LOG``): ``match``,
#: ``refused: <message>`` or ``FAILED: <what>``, to count a long run's outcomes.
CASE_LOG = os.environ.get("VTAC_FUZZ_LOG", "")


def is_refusal(err: BaseException) -> bool:
    """Whether ``err`` is the compiler refusing with a clear error: a
    :class:`~vtac.errors.RefusalError`, which names the limit (its ``limit``)."""
    return isinstance(err, RefusalError)


def is_layout_refusal(err: BaseException) -> bool:
    """Whether ``err`` refuses a chain whose stages agree on no layout for the tensor between
    them (vtac does not re-layout tensors between stages)."""
    return isinstance(err, RefusalError) and err.limit == STAGE_LAYOUT_LIMIT


def reproducer(program: Program, directory: str | Path | None = None) -> str:
    """Write the program, its inputs and configuration to a folder (by default a new one under
    the system's temporary directory); return the ``vtac run`` command, with every forced
    option, that reruns it."""
    if directory is None:
        digest = hashlib.sha1(program.text.encode())
        for array in program.inputs.values():
            digest.update(array.tobytes())
        folder = Path(tempfile.mkdtemp(prefix=f"vtac-repro-{digest.hexdigest()[:8]}-"))
    else:
        folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "program.mlir").write_text(program.text)
    program.config.save(folder / "vta_config.json")
    args = [
        "vtac",
        "run",
        str(folder / "program.mlir"),
        "--config",
        str(folder / "vta_config.json"),
    ]
    for name, array in program.inputs.items():
        np.save(folder / f"{name}.npy", array)
        args += ["--input", f"{name}={folder / (name + '.npy')}"]
    command = shlex.join(args + program.flags())
    (folder / "command.sh").write_text(command + "\n")
    return command


def _final_case() -> bool:
    """Whether this is the case hypothesis reports (its final replay of the minimal failing
    example), or a call outside hypothesis; not one of the cases tried while shrinking."""
    from hypothesis.control import current_build_context
    from hypothesis.errors import InvalidArgument

    try:
        return current_build_context().is_final
    except InvalidArgument:
        return True


def failure(program: Program, what: str, command: Callable[[str], str] | None = None) -> str:
    """The failure message: ``what``, the program, and the command line reproducing it
    (``command`` turns the ``vtac run`` line into another one)."""
    if not _final_case():
        return f"{what}\n(the reproducer is written for the minimal case hypothesis reports)"
    run = reproducer(program)
    line = command(run) if command else run
    return f"{what}\n--- program.mlir ---\n{program.text}--- reproduce with ---\n  {line}\n"


def check_program(
    program: Program,
    *,
    refused: Callable[[BaseException], bool] | None = None,
    timeout: float = CASE_SECONDS,
) -> RunReport | None:
    """Compile and run ``program`` strictly, compare with the reference; return the report.

    A compiler error ``refused`` accepts (e.g. :func:`is_refusal`) returns None. Anything else
    is an ``AssertionError`` with a reproducer: a result that differs from the reference, a
    simulator error, any other exception, or a run past ``timeout`` seconds."""
    import vtac
    from vtac.compiler import run_module

    try:
        with time_limit(timeout, "compiling and simulating"):
            report = run_module(
                vtac.parse_ir(program.text),
                program.inputs,
                program.config,
                **program.compile_options(),  # type: ignore[arg-type]
            )
    except CaseTimeout as err:
        _log(f"FAILED: {err}")
        raise AssertionError(failure(program, str(err))) from None
    except Exception as err:
        if refused is not None and refused(err):
            _log(f"refused: {str(err).splitlines()[0]}")
            return None
        _log(f"FAILED: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        raise AssertionError(failure(program, f"{type(err).__name__}: {err}")) from err
    _log("match" if report.match else "FAILED: mismatch")
    if not report.match:
        got, want = report.outputs["result"], report.outputs["reference"]
        detail = (
            f"shape {got.shape}, expected {want.shape}"
            if got.shape != want.shape
            else f"{int(np.count_nonzero(got != want))} of {want.size} elements differ"
        )
        raise AssertionError(
            failure(program, f"the compiled program computes a different result ({detail})")
        )
    return report


def _log(outcome: str) -> None:
    if CASE_LOG:
        with open(CASE_LOG, "a") as log:
            log.write(outcome + "\n")


def check_deterministic(
    program: Program,
    *,
    refused: Callable[[BaseException], bool] | None = None,
    timeout: float = CASE_SECONDS,
) -> None:
    """Compile ``program`` twice: the same image byte for byte, or the same refusal."""
    import vtac
    from vtac.compiler import compile_module

    outcomes: list[object] = []
    try:
        with time_limit(timeout, "compiling twice"):
            for _ in range(2):
                try:
                    compiled = compile_module(
                        vtac.parse_ir(program.text),
                        program.config,
                        **program.compile_options(),  # type: ignore[arg-type]
                    )
                    image = compiled.image
                    outcomes.append((image.insns, image.dram.tobytes(), str(compiled.schedule)))
                except Exception as err:
                    if refused is None or not refused(err):
                        raise
                    outcomes.append((type(err), str(err)))
    except CaseTimeout as err:
        raise AssertionError(failure(program, str(err))) from None
    except Exception as err:
        raise AssertionError(failure(program, f"{type(err).__name__}: {err}")) from err
    if outcomes[0] != outcomes[1]:

        def twice(run: str) -> str:
            compile_ = shlex.split(run)
            compile_[1] = "compile"
            folder = Path(compile_[2]).parent
            a = shlex.join([*compile_, "-o", str(folder / "a")])
            b = shlex.join([*compile_, "-o", str(folder / "b")])
            return f"{a} && {b} && diff -r {folder / 'a'} {folder / 'b'}"

        raise AssertionError(failure(program, "two compiles of one program differ", twice))
