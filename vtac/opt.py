"""``vtac-opt``: xdsl-opt with vtac's dialects, passes and targets registered.

Pipelines use MLIR syntax (``-p 'vtac-isel{embedding=fixed},canonicalize'``): vtac's passes and
the few xDSL passes that make sense on its IR (:data:`vtac.api.XDSL_PASSES`); xDSL's own
dialects (builtin, func, arith, scf, memref, ...) stay available. ``--help`` lists vtac's
passes with their options. ``--config NAME|FILE`` sets the module's hardware configuration
(the ``vta.config`` attribute), ``--print-between-passes`` prints the IR after every pass.
``--split-input-file``, ``--verify-diagnostics``, ``--parsing-diagnostics`` and
``--print-op-generic`` work as in xdsl-opt. Input is parsed and verified by
:func:`vtac.parsing.parse_source`. Every user error exits with status 1, never with a Python
traceback: an error in the input prints ``FILE:LINE:COL: error: ...`` with the source line,
any other (a bad pipeline, an unreadable file, a pass that fails) ``vtac-opt: error: ...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import (
    ArgSpecParseError,
    DiagnosticException,
    ParseError,
    VerifyException,
)
from xdsl.xdsl_opt_main import xDSLOptMain

from vtac import __version__
from vtac.api import XDSL_PASSES, available_passes
from vtac.errors import VtacError
from vtac.parsing import (
    SourceParseError,
    SourceVerifyException,
    failing_operation,
    parse_source,
)
from vtac.passes.registry import DEFAULT_PIPELINE, get_all_targets
from vtac.runtime.config import resolve_config


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
    """xdsl-opt with vtac's dialects, passes and targets."""

    _line_offset = 0
    version_format = f"vtac-opt (vtac {__version__}) built on xDSL {{xdsl_version}}"

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter
        arg_parser.epilog = passes_help(self.available_passes)
        for action in arg_parser._actions:
            if action.dest == "passes":
                action.help = "the pipeline: comma-separated passes (listed below)"
            elif action.dest == "print_between_passes":
                action.help = "print the IR after each pass of the pipeline"
        group = arg_parser.add_argument_group("vtac")
        group.add_argument(
            "--config",
            metavar="NAME|FILE",
            help="hardware configuration of the input module (a shipped name, see `vtac "
            "configs`, or a vta_config.json): sets its vta.config attribute",
        )

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
        module = super().parse_chunk(chunk, file_extension, start_offset)
        if module is not None and self.args.config is not None:
            set_config(module, self.args.config)
        return module

    def apply_passes(self, prog: ModuleOp) -> None:
        try:
            super().apply_passes(prog)
        except VerifyException as err:
            if not getattr(err, "__notes__", None):
                blame_operation(prog, err)
            raise

    def register_all_passes(self) -> None:
        """vtac's passes and the xDSL passes of :data:`vtac.api.XDSL_PASSES` (not xDSL's
        hundred others, which have nothing to work on in vtac's IR)."""
        for name, factory in available_passes().items():
            self.register_pass(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        self.available_targets.update(get_all_targets())


def set_config(module: ModuleOp, spec: str) -> None:
    """Give ``module`` the hardware configuration ``spec`` (a shipped name or a file); a
    module that names another one already is an error."""
    from vtac.dialects.common import CONFIG_ATTR, config_attr, module_config

    config = resolve_config(spec)
    if CONFIG_ATTR in module.attributes and module_config(module) != config:
        raise ValueError(
            f"--config {spec}: the input module's {CONFIG_ATTR} is another configuration "
            f"({module_config(module).name}, not {config.name})"
        )
    module.attributes[CONFIG_ATTR] = config_attr(config)


def passes_help(passes: dict[str, Callable[[], type[ModulePass]]]) -> str:
    """The ``--help`` epilogue: each pass with the first sentence of its docstring (of
    :data:`vtac.api.XDSL_PASSES` for xDSL's) and its options."""
    lines = ["passes (-p NAME{option=value ...},...):"]
    for name, factory in passes.items():
        cls = factory()
        doc = XDSL_PASSES.get(name) or " ".join((cls.__doc__ or "").split())
        lines.append(f"  {name:<18} {doc.split('. ')[0].rstrip('.')}")
        if dataclasses.is_dataclass(cls) and name not in XDSL_PASSES:
            options = [f.name for f in dataclasses.fields(cls)]
            if options:
                lines.append(f"  {'':<18} options: {', '.join(options)}")
    lines += [
        f"  the default pipeline: {DEFAULT_PIPELINE}",
        "",
        "hardware configuration: --config NAME|FILE, or vtac-isel{config=NAME|FILE}; default: "
        "VTA's 1x16_i8w8a32_15_15_18_17",
        "IR after each pass: --print-between-passes (vtac compile/run: --dump-ir DIR)",
    ]
    return "\n".join(lines)


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
    except (VtacError, ValueError) as err:  # vtac's errors; xDSL's for bad passes, options, files
        return _error(str(err))
    except BaseException as err:  # noqa: BLE001 (a bug, but never a traceback)
        return _error(f"internal error ({type(err).__name__}): {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
