"""Roster CSV import: every row is validated first, then all are imported or none.

Columns are the case-file field names (``subject_id``, ``tumor_type``,
``setting``, ``regimen``, ``agent``, ``first_dose``, ...). Empty cells are
"not recorded"; booleans are ``true``/``false`` (also yes/no, 1/0).

The file is read as Excel and LibreOffice save it (``docs/case-format.md``,
"Roster CSV"):

- Encoding, decided in this order and never guessed further:
  1. a byte-order mark: UTF-8, UTF-16 (LE or BE); UTF-32 is refused by name;
  2. without one, strict UTF-8 (plain ASCII is UTF-8);
  3. otherwise Windows-1252 ("ANSI" in Excel), only when the file is clearly
     that: it decodes strictly, holds no NUL byte (UTF-16 without a mark), no
     UTF-8 sequence (a file mixing both), only the letters and punctuation of
     Western European text, and never three non-ASCII characters in a row (what
     Cyrillic, Greek or Japanese text becomes when mis-read as Windows-1252).
  Anything else is refused, naming the encoding problem and the byte, so a
  name is never stored mis-decoded.
- The separator is a comma or a semicolon (Excel's in many European locales),
  taken from the header line; quoted cells may hold separators and newlines
  (kept, then refused by the text rules with the line named); CRLF or LF.
- Every column must be known and appear once.
- Line numbers in messages are the file's physical lines (a cell with a
  newline spans two).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core import limits
from core.casefile import CASE_FIELDS, future_dates, parse_case
from core.errors import CaseFormatError, InputError
from core.limits import field_key, show
from core.rules import Course

BOOL_COLUMNS = frozenset(
    {"indolent", "intercurrent_therapy", "major_pathological_response", "adjuvant_after_neoadjuvant"}
)
INT_COLUMNS = frozenset({"dosing_interval_days"})
DATE_COLUMNS = frozenset({"first_dose", "last_dose", "surgery_date"})
REQUIRED_COLUMNS = ("subject_id", "tumor_type", "setting", "regimen", "first_dose")
ALLOWED_COLUMNS = CASE_FIELDS - {"format", "assessments", "criteria", "baseline"}
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}

# Windows-1252 "clearly": the non-ASCII characters of Western European text.
_CP1252_LETTERS = set("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŒœŠšŽžŸƒ")
_CP1252_OTHERS = set("\u00a0€‘’‚“”„…–—•°±µ·²³§©®™¼½¾¿¡«»‹›¢£¥¨¯´¸¹ºª¬¤¦†‡ˆ‰˜")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# Three non-ASCII characters in a row (the no-break space aside): rare in Western European text,
# common in Cyrillic, Greek or Japanese text mis-read as Windows-1252 ("Ìåëàíîìà", "“ú–{Œê").
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f\xa0]{3,}")
_EXCEL_SERIAL = re.compile(r"[0-9]{1,6}(?:[.,][0-9]+)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def decode_csv(raw: bytes) -> tuple[str, str]:
    """The text of a CSV file and the name of its encoding (rule in the module docstring).
    Raises InputError("encoding", ...) for a file that is not clearly one of them."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise InputError("encoding", "UTF-32 is not supported; save the file as 'CSV UTF-8'")
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec), name
            except UnicodeDecodeError as exc:
                raise InputError(
                    "encoding",
                    f"starts with a {name} byte-order mark but is not {name} "
                    f"(byte {exc.start + len(bom) + 1})",
                ) from None
    hint = "save it as 'CSV UTF-8' and import it again"
    if b"\x00" in raw:  # never in UTF-8 or Windows-1252 text; every other byte in UTF-16
        raise InputError("encoding", f"holds NUL bytes: looks like UTF-16 without a byte-order mark; {hint}")
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if _UTF8_SEQUENCE.search(raw):
        raise InputError(
            "encoding", f"mixes UTF-8 with another encoding (invalid UTF-8 at byte {first_bad + 1}); {hint}"
        )
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            "encoding", f"neither UTF-8 nor Windows-1252 (byte {exc.start + 1}); {hint}"
        ) from None
    for ch in {c for c in text if ord(c) > 0x7F}:
        if ch not in _CP1252_LETTERS and ch not in _CP1252_OTHERS:
            raise InputError(
                "encoding",
                f"not UTF-8, and {ch!r} is unlikely in Windows-1252 text (another encoding?); {hint}",
            )
    run = _NON_ASCII_RUN.search(text)
    if run:
        raise InputError(
            "encoding",
            f"not UTF-8, and {show(run.group())} does not look like Windows-1252 text "
            f"(Cyrillic, Greek or Asian text saved in another code page?); {hint}",
        )
    return text, "Windows-1252"


def _separator(header_line: str) -> str:
    commas, semicolons = header_line.count(","), header_line.count(";")
    if commas and semicolons:
        raise InputError("line 1 (header)", "mixes commas and semicolons; use one separator")
    return ";" if semicolons else ","


def excel_serial_hint(value: str) -> str | None:
    """For a date cell that is a number: the hint that it is an Excel serial date."""
    if not _EXCEL_SERIAL.fullmatch(value):
        return None
    whole = int(re.split("[.,]", value)[0])
    if 1 <= whole <= 2_958_465:  # Excel's own range (to 9999-12-31)
        day = _EXCEL_EPOCH + dt.timedelta(days=whole)
        return (
            f"{value!r} looks like an Excel serial date ({day.isoformat()}?); "
            "format the column as text YYYY-MM-DD before saving"
        )
    return None


def _cell(column: str, raw: str) -> Any:
    value = raw.strip()
    if value == "":
        return None
    if column in BOOL_COLUMNS:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise CaseFormatError(column, f"must be true or false, not {show(value)}")
    if column in INT_COLUMNS:  # ASCII digits only: int() also takes "1_000" and other scripts' digits
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            raise CaseFormatError(column, f"must be a whole number, not {show(value)}")
        return int(value)
    if column in DATE_COLUMNS:
        hint = excel_serial_hint(value)
        if hint:
            raise CaseFormatError(column, hint)
    return value


def _header(cells: list[str]) -> list[str]:
    header = [h.strip() for h in cells]
    where = "line 1 (header)"
    for k, name in enumerate(header):
        if not name:
            raise InputError(where, f"column {k + 1} has no name")
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = [field_key(c) for c in header if c not in ALLOWED_COLUMNS]
    if unknown:
        hint = "; tab-separated? use commas or semicolons" if any("\t" in c for c in header) else ""
        problems.append(f"unknown column(s): {', '.join(unknown)} (check the spelling{hint})")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        problems.append(f"column(s) appear twice: {', '.join(duplicated)} (which one is meant?)")
    if problems:
        raise InputError(where, "; ".join(problems))
    return header


def read_roster_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-empty rows with their first physical line (InputError for the file)."""
    try:
        with path.open("rb") as f:
            raw = f.read(limits.MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError("file", f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > limits.MAX_FILE_BYTES:
        raise InputError("file", f"larger than {limits.MAX_FILE_BYTES:,} bytes (the size limit of a roster)")
    text, _ = decode_csv(raw)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(first_line), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                if cells:
                    header = _header(cells)
                continue
            if not any(c.strip() for c in cells):
                continue  # a blank line, or Excel's ";;;;" for an empty row
            rows.append((start, cells))
            if len(rows) > limits.MAX_CASES:
                raise InputError("file", f"more than {limits.MAX_CASES} rows (the limit of one roster)")
    except csv.Error as exc:
        raise InputError(f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    if header is None:
        raise InputError("line 1 (header)", "the file is empty")
    return header, rows


def read_roster_csv(
    path: Path, today: dt.date, existing: Sequence[str] = ()
) -> tuple[list[Course], list[tuple[int, str, str]]]:
    """Parse and validate every row: (courses, rejections as (line, field, message))."""
    header, rows = read_roster_rows(path)
    courses: list[Course] = []
    rejected: list[tuple[int, str, str]] = []
    seen = set(existing)
    for line, cells in rows:
        try:
            if len(cells) != len(header):
                raise CaseFormatError("row", f"{len(cells)} cells where the header has {len(header)} columns")
            case: dict[str, Any] = {"assessments": []}
            for column, value in zip(header, cells, strict=True):
                parsed = _cell(column, value)
                if parsed is not None:
                    case[column] = parsed
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
