"""Lesion rows can be removed where they are entered (walkthrough: a baseline lesion went only
when its id was cleared, which nothing said; a visit's new lesions could not be listed one by one,
and editing a visit saved with such a list replaced it by "unequivocal").

Each table removes its selected rows with the Remove button beside Add, the Delete key and the
right-click menu; nothing is saved until Save, so Cancel undoes it; the visit dialog's RECIST
summary follows every row added or removed. Fed as a user does it: clicks and key presses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.dialogs.visit_dialog import BaselineDialog, VisitDialog
from desktop.widgets.lesion_table import LesionTable
from tests.desktop.conftest import PASSWORD, Desk
from tests.desktop.helpers import Questions

SUBJECT = {"subject_id": "L-1", "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
           "first_dose": "2025-01-06"}  # fmt: skip
BASELINE = {"date": "2025-01-02", "targets": [{"id": "T1", "organ": "liver", "nodal": False, "mm": 40},
            {"id": "T2", "organ": "lung", "nodal": False, "mm": 20}], "non_targets": []}  # fmt: skip


def _write(desk: Desk, qtbot: QtBot, fn: Any) -> Any:
    out: list[Any] = []
    desk.session.write(fn, out.append)
    qtbot.waitUntil(lambda: bool(out), timeout=10000)
    return out[0]


def _subject(desk: Desk, qtbot: QtBot, baseline: dict[str, Any] | None = None, criteria: str = "") -> int:
    s = desk.session
    if criteria:  # an administrator's setting (the desk's user is a coordinator)
        guard, s.store.on_write = s.store.on_write, None
        try:
            admin = s.store.authenticate("admin", PASSWORD)
            s.store.update_study(admin, s.study_id, {"criteria": criteria}, "the protocol uses iRECIST")
        finally:
            s.store.on_write = guard
    pk = _write(desk, qtbot, lambda: s.store.add_subject(s.actor, s.study_id, SUBJECT))
    if baseline is not None:
        _write(desk, qtbot, lambda: s.store.set_baseline(s.actor, pk, baseline, ""))
    return pk


def click_row_number(qtbot: QtBot, table: LesionTable, row: int, modifier: Any = None) -> None:
    header = table.table.verticalHeader()
    where = QPoint(header.width() // 2, header.sectionViewportPosition(row) + header.sectionSize(row) // 2)
    mods = modifier or Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, mods, where)


def shown(qtbot: QtBot, dialog: QDialog) -> None:
    """On screen and active, as a dialog a person works in (keys go to its focused field)."""
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)


def ids(table: LesionTable) -> list[str]:
    return [row[0].text() for row in table.rows]  # type: ignore[attr-defined]


def save(dialog: QDialog) -> None:
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# The baseline's targets and non-targets


def test_baseline_rows_go_with_the_remove_button_the_delete_key_and_the_menu(
    empty_desk: Desk, qtbot: QtBot
) -> None:
    pk = _subject(empty_desk, qtbot)
    dialog = empty_desk.window.flows.edit_baseline(pk)
    assert isinstance(dialog, BaselineDialog)
    shown(qtbot, dialog)
    table = dialog.lesions
    for button in ("Add target", "Add target", "Add non-target", "Add non-target"):
        qtbot.mouseClick(next(b for b in table.add_buttons if b.text() == button), Qt.MouseButton.LeftButton)
    assert ids(table) == ["T1", "T2", "NT1", "NT2"]
    assert table.remove_button.text() == "Remove"  # beside the Add buttons

    click_row_number(qtbot, table, 1)  # select T2 by its number, then Remove
    assert table.selected_rows() == [1]
    qtbot.mouseClick(table.remove_button, Qt.MouseButton.LeftButton)
    assert ids(table) == ["T1", "NT1", "NT2"]

    kind = dialog.rows[1][1]  # working in NT1's Kind list selects its row; Delete removes it
    table.table.clearSelection()
    kind.setFocus()
    qtbot.waitUntil(lambda: table.selected_rows() == [1], timeout=5000)
    qtbot.keyClick(kind, Qt.Key.Key_Delete)
    assert ids(table) == ["T1", "NT2"]

    lid = dialog.rows[0][0]  # in a text field Delete deletes a character, never the row
    lid.setFocus()
    lid.setCursorPosition(0)
    qtbot.keyClick(lid, Qt.Key.Key_Delete)
    assert ids(table) == ["1", "NT2"]
    lid.setText("T1")

    menu = table.context_menu(dialog.rows[1][2])  # right-click NT2's organ: its own menu + Remove
    remove = next(a for a in menu.actions() if a.text().startswith("Remove"))
    assert remove.text() == "Remove this lesion"
    assert any("Paste" in a.text() for a in menu.actions())  # cut, copy and paste are still there
    remove.trigger()
    assert ids(table) == ["T1"]

    dialog.rows[0][2].setText("liver")
    dialog.rows[0][4].setText("25")
    save(dialog)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    saved = empty_desk.session.store.case(pk)["baseline"]
    assert [t["id"] for t in saved["targets"]] == ["T1"]
    assert saved["non_targets"] == []


def test_several_selected_rows_go_together_and_the_next_number_is_free(
    empty_desk: Desk, qtbot: QtBot
) -> None:
    pk = _subject(empty_desk, qtbot)
    dialog = empty_desk.window.flows.edit_baseline(pk)
    shown(qtbot, dialog)
    table = dialog.lesions
    for _ in range(3):
        dialog._add_clicked("t")
    click_row_number(qtbot, table, 0)
    click_row_number(qtbot, table, 1, Qt.KeyboardModifier.ShiftModifier)
    assert table.remove_button.text() == "Remove 2"
    qtbot.keyClick(table.table, Qt.Key.Key_Delete)
    assert ids(table) == ["T3"]
    dialog._add_clicked("t")  # the first free number, not the count + 1 (T2 would follow T3)
    assert ids(table) == ["T3", "T1"]
    dialog.done(0)


def test_cancel_undoes_a_removal_nothing_is_saved_until_save(
    empty_desk: Desk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    pk = _subject(empty_desk, qtbot, BASELINE)
    before = empty_desk.session.store.case(pk)["baseline"]
    dialog = empty_desk.window.flows.edit_baseline(pk)
    shown(qtbot, dialog)
    click_row_number(qtbot, dialog.lesions, 0)
    qtbot.mouseClick(dialog.lesions.remove_button, Qt.MouseButton.LeftButton)
    assert ids(dialog.lesions) == ["T2"]
    asked = Questions(monkeypatch, QMessageBox.StandardButton.Discard)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert len(asked.asked) == 1  # the removal is a change: Cancel asks before discarding it
    assert dialog.result() == QDialog.DialogCode.Rejected
    qtbot.waitUntil(lambda: not empty_desk.writer.busy, timeout=10000)
    assert empty_desk.session.store.case(pk)["baseline"] == before


# ---------------------------------------------------------------------------
# A visit's new lesions, one by one (iRECIST), with the live RECIST summary


def visit_dialog(
    desk: Desk, qtbot: QtBot, baseline: dict[str, Any] | None = None, criteria: str = "", **sizes: str
) -> VisitDialog:
    """A new subject (with ``baseline``, under ``criteria``) and its Add visit dialog on screen;
    with ``sizes``, the visit dated 2025-03-03 and those targets measured (T1="36", ...)."""
    dialog = desk.window.flows.add_visit(_subject(desk, qtbot, baseline, criteria=criteria))
    shown(qtbot, dialog)
    if sizes:
        dialog.date.set_value(dt.date(2025, 3, 3))
        for code, mm in sizes.items():
            dialog.target_inputs[code].setText(mm)
    return dialog


def _new_rows(dialog: VisitDialog) -> LesionTable:
    assert dialog.new_table is not None
    return dialog.new_table


def test_new_lesions_are_listed_and_removed_and_the_recist_summary_follows(
    empty_desk: Desk, qtbot: QtBot
) -> None:
    dialog = visit_dialog(empty_desk, qtbot, BASELINE, "iRECIST", T1="36", T2="18")
    assert "new lesions none" in dialog.preview_label.text()
    assert "iSD" in dialog.preview_label.text() or "SD" in dialog.preview_label.text()
    rows = _new_rows(dialog)
    qtbot.mouseClick(rows.add_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(rows.rows[0][1], "lung")  # type: ignore[arg-type]
    qtbot.keyClicks(rows.rows[0][2], "12")  # type: ignore[arg-type]
    assert ids(rows) == ["N1"]
    assert "<b>iUPD</b>" in dialog.preview_label.text()  # a new lesion: progression, as typed
    assert not dialog.new_lesions.isEnabled()  # the list governs the status
    assert dialog.fields()["lesions"]["new_lesions"][0]["id"] == "N1"

    box = rows.rows[0][3]  # Delete on the row's tick box removes the row
    rows.table.clearSelection()
    box.setFocus()
    qtbot.waitUntil(lambda: rows.selected_rows() == [0], timeout=5000)
    qtbot.keyClick(box, Qt.Key.Key_Delete)
    assert rows.rows == []
    assert "<b>iUPD</b>" not in dialog.preview_label.text()  # the summary follows the removal
    assert "new lesions none" in dialog.preview_label.text()
    assert dialog.new_lesions.isEnabled()
    assert dialog.fields()["lesions"]["new_lesions"] == "none"
    dialog.done(0)


def test_a_visit_saved_with_new_lesions_keeps_them_when_edited_and_loses_only_the_removed_one(
    empty_desk: Desk, qtbot: QtBot
) -> None:
    pk = _subject(empty_desk, qtbot, BASELINE, criteria="iRECIST")
    s = empty_desk.session
    visit = {"date": "2025-03-03", "lesions": {"targets": {"T1": 36, "T2": 18}, "non_targets": {},
             "new_lesions": [{"id": "N1", "organ": "lung", "mm": 12, "measurable": True},
                             {"id": "N2", "organ": "bone", "mm": None, "measurable": False}]}}  # fmt: skip
    _write(empty_desk, qtbot, lambda: s.store.add_assessment(s.actor, pk, visit, "CT"))
    assessment = s.store.subject_rows(pk).assessments[0].id
    dialog = empty_desk.window.flows.edit_visit(pk, assessment or 0)
    shown(qtbot, dialog)
    rows = _new_rows(dialog)
    assert ids(rows) == ["N1", "N2"]  # shown, not replaced by "unequivocal"
    assert dialog.fields()["lesions"]["new_lesions"] == [
        {"id": "N1", "organ": "lung", "mm": pytest.approx(12), "measurable": True},
        {"id": "N2", "organ": "bone", "mm": None, "measurable": False},
    ]
    menu = rows.context_menu(rows.rows[0][0])  # right-click N1's id
    next(a for a in menu.actions() if a.text() == "Remove this new lesion").trigger()
    assert ids(rows) == ["N2"]
    reasons: list[str] = []

    def reason(_parent: object, _what: str) -> str:
        reasons.append(_what)
        return "N1 was a scar"

    import desktop.flows

    monkey = pytest.MonkeyPatch()
    monkey.setattr(desktop.flows, "ask_reason", reason)
    try:
        save(dialog)
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    finally:
        monkey.undo()
    saved = s.store.case(pk)["assessments"][0]["lesions"]["new_lesions"]
    assert saved == [{"id": "N2", "organ": "bone", "mm": None, "measurable": False}]


def test_a_new_lesion_size_that_is_not_a_number_is_named_and_outlined(empty_desk: Desk, qtbot: QtBot) -> None:
    dialog = visit_dialog(empty_desk, qtbot, BASELINE, "iRECIST")
    dialog.target_inputs["T1"].setText("36")
    rows = _new_rows(dialog)
    qtbot.mouseClick(rows.add_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(rows.rows[0][2], "12x")  # type: ignore[arg-type]
    assert "New lesion 1, size (mm): '12x' is not a size in mm" in dialog.error.text()
    assert "border" in rows.rows[0][2].styleSheet()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    rows.table.selectRow(0)
    qtbot.mouseClick(rows.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.error.isHidden()  # the row at fault is gone, and so is its error
    dialog.done(0)


def test_a_recist_study_keeps_the_simple_new_lesion_choice(demo_desk: Desk) -> None:
    w = demo_desk.window
    w.roster_screen.select_subject("NSCLC-028")
    dialog = w.flows.add_visit(w.roster_screen.current_subject_pk() or 0)
    assert dialog.new_table is None  # RECIST 1.1: none / equivocal / unequivocal, as before
    dialog.done(0)


def test_the_irecist_visit_dialog_fits_the_screen_and_its_summary_never_scrolls_away(
    empty_desk: Desk, qtbot: QtBot
) -> None:
    """With its new-lesion rows the dialog was taller than a 768-pixel screen; in a scrolling
    form the live summary must stay in sight, under it."""
    from desktop.widgets.forms import FormScroll

    dialog = visit_dialog(empty_desk, qtbot, BASELINE, "iRECIST")
    dialog.target_inputs["T1"].setText("36")
    for k, organ in enumerate(("lung", "bone", "skin")):
        qtbot.mouseClick(_new_rows(dialog).add_buttons[0], Qt.MouseButton.LeftButton)
        dialog.new_rows[k][1].setText(organ)
        dialog.new_rows[k][2].setText("11")
    qtbot.wait(50)
    assert dialog.frameGeometry().bottom() <= dialog.screen().availableGeometry().bottom()
    scroll = dialog.findChild(FormScroll)
    assert scroll is not None
    assert scroll.isAncestorOf(dialog.target_inputs["T1"])
    assert not scroll.isAncestorOf(dialog.preview_label)
    assert dialog.preview_label.isVisible()
    assert "<b>iUPD</b>" in dialog.preview_label.text()
    dialog.done(0)
