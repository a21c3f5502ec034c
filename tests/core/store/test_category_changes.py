"""After the upgrade to rules v2, subjects whose category changed are marked and
audited once; the comparison is made as of the recorded date, so only the rules
(not the passing of time) can make a difference."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

from core.rules import Category
from core.store import Actor, Store
from core.store.categories import AUDIT_ACTION
from tests.core.store.conftest import subject_fields

AS_OF = dt.date(2024, 4, 10)
V1_DAY = dt.date(2024, 4, 5)


def _neoadjuvant_two_doses(store: Store, admin: Actor, study_id: int, code: str) -> int:
    """Two 3-weekly neoadjuvant doses, PD before surgery confirmed: v1 said insufficient
    exposure (Table 4), v2 says primary resistance (Table 1, C1)."""
    fields = subject_fields(
        code, setting="neoadjuvant", last_dose="2024-01-29", discontinuation_reason="completed",
        surgery_date="2024-04-01",
    )  # fmt: skip
    pk = store.add_subject(admin, study_id, fields)
    store.add_assessment(admin, pk, {"date": "2024-02-27", "response": "PD"})
    store.add_assessment(admin, pk, {"date": "2024-03-28", "response": "PD"})
    return pk


def _advanced_primary(store: Store, admin: Actor, study_id: int, code: str) -> int:
    pk = store.add_subject(admin, study_id, subject_fields(code))
    store.add_assessment(admin, pk, {"date": "2024-03-11", "response": "PD"})
    store.add_assessment(admin, pk, {"date": "2024-04-08", "response": "PD"})
    return pk


def _as_v1(path: Path, records: dict[int, str]) -> None:
    """What the migration leaves behind: categories recorded under version 1."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for pk, category in records.items():
            conn.execute(
                "INSERT INTO category_record (subject_id, category, ruleset_version, as_of, source) "
                "VALUES (?, ?, 1, ?, 'signed')",
                (pk, category, V1_DAY.isoformat()),
            )


def _upgrade_events(store: Store) -> list[str]:
    return [e.new_value or "" for e in store.audit_events() if e.action == AUDIT_ACTION]


def test_first_use_of_v2_marks_changed_subjects_and_audits_once(
    store: Store, db_path: Path, admin: Actor, study_id: int
) -> None:
    changed = _neoadjuvant_two_doses(store, admin, study_id, "NEO-1")
    same = _advanced_primary(store, admin, study_id, "ADV-1")
    assert store.classify_subject(changed, V1_DAY).category is Category.PRIMARY_RESISTANCE
    _as_v1(db_path, {changed: "insufficient_exposure", same: "pending_confirmation"})

    marks = store.track_categories(study_id, AS_OF)
    assert set(marks) == {changed}
    mark = marks[changed]
    assert (mark.subject_id, mark.old_category, mark.old_version, mark.new_category, mark.new_version) == (
        "NEO-1", "insufficient_exposure", 1, "primary_resistance", 2,
    )  # fmt: skip
    assert mark.describe() == "category changed from Insufficient exposure (v1) to Primary resistance (v2)"
    [line] = _upgrade_events(store)
    assert line.startswith("SITC-2020 version 2 first applied: 1 subject's categories changed: ")
    assert "NEO-1: Insufficient exposure (v1) → Primary resistance" in line
    assert "ADV-1" not in line
    records = store.category_records(study_id)
    assert {r.ruleset_version for r in records.values()} == {2}

    # Opening again changes nothing and audits nothing more; the mark stays without acknowledgement.
    assert set(store.track_categories(study_id, AS_OF + dt.timedelta(days=1))) == {changed}
    assert len(_upgrade_events(store)) == 1
    assert set(store.category_changes(study_id)) == {changed}
    assert store.verify_audit().ok


def test_comparison_is_made_as_of_the_recorded_date(
    store: Store, db_path: Path, admin: Actor, study_id: int
) -> None:
    # Recorded under v1 as pending on V1_DAY; by AS_OF the scan has confirmed it: time, not rules.
    pk = store.add_subject(admin, study_id, subject_fields("ADV-2"))
    store.add_assessment(admin, pk, {"date": "2024-03-11", "response": "PD"})
    store.add_assessment(admin, pk, {"date": "2024-04-08", "response": "PD"})
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute(
            "INSERT INTO category_record (subject_id, category, ruleset_version, as_of, source) "
            "VALUES (?, 'pending_confirmation', 1, '2024-04-01', 'prepared')",
            (pk,),
        )
    assert store.classify_subject(pk, AS_OF).category is Category.PRIMARY_RESISTANCE
    assert store.track_categories(study_id, AS_OF) == {}
    [line] = _upgrade_events(store)
    assert line == "SITC-2020 version 2 first applied: 0 subjects' categories changed"


def test_subjects_without_a_record_are_recorded_without_a_mark(
    store: Store, admin: Actor, study_id: int
) -> None:
    pk = _advanced_primary(store, admin, study_id, "ADV-3")
    assert store.track_categories(study_id, AS_OF) == {}
    record = store.category_records(study_id)[pk]
    assert (record.category, record.ruleset_version, record.source, record.as_of) == (
        "primary_resistance", 2, "shown", AS_OF,
    )  # fmt: skip
    # A later change of data is recorded, and is not a rules change.
    store.add_assessment(admin, pk, {"date": "2024-04-09", "response": "SD"})
    store.track_categories(study_id, AS_OF)
    assert store.category_changes(study_id) == {}


def test_a_subject_with_a_category_record_can_still_be_deleted(
    store: Store, admin: Actor, study_id: int
) -> None:
    pk = _advanced_primary(store, admin, study_id, "ADV-4")
    store.track_categories(study_id, AS_OF)
    assert pk in store.category_records(study_id)
    store.delete_subject(admin, pk, reason="entered twice")
    assert store.category_records(study_id) == {}
    assert store.verify_audit().ok


def test_prepared_and_signed_worksheets_become_the_record(store: Store, admin: Actor, study_id: int) -> None:
    from core.store.worksheets import prepare_worksheet, sign_worksheet
    from tests.core.store.conftest import PASSWORD

    pk = _advanced_primary(store, admin, study_id, "ADV-5")
    wid, _ = prepare_worksheet(store, admin, pk, AS_OF)
    record = store.category_records(study_id)[pk]
    assert (record.category, record.source, record.as_of, record.ruleset_version) == (
        "primary_resistance", "prepared", AS_OF, 2,
    )  # fmt: skip
    inv = store.authenticate("inv", PASSWORD)
    sign_worksheet(store, inv, wid, PASSWORD)
    assert store.category_records(study_id)[pk].source == "signed"
    assert store.verify_audit().ok  # the records are derived data, outside the audited tables


def test_a_worksheet_never_hides_what_the_upgrade_changed(
    store: Store, db_path: Path, admin: Actor, study_id: int
) -> None:
    from core.store.worksheets import prepare_worksheet

    changed = _neoadjuvant_two_doses(store, admin, study_id, "NEO-2")
    _as_v1(db_path, {changed: "insufficient_exposure"})
    prepare_worksheet(store, admin, changed, AS_OF)  # before the roster was ever shown under v2
    assert store.category_records(study_id)[changed].ruleset_version == 1
    assert set(store.track_categories(study_id, AS_OF)) == {changed}
