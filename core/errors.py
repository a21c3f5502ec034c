"""The exception tree of ResistDesk.

    ResistDeskError                 every error the core raises on purpose
    └── InputError                  malformed input; names the field
        └── CaseFormatError         a case file that breaks resistdesk-case/1

Clinically odd but well-formed data never raises: the classifier answers
``indeterminate`` with a reason instead.
"""

from __future__ import annotations


class ResistDeskError(Exception):
    """Root of every error raised on purpose by ResistDesk."""


class InputError(ResistDeskError):
    """Malformed input. ``field`` names the offending field (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class CaseFormatError(InputError):
    """A case file that does not follow ``resistdesk-case/1``.

    ``source`` names the file and ``case`` the case (index and subject id),
    so the message tells a coordinator exactly where to look.
    """

    def __init__(self, field: str, message: str, *, source: str = "", case: str = "") -> None:
        self.source = source
        self.case = case
        super().__init__(field, message)

    def located(self, *, source: str | None = None, case: str | None = None) -> CaseFormatError:
        """The same error with its file and case filled in."""
        return CaseFormatError(
            self.field,
            self.message,
            source=self.source if source is None else source,
            case=self.case if case is None else case,
        )

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.case) if part)
        body = f"field '{self.field}': {self.message}" if self.field else self.message
        return f"{where}: {body}" if where else body
