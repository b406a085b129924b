"""``vtac-opt``: xdsl-opt with vtac's dialects, passes and targets registered.

Pipelines use MLIR syntax (``-p 'vtac-isel,vtac-tile{...}'``); ``--split-input-file``,
``--verify-diagnostics`` and ``--print-op-generic`` work as in xdsl-opt. Malformed input gives a
diagnostic with its location and exit status 1, never a Python traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from xdsl.xdsl_opt_main import xDSLOptMain

from vtac.passes.registry import get_all_passes, get_all_targets


def vtac_dialects() -> dict[str, object]:
    """Dialect factories of vtac, by name."""

    def nn():  # noqa: ANN202
        from vtac.dialects.nn import NN

        return NN

    def tile():  # noqa: ANN202
        from vtac.dialects.tile import Tile

        return Tile

    def vta():  # noqa: ANN202
        from vtac.dialects.vta import VTA

        return VTA

    return {"nn": nn, "tile": tile, "vta": vta}


class VtacOptMain(xDSLOptMain):
    """xdsl-opt plus vtac's dialects, passes and targets."""

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        for name, factory in vtac_dialects().items():
            self.ctx.register_dialect(name, factory)  # type: ignore[arg-type]

    def register_all_frontends(self) -> None:
        """The MLIR frontend, with errors raised while building attributes during parsing
        (an integer out of range for its type, ...) reported at the parser's position."""
        super().register_all_frontends()
        from xdsl.parser import Parser
        from xdsl.utils.exceptions import ParseError, VerifyException

        def parse_mlir(io):  # noqa: ANN001, ANN202
            parser = Parser(self.ctx, io.read(), self.get_input_name())
            try:
                return parser.parse_module(not self.args.no_implicit_module)
            except ParseError:
                raise
            except (VerifyException, ValueError) as err:
                parser.raise_error(str(err))

        self.available_frontends["mlir"] = parse_mlir

    def register_all_passes(self) -> None:
        super().register_all_passes()
        for name, factory in get_all_passes().items():
            self.register_pass(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        self.available_targets.update(get_all_targets())


def _excerpt(annotated_ir: str, context: int = 2) -> str:
    """The lines of xDSL's annotated IR dump around the operation it marks."""
    lines = annotated_ir.splitlines()
    marks = [
        i
        for i, line in enumerate(lines)
        if set(line.strip()) == {"^", "-"} or set(line.strip()) == {"^"}
    ]
    if not marks:
        return annotated_ir
    first, last = marks[0], marks[-1]
    while last + 1 < len(lines) and lines[last + 1].lstrip().startswith(("|", "-")):
        last += 1
    return "\n".join(lines[max(first - 1 - context, 0) : last + 1 + context])


def main(argv: Sequence[str] | None = None) -> int:
    """Run vtac-opt; user errors print a diagnostic and return 1."""
    from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

    try:
        VtacOptMain(description="vtac's modular optimizer driver", args=argv).run()
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 1
    except ParseError as err:
        print(f"vtac-opt: error: {err}", file=sys.stderr)
        return 1
    except (VerifyException, DiagnosticException) as err:
        print(f"vtac-opt: error: {err}", file=sys.stderr)
        for note in getattr(err, "__notes__", []):
            print(_excerpt(note), file=sys.stderr)
        return 1
    except BaseException as err:  # ArgSpecParseError derives from BaseException
        if isinstance(err, KeyboardInterrupt):
            raise
        print(f"vtac-opt: error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
