"""Roster CSV export: formulas neutralised, and what the import reads back is what was exported."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

from core.limits import FORMULA_PREFIXES, neutralise_formula
from core.rules import Course, Regimen, Setting, StopReason
from core.store.csvexport import COLUMNS, roster_csv, write_roster_csv
from core.store.csvimport import ALLOWED_COLUMNS, read_roster_csv

TODAY = dt.date(2026, 11, 30)
COURSE = Course(
    subject_id="MEL-1",
    tumor_type="mélanome, uvéal",
    setting=Setting.NEOADJUVANT,
    regimen=Regimen.MONOTHERAPY,
    first_dose=dt.date(2024, 1, 8),
    agent="nivolumab",
    indolent=True,
    last_dose=dt.date(2024, 3, 1),
    discontinuation_reason=StopReason.COMPLETED,
    surgery_date=dt.date(2024, 3, 20),
    major_pathological_response=False,
    adjuvant_after_neoadjuvant=True,
)


def test_every_import_column_is_exported() -> None:
    assert set(COLUMNS) == set(ALLOWED_COLUMNS)


def test_export_reads_back_unchanged(tmp_path: Path) -> None:
    plain = dataclasses.replace(COURSE, subject_id="MEL-2", setting=Setting.ADVANCED, surgery_date=None,
                                major_pathological_response=None, adjuvant_after_neoadjuvant=False, agent=None)  # fmt: skip
    f = tmp_path / "out.csv"
    write_roster_csv(f, [COURSE, plain])
    assert f.read_bytes().startswith(b"\xef\xbb\xbf")
    courses, rejected = read_roster_csv(f, TODAY)
    assert rejected == []
    assert courses == [COURSE, plain]


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_formulas_are_neutralised_in_every_column(prefix: str) -> None:
    payload = prefix + "cmd|' /C calc'!A0"
    legacy = dataclasses.replace(COURSE, subject_id=payload, tumor_type=payload, agent=payload)
    rows = list(csv.reader(io.StringIO(roster_csv([legacy]), newline="")))
    row = dict(zip(rows[0], rows[1], strict=True))
    for column in ("subject_id", "tumor_type", "agent"):
        assert row[column] == "'" + payload
    assert all(not cell.startswith(FORMULA_PREFIXES) for cell in rows[1])


def test_neutralise_leaves_plain_text() -> None:
    assert neutralise_formula("MEL-1") == "MEL-1"
    assert neutralise_formula("") == ""
    assert neutralise_formula("'=1") == "'=1"
