"""The forms refuse what the case-file rules refuse, naming the field (issue 15): one set of
checks (core.casefile, core.limits) answers the same input the same way in every path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core import limits
from core.presentation import field_label
from desktop.widgets.forms import DateEdit, ErrorLabel, pydate, qdate
from tests.desktop.conftest import Desk, days_ago


def _subject(qtbot: QtBot, desk: Desk) -> int:
    done: list[int] = []
    s = desk.session
    fields = {"subject_id": "V-1", "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
              "first_dose": days_ago(200).isoformat()}  # fmt: skip
    s.write(lambda: s.store.add_subject(s.actor, s.study_id, fields), done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    return done[0]


@pytest.mark.parametrize(
    ("widget", "text", "field", "fragment"),
    [
        ("subject_id", "=cmd|' /C calc'!A0", "subject_id", "formula"),
        ("subject_id", "S" * 65, "subject_id", "at most 64"),
        ("tumor_type", "mela\u202enoma", "tumor_type", "direction control"),
        ("tumor_type", "@SUM(1)", "tumor_type", "formula"),
    ],
)
def test_subject_dialog_refuses_what_the_core_refuses(
    qtbot: QtBot, empty_desk: Desk, widget: str, text: str, field: str, fragment: str
) -> None:
    dialog = empty_desk.window.flows.add_subject()
    dialog.subject_id.setText("OK-1")
    dialog.tumor_type.setText("melanoma")
    getattr(dialog, widget).setText(text)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert dialog.error.text().startswith(f"{field_label(field)}: ")  # the field as the form names it
    assert fragment in dialog.error.text()
    assert dialog.isVisible()
    assert not empty_desk.store.all_rows(empty_desk.session.study_id)
    dialog.done(0)  # close without the unsaved-changes question


def test_visit_notes_are_checked_before_saving(qtbot: QtBot, empty_desk: Desk) -> None:
    dialog = empty_desk.window.flows.add_visit(_subject(qtbot, empty_desk))
    dialog.date.setDate(qdate(days_ago(100)))
    dialog.response.setCurrentIndex(dialog.response.findData("SD"))
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    dialog.notes.setPlainText("scan \u202edelayed")  # an invisible reordering of the text shown
    dialog.refresh()
    assert not save.isEnabled()
    assert dialog.error.text().startswith("Notes: ")
    assert "direction control" in dialog.error.text()
    dialog.notes.setPlainText("x" * 4001)
    dialog.refresh()
    assert not save.isEnabled()
    assert "at most 4000" in dialog.error.text()
    dialog.notes.setPlainText("first line\nsecond line")  # a newline is fine in notes
    dialog.refresh()
    assert save.isEnabled(), dialog.error.text()
    dialog.done(0)  # close without the unsaved-changes question


@pytest.mark.parametrize(
    ("lesion_id", "mm", "fragment"),
    [("T1", "1e100", "at most 1000 mm"), ("T1", "NaN", "0 mm or more"), ("@T1", "25", "formula")],
)
def test_baseline_dialog_refuses_implausible_lesions(
    qtbot: QtBot, empty_desk: Desk, lesion_id: str, mm: str, fragment: str
) -> None:
    pk = _subject(qtbot, empty_desk)
    dialog = empty_desk.window.flows.edit_baseline(pk)
    dialog._add_clicked("t")
    lid, _kind, organ, _nodal, size = dialog.rows[0]
    lid.setText(lesion_id)
    organ.setText("liver")
    size.setText(mm)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert fragment in dialog.error.text()
    assert "Target lesion" in dialog.error.text()
    assert empty_desk.store.case(pk).get("baseline") is None
    dialog.done(0)  # close without the unsaved-changes question


def test_date_fields_stay_within_the_core_limits(qtbot: QtBot) -> None:
    edit = DateEdit(dt.date(2024, 1, 8))
    qtbot.addWidget(edit)
    assert pydate(edit.minimumDate()) == limits.MIN_DATE
    assert pydate(edit.maximumDate()) == limits.MAX_DATE
    edit.setDate(qdate(dt.date(9999, 12, 31)))
    assert edit.value() <= limits.MAX_DATE


def test_error_label_shows_typed_text_literally(qtbot: QtBot) -> None:
    label = ErrorLabel()
    qtbot.addWidget(label)
    label.show_error("tumor_type", "unknown value '<b>x</b>'")
    assert label.text() == "Tumor type: unknown value '<b>x</b>'"
    assert label.textFormat().name == "PlainText"


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ("subject_id,tumor_type,setting,regimen,first_dose\r\nR-1,melanoma,advanced,monotherapy,2025-01-06\r\n"
         .encode("utf-16-le"), ["roster.csv", "UTF-16 without a byte-order mark"]),
        (b"subject_id;tumor_type;tumor_type;setting;regimen;first_dose\n", ["line 1 (header)", "tumor_type"]),
        (b"subject_id,tumor_type,setting,regimen,first_dose\nR-1,=cmd|' /C calc'!A0,advanced,monotherapy,2025-01-06\n"
         b"R-2,melanoma,advanced,monotherapy,45321\n",
         ["line 2: tumor_type", "formula", "line 3: first_dose", "Excel serial date"]),
    ],
)  # fmt: skip
def test_gui_roster_import_uses_the_same_reader(
    qtbot: QtBot,
    empty_desk: Desk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    fragments: list[str],
) -> None:
    from desktop import flows as flows_module

    warnings: list[str] = []
    monkeypatch.setattr(flows_module.QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    f = tmp_path / "roster.csv"
    f.write_bytes(data)
    empty_desk.window.flows.import_roster(f)
    qtbot.waitUntil(lambda: bool(warnings), timeout=10000)
    for fragment in fragments:
        assert fragment in warnings[0]
    assert empty_desk.store.all_rows(empty_desk.session.study_id) == []
