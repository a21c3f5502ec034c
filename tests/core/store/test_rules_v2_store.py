"""Rules v2 in the store: the dosing interval (C7) through the migration, the
course rows, case-file export/import, the roster CSV; the v3-schema upgrade."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from core.casefile import parse_case
from core.errors import InputError
from core.rules import Category
from core.store import Actor, Store
from core.store.migrate import HEAD_REVISION, current_revision, head_revision, migrate
from core.store.store import import_roster_csv
from tests.core.store.conftest import subject_fields


def _v3_file(tmp_path: Path) -> Path:
    """A database at revision 0003 with two subjects and three worksheets."""
    db = tmp_path / "v3.sqlite3"
    migrate(db, target="0003")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO study (id, protocol_id, title, sponsor, site, criteria, rule_overrides, "
            "enrolled_categories, is_demo, paper_size) VALUES "
            "(1, 'OLD-1', 'Old study', '', '', 'RECIST 1.1', '{}', '[]', 0, 'A4')"
        )
        for sid, code in ((1, "S-1"), (2, "S-2")):
            conn.execute(
                "INSERT INTO subject (id, study_id, subject_code, tumor_type, indolent, setting, status) "
                "VALUES (?, 1, ?, 'melanoma', 0, 'advanced', 'active')",
                (sid, code),
            )
            conn.execute(
                "INSERT INTO course (subject_id, agent, regimen, first_dose, last_dose, "
                "discontinuation_reason, intercurrent_therapy, surgery_date, major_pathological_response, "
                "adjuvant_after_neoadjuvant, baseline_date) VALUES "
                "(?, 'pembrolizumab', 'monotherapy', '2024-01-08', NULL, NULL, 0, NULL, NULL, 0, NULL)",
                (sid,),
            )
        worksheets = [
            (1, "D-1", "2024-05-01", "secondary_resistance", "signed"),
            (1, "D-2", "2024-06-01", "primary_resistance", "draft"),  # a later draft never wins
            (2, "D-3", "2024-05-01", "pending_confirmation", "draft"),
        ]
        for sid, doc, as_of, category, status in worksheets:
            conn.execute(
                "INSERT INTO worksheet (subject_id, document_id, prepared_by, prepared_by_label, prepared_at, "
                "as_of, case_sha256, category, rule, pdf_sha256, status, pdf) VALUES "
                "(?, ?, NULL, 'os:test', '2024-06-01 10:00:00', ?, 'x', ?, NULL, NULL, ?, NULL)",
                (sid, doc, as_of, category, status),
            )
    assert current_revision(db) == "0003"
    return db


def test_v3_database_is_upgraded_with_dosing_interval_and_category_records(tmp_path: Path) -> None:
    db = _v3_file(tmp_path)
    with Store.open(db, backup_daily=False) as store:
        assert current_revision(db) == head_revision() == HEAD_REVISION
        case = store.case(store.subject_pk(1, "S-1"))
        assert "dosing_interval_days" not in case
        assert parse_case(case).dosing_interval_days is None
        records = store.category_records(1)
    assert {pk: (r.category, r.ruleset_version, r.source, r.as_of) for pk, r in records.items()} == {
        1: ("secondary_resistance", 1, "signed", dt.date(2024, 5, 1)),
        2: ("pending_confirmation", 1, "prepared", dt.date(2024, 5, 1)),
    }
    with contextlib.closing(sqlite3.connect(db)) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(course)")}
    assert "dosing_interval_days" in columns


def test_dosing_interval_is_stored_read_and_changes_the_result(
    store: Store, admin: Actor, study_id: int
) -> None:
    fields = subject_fields("DI-1", last_dose="2024-01-29", discontinuation_reason="toxicity")
    pk = store.add_subject(admin, study_id, fields)
    store.add_assessment(admin, pk, {"date": "2024-03-28", "response": "PD"})
    as_of = dt.date(2024, 4, 1)
    # 21 days from first to last dose, no interval: insufficient exposure.
    assert store.classify_subject(pk, as_of).category is Category.INSUFFICIENT_EXPOSURE
    store.update_subject(admin, pk, {"dosing_interval_days": 21}, reason="cycle length from the CRF")
    assert store.case(pk)["dosing_interval_days"] == 21
    assert store.course(pk).dosing_interval_days == 21
    assert store.classify_subject(pk, as_of).category is Category.PRIMARY_RESISTANCE
    # The fast roster read carries it too.
    [row] = [r for r in store.roster_rows(study_id, as_of) if r.subject_id == "DI-1"]
    assert row.result.category is Category.PRIMARY_RESISTANCE
    # The change is audited.
    events = store.audit_events(entity="course")
    assert any(e.field == "dosing_interval_days" and e.new_value == "21" for e in events)


@pytest.mark.parametrize("bad", [6, 85, "21"])
def test_dosing_interval_out_of_range_names_the_field(
    store: Store, admin: Actor, study_id: int, bad: object
) -> None:
    with pytest.raises(InputError) as err:
        store.add_subject(admin, study_id, subject_fields("DI-BAD", dosing_interval_days=bad))
    assert err.value.field == "dosing_interval_days"
    assert not store.all_rows(study_id)


def test_dosing_interval_round_trips_through_export_and_import(
    store: Store, admin: Actor, study_id: int
) -> None:
    pk = store.add_subject(admin, study_id, subject_fields("DI-2", dosing_interval_days=28))
    store.add_assessment(admin, pk, {"date": "2024-03-28", "response": "SD"})
    exported = store.export_cases(study_id, "DI-2")
    assert exported[0]["dosing_interval_days"] == 28
    other = store.create_study(admin, "P-DI", "Second study")
    store.import_cases(admin, other.id or 0, [parse_case(exported[0])])
    assert store.export_cases(other.id or 0) == exported


def test_roster_csv_carries_the_dosing_interval(
    store: Store, admin: Actor, study_id: int, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "subject_id,tumor_type,setting,regimen,first_dose,dosing_interval_days\n"
        "C-1,melanoma,advanced,monotherapy,2024-01-08,3 weeks\n"
        "C-2,melanoma,advanced,monotherapy,2024-01-08,90\n",
        encoding="utf-8",
    )
    report = import_roster_csv(store, admin, study_id, bad)
    assert report.imported == 0
    assert [(r.line, r.field) for r in report.rejected] == [
        (2, "dosing_interval_days"),
        (3, "dosing_interval_days"),
    ]
    good = tmp_path / "good.csv"
    good.write_text(
        "subject_id,tumor_type,setting,regimen,first_dose,dosing_interval_days\n"
        "C-1,melanoma,advanced,monotherapy,2024-01-08,21\n"
        "C-2,melanoma,advanced,monotherapy,2024-01-08,\n",
        encoding="utf-8",
    )
    assert import_roster_csv(store, admin, study_id, good).imported == 2
    intervals = {r.subject.subject_code: r.course.dosing_interval_days for r in store.all_rows(study_id)}
    assert intervals == {"C-1": 21, "C-2": None}


def test_roster_csv_export_carries_the_dosing_interval_back_to_import(tmp_path: Path) -> None:
    from core.store.csvexport import write_roster_csv
    from core.store.csvimport import read_roster_csv

    courses = [
        parse_case({**subject_fields("X-1"), "dosing_interval_days": 21}),
        parse_case(subject_fields("X-2")),
    ]
    path = tmp_path / "roster.csv"
    write_roster_csv(path, courses)
    assert "dosing_interval_days" in path.read_text(encoding="utf-8-sig").splitlines()[0]
    again, rejected = read_roster_csv(path, dt.date(2025, 1, 1))
    assert not rejected
    assert [c.dosing_interval_days for c in again] == [21, None]


def test_visit_before_first_dose_is_stored_and_classified_per_c4_c10(
    store: Store, admin: Actor, study_id: int
) -> None:
    """C4/C10: an advanced-setting visit before first_dose is saved, not refused; a
    pre-dose PR is a baseline, a pre-dose PD makes the case indeterminate."""
    as_of = dt.date(2024, 4, 15)
    pk = store.add_subject(admin, study_id, subject_fields("PRE-1"))
    store.add_assessment(admin, pk, {"date": "2024-01-01", "response": "PR"})  # 7 days before
    store.add_assessment(admin, pk, {"date": "2024-03-08", "response": "PD"})  # day 60
    store.add_assessment(admin, pk, {"date": "2024-04-08", "response": "PD"})  # confirms it
    result = store.classify_subject(pk, as_of)
    assert result.category is Category.PRIMARY_RESISTANCE
    assert "EARLY_RESPONSE_NOT_COUNTED" in {c.code for c in result.caveats}

    pk2 = store.add_subject(admin, study_id, subject_fields("PRE-2"))
    store.add_assessment(admin, pk2, {"date": "2023-12-29", "response": "PD"})
    store.add_assessment(admin, pk2, {"date": "2024-03-08", "response": "PD"})
    result = store.classify_subject(pk2, as_of)
    assert result.category is Category.INDETERMINATE
    assert "before the first dose" in (result.reason or "")
    [row] = [r for r in store.roster_rows(study_id, as_of) if r.subject_id == "PRE-2"]
    assert row.result.category is Category.INDETERMINATE
    # Moving the first dose after a saved visit is allowed too: that visit becomes a baseline.
    store.update_subject(admin, pk, {"first_dose": "2024-03-01"}, reason="first dose corrected")
    assert store.course(pk).first_dose == dt.date(2024, 3, 1)
