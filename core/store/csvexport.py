"""Roster CSV export: the subjects' course fields, in the columns the roster import reads.

Safe to open in a spreadsheet: every cell that starts like a formula (``=``,
``+``, ``-``, ``@``, tab, carriage return) gets a leading single quote
(``limits.neutralise_formula``), which Excel, LibreOffice and Google Sheets
show as text and never run. The import refuses such text in the first place,
so the quote only ever appears on data stored before those checks.

The file is UTF-8 with a byte-order mark (so Excel does not read it as its
ANSI code page), comma-separated, CRLF line ends; reading it back with the
roster import gives the same courses.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.limits import neutralise_formula
from core.rules import Course
from core.store.csvimport import ALLOWED_COLUMNS

# Every column the import reads, in the order of the course's fields.
COLUMNS = tuple(f.name for f in dataclasses.fields(Course) if f.name in ALLOWED_COLUMNS)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(getattr(value, "value", value))


def roster_csv(courses: Iterable[Course]) -> str:
    """The CSV text (without the byte-order mark) for ``courses``."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for course in courses:
        writer.writerow([neutralise_formula(_text(getattr(course, column))) for column in COLUMNS])
    return out.getvalue()


def write_roster_csv(path: Path, courses: Iterable[Course]) -> None:
    path.write_text(roster_csv(courses), encoding="utf-8-sig", newline="")
