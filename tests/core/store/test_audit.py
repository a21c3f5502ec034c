"""The audit trail: complete (the tables can be rebuilt from it), append-only,
and tamper-evident (the first altered, inserted or removed row is named)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel, select

from core.errors import InputError
from core.store import Actor, Role, Store
from core.store import models as m
from core.store.anchors import AnchorBook
from core.store.audit import REDACTED, serialize, verify_audit
from core.store.store import SECRET_FIELDS
from tests.core.store.conftest import copy_db, fixed_clock, subject_fields

TABLES: dict[str, type[SQLModel]] = {
    "study": m.Study,
    "subject": m.Subject,
    "course": m.Course,
    "assessment": m.Assessment,
    "baseline_lesion": m.BaselineLesion,
    "measurement": m.Measurement,
    "new_lesion": m.NewLesion,
    "user_account": m.UserAccount,
}

ADMIN = Actor("admin", Role.ADMINISTRATOR, "Ada Admin", 1)
RESPONSES = ["SD", "PR", "PD", "NE", "CR"]
BASELINE = {
    "date": "2024-01-02",
    "targets": [{"id": "T1", "organ": "liver", "nodal": False, "mm": 30}],
    "non_targets": [{"id": "NT1", "organ": "bone"}],
}


def table_state(store: Store) -> dict[tuple[str, int], dict[str, Any]]:
    state = {}
    with store.reading() as s:
        for name, model in TABLES.items():
            for row in s.exec(select(model)):
                values = {k: serialize(v) for k, v in row.model_dump().items() if k != "id" and v is not None}
                for secret in SECRET_FIELDS:
                    values.pop(secret, None)
                state[(name, row.id)] = values
    return state


def replayed_state(store: Store) -> dict[tuple[str, int], dict[str, Any]]:
    """The current data, rebuilt from the audit trail alone."""
    state: dict[tuple[str, int], dict[str, Any]] = {}
    for e in reversed(store.audit_events()):
        if e.entity not in TABLES or e.entity_id is None:
            continue
        key = (e.entity, e.entity_id)
        if e.action == "insert":
            state[key] = json.loads(e.new_value or "{}")
        elif e.action == "update":
            state[key][e.field] = e.new_value
        elif e.action == "delete":
            del state[key]
    for values in state.values():
        for secret in SECRET_FIELDS:
            values.pop(secret, None)
        for k in [k for k, v in values.items() if v is None]:
            del values[k]
    return state


operation = st.one_of(
    st.tuples(st.just("add_subject"), st.integers(1, 6)),
    st.tuples(st.just("update_subject"), st.integers(0, 20), st.sampled_from(["tumor_type", "last_dose", "agent", "indolent"])),
    st.tuples(st.just("delete_subject"), st.integers(0, 20)),
    st.tuples(st.just("add_visit"), st.integers(0, 20), st.integers(30, 300), st.sampled_from(RESPONSES)),
    st.tuples(st.just("update_visit"), st.integers(0, 50), st.sampled_from(RESPONSES)),
    st.tuples(st.just("delete_visit"), st.integers(0, 50)),
    st.tuples(st.just("baseline"), st.integers(0, 20)),
    st.tuples(st.just("measured_visit"), st.integers(0, 20), st.integers(0, 60)),
)  # fmt: skip


def apply(store: Store, study_id: int, op: tuple[Any, ...]) -> None:
    kind = op[0]
    subjects = [r.subject.id for r in store.all_rows(study_id)]
    visits = [a.id for r in store.all_rows(study_id) for a in r.assessments]
    try:
        if kind == "add_subject":
            store.add_subject(ADMIN, study_id, subject_fields(f"S-{op[1]}"))
        elif kind == "update_subject" and subjects:
            pk = subjects[op[1] % len(subjects)]
            value = {
                "tumor_type": "renal cell carcinoma",
                "last_dose": "2024-06-01",
                "agent": None,
                "indolent": True,
            }
            store.update_subject(ADMIN, pk, {op[2]: value[op[2]]}, reason="correction")
        elif kind == "delete_subject" and subjects:
            store.delete_subject(ADMIN, subjects[op[1] % len(subjects)], reason="entered in error")
        elif kind == "add_visit" and subjects:
            day = f"2024-{1 + op[2] // 30:02d}-{1 + op[2] % 28:02d}"
            store.add_assessment(ADMIN, subjects[op[1] % len(subjects)], {"date": day, "response": op[3]})
        elif kind == "update_visit" and visits:
            pk = visits[op[1] % len(visits)]
            current = next(a for r in store.all_rows(study_id) for a in r.assessments if a.id == pk)
            store.update_assessment(
                ADMIN,
                pk,
                {"date": current.date.isoformat(), "response": op[2], "ecog": 1},
                reason="query resolved",
            )
        elif kind == "delete_visit" and visits:
            store.delete_assessment(ADMIN, visits[op[1] % len(visits)], reason="duplicate")
        elif kind == "baseline" and subjects:
            store.set_baseline(ADMIN, subjects[op[1] % len(subjects)], BASELINE, reason="re-read")
        elif kind == "measured_visit" and subjects:
            pk = subjects[op[1] % len(subjects)]
            if store.subject_rows(pk).course.baseline_date is not None:
                lesions = {"targets": {"T1": op[2]}, "non_targets": {"NT1": "present"}, "new_lesions": "none"}
                store.add_assessment(ADMIN, pk, {"date": "2024-03-01", "lesions": lesions})
    except InputError:
        pass  # refused changes write nothing; the replay must still match


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=1, max_size=25))
def test_tables_can_be_rebuilt_from_the_audit_trail(
    template_db: Path, tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[Any, ...]]
) -> None:
    db = copy_db(template_db, tmp_path_factory.mktemp("audit") / "db.sqlite3")
    # Each example is a fresh copy of one file (same study file id): its own anchor book.
    book = AnchorBook(db.parent / "anchors.json")
    with Store.open(db, clock=fixed_clock, backup_daily=False, anchor_book=book) as store:
        study_id = store.studies()[0].id or 0
        for op in ops:
            apply(store, study_id, op)
        assert replayed_state(store) == table_state(store)
        report = store.verify_audit()
        assert report.ok, report.describe()


def test_changes_record_who_when_what_old_new_and_why(store: Store, admin: Actor, study_id: int) -> None:
    pk = store.add_subject(admin, study_id, subject_fields())
    store.update_subject(admin, pk, {"tumor_type": "uveal melanoma"}, reason="pathology report")
    e = store.audit_events(limit=1)[0]
    assert (e.user, e.action, e.entity, e.entity_id, e.field) == (
        "admin",
        "update",
        "subject",
        pk,
        "tumor_type",
    )
    assert (e.old_value, e.new_value, e.reason) == ("melanoma", "uveal melanoma", "pathology report")
    assert e.at_utc.startswith("2025-06-01T12:00:00")


def test_logins_failed_logins_and_role_changes_are_audited(store: Store, admin: Actor) -> None:
    store.authenticate("coord", "s3cret-pass-phrase")
    with pytest.raises(Exception, match="wrong"):
        store.authenticate("coord", "nope-nope-nope")
    store.set_role(admin, "coord", "investigator", reason="promoted")
    actions = [(e.action, e.field) for e in reversed(store.audit_events(limit=4))]
    assert ("login", "") in actions
    assert ("login_failed", "") in actions
    assert ("update", "role") in actions


def test_password_hashes_never_enter_the_audit_trail(store: Store, admin: Actor) -> None:
    store.create_user(admin, "newbie", "New Bie", "coordinator", "first-password")
    store.change_password("newbie", "first-password", "second-password")
    for e in store.audit_events(user="newbie") + store.audit_events(entity="user_account"):
        for value in (e.old_value or "", e.new_value or ""):
            assert "scrypt$" not in value
    changed = [e for e in store.audit_events(entity="user_account") if e.field == "password_hash"]
    assert changed[0].new_value == REDACTED


def test_the_application_cannot_change_or_delete_audit_rows(
    db_path: Path, store: Store, admin: Actor, study_id: int
) -> None:
    store.add_subject(admin, study_id, subject_fields())
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit_event SET user = 'mallory' WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_event WHERE id = 1")


def _tamper(db: Path, *sql: str) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("DROP TRIGGER audit_event_no_delete")
        for statement in sql:
            conn.execute(statement)


@pytest.fixture
def busy_db(db_path: Path, store: Store, admin: Actor, study_id: int) -> Path:
    for k in range(4):
        pk = store.add_subject(admin, study_id, subject_fields(f"S-{k}"))
        store.add_assessment(admin, pk, {"date": "2024-03-01", "response": "SD"})
    assert verify_audit(db_path).ok
    return db_path


def test_an_edited_row_is_named(busy_db: Path) -> None:
    _tamper(busy_db, "UPDATE audit_event SET new_value = 'forged' WHERE id = 7")
    report = verify_audit(busy_db)
    assert (report.ok, report.problem_row) == (False, 7)
    assert "altered" in report.describe()


def test_a_removed_row_is_named(busy_db: Path) -> None:
    _tamper(busy_db, "DELETE FROM audit_event WHERE id = 9")
    report = verify_audit(busy_db)
    assert (report.ok, report.problem_row) == (False, 9)
    assert "removed" in report.describe()


def test_rows_removed_from_the_end_are_named(busy_db: Path) -> None:
    with contextlib.closing(sqlite3.connect(busy_db)) as conn:
        last = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]
    _tamper(busy_db, f"DELETE FROM audit_event WHERE id = {last}")
    report = verify_audit(busy_db)
    assert (report.ok, report.problem_row) == (False, last)


def test_an_inserted_row_is_named(busy_db: Path) -> None:
    with contextlib.closing(sqlite3.connect(busy_db)) as conn:
        last = conn.execute("SELECT max(id), hash FROM audit_event").fetchone()
    _tamper(
        busy_db,
        "INSERT INTO audit_event (id, at_utc, user, action, entity, entity_id, field, old_value, new_value, "
        f"reason, prev_hash, hash) VALUES ({last[0] + 1}, '2025-06-01T12:00:00+00:00', 'mallory', 'update', "
        f"'subject', 1, 'tumor_type', 'a', 'b', '', '{last[1]}', 'f00d')",
    )
    report = verify_audit(busy_db)
    assert (report.ok, report.problem_row) == (False, last[0] + 1)


def test_a_row_inserted_with_a_valid_hash_is_still_caught_by_the_chain_head(busy_db: Path) -> None:
    from core.store.audit import event_hash

    with contextlib.closing(sqlite3.connect(busy_db)) as conn:
        last_id, last_hash = conn.execute(
            "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"
        ).fetchone()
    fields = ("2025-06-01T12:00:00+00:00", "mallory", "update", "subject", 1, "tumor_type", "a", "b", "")
    forged = event_hash(last_hash, *fields)
    _tamper(
        busy_db,
        "INSERT INTO audit_event (id, at_utc, user, action, entity, entity_id, field, old_value, new_value, "
        f"reason, prev_hash, hash) VALUES ({last_id + 1}, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{last_hash}', '{forged}')".replace(
            "?", "'{}'"
        ).format(*fields),
    )
    report = verify_audit(busy_db)
    assert (report.ok, report.problem_row) == (False, last_id + 1)
