"""The store API: validation, users, studies, imports, roster rows, demo, backups."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.casefile import parse_case
from core.errors import InputError
from core.rules import Category
from core.store import Actor, AuthError, Role, SchemaError, Store
from core.store.backup import backup_database, daily_backup, restore_database
from core.store.demo import create_demo
from core.store.restore import restore_study
from core.store.store import import_roster_csv, known_revision
from core.store.users import LOCKOUT_MINUTES, MAX_FAILED_ATTEMPTS
from tests.core.store.conftest import PASSWORD, TODAY, dump, subject_fields

# ---------------------------------------------------------------------------
# Bad input: a clear message naming the field, and nothing changed


def _with_subject(store: Store, admin: Actor, study_id: int) -> int:
    pk = store.add_subject(admin, study_id, subject_fields())
    store.add_assessment(admin, pk, {"date": "2024-02-26", "response": "SD"})
    return pk


BAD_INPUTS: list[tuple[str, Callable[[Store, Actor, int, int], Any], str]] = [
    ("unknown setting", lambda s, a, st, pk: s.add_subject(a, st, subject_fields("X", setting="metastatic")), "setting"),
    ("bad date", lambda s, a, st, pk: s.add_subject(a, st, subject_fields("X", first_dose="2024-02-30")), "first_dose"),
    ("future first dose", lambda s, a, st, pk: s.add_subject(a, st, subject_fields("X", first_dose="2025-06-02")), "first_dose"),
    ("missing tumor", lambda s, a, st, pk: s.add_subject(a, st, {**subject_fields("X"), "tumor_type": None}), "tumor_type"),
    ("duplicate subject", lambda s, a, st, pk: s.add_subject(a, st, subject_fields("MEL-001")), "subject_id"),
    ("bad status", lambda s, a, st, pk: s.add_subject(a, st, subject_fields("X"), status="gone"), "status"),
    ("last before first", lambda s, a, st, pk: s.update_subject(a, pk, {"last_dose": "2023-12-01"}, "fix"), "last_dose"),
    ("first dose after last", lambda s, a, st, pk: s.update_subject(a, pk, {"last_dose": "2024-02-01", "first_dose": "2024-03-01"}, "fix"), "last_dose"),
    ("update without reason", lambda s, a, st, pk: s.update_subject(a, pk, {"agent": "nivolumab"}, " "), "reason"),
    ("unknown subject field", lambda s, a, st, pk: s.update_subject(a, pk, {"colour": "red"}, "fix"), "colour"),
    ("future visit", lambda s, a, st, pk: s.add_assessment(a, pk, {"date": "2025-07-01", "response": "SD"}), "date"),
    ("unknown response", lambda s, a, st, pk: s.add_assessment(a, pk, {"date": "2024-03-01", "response": "XX"}), "response"),
    ("ecog out of range", lambda s, a, st, pk: s.add_assessment(a, pk, {"date": "2024-03-01", "response": "SD", "ecog": 7}), "ecog"),
    ("unknown visit field", lambda s, a, st, pk: s.add_assessment(a, pk, {"date": "2024-03-01", "response": "SD", "x": 1}), "x"),
    ("bad modality", lambda s, a, st, pk: s.add_assessment(a, pk, {"date": "2024-03-01", "response": "SD"}, modality="ESP"), "modality"),
    ("lesions without baseline", lambda s, a, st, pk: s.add_assessment(a, pk, {"date": "2024-03-01", "lesions": {"targets": {}}}), "lesions"),
    ("baseline target too small", lambda s, a, st, pk: s.set_baseline(a, pk, {"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "mm": 8}], "non_targets": []}), "baseline target T1.mm"),
    ("delete without reason", lambda s, a, st, pk: s.delete_subject(a, pk, ""), "reason"),
    ("bad criteria", lambda s, a, st, pk: s.update_study(a, st, {"criteria": "WHO"}, "fix"), "criteria"),
    ("bad rule override", lambda s, a, st, pk: s.update_study(a, st, {"rule_overrides": {"benefit_days": -1}}, "fix"), "rule_overrides.benefit_days"),
    ("unknown enrolled category", lambda s, a, st, pk: s.update_study(a, st, {"enrolled_categories": ["cured"]}, "fix"), "enrolled_categories"),
    ("short password", lambda s, a, st, pk: s.create_user(a, "shorty", "Short Y", "coordinator", "abc"), "password"),
    ("bad username", lambda s, a, st, pk: s.create_user(a, "no spaces", "No Spaces", "coordinator", "long-enough-1"), "username"),
    ("unknown role", lambda s, a, st, pk: s.create_user(a, "newbie", "New Bie", "boss", "long-enough-1"), "role"),
    ("duplicate user", lambda s, a, st, pk: s.create_user(a, "coord", "Again", "coordinator", "long-enough-1"), "username"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "action", "field"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_names_the_field_and_changes_nothing(
    db_path: Path,
    store: Store,
    admin: Actor,
    study_id: int,
    name: str,
    action: Callable[..., Any],
    field: str,
) -> None:
    pk = _with_subject(store, admin, study_id)
    before = dump(db_path)
    with pytest.raises(InputError) as info:
        action(store, admin, study_id, pk)
    assert info.value.field == field, info.value
    assert dump(db_path) == before


# ---------------------------------------------------------------------------
# Users


def test_first_account_must_be_an_administrator(tmp_path: Path) -> None:
    with Store.open(tmp_path / "new.sqlite3") as store:
        assert not store.has_users()
        with pytest.raises(InputError, match="administrator"):
            store.create_user(None, "coord", "C", "coordinator", PASSWORD)
        store.create_user(None, "admin", "A Admin", "administrator", PASSWORD)
        with pytest.raises(AuthError):
            store.create_user(None, "second", "S", "coordinator", PASSWORD)


def test_only_administrators_manage_accounts(store: Store, coord: Actor) -> None:
    with pytest.raises(AuthError):
        store.create_user(coord, "newbie", "New Bie", "coordinator", PASSWORD)
    with pytest.raises(AuthError):
        store.set_role(coord, "inv", "administrator", reason="power grab")


def test_last_administrator_keeps_the_role(store: Store, admin: Actor) -> None:
    with pytest.raises(InputError, match="last administrator"):
        store.set_role(admin, "admin", "coordinator", reason="oops")


def test_lockout_after_repeated_failures(store: Store, db_path: Path) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(AuthError, match="wrong"):
            store.authenticate("coord", "bad-password")
    with pytest.raises(AuthError, match="locked"):
        store.authenticate("coord", "bad-password")
    with pytest.raises(AuthError, match="locked"):
        store.authenticate("coord", PASSWORD)  # even the right password, while locked
    later = Store(db_path, clock=lambda: TODAY + dt.timedelta(minutes=LOCKOUT_MINUTES + 1))
    assert later.authenticate("coord", PASSWORD).role is Role.COORDINATOR
    later.close()


def test_password_change_and_disabled_accounts(store: Store, admin: Actor) -> None:
    coord = store.authenticate("coord", PASSWORD)
    store.change_password(coord, PASSWORD, "brand-new-pass")
    with pytest.raises(AuthError):
        store.authenticate("coord", PASSWORD)
    store.authenticate("coord", "brand-new-pass")
    store.set_active(admin, "coord", False, reason="left the site")
    with pytest.raises(AuthError, match="disabled"):
        store.authenticate("coord", "brand-new-pass")


def test_unknown_user_fails_like_a_wrong_password(store: Store) -> None:
    with pytest.raises(AuthError, match="wrong user id or password"):
        store.authenticate("nobody", PASSWORD)


# ---------------------------------------------------------------------------
# Subjects, visits, case files and roster rows


def test_stored_subject_classifies_like_its_case_file(store: Store, admin: Actor, study_id: int) -> None:
    pk = store.add_subject(admin, study_id, subject_fields())
    store.add_assessment(admin, pk, {"date": "2024-02-26", "response": "SD"})
    pd = store.add_assessment(admin, pk, {"date": "2024-04-22", "response": "PD", "nodal_only": True})
    assert store.classify_subject(pk, dt.date(2024, 5, 1)).category is Category.PENDING_CONFIRMATION
    store.add_assessment(admin, pk, {"date": "2024-05-27", "response": "PD"}, modality="MRI")
    result = store.classify_subject(pk, dt.date(2024, 6, 6))
    assert (result.category, result.progression_date) == (Category.PRIMARY_RESISTANCE, dt.date(2024, 4, 22))
    store.update_assessment(admin, pd, {"date": "2024-04-22", "response": "SD"}, reason="re-read")
    assert store.classify_subject(pk, dt.date(2024, 6, 6)).category is Category.PENDING_CONFIRMATION
    store.delete_assessment(admin, pd, reason="duplicate")
    assert len(store.case(pk)["assessments"]) == 2


def test_export_import_round_trip_with_lesions(store: Store, admin: Actor, study_id: int) -> None:
    pk = store.add_subject(admin, study_id, subject_fields("LES-1"))
    baseline = {
        "date": "2024-01-02",
        "targets": [{"id": "T1", "organ": "liver", "nodal": False, "mm": 32.5}, {"id": "N1", "organ": "node", "nodal": True, "mm": 18}],
        "non_targets": [{"id": "NT1", "organ": "bone"}],
    }  # fmt: skip
    store.set_baseline(admin, pk, baseline)
    lesions = {
        "targets": {"T1": 8.2, "N1": "TSTM"},
        "non_targets": {"NT1": "absent"},
        "new_lesions": "equivocal",
    }
    store.add_assessment(admin, pk, {"date": "2024-02-26", "lesions": lesions})
    exported = store.export_cases(study_id, "LES-1")
    assert len(exported) == 1
    course = parse_case(exported[0])
    assert str(course.baseline.targets[0].mm) == "32.5" if course.baseline else False
    other = store.create_study(admin, "P-002", "Second study")
    store.import_cases(admin, other.id or 0, [course])
    again = store.export_cases(other.id or 0)
    assert again == exported


def test_baseline_change_must_keep_measurements_consistent(store: Store, admin: Actor, study_id: int) -> None:
    pk = store.add_subject(admin, study_id, subject_fields("LES-2"))
    base = {"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "mm": 30}], "non_targets": []}
    store.set_baseline(admin, pk, base)
    store.add_assessment(admin, pk, {"date": "2024-02-26", "lesions": {"targets": {"T1": 20}}})
    renamed = {**base, "targets": [{"id": "T9", "organ": "liver", "mm": 30}]}
    with pytest.raises(InputError, match="unknown target lesion id"):
        store.set_baseline(admin, pk, renamed, reason="relabel")
    with pytest.raises(InputError, match="reason"):
        store.set_baseline(admin, pk, base)


def test_roster_rows_are_built_in_bulk(store: Store, admin: Actor, study_id: int) -> None:
    for k, visits in enumerate([[], [(49, "SD"), (105, "PD")], [(49, "SD"), (105, "PD"), (140, "PD")]]):
        pk = store.add_subject(admin, study_id, subject_fields(f"R-{k}"))
        for day, response in visits:
            date = (dt.date(2024, 1, 8) + dt.timedelta(days=day)).isoformat()
            store.add_assessment(admin, pk, {"date": date, "response": response})
    rows = {r.subject_id: r for r in store.roster_rows(study_id, dt.date(2024, 5, 1))}
    assert rows["R-0"].category is Category.NO_PROGRESSION
    assert rows["R-0"].next_due is not None
    assert rows["R-1"].category is Category.PENDING_CONFIRMATION
    assert rows["R-1"].next_due is not None
    assert rows["R-1"].next_due.what == "confirmatory scan window opens"
    assert rows["R-2"].latest_response == "PD"


def test_study_overrides_drive_the_classification(store: Store, admin: Actor, study_id: int) -> None:
    pk = store.add_subject(admin, study_id, subject_fields())
    for date, response in (("2024-03-11", "SD"), ("2024-07-26", "PD"), ("2024-08-30", "PD")):
        store.add_assessment(admin, pk, {"date": date, "response": response})
    assert store.classify_subject(pk, dt.date(2024, 9, 1)).category is Category.SECONDARY_RESISTANCE
    store.update_study(
        admin, study_id, {"rule_overrides": {"benefit_days": 365}}, reason="indolent tumour protocol"
    )
    result = store.classify_subject(pk, dt.date(2024, 9, 1))
    assert result.category is Category.PRIMARY_RESISTANCE
    assert result.ruleset.overrides == {"benefit_days": 365}


# ---------------------------------------------------------------------------
# Roster CSV


def test_roster_csv_is_all_or_nothing(store: Store, admin: Actor, study_id: int, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "subject_id,tumor_type,setting,regimen,agent,first_dose,last_dose,indolent\n"
        "C-1,melanoma,advanced,monotherapy,nivolumab,2024-01-08,,no\n"
        "C-2,NSCLC,adjuvant,monotherapy,pembrolizumab,2024-02-01,2024-12-01,yes\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "subject_id,tumor_type,setting,regimen,first_dose\n"
        "C-3,melanoma,advanced,monotherapy,2024-01-08\n"
        "C-4,melanoma,metastatic,monotherapy,2024-01-08\n"
        "C-3,melanoma,advanced,monotherapy,2024-01-08\n"
        "C-5,melanoma,advanced,monotherapy,2026-01-08\n",
        encoding="utf-8",
    )
    report = import_roster_csv(store, admin, study_id, bad)
    assert report.imported == 0
    assert [(r.line, r.field) for r in report.rejected] == [
        (3, "setting"),
        (4, "subject_id"),
        (5, "first_dose"),
    ]
    assert not store.all_rows(study_id)
    assert import_roster_csv(store, admin, study_id, good).imported == 2
    codes = {r.subject.subject_code: r.subject for r in store.all_rows(study_id)}
    assert set(codes) == {"C-1", "C-2"}
    assert codes["C-2"].indolent


def test_roster_csv_header_errors(store: Store, admin: Actor, study_id: int, tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_text("subject_id,tumour_type,setting,regimen,first_dose\n", encoding="utf-8")
    with pytest.raises(InputError, match="tumor_type"):
        import_roster_csv(store, admin, study_id, f)


# ---------------------------------------------------------------------------
# Demo


def test_demo_study_covers_every_category_and_due_state(tmp_path: Path) -> None:
    store = create_demo(tmp_path / "demo.sqlite3", "demo-password", today=dt.date(2026, 11, 24))
    study = store.studies()[0]
    assert study.is_demo
    rows = store.roster_rows(study.id or 0, dt.date(2026, 11, 24))
    assert 38 <= len(rows) <= 45
    categories = {r.category for r in rows} | {r.result.provisional_category for r in rows}
    assert set(Category) - {Category.PENDING_CONFIRMATION} <= categories
    due = {r.result.confirmation.due_status for r in rows if r.result.confirmation.status == "pending"}
    assert {"not_yet_open", "open", "overdue"} <= due
    assert any(r.result.visit_responses and r.result.visit_responses[-1][2] is not None for r in rows)
    assert {u.username for u in store.users()} == {"admin", "coordinator", "investigator"}
    assert store.authenticate("investigator", "demo-password").role is Role.INVESTIGATOR
    assert store.verify_audit().ok
    store.close()


# ---------------------------------------------------------------------------
# Backup and restore


def test_backup_restore_round_trip(
    db_path: Path, store: Store, admin: Actor, study_id: int, tmp_path: Path
) -> None:
    store.add_subject(admin, study_id, subject_fields("KEEP-1"))
    saved = store.backup(admin, tmp_path / "saved.sqlite3")
    store.add_subject(admin, study_id, subject_fields("LATER-1"))
    result = restore_study(db_path, saved, "admin", PASSWORD)
    assert result.safety is not None
    assert result.safety.exists()
    codes = {r.subject.subject_code for r in store.all_rows(study_id)}
    assert codes == {"KEEP-1"}
    with Store.open(db_path, backup_daily=False) as fresh:
        assert fresh.warnings == []  # the workstation's anchor follows an authorised restore
        report = fresh.verify_audit()
        assert report.ok, report.describe()


def test_restore_refuses_a_corrupt_file_and_changes_nothing(
    db_path: Path, store: Store, tmp_path: Path
) -> None:
    corrupt = backup_database(db_path, tmp_path / "corrupt.sqlite3")
    data = bytearray(corrupt.read_bytes())
    data[4096 : 4096 + 512] = b"\xff" * 512  # smash a page of the first table
    corrupt.write_bytes(bytes(data))
    before = dump(db_path)
    with pytest.raises(SchemaError):
        restore_database(corrupt, db_path, known_revision)
    not_db = tmp_path / "notes.sqlite3"
    not_db.write_text("this is not a database", encoding="utf-8")
    with pytest.raises(SchemaError, match="not a ResistDesk database"):
        restore_database(not_db, db_path, known_revision)
    assert dump(db_path) == before


def test_restore_refuses_a_newer_schema(db_path: Path, tmp_path: Path) -> None:
    newer = backup_database(db_path, tmp_path / "newer.sqlite3")
    with contextlib.closing(sqlite3.connect(newer)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = dump(db_path)
    with pytest.raises(SchemaError, match="newer"):
        restore_database(newer, db_path, known_revision)
    assert dump(db_path) == before


def test_daily_backup_at_most_once_a_day_with_retention(db_path: Path) -> None:
    start = dt.date(2025, 1, 1)
    made = [daily_backup(db_path, start + dt.timedelta(days=k), retention=3) for k in range(5)]
    assert all(made)
    assert daily_backup(db_path, start + dt.timedelta(days=4), retention=3) is None
    kept = sorted(p.name for p in (db_path.parent / "backups").glob("daily-*"))
    stem = db_path.stem
    assert kept == [
        f"daily-{stem}-2025-01-03.sqlite3",
        f"daily-{stem}-2025-01-04.sqlite3",
        f"daily-{stem}-2025-01-05.sqlite3",
    ]


def test_cancelled_import_changes_nothing(db_path: Path, store: Store, admin: Actor, study_id: int) -> None:
    from core.store import Cancelled

    courses = [parse_case({**subject_fields(f"IMP-{k}"), "assessments": []}) for k in range(60)]
    seen: list[tuple[int, int]] = []
    before = dump(db_path)
    with pytest.raises(Cancelled):
        store.import_cases(
            admin,
            study_id,
            courses,
            progress=lambda d, t: seen.append((d, t)),
            cancelled=lambda: len(seen) >= 2,
        )
    assert seen[:2] == [(0, 60), (25, 60)]
    assert dump(db_path) == before
    assert store.import_cases(admin, study_id, courses) == 60


def test_fast_roster_read_gives_the_validated_courses(tmp_path: Path) -> None:
    from tests.bench.generator import bulk_load, synthetic_cases

    demo = create_demo(tmp_path / "demo.sqlite3", "demo-password", today=dt.date(2026, 11, 24))
    study = demo.studies()[0].id or 0
    assert [c for _, _, c in demo.read_courses(study)] == [c for _, c in demo.courses(study)]
    demo.close()
    bulk_load(tmp_path / "synthetic.sqlite3", synthetic_cases(300))
    with Store(tmp_path / "synthetic.sqlite3") as store:
        sid = store.studies()[0].id or 0
        assert [c for _, _, c in store.read_courses(sid)] == [c for _, c in store.courses(sid)]


def test_roster_results_are_cached_by_input_and_follow_changes(
    store: Store, admin: Actor, study_id: int
) -> None:
    pk = store.add_subject(admin, study_id, subject_fields("CACHE-1"))
    store.add_assessment(admin, pk, {"date": "2024-02-26", "response": "SD"})
    visit = store.add_assessment(admin, pk, {"date": "2024-04-22", "response": "PD"})
    as_of = dt.date(2024, 5, 1)
    first = store.roster_rows(study_id, as_of)[0].result
    assert store.roster_rows(study_id, as_of)[0].result is first  # same input: the cached result
    store.update_assessment(admin, visit, {"date": "2024-04-22", "response": "SD"}, reason="re-read")
    changed = store.roster_rows(study_id, as_of)[0].result
    assert changed is not first
    assert changed.category is Category.NO_PROGRESSION
    store.update_study(admin, study_id, {"rule_overrides": {"benefit_days": 300}}, reason="amendment")
    assert store.roster_rows(study_id, as_of)[0].result.ruleset.overrides == {"benefit_days": 300}
