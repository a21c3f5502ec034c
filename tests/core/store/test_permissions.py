"""The permission table, walked whole: every action of the store, by every role, is
allowed or refused exactly as the table says; a refusal writes nothing. A user
disabled or demoted in another session loses the power at the next write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import InputError
from core.store import Actor, AuthError, Role, Store
from core.store.permissions import PERMISSIONS, allowed
from core.store.site_keys import publish_crl, set_tsa_url
from core.store.worksheets import prepare_worksheet, sign_worksheet
from tests.core.store.conftest import CA_PASSPHRASE, FIRST_PASSWORD, PASSWORD, dump, subject_fields

ADMIN = Actor("admin", Role.ADMINISTRATOR, "Ada Admin", 1)
USERS = {Role.ADMINISTRATOR: "admin", Role.COORDINATOR: "coord", Role.INVESTIGATOR: "inv"}
VISIT = {"date": "2024-03-01", "response": "SD"}
BASELINE = {"date": "2024-01-02", "targets": [{"id": "T1", "organ": "liver", "nodal": False, "mm": 30}]}


def _subject(store: Store) -> int:
    study_id = store.studies()[0].id or 0
    return store.add_subject(ADMIN, study_id, subject_fields("SETUP-1"))


def _visit(store: Store) -> int:
    return store.add_assessment(ADMIN, _subject(store), VISIT)


def _worksheet(store: Store) -> int:
    wid, _ = prepare_worksheet(store, ADMIN, _subject(store), store.today())
    return wid


# action -> (set-up returning a value, the action done by ``actor`` on it). Each goes through
# the store's public entry point for the action; reads go through ``authorize`` (what every
# command that reads calls), since read methods take no actor.
Setup = Callable[[Store], object]
Do = Callable[[Store, Actor, object], object]
ACTIONS: dict[str, tuple[Setup, Do]] = {
    "user.create": (
        lambda s: None,
        lambda s, a, _: s.create_user(a, "newbie", "New Bie", "coordinator", PASSWORD),
    ),
    "user.set_role": (
        lambda s: None,
        lambda s, a, _: s.set_role(a, "coord", "investigator", reason="promotion"),
    ),
    "user.set_active": (lambda s: None, lambda s, a, _: s.set_active(a, "coord", False, reason="left")),
    "user.change_password": (
        lambda s: None,
        lambda s, a, _: s.change_password(a, PASSWORD, "a-new-passphrase-9"),
    ),
    "user.list": (lambda s: None, lambda s, a, _: s.authorize(a, "user.list")),
    "user.reset_password": (lambda s: None, lambda s, a, _: s.reset_password(a, "coord", reason="forgotten")),
    "user.unlock": (lambda s: None, lambda s, a, _: s.unlock_user(a, "coord", reason="locked out")),
    "ca.manage": (lambda s: None, lambda s, a, _: publish_crl(s, a, CA_PASSPHRASE)),
    "site.tsa": (lambda s: None, lambda s, a, _: set_tsa_url(s, a, "https://tsa.example.org/")),
    "study.create": (lambda s: None, lambda s, a, _: s.create_study(a, "P-NEW", "Another trial")),
    "study.update": (
        lambda s: s.studies()[0].id,
        lambda s, a, sid: s.update_study(
            a, int(sid), {"rule_overrides": {"benefit_days": 200}}, reason="amendment"
        ),  # type: ignore[call-overload]
    ),
    "study.read": (lambda s: None, lambda s, a, _: s.authorize(a, "study.read")),
    "study.export": (lambda s: None, lambda s, a, _: s.authorize(a, "study.export")),
    "subject.add": (
        lambda s: s.studies()[0].id,
        lambda s, a, sid: s.add_subject(a, sid, subject_fields("NEW-1")),
    ),  # type: ignore[arg-type]
    "subject.import": (
        lambda s: s.studies()[0].id,
        lambda s, a, sid: s.import_cases(a, sid, [], reason="empty import"),  # type: ignore[arg-type]
    ),
    "subject.update": (
        _subject,
        lambda s, a, pk: s.update_subject(a, pk, {"tumor_type": "renal cell carcinoma"}, "fix"),
    ),  # type: ignore[arg-type]
    "subject.delete": (_subject, lambda s, a, pk: s.delete_subject(a, pk, reason="entered in error")),  # type: ignore[arg-type]
    "baseline.set": (_subject, lambda s, a, pk: s.set_baseline(a, pk, BASELINE)),  # type: ignore[arg-type]
    "visit.add": (_subject, lambda s, a, pk: s.add_assessment(a, pk, VISIT)),  # type: ignore[arg-type]
    "visit.update": (
        _visit,
        lambda s, a, pk: s.update_assessment(a, pk, {**VISIT, "response": "PR"}, "query"),
    ),  # type: ignore[arg-type]
    "visit.delete": (_visit, lambda s, a, pk: s.delete_assessment(a, pk, reason="duplicate")),  # type: ignore[arg-type]
    "worksheet.prepare": (_subject, lambda s, a, pk: prepare_worksheet(s, a, pk, s.today())),  # type: ignore[arg-type]
    "worksheet.sign": (_worksheet, lambda s, a, wid: sign_worksheet(s, a, wid, PASSWORD)),  # type: ignore[arg-type]
    "audit.read": (lambda s: None, lambda s, a, _: s.authorize(a, "audit.read")),
    "audit.verify": (lambda s: None, lambda s, a, _: s.authorize(a, "audit.verify")),
    "audit.note": (lambda s: None, lambda s, a, _: s.log_event(a, "print", detail="roster")),
    "backup.create": (lambda s: None, lambda s, a, _: s.authorize(a, "backup.create")),
    "backup.restore": (lambda s: None, lambda s, a, _: s.authorize(a, "backup.restore")),
}


def test_every_action_of_the_table_is_walked() -> None:
    assert set(ACTIONS) == set(PERMISSIONS)


def test_coordinators_cannot_add_studies_or_change_rule_parameters() -> None:
    assert not allowed(Role.COORDINATOR, "study.create")
    assert not allowed(Role.COORDINATOR, "study.update")
    assert not allowed(Role.ADMINISTRATOR, "worksheet.sign")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_each_action_by_each_role(store: Store, db_path: Path, action: str, role: Role) -> None:
    setup, do = ACTIONS[action]
    target = setup(store)
    actor = Actor(USERS[role], role)
    if allowed(role, action):
        do(store, actor, target)
        return
    before = dump(db_path)
    with pytest.raises(AuthError, match="only"):
        do(store, actor, target)
    assert dump(db_path) == before  # refused: nothing written, not even an audit row


def test_a_stale_actor_cannot_claim_a_role_it_does_not_hold(store: Store) -> None:
    """The role inside the Actor object is not trusted: the account's role is read again."""
    forged = Actor("coord", Role.ADMINISTRATOR)
    with pytest.raises(AuthError, match="only an administrator"):
        store.create_study(forged, "P-FORGED", "Forged")
    ghost = Actor("nobody", Role.ADMINISTRATOR)
    with pytest.raises(AuthError, match="no account"):
        store.create_study(ghost, "P-GHOST", "Ghost")


def test_a_user_disabled_in_another_session_loses_powers_at_once(store: Store, db_path: Path) -> None:
    coord = store.authenticate("coord", PASSWORD)
    study_id = store.studies()[0].id or 0
    store.add_subject(coord, study_id, subject_fields("BEFORE"))
    with Store.open(db_path, backup_daily=False) as other:  # the administrator's session
        other.set_active(ADMIN, "coord", False, reason="left the site")
    with pytest.raises(AuthError, match="disabled"):
        store.add_subject(coord, study_id, subject_fields("AFTER"))
    assert [r.subject.subject_code for r in store.all_rows(study_id)] == ["BEFORE"]


def test_a_demoted_administrator_loses_powers_at_once(store: Store, db_path: Path) -> None:
    store.create_user(ADMIN, "admin2", "Second Admin", "administrator", FIRST_PASSWORD)
    admin2 = store.change_password("admin2", FIRST_PASSWORD, PASSWORD)
    store.set_role(admin2, "inv", "coordinator", reason="works as coordinator now")
    with Store.open(db_path, backup_daily=False) as other:
        other.set_role(ADMIN, "admin2", "coordinator", reason="no longer administers")
    with pytest.raises(AuthError, match="only an administrator"):
        store.set_role(admin2, "coord", "administrator", reason="power grab")
    assert {u.username: u.role for u in store.users()}["coord"] == "coordinator"


@pytest.mark.parametrize("value", [99999999999, -1, 27])
def test_study_overrides_outside_the_documented_range_are_refused(store: Store, value: int) -> None:
    with pytest.raises(InputError) as exc:
        store.create_study(ADMIN, "P-BIG", "Too long", rule_overrides={"benefit_days": value})
    assert exc.value.field == "rule_overrides.benefit_days"
    assert "between" in exc.value.message
    sid = store.studies()[0].id or 0
    with pytest.raises(InputError) as exc:
        store.update_study(ADMIN, sid, {"rule_overrides": {"benefit_days": value}}, reason="amendment")
    assert exc.value.field == "rule_overrides.benefit_days"
    assert [s.protocol_id for s in store.studies()] == ["P-001"]
