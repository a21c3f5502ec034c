"""What a coordinator does all day, driven through the real window."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from core.rules import Category
from desktop import flows
from desktop.dialogs.visit_dialog import VisitDialog
from desktop.screens.roster import COL_DUE
from desktop.tasks import GuiThreadWriteError
from desktop.widgets.forms import qdate
from tests.desktop.conftest import PASSWORD, Desk, days_ago


def save_visit(qtbot: QtBot, dialog: VisitDialog, day: int, response: str, **flags: Any) -> None:
    dialog.date.setDate(qdate(days_ago(day)))
    dialog.response.setCurrentIndex(dialog.response.findData(response))
    for key, on in flags.items():
        dialog.flags[key].setChecked(on)
    assert dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled(), dialog.error.text()
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)


def reminder_subjects(desk: Desk) -> list[str]:
    return [m.subject_id for m in desk.window.reminders_screen.confirmations.rows()]


def test_create_subject_record_visits_confirm_progression(qtbot: QtBot, empty_desk: Desk) -> None:
    w = empty_desk.window
    dialog = w.flows.add_subject()
    dialog.subject_id.setText("MEL-101")
    dialog.tumor_type.setText("melanoma")
    dialog.first_dose.setDate(qdate(days_ago(200)))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    qtbot.waitUntil(lambda: w.showing_subject() and w.subject_screen.result is not None, timeout=10000)
    pk = w.subject_screen.subject_pk
    assert pk is not None

    save_visit(qtbot, w.flows.add_visit(pk), 120, "SD")
    save_visit(qtbot, w.flows.add_visit(pk), 40, "PD")  # window opened 12 days ago, closes in 44
    qtbot.waitUntil(
        lambda: (
            w.subject_screen.result is not None
            and w.subject_screen.result.category is Category.PENDING_CONFIRMATION
        ),
        timeout=10000,
    )
    result = w.subject_screen.result
    assert result.provisional_category is Category.PRIMARY_RESISTANCE
    assert "Pending confirmation" in w.subject_screen.panel.toPlainText()
    qtbot.waitUntil(lambda: not w.loading and "MEL-101" in reminder_subjects(empty_desk), timeout=10000)
    assert "1 due" in w.nav.item(1).text()

    save_visit(qtbot, w.flows.add_visit(pk), 5, "PD")  # 35 days after the PD: confirms
    qtbot.waitUntil(
        lambda: (
            w.subject_screen.result is not None
            and w.subject_screen.result.category is Category.PRIMARY_RESISTANCE
        ),
        timeout=10000,
    )
    qtbot.waitUntil(lambda: not w.loading and "MEL-101" not in reminder_subjects(empty_desk), timeout=10000)
    roles = [w.subject_screen.visits.row_at(r).role for r in range(3)]
    assert roles == ["Best response before PD", "Initial PD", "Confirms the PD"]
    assert empty_desk.store.verify_audit().ok


def test_invalid_visit_is_shown_inline_and_blocks_saving(qtbot: QtBot, empty_desk: Desk) -> None:
    store, session = empty_desk.store, empty_desk.session
    pk = _subject(qtbot, empty_desk)
    dialog = empty_desk.window.flows.add_visit(pk)
    dialog.date.setDate(qdate(days_ago(-3)))  # in the future
    dialog.response.setCurrentIndex(dialog.response.findData("SD"))
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    assert "Date" in dialog.error.text()
    assert "in the future" in dialog.error.text()
    # Rules v2 (C4/C10): a visit before the first dose is a baseline, not an error.
    dialog.date.setDate(qdate(days_ago(300)))
    assert dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled(), dialog.error.text()
    dialog.date.setDate(qdate(days_ago(100)))
    assert dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    dialog.done(0)  # close without the unsaved-changes question
    assert store.case(pk)["assessments"] == []
    del session


def test_visit_before_first_dose_is_saved_and_makes_the_case_indeterminate(
    qtbot: QtBot, empty_desk: Desk
) -> None:
    """Rules v2 C4: a PD dated before the first dose is saved (not refused) and is not resistance."""
    w = empty_desk.window
    dialog = w.flows.add_subject()
    dialog.subject_id.setText("MEL-103")
    dialog.tumor_type.setText("melanoma")
    dialog.first_dose.setDate(qdate(days_ago(200)))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    qtbot.waitUntil(lambda: w.showing_subject() and w.subject_screen.result is not None, timeout=10000)
    pk = w.subject_screen.subject_pk
    assert pk is not None
    save_visit(qtbot, w.flows.add_visit(pk), 210, "PD")  # ten days before the first dose
    save_visit(qtbot, w.flows.add_visit(pk), 100, "PD")
    qtbot.waitUntil(
        lambda: (
            w.subject_screen.result is not None
            and len(empty_desk.store.case(pk)["assessments"]) == 2
            and w.subject_screen.result.category is Category.INDETERMINATE
        ),
        timeout=10000,
    )
    assert "before the first dose" in (w.subject_screen.result.reason or "")


def _subject(qtbot: QtBot, desk: Desk, code: str = "MEL-102") -> int:
    done: list[int] = []
    s = desk.session
    fields = {"subject_id": code, "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
              "agent": "nivolumab", "first_dose": days_ago(200).isoformat()}  # fmt: skip
    s.write(lambda: s.store.add_subject(s.actor, s.study_id, fields), done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    return done[0]


def test_editing_a_saved_visit_requires_a_reason(
    qtbot: QtBot, empty_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = empty_desk.window
    pk = _subject(qtbot, empty_desk)
    w.open_subject(pk)
    save_visit(qtbot, w.flows.add_visit(pk), 120, "SD")
    qtbot.waitUntil(lambda: w.subject_screen.visits.rowCount() == 1, timeout=10000)
    visit_pk = w.subject_screen.visits.row_at(0).assessment_pk

    monkeypatch.setattr(flows, "ask_reason", lambda *_a: None)  # the coordinator cancels the reason prompt
    dialog = w.flows.edit_visit(pk, visit_pk)
    dialog.response.setCurrentIndex(dialog.response.findData("PR"))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert "reason is required" in dialog.error.text()
    assert empty_desk.store.case(pk)["assessments"][0]["response"] == "SD"

    monkeypatch.setattr(flows, "ask_reason", lambda *_a: "source document re-read")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert empty_desk.store.case(pk)["assessments"][0]["response"] == "PR"
    change = empty_desk.store.audit_events(entity="assessment", limit=1)[0]
    assert (change.field, change.old_value, change.new_value, change.reason) == (
        "response",
        "SD",
        "PR",
        "source document re-read",
    )


def test_filter_the_roster(qtbot: QtBot, demo_desk: Desk) -> None:
    screen = demo_desk.window.roster_screen
    assert screen.model.rowCount() == 40
    qtbot.keyClicks(screen.search, "mel")
    assert 0 < screen.model.rowCount() < 40
    assert all("MEL" in screen.model.row_at(r).subject_id or "melanoma" in screen.model.row_at(r).tumor_type
               for r in range(screen.model.rowCount()))  # fmt: skip
    screen.search.clear()
    screen.category.setCurrentIndex(2)  # pending confirmation
    pending = [screen.model.row_at(r) for r in range(screen.model.rowCount())]
    assert pending
    assert all(r.category is Category.PENDING_CONFIRMATION for r in pending)
    assert screen.count.text() == f"{len(pending)} of 40 subjects"
    screen.table.sortByColumn(COL_DUE, Qt.SortOrder.AscendingOrder)  # next due
    dates = [screen.model.row_at(r).next_due.date for r in range(screen.model.rowCount())]  # type: ignore[union-attr]
    assert dates == sorted(dates)


def test_lock_and_unlock(qtbot: QtBot, demo_desk: Desk) -> None:
    w = demo_desk.window
    w.lock()
    assert w.locked
    assert not w.body.isVisible()
    dialog = w.lock_dialog
    dialog.password.setText("wrong-password")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert w.locked
    dialog.password.setText(PASSWORD)
    dialog.submit()
    qtbot.waitUntil(lambda: not w.locked, timeout=10000)
    assert w.body.isVisible()


def test_idle_time_locks_the_session(qtbot: QtBot, demo_desk: Desk) -> None:
    w = demo_desk.window
    w._lock_ms = 50
    w._lock_timer.start(50)
    qtbot.waitUntil(lambda: w.locked, timeout=5000)
    w.lock_dialog.reject()


def test_the_gui_thread_never_writes(qtbot: QtBot, empty_desk: Desk) -> None:
    store, s = empty_desk.store, empty_desk.session
    seen: list[threading.Thread] = []
    guard = store.on_write

    def record(thread: threading.Thread) -> None:
        seen.append(thread)
        assert guard is not None
        guard(thread)

    store.on_write = record
    with pytest.raises(GuiThreadWriteError):
        store.add_subject(s.actor, s.study_id, {"subject_id": "X-1"})
    _subject(qtbot, empty_desk, "X-2")
    assert seen[0] is threading.main_thread()
    assert seen[1:]
    assert all(t is not threading.main_thread() for t in seen[1:])
    assert [r.subject.subject_code for r in store.all_rows(s.study_id)] == ["X-2"]


def test_change_own_password_in_the_application(qtbot: QtBot, demo_desk: Desk) -> None:
    w, store = demo_desk.window, demo_desk.store
    w.change_password()
    dialog = w.password_dialog
    dialog.current.setText(PASSWORD)
    dialog.new.setText("password123456")  # on the breached list with digits added
    dialog.repeat.setText("password123456")
    dialog.submit()
    qtbot.waitUntil(lambda: "breached" in dialog.error.text(), timeout=10000)
    dialog.current.setText(PASSWORD)
    dialog.new.setText("admin-own-phrase-7")
    dialog.repeat.setText("admin-own-phrase-7")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    qtbot.waitUntil(lambda: not demo_desk.writer.busy, timeout=10000)
    store.on_write = None  # the check below signs in from the test's thread
    assert store.authenticate("admin", "admin-own-phrase-7").username == "admin"
