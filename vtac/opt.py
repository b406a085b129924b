"""``vtac-opt``: xdsl-opt with vtac's dialects, passes and targets registered.

Pipelines use MLIR syntax (``-p 'vtac-isel{embedding=fixed},canonicalize'``); xDSL's own
dialects (builtin, func, arith, scf, memref, ...) and passes stay available.
``--split-input-file``, ``--verify-diagnostics``, ``--parsing-diagnostics`` and
``--print-op-generic`` work as in xdsl-opt. Input is parsed and verified by
:func:`vtac.parsing.parse_source`. Every user error exits with status 1, never with a Python
traceback: an error in the input prints ``FILE:LINE:COL: error: ...`` with the source line,
any other (a bad pipeline, an unreadable file, a pass that fails) ``vtac-opt: error: ...``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Dialect
from xdsl.utils.exceptions import (
    ArgSpecParseError,
    DiagnosticException,
    ParseError,
    VerifyException,
)
from xdsl.xdsl_opt_main import xDSLOptMain

from vtac.parsing import (
    SourceParseError,
    SourceVerifyException,
    failing_operation,
    parse_source,
)
from vtac.passes.registry import get_all_passes, get_all_targets


def vtac_dialects() -> dict[str, Callable[[], Dialect]]:
    """Dialect factories of vtac, by name (each imported when first used)."""

    def nn() -> Dialect:
        from vtac.dialects.nn import NN

        return NN

    def tile() -> Dialect:
        from vtac.dialects.tile import Tile

        return Tile

    def vta() -> Dialect:
        from vtac.dialects.vta import VTA

        return VTA

    return {"nn": nn, "tile": tile, "vta": vta}


class VtacOptMain(xDSLOptMain):
    """xdsl-opt plus vtac's dialects, passes and targets."""

    _line_offset = 0

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        for name, factory in vtac_dialects().items():
            self.ctx.register_dialect(name, factory)

    def register_all_frontends(self) -> None:
        """The MLIR frontend: :func:`vtac.parsing.parse_source`, which also verifies (unless
        --disable-verify) so that verifier errors carry the failing op's source position."""
        super().register_all_frontends()

        def parse_mlir(io: IO[bytes]) -> ModuleOp:
            return parse_source(
                self.ctx,
                io.read(),
                self.get_input_name(),
                implicit_module=not self.args.no_implicit_module,
                verify=not self.args.disable_verify,
                line_offset=self._line_offset,
            )

        self.available_frontends["mlir"] = parse_mlir

    def parse_chunk(self, chunk: IO[bytes], file_extension: str, start_offset: int = 0):  # noqa: ANN201
        self._line_offset = start_offset
        return super().parse_chunk(chunk, file_extension, start_offset)

    def apply_passes(self, prog: ModuleOp) -> None:
        try:
            super().apply_passes(prog)
        except VerifyException as err:
            if not getattr(err, "__notes__", None):
                blame_operation(prog, err)
            raise

    def register_all_passes(self) -> None:
        super().register_all_passes()
        for name, factory in get_all_passes().items():
            self.register_pass(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        self.available_targets.update(get_all_targets())


def blame_operation(module: ModuleOp, err: VerifyException) -> None:
    """Re-raise a verifier error that xDSL raised without marking an operation (a structural
    error: an empty block, a missing terminator, ...) marking the innermost operation whose
    verification raises it."""
    failing_operation(module, err).emit_error(str(err), err)


def _excerpt(annotated_ir: str, context: int = 2) -> str:
    """The lines of xDSL's annotated IR dump around the operation it marks."""
    lines = annotated_ir.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() and set(line.strip()) <= {"^", "-"}]
    if not marks:
        return annotated_ir
    first, last = marks[0], marks[-1]
    while last + 1 < len(lines) and lines[last + 1].lstrip().startswith(("|", "-")):
        last += 1
    return "\n".join(lines[max(first - 1 - context, 0) : last + 1 + context])


def _error(message: str) -> int:
    print(f"vtac-opt: error: {message}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run vtac-opt; a user error prints a diagnostic and returns 1 (usage errors: 2)."""
    try:
        VtacOptMain(description="vtac's modular optimizer driver", args=argv).run()
    except SystemExit as exit_:  # argparse usage errors and --help
        return exit_.code if isinstance(exit_.code, int) else 1
    except KeyboardInterrupt:
        raise
    except (SourceParseError, SourceVerifyException) as err:  # located in the input
        print(err, file=sys.stderr)
        return 1
    except ParseError as err:
        return _error(str(err))
    except (VerifyException, DiagnosticException) as err:
        status = _error(str(err))
        for note in getattr(err, "__notes__", []):
            print(_excerpt(note), file=sys.stderr)
        return status
    except ArgSpecParseError as err:  # a malformed -p pipeline; derives from BaseException
        return _error(str(err))
    except OSError as err:
        return _error(f"cannot open {err.filename}: {err.strerror}")
    except ValueError as err:  # xDSL reports bad passes, options and file types so
        return _error(str(err))
    except BaseException as err:  # noqa: BLE001 (a bug, but never a traceback)
        return _error(f"internal error ({type(err).__name__}): {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
