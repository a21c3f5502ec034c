"""The interim case viewer: bundled examples, their category and rationale."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from desktop.app import CaseViewer, load_example_courses


def make_viewer(qtbot: QtBot, as_of: dt.date) -> CaseViewer:
    viewer = CaseViewer(load_example_courses(), as_of)
    qtbot.addWidget(viewer)
    return viewer


def select(viewer: CaseViewer, subject_id: str) -> None:
    for row in range(viewer.model.rowCount()):
        if viewer.model.row_at(row).course.subject_id == subject_id:
            viewer.list.setCurrentIndex(viewer.model.index(row))
            return
    raise AssertionError(subject_id)


def test_lists_every_bundled_example_with_its_category(qtbot: QtBot) -> None:
    viewer = make_viewer(qtbot, dt.date(2024, 6, 6))
    assert viewer.model.rowCount() == 14
    texts = [viewer.model.data(viewer.model.index(r)) for r in range(viewer.model.rowCount())]
    assert any(t.startswith("primary-confirmed\nPrimary resistance") for t in texts)
    assert viewer.model.data(viewer.model.index(0), Qt.ItemDataRole.DecorationRole) is not None


def test_selecting_a_case_shows_rule_and_rationale(qtbot: QtBot) -> None:
    viewer = make_viewer(qtbot, dt.date(2024, 6, 6))
    select(viewer, "primary-confirmed")
    text = viewer.detail.toPlainText()
    assert "Primary resistance" in text
    assert "SITC-2020 Table 1 primary" in text
    assert "Confirmatory assessment on 2024-05-27" in text


def test_changing_the_date_reclassifies(qtbot: QtBot) -> None:
    viewer = make_viewer(qtbot, dt.date(2024, 5, 7))
    select(viewer, "primary-confirmed")
    assert "Pending confirmation" in viewer.detail.toPlainText()
    assert "open" in viewer.detail.toPlainText()
    viewer.as_of.setDate(QDate(2024, 6, 6))
    assert "Primary resistance" in viewer.detail.toPlainText()


def test_caveats_are_explained(qtbot: QtBot) -> None:
    viewer = make_viewer(qtbot, dt.date(2024, 7, 26))
    select(viewer, "pseudoprogression")
    text = viewer.detail.toPlainText()
    assert "PSEUDOPROGRESSION_REFUTED" in text
    assert "pseudoprogression" in text
