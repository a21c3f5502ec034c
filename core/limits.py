"""Input limits: the plausibility bounds every input path shares.

Case files, the roster CSV import, the command line and the desktop forms
all check their values with these constants and functions, so one rule
answers the same input the same way everywhere. ``docs/case-format.md``
documents every limit; change both together.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from core.errors import InputError

# Dates: a course, a visit or an --as-of outside this range is a typo (year 0001, 9999).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

# Sizes and counts.
MAX_MM = 1000  # a lesion of more than a metre is a unit error (cm/µm) or a typo
MAX_PROGRESSING_SITES = 100
MAX_ASSESSMENTS = 1000  # per case
MAX_NON_TARGETS = 100  # baseline non-target lesions per case
MAX_NEW_LESIONS = 100  # new lesions recorded at one assessment
MAX_NOTES = 100  # note texts per assessment (joined into one text)
MAX_CASES = 100_000  # cases in one case file; rows in one roster CSV

# Files.
MAX_FILE_BYTES = 64 * 1024 * 1024  # a case file or a roster CSV
MAX_JSON_DEPTH = 20  # nesting of arrays and objects (the format needs 7)
MAX_NUMBER_DIGITS = 30  # digits of a JSON number literal (before any check of its range)

# Text (characters, after trimming spaces at both ends).
MAX_ID_CHARS = 64  # subject_id, lesion id
MAX_NAME_CHARS = 200  # tumor_type, agent, organ
MAX_NOTE_CHARS = 4000  # the notes of one assessment, joined
MAX_REASON_CHARS = 1000  # the reason for a change, kept in the audit trail

# A spreadsheet runs a cell that starts with one of these as a formula
# (OWASP "CSV injection"); tab and carriage return are refused as control characters.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Invisible characters that reorder the text shown (a "Trojan source" id looks like another).
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def show(value: object, limit: int = 40) -> str:
    """A value for an error message: repr, shortened, never unprintable."""
    text = repr(value)
    if len(text) > limit:
        text = f"{text[: limit - 12]}… ({len(text)} characters)"
    return text


def field_key(key: object) -> str:
    """A JSON key or CSV column as it can be printed in a field path."""
    if isinstance(key, str) and key.isprintable() and len(key) <= MAX_ID_CHARS:
        return key
    return show(key)


def check_date(day: dt.date, field: str) -> dt.date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise InputError(field, f"{day.isoformat()} is outside {MIN_DATE} to {MAX_DATE}")
    return day


def text_problem(value: str, max_chars: int, *, multiline: bool = False, formula: bool = True) -> str | None:
    """Why ``value`` (already trimmed) is not acceptable text, or None.

    ``multiline`` is free text (visit notes): newlines and tabs are allowed, and
    so is a leading sign ("- new lesion seen"), because notes never enter a CSV
    or spreadsheet export; every other text field is refused when it starts
    like a formula (``formula=False``: names that never reach a CSV, such as a study title)."""
    if len(value) > max_chars:
        return f"is {len(value)} characters long (at most {max_chars})"
    # isprintable(): no control, format, surrogate or unassigned character (the common case, fast).
    if not (value.replace("\n", "").replace("\t", "") if multiline else value).isprintable():
        problem = _character_problem(value, multiline)
        if problem:
            return problem
    if formula and not multiline and value.startswith(FORMULA_PREFIXES):
        return (
            f"starts with {value[0]!r}, which a spreadsheet would run as a formula "
            "(reword it, e.g. without the leading sign)"
        )
    return None


def _character_problem(value: str, multiline: bool) -> str | None:
    for ch in value:
        if ch in "\n\t" and multiline:
            continue
        category = unicodedata.category(ch)
        if category == "Cs":
            return f"contains a lone surrogate (U+{ord(ch):04X}), which is not text"
        if category == "Cc":
            return f"contains a control character (U+{ord(ch):04X})"
        if ch in _BIDI_CONTROLS:
            return f"contains an invisible direction control (U+{ord(ch):04X})"
        if 0xFDD0 <= ord(ch) <= 0xFDEF or (ord(ch) & 0xFFFE) == 0xFFFE:
            return f"contains a non-character (U+{ord(ch):04X})"
    return None


def check_text(value: str, field: str, max_chars: int, *, formula: bool = True) -> str:
    """``value`` trimmed, or InputError naming ``field``."""
    trimmed = value.strip()
    problem = text_problem(trimmed, max_chars, formula=formula)
    if problem:
        raise InputError(field, problem)
    return trimmed


def neutralise_formula(cell: str) -> str:
    """A cell value safe to open in a spreadsheet: text that would run as a formula
    gets a leading single quote (shown as text by Excel, LibreOffice and Sheets)."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell
