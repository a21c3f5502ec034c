"""Roster CSVs as Excel and LibreOffice write them: read correctly or refused by name (issue 15)."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest

from core.errors import InputError
from core.store import Actor, Store
from core.store.csvimport import decode_csv, read_roster_csv
from core.store.store import import_roster_csv
from tests.core.store.conftest import dump

TODAY = dt.date(2026, 11, 30)
HEADER = "subject_id,tumor_type,setting,regimen,agent,first_dose"


def roster(tmp_path: Path, data: str | bytes, name: str = "roster.csv") -> Path:
    f = tmp_path / name
    f.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return f


def read(tmp_path: Path, data: str | bytes) -> tuple[list[str], list[tuple[int, str, str]]]:
    courses, rejected = read_roster_csv(roster(tmp_path, data), TODAY)
    return [c.tumor_type for c in courses], rejected


def refused(tmp_path: Path, data: str | bytes) -> InputError:
    with pytest.raises(InputError) as info:
        read_roster_csv(roster(tmp_path, data), TODAY)
    return info.value


TEXT = f"{HEADER}\r\nR-1,mélanome,advanced,monotherapy,nivolumab,2024-01-08\r\nR-2,cáncer de pulmón,advanced,monotherapy,,2024-02-01\r\n"
WESTERN = ["mélanome", "cáncer de pulmón"]
ASCII = f"{HEADER}\nR-1,TUMOR,advanced,monotherapy,,2024-01-08\n"


@pytest.mark.parametrize(
    ("encoded", "name", "tumors"),
    [
        (TEXT.encode("utf-8"), "UTF-8", WESTERN),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "UTF-8", WESTERN),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "UTF-16", WESTERN),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "UTF-16", WESTERN),
        (TEXT.encode("cp1252"), "Windows-1252", WESTERN),
        (
            ASCII.replace("TUMOR", "Œsophage – “bis” ½").encode("cp1252"),
            "Windows-1252",
            ["Œsophage – “bis” ½"],
        ),
        (ASCII.replace("TUMOR", "日本語").encode("utf-8"), "UTF-8", ["日本語"]),
    ],
)
def test_excel_encodings_are_read_exactly(
    tmp_path: Path, encoded: bytes, name: str, tumors: list[str]
) -> None:
    text, found = decode_csv(encoded)
    assert found == name
    assert not text.startswith("\ufeff")  # the mark is not part of the header
    assert read(tmp_path, encoded) == (tumors, [])


@pytest.mark.parametrize(
    ("encoded", "fragment"),
    [
        (ASCII.replace("TUMOR", "меланома").encode("cp1251"), "Cyrillic"),
        (ASCII.replace("TUMOR", "μελάνωμα").encode("cp1253"), "Windows-1252"),
        (ASCII.replace("TUMOR", "日本語").encode("shift_jis"), "Windows-1252"),
        (TEXT.encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        (
            TEXT.encode("utf-8") + "R-3,mélanome,advanced,monotherapy,,2024-01-08\n".encode("cp1252"),
            "mixes UTF-8",
        ),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "UTF-32"),
        (codecs.BOM_UTF8 + TEXT.encode("cp1252"), "UTF-8 byte-order mark"),
        (b"subject_id\x81,tumor_type\n", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_other_encodings_are_refused_by_name(tmp_path: Path, encoded: bytes, fragment: str) -> None:
    err = refused(tmp_path, encoded)
    assert err.field == "encoding"
    assert fragment in err.message


def test_semicolons_quotes_and_crlf(tmp_path: Path) -> None:
    data = (
        "subject_id;tumor_type;setting;regimen;agent;first_dose\r\n"
        'R-1;"melanoma; uveal";advanced;monotherapy;"pembrolizumab";2024-01-08\r\n'
        "\r\n"
        ";;;;;\r\n"  # Excel's empty row
        "R-2;melanoma;advanced;monotherapy;;2024-01-09\r\n"
    )
    tumors, rejected = read(tmp_path, data)
    assert rejected == []
    assert tumors == ["melanoma; uveal", "melanoma"]


def test_quoted_newline_is_kept_and_refused_with_its_line(tmp_path: Path) -> None:
    data = (
        f"{HEADER}\n"
        'R-1,"melanoma\nglioblastoma",advanced,monotherapy,,2024-01-08\n'
        "R-2,melanoma,advanced,mono,,2024-01-08\n"
    )
    _, rejected = read(tmp_path, data)
    assert rejected[0][:2] == (2, "tumor_type")
    assert "control character (U+000A)" in rejected[0][2]
    assert rejected[1][:2] == (4, "regimen")  # the physical line, after the two-line cell


def test_duplicated_column_is_refused(tmp_path: Path) -> None:
    err = refused(
        tmp_path, f"{HEADER},tumor_type\nR-1,melanoma,advanced,monotherapy,,2024-01-08,glioblastoma\n"
    )
    assert err.field == "line 1 (header)"
    assert "appear twice: tumor_type" in err.message


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (f"{HEADER},notes", "unknown column(s): notes"),
        (f"{HEADER},", "column 7 has no name"),
        (HEADER.replace(",", "\t"), "tab-separated"),
        ("subject_id;tumor_type,setting;regimen;first_dose", "mixes commas and semicolons"),
        ("subject_id,setting,regimen,first_dose", "missing column(s): tumor_type"),
        ("", "empty"),
    ],
)
def test_header_problems(tmp_path: Path, header: str, fragment: str) -> None:
    err = refused(tmp_path, f"{header}\n" if header else "")
    assert "line 1" in err.field
    assert fragment in err.message


def test_bad_quoting_names_the_line(tmp_path: Path) -> None:
    err = refused(tmp_path, f'{HEADER}\nR-1,melanoma,advanced,monotherapy,,2024-01-08\nR-2,"mel"x,advanced\n')
    assert err.field == "line 3"
    assert "not valid CSV" in err.message


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        ("R-1,melanoma,advanced,monotherapy,,45321", "first_dose", "Excel serial date (2024-01-30?)"),
        ("R-1,melanoma,advanced,monotherapy,,45321.5", "first_dose", "Excel serial date"),
        ("R-1,melanoma,advanced,monotherapy,,9999-12-31", "first_dose", "1900-01-01 to 2100-12-31"),
        ("R-1,melanoma,advanced,monotherapy,,0001-01-01", "first_dose", "1900-01-01 to 2100-12-31"),
        ("=cmd|' /C calc'!A0,melanoma,advanced,monotherapy,,2024-01-08", "subject_id", "formula"),
        ("R-1,+melanoma,advanced,monotherapy,,2024-01-08", "tumor_type", "formula"),
        ("R-1,melanoma,advanced,monotherapy,@SUM(A1),2024-01-08", "agent", "formula"),
        ('R-1,"-2+3",advanced,monotherapy,,2024-01-08', "tumor_type", "formula"),
        ("R-1,melanoma,advanced,monotherapy,,2024-01-08,extra", "row", "7 cells"),
        ("R-1,melanoma,advanced,monotherapy", "row", "4 cells"),
        ("R-1,mel\x07anoma,advanced,monotherapy,,2024-01-08", "tumor_type", "control character"),
    ],
)
def test_cell_problems_name_line_and_field(tmp_path: Path, row: str, field: str, fragment: str) -> None:
    _, rejected = read(tmp_path, f"{HEADER}\n{row}\n")
    assert len(rejected) == 1
    line, got_field, message = rejected[0]
    assert (line, got_field) == (2, field)
    assert fragment in message


def test_size_and_row_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.limits.MAX_CASES", 2)
    rows = "".join(f"R-{k},melanoma,advanced,monotherapy,,2024-01-08\n" for k in range(3))
    assert "more than 2 rows" in refused(tmp_path, f"{HEADER}\n{rows}").message
    monkeypatch.setattr("core.limits.MAX_FILE_BYTES", 10)
    assert "size limit" in refused(tmp_path, f"{HEADER}\n").message


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_roster_csv(tmp_path, TODAY)
    assert info.value.field == "file"


def test_the_store_names_the_file_and_changes_nothing(
    store: Store, admin: Actor, study_id: int, db_path: Path, tmp_path: Path
) -> None:
    before = dump(db_path)
    f = roster(tmp_path, f"{HEADER},tumor_type\nR-1,melanoma,advanced,monotherapy,,2024-01-08,glioblastoma\n")
    with pytest.raises(InputError) as info:
        import_roster_csv(store, admin, study_id, f)
    assert str(info.value).startswith("roster.csv: line 1 (header): ")
    report = import_roster_csv(
        store, admin, study_id, roster(tmp_path, f"{HEADER}\nR-1,=1+1,advanced,monotherapy,,2024-01-08\n")
    )
    assert not report.ok
    assert dump(db_path) == before


@pytest.mark.parametrize(
    ("cell", "problem"), [("21", None), ("1_000", "whole number"), ("٢١", "whole number"), ("6", "7")]
)
def test_dosing_interval_is_an_ascii_whole_number(tmp_path: Path, cell: str, problem: str | None) -> None:
    f = roster(
        tmp_path, f"{HEADER},dosing_interval_days\nR-1,melanoma,advanced,monotherapy,,2024-01-08,{cell}\n"
    )
    courses, rejected = read_roster_csv(f, TODAY)
    if problem is None:
        assert rejected == []
        assert courses[0].dosing_interval_days == 21
    else:
        assert rejected[0][1] == "dosing_interval_days"
        assert problem in rejected[0][2]
