"""Rules v2 on the desk: the course dialog's dosing interval (C7), and the roster and subject
screen marking the subjects whose category the upgrade changed."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from core.store.store import Store
from desktop import flows
from desktop.dialogs.subject_dialog import INTERVAL_MAX, INTERVAL_MIN, INTERVAL_NONE, SubjectDialog
from desktop.screens.roster import COL_CHANGED
from desktop.widgets.forms import qdate
from tests.desktop.conftest import PASSWORD, Desk, _copy, _open, days_ago


def test_dosing_interval_spin_box_is_optional_and_bounded(qtbot: QtBot) -> None:
    dialog = SubjectDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.interval.value() == INTERVAL_NONE
    assert dialog.interval.text() == "not recorded"
    assert dialog.fields()["dosing_interval_days"] is None
    assert "last cycle" in dialog.interval.toolTip()
    dialog.interval.setValue(1000)
    assert dialog.fields()["dosing_interval_days"] == INTERVAL_MAX == 84
    dialog.interval.setValue(INTERVAL_MIN)
    assert dialog.fields()["dosing_interval_days"] == 7
    edit = SubjectDialog(None, {"subject_id": "X", "first_dose": "2024-01-08", "dosing_interval_days": 21})
    qtbot.addWidget(edit)
    assert edit.interval.value() == 21
    assert edit.fields()["dosing_interval_days"] == 21


def test_course_dialog_saves_and_edits_the_dosing_interval(
    qtbot: QtBot, empty_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, store = empty_desk.window, empty_desk.store
    dialog = w.flows.add_subject()
    dialog.subject_id.setText("DI-101")
    dialog.tumor_type.setText("melanoma")
    dialog.first_dose.setDate(qdate(days_ago(200)))
    dialog.interval.setValue(21)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    pk = store.subject_pk(empty_desk.session.study_id, "DI-101")
    assert store.case(pk)["dosing_interval_days"] == 21

    monkeypatch.setattr(flows, "ask_reason", lambda *_a: "cycle length corrected")
    edit = w.flows.edit_subject(pk)
    assert edit.interval.value() == 21
    edit.interval.setValue(INTERVAL_NONE)  # back to "not recorded"
    edit.buttons.button(edit.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: edit.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert "dosing_interval_days" not in store.case(pk)
    assert store.verify_audit().ok


# ---------------------------------------------------------------------------
# Category-change tracking after the upgrade


def _study_upgraded_from_v1(template: Path, dest: Path) -> tuple[Path, dict[str, int]]:
    """A study whose categories were last shown under rules v1 (as migration 0004 leaves them)."""
    _copy(template, dest)
    with Store.open(dest, backup_daily=False) as store:
        actor = store.authenticate("coord", PASSWORD)
        study = store.studies()[0].id or 0
        neo = store.add_subject(actor, study, {
            "subject_id": "NEO-1", "tumor_type": "melanoma", "setting": "neoadjuvant", "regimen": "monotherapy",
            "agent": "nivolumab", "first_dose": days_ago(200).isoformat(), "last_dose": days_ago(179).isoformat(),
            "discontinuation_reason": "completed", "surgery_date": days_ago(100).isoformat(),
        })  # fmt: skip
        store.add_assessment(actor, neo, {"date": days_ago(150).isoformat(), "response": "PD"})
        store.add_assessment(actor, neo, {"date": days_ago(120).isoformat(), "response": "PD"})
        same = store.add_subject(actor, study, {
            "subject_id": "ADV-1", "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
            "agent": "nivolumab", "first_dose": days_ago(200).isoformat(),
        })  # fmt: skip
    with contextlib.closing(sqlite3.connect(dest)) as conn, conn:
        for pk, category in ((neo, "insufficient_exposure"), (same, "no_progression")):
            conn.execute(
                "INSERT INTO category_record (subject_id, category, ruleset_version, as_of, source) "
                "VALUES (?, ?, 1, ?, 'signed')",
                (pk, category, days_ago(110).isoformat()),
            )
    return dest, {"NEO-1": neo, "ADV-1": same}


def test_roster_marks_and_filters_subjects_changed_by_rules_v2(
    qtbot: QtBot, empty_template: Path, tmp_path: Path, settings: QSettings
) -> None:
    path, pks = _study_upgraded_from_v1(empty_template, tmp_path / "upgraded.sqlite3")
    desks = _open(qtbot, path, settings, "coord")
    desk = next(desks)
    try:
        w, model = desk.window, desk.window.roster_screen.model
        qtbot.waitUntil(lambda: model.rowCount() == 2 and bool(model._changes), timeout=20000)
        assert model.headerData(COL_CHANGED, Qt.Orientation.Horizontal) == "Changed by rules v2"
        cells = {model.row_at(r).subject_id: model.index(r, COL_CHANGED).data() for r in range(2)}
        assert cells == {"NEO-1": "v1 Insufficient exposure → v2 Primary resistance", "ADV-1": ""}
        # the column and its filter show themselves once a subject is marked (hidden while none is)
        assert not w.roster_screen.table.isColumnHidden(COL_CHANGED)
        assert not w.roster_screen.changed_only.isHidden()

        w.roster_screen.changed_only.setChecked(True)
        assert [model.row_at(r).subject_id for r in range(model.rowCount())] == ["NEO-1"]
        assert "1 of 2" in w.roster_screen.count.text()
        w.roster_screen.changed_only.setChecked(False)
        assert model.rowCount() == 2

        w.open_subject(pks["NEO-1"])
        note = w.subject_screen.changed_note
        qtbot.waitUntil(lambda: note.isVisibleTo(w.subject_screen), timeout=10000)
        assert "category changed from Insufficient exposure (v1) to Primary resistance (v2)" in note.text()
        w.open_subject(pks["ADV-1"])
        assert not note.isVisibleTo(w.subject_screen)

        upgrades = [e for e in desk.store.audit_events() if e.action == "rules_upgrade"]
        assert len(upgrades) == 1
        assert (upgrades[0].new_value or "").startswith(
            "SITC-2020 version 2 first applied: 1 subject's categories changed: NEO-1"
        )
        # Loading the roster again audits nothing more; the mark stays.
        w.refresh()
        qtbot.waitUntil(lambda: not w.loading and not desk.writer.busy, timeout=20000)
        assert len([e for e in desk.store.audit_events() if e.action == "rules_upgrade"]) == 1
        assert set(model._changes) == {pks["NEO-1"]}
    finally:
        with contextlib.suppress(StopIteration):
            next(desks)


# ---------------------------------------------------------------------------
# C11: a second visit on the same date is saved only after a warning


def test_second_visit_on_a_date_warns_before_saving(
    qtbot: QtBot, empty_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.desktop.test_workflows import _subject, save_visit

    w, store = empty_desk.window, empty_desk.store
    pk = _subject(qtbot, empty_desk, "SAME-1")
    asked: list[tuple[str, int]] = []

    def never(_parent: object, date: str, count: int) -> bool:
        raise AssertionError(f"no warning expected for {date}")

    monkeypatch.setattr(flows, "confirm_same_date", never)
    save_visit(qtbot, w.flows.add_visit(pk), 120, "SD")
    save_visit(qtbot, w.flows.add_visit(pk), 60, "PD")  # another date: no warning

    def cancel(_parent: object, date: str, count: int) -> bool:
        asked.append((date, count))
        return False

    monkeypatch.setattr(flows, "confirm_same_date", cancel)
    dialog = w.flows.add_visit(pk)
    dialog.date.setDate(qdate(days_ago(60)))
    dialog.response.setCurrentIndex(dialog.response.findData("SD"))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert asked == [(days_ago(60).isoformat(), 1)]
    assert dialog.isVisible()
    assert "already recorded" in dialog.error.text()
    assert len(store.case(pk)["assessments"]) == 2

    monkeypatch.setattr(flows, "confirm_same_date", lambda *_a: True)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert len(store.case(pk)["assessments"]) == 3
    result = store.classify_subject(pk, days_ago(0))
    assert "SAME_DATE_CONFLICT" in {c.value for c in result.caveat_codes}
    assert result.progression_date == days_ago(60)  # the worst response of that date governs
