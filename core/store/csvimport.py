"""Roster CSV import: every row is validated first, then all are imported or none.

Columns are the case-file field names (``subject_id``, ``tumor_type``,
``setting``, ``regimen``, ``agent``, ``first_dose``, ...). Empty cells are
"not recorded"; booleans are ``true``/``false`` (also yes/no, 1/0).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.casefile import CASE_FIELDS, future_dates, parse_case
from core.errors import CaseFormatError, InputError
from core.rules import Course

BOOL_COLUMNS = frozenset(
    {"indolent", "intercurrent_therapy", "major_pathological_response", "adjuvant_after_neoadjuvant"}
)
INT_COLUMNS = frozenset({"dosing_interval_days"})
REQUIRED_COLUMNS = ("subject_id", "tumor_type", "setting", "regimen", "first_dose")
ALLOWED_COLUMNS = CASE_FIELDS - {"format", "assessments", "criteria", "baseline"}
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


def _cell(column: str, raw: str) -> Any:
    value = raw.strip()
    if value == "":
        return None
    if column in BOOL_COLUMNS:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise CaseFormatError(column, f"must be true or false, not {value!r}")
    if column in INT_COLUMNS:
        try:
            return int(value)
        except ValueError:
            raise CaseFormatError(column, f"must be a whole number, not {value!r}") from None
    return value


def read_roster_csv(
    path: Path, today: dt.date, existing: Sequence[str] = ()
) -> tuple[list[Course], list[tuple[int, str, str]]]:
    """Parse and validate every row: (courses, rejections as (line, field, message))."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError("file", f"cannot read {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in ALLOWED_COLUMNS]
    if missing:
        raise InputError("header", f"missing column(s): {', '.join(missing)}")
    if unknown:
        raise InputError("header", f"unknown column(s): {', '.join(unknown)} (check the spelling)")
    courses: list[Course] = []
    rejected: list[tuple[int, str, str]] = []
    seen = set(existing)
    for line, raw in enumerate(reader, start=2):
        try:
            case: dict[str, Any] = {"assessments": []}
            for column, value in raw.items():
                if column is None:
                    raise CaseFormatError("row", "more cells than columns")
                parsed = _cell(column.strip(), value or "")
                if parsed is not None:
                    case[column.strip()] = parsed
            course = parse_case(case)
        except CaseFormatError as exc:
            rejected.append((line, exc.field, exc.message))
            continue
        future = future_dates(course, today)
        if future:
            rejected.append((line, future[0][0], f"{future[0][1]} is in the future (today is {today})"))
            continue
        if course.subject_id in seen:
            rejected.append(
                (line, "subject_id", f"subject {course.subject_id!r} appears twice or already exists")
            )
            continue
        seen.add(course.subject_id)
        courses.append(course)
    return courses, rejected
