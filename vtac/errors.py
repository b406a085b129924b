"""The errors vtac raises on purpose, under one base class.

- :class:`VtacError`: every error a user can cause; tools print it as a message (``vtac: error:
  ...``), never as a traceback.
- :class:`InvalidInputError`: input vtac cannot take (a file, IR, a configuration, an option, a
  program that breaks a rule): ``what`` kind of input, ``where`` in it when known.
- :class:`RefusalError`: valid input that vtac refuses because it breaks a named ``limit`` of
  the hardware, the ISA or the schedule (a buffer's entries, a DMA field, a forced choice that
  cannot be honoured). The fuzz harness accepts these, and only these, as refusals.

Each module keeps its own error class (``ImageError``, ``TilingError``...) deriving from one of
these; a module whose errors are of both kinds derives from :class:`VtacError` and raises its
refusals as a subclass that adds :class:`RefusalError`. Classes that were ``ValueError`` stay
``ValueError`` (the bases here are not), so existing handlers keep working.

This module imports nothing, so that catching the base costs a command no start-up time.
"""

from __future__ import annotations

__all__ = ["InvalidInputError", "RefusalError", "VtacError"]


class VtacError(Exception):
    """An error a user can cause (as opposed to a bug in vtac)."""


class InvalidInputError(VtacError):
    """Input vtac cannot take. ``what``: the kind of input (a class attribute of each subclass);
    ``where``: where in it (a file, line, op or instruction), None when the message says it or
    it is not known."""

    what: str = "input"
    where: str | None = None

    def __init__(self, *args: object, where: str | None = None) -> None:
        super().__init__(*args)
        self.where = where


class RefusalError(VtacError):
    """Valid input that breaks a named limit of the hardware, the ISA or the schedule.
    ``limit`` names it: given where the error is raised, else the subclass's default."""

    limit: str = "a limit of the hardware, the ISA or the schedule"

    def __init__(self, *args: object, limit: str | None = None) -> None:
        super().__init__(*args)
        if limit is not None:
            self.limit = limit
