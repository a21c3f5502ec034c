"""Rules v2 on the desk: the course dialog's dosing interval (C7)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from desktop import flows
from desktop.dialogs.subject_dialog import INTERVAL_MAX, INTERVAL_MIN, INTERVAL_NONE, SubjectDialog
from desktop.widgets.forms import qdate
from tests.desktop.conftest import Desk, days_ago


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
