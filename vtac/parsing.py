"""Textual IR to a verified module with located diagnostics: the one parse every entry point
(``vtac-opt``, :func:`vtac.parse_ir` / :func:`vtac.read_ir`, ``vtac compile`` / ``vtac run``)
goes through.

Before xDSL sees the text, a linear scan rejects what would make its parser misbehave:
malformed string literals (xDSL 0.74 lexes them with a regex that backtracks exponentially, so
a long line with an unterminated literal takes minutes) and brackets nested deeper than
:data:`MAX_NESTING` (its parser recurses once per level). While parsing, each operation's
source position is recorded; the module is verified only once it is whole (an op's
verification may depend on its module, e.g. ``vta.config``), and a verifier error is reported
at the innermost failing operation. Every diagnostic reads::

    FILE:LINE:COL: error: MESSAGE
    the source line
        ^
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.utils.exceptions import MultipleSpansParseError, ParseError, VerifyException
from xdsl.utils.lexer import Input, Location, Span

from vtac.errors import InvalidInputError

#: The deepest nesting of (), [] and {} accepted: far beyond real programs, well within
#: Python's default recursion limit for xDSL's recursive parser.
MAX_NESTING = 64


def _diagnostic(span: Span, message: str, severity: str = "error") -> str:
    """``FILE:LINE:COL: severity: message``, then the source line(s) of ``span`` with carets."""
    _, *context = span.print_with_context().splitlines()
    return "\n".join([f"{span.get_location()}: {severity}: {message}", *context])


@dataclasses.dataclass
class SourceParseError(ParseError, InvalidInputError):
    """A parse error, printed as a located diagnostic (with notes for related positions)."""

    what = "IR text"

    notes: list[tuple[Span, str]] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        parts = [_diagnostic(self.span, self.msg)]
        parts.extend(_diagnostic(span, note, "note") for span, note in self.notes)
        return "\n".join(parts)

    @property
    def location(self) -> Location:
        return self.span.get_location()


class SourceVerifyException(VerifyException, InvalidInputError):
    """A verifier error at the source position of the operation that fails (``span``; None
    when that operation does not come from the text, e.g. an implicit module)."""

    what = "IR"

    def __init__(self, message: str, span: Span | None, name: str) -> None:
        super().__init__(message)
        self.msg = message
        self.span = span
        self.name = name

    def __str__(self) -> str:
        if self.span is None:
            return f"{self.name}: error: {self.msg}"
        return _diagnostic(self.span, self.msg)

    @property
    def location(self) -> Location | None:
        return None if self.span is None else self.span.get_location()


_STRING_LITERAL = re.compile(r'"(?:[^"\\\n\v\f]|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*"')
_SCANNED = re.compile(r'"|//|[(\[{]|[)\]}]')


def _check_text(text: str, name: str, line_offset: int = 0) -> None:
    """Raise a :class:`SourceParseError` at the first malformed string literal of MLIR
    ``text``, or at the first bracket nested deeper than :data:`MAX_NESTING`."""
    source = Input(text, name)
    depth = 0
    position = 0
    while found := _SCANNED.search(text, position):
        start, token = found.start(), found.group()
        position = found.end()
        if token == "//":
            end = text.find("\n", start)
            position = len(text) if end < 0 else end
        elif token == '"':
            literal = _STRING_LITERAL.match(text, start)
            if literal is None:
                line_end = text.find("\n", start)
                rest = text[start : len(text) if line_end < 0 else line_end]
                closed = re.match(r'"(?:[^"\\]|\\.)*"', rest)
                problem = "invalid escape in" if closed else "unterminated"
                span = Span(start, start + 1, source, line_offset)
                raise SourceParseError(span, f"{problem} string literal")
            position = literal.end()
        elif token in "([{":
            depth += 1
            if depth > MAX_NESTING:
                span = Span(start, start + 1, source, line_offset)
                raise SourceParseError(
                    span, f"nesting too deep: more than {MAX_NESTING} levels of brackets"
                )
        elif depth == 0:
            span = Span(start, start + 1, source, line_offset)
            raise SourceParseError(span, f"unmatched '{token}': no bracket is open here")
        else:
            depth -= 1


def _is_blank(text: str) -> bool:
    """Whether ``text`` holds nothing but white space and ``//`` comments."""
    return all(not line.strip() or line.strip().startswith("//") for line in text.splitlines())


class _LocatingParser(Parser):
    """xDSL's parser, recording where each operation starts."""

    def __init__(self, ctx: Context, text: str, name: str) -> None:
        self.positions: dict[Operation, int] = {}
        super().__init__(ctx, text, name)

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        op = super().parse_operation()
        self.positions[op] = start
        return op


def _decode(source: str | bytes, name: str, line_offset: int) -> str:
    if isinstance(source, str):
        return source
    try:
        return source.decode()
    except UnicodeDecodeError as err:
        span = Span(err.start, err.start + 1, Input(source, name), line_offset)
        raise SourceParseError(span, f"not UTF-8 text (byte 0x{source[err.start]:02x})") from None


def _located(err: ParseError, line_offset: int) -> SourceParseError:
    span = dataclasses.replace(err.span, line_offset=line_offset)
    notes = []
    if isinstance(err, MultipleSpansParseError):
        notes = [
            (dataclasses.replace(ref, line_offset=line_offset), note or "")
            for ref, note in err.refs
        ]
    return SourceParseError(span, err.msg, notes)


def _children(op: Operation) -> Iterator[Operation]:
    for region in op.regions:
        for block in region.blocks:
            yield from block.ops


def failing_operation(root: Operation, err: VerifyException) -> Operation:
    """The innermost operation under ``root`` whose verification raises ``err``: xDSL verifies
    an op's own structure, then its nested ops in order, then the op itself, so the culprit is
    found by descending into the first failing child for as long as it fails the same way."""
    culprit = root
    while True:
        for child in _children(culprit):
            try:
                child.verify()
            except VerifyException as again:
                if str(again) != str(err):
                    return culprit
                culprit = child
                break
        else:
            return culprit


def _verify(
    module: ModuleOp, positions: dict[Operation, int], source: Input, line_offset: int = 0
) -> None:
    """Verify ``module``; raise a :class:`SourceVerifyException` at the position (from
    ``positions``) of the innermost failing operation or its nearest recorded ancestor."""
    try:
        module.verify()
    except VerifyException as err:
        culprit = failing_operation(module, err)
        message = f"{culprit.name}: {err}"
        located: Operation | None = culprit
        while located is not None and located not in positions:
            located = located.parent_op()
        span = None
        if located is not None:
            start = positions[located]
            span = Span(start, start, source, line_offset)
        raise SourceVerifyException(message, span, source.name) from None


def parse_source(
    ctx: Context,
    source: str | bytes,
    name: str = "<string>",
    *,
    implicit_module: bool = True,
    verify: bool = True,
    line_offset: int = 0,
) -> ModuleOp:
    """Parse MLIR ``source`` (text, or UTF-8 bytes) into a module and verify it.

    ``name`` is the file name diagnostics report, ``line_offset`` the number of lines before
    ``source`` in that file (for chunks of a split file). Raises :class:`SourceParseError` or
    :class:`SourceVerifyException`."""
    text = _decode(source, name, line_offset)
    _check_text(text, name, line_offset)
    if _is_blank(text):  # an empty module, as in MLIR; an error where a module must be written
        if implicit_module:
            return ModuleOp([])
        what = "empty" if not text.strip() else "only comments"
        raise SourceParseError(
            Span(0, 0, Input(text, name), line_offset),
            f"expected a builtin.module, the input is {what}",
        )
    parser: _LocatingParser | None = None
    try:
        parser = _LocatingParser(ctx, text, name)
        module = parser.parse_module(implicit_module)
    except ParseError as err:
        raise _located(err, line_offset) from None
    except RecursionError:  # nesting that the bracket scan does not see (e.g. of <>)
        raise _at(parser, text, name, line_offset, "nesting too deep to parse") from None
    except (VerifyException, ValueError, OverflowError, NotImplementedError) as err:
        # raised while building an attribute or an operation: reported where the parser is
        raise _at(parser, text, name, line_offset, str(err)) from None
    if verify:
        _verify(module, parser.positions, parser.lexer.input, line_offset)
    return module


def _at(
    parser: Parser | None, text: str, name: str, line_offset: int, message: str
) -> SourceParseError:
    start = 0 if parser is None else parser.pos
    return SourceParseError(Span(start, start + 1, Input(text, name), line_offset), message)
