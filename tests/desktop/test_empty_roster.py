"""An empty roster says why and what to do next (walkthrough: a new study's roster was a blank
grid, and a search that matched nothing looked the same)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.actions import ACTIONS, menu_path
from tests.desktop.conftest import Desk


def _menu(key: str) -> str:
    spec = next(s for s in ACTIONS if s.key == key)
    return f"{spec.menu.replace('&', '')} > {spec.title.replace('&', '')}"


def test_a_study_without_subjects_says_how_to_add_or_import_them(empty_desk: Desk) -> None:
    roster = empty_desk.window.roster_screen
    assert roster.model.rowCount() == 0
    text = roster.table.placeholder
    assert text.startswith("No subjects yet.")
    assert "Subject > Add subject… (Ctrl+N)" in text  # the menu, as the window names it
    assert menu_path("add_subject") in text
    for key in ("import_roster", "import_cases"):
        assert _menu(key) in text
    assert not text.endswith("….")  # the menu's ellipsis, not one with a full stop after it
    shown = {a.text().replace("&", "") for a in empty_desk.window.menuBar().actions()}
    assert {"Subject", "File"} <= shown  # the menus the text names exist


def test_a_search_that_hides_every_subject_says_so_and_esc_clears_it(demo_desk: Desk, qtbot: QtBot) -> None:
    roster = demo_desk.window.roster_screen
    assert roster.table.placeholder == ""  # rows shown: nothing to explain
    roster.search.setFocus()
    qtbot.keyClicks(roster.search, "zzz-nobody")
    assert roster.model.rowCount() == 0
    text = roster.table.placeholder
    assert text.startswith("The search “zzz-nobody” hides all 40 subjects."), text
    assert "clear the search box" in text
    assert "No subjects yet" not in text  # the study has subjects: it must not say it has none
    qtbot.keyClick(roster.search, Qt.Key.Key_Escape)
    assert roster.search.text() == ""
    assert roster.model.rowCount() == 40
    assert roster.table.placeholder == ""


def test_a_category_and_a_search_together_are_both_named_with_how_to_undo_them(
    demo_desk: Desk, qtbot: QtBot
) -> None:
    roster = demo_desk.window.roster_screen
    roster.category.setCurrentIndex(roster.category.findText("Pending confirmation"))
    assert roster.model.rowCount() > 0
    assert roster.table.placeholder == ""
    qtbot.keyClicks(roster.search, "MEL-001")  # not pending: nothing left
    assert roster.model.rowCount() == 0
    text = roster.table.placeholder
    assert "The search “MEL-001” and the category “Pending confirmation” hide all 40 subjects" in text
    assert "clear the search box (the × at its right, or Esc) and choose “All categories”" in text


def test_the_empty_roster_paints_its_words(empty_desk: Desk, qtbot: QtBot) -> None:
    """The words are drawn in the table, not only kept in an attribute."""
    roster = empty_desk.window.roster_screen
    empty_desk.window.show_roster()
    qtbot.waitExposed(roster.table)
    with_words = roster.table.viewport().grab().toImage()
    roster.table.set_placeholder("")
    blank = roster.table.viewport().grab().toImage()
    assert with_words != blank
