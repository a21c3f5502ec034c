"""At 1920x1080 the demo roster shows every value whole (walkthrough: 8 of 40 rows still cut a
tumor type or a regimen; the roster needed ~1,770 px and had ~1,627)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.screens.roster import COL_CONFIRM, COL_DUE, COL_RESPONSE, HEADERS
from tests.desktop.conftest import Desk
from tests.desktop.test_polish import _needs, _roster_at


def test_at_1920_no_demo_value_is_cut(qtbot: QtBot, demo_desk: Desk) -> None:
    table = _roster_at(qtbot, demo_desk, 1920, 1040)
    header, model = table.horizontalHeader(), table.model()  # type: ignore[attr-defined]
    shown = [c for c in range(len(HEADERS)) if not header.isSectionHidden(c)]
    cut = [
        (HEADERS[col], model.index(row, col).data())
        for col in shown
        for row in range(model.rowCount())
        if _needs(table, row, col) > header.sectionSize(col)
    ]
    assert cut == []
    assert sum(header.sectionSize(c) for c in shown) <= table.viewport().width()  # no scroll bar


def test_the_short_words_of_the_roster_keep_the_whole_wording_in_the_tooltip(demo_desk: Desk) -> None:
    """Next due and Confirmation say it short ("6-month mark", "Scan: waived"); the tooltip says
    it whole ("6 months from first dose", "waived (clinical progression)")."""
    model = demo_desk.window.roster_screen.model
    due = {str(model.index(r, COL_DUE).data()): str(model.index(r, COL_DUE).data(Qt.ItemDataRole.ToolTipRole))
           for r in range(model.rowCount()) if model.index(r, COL_DUE).data()}  # fmt: skip
    mark = next(text for text in due if text.endswith("6-month mark"))
    assert due[mark] == f"6 months from first dose: {mark.split()[0]}"
    opens = next(text for text in due if text.endswith("window opens"))
    assert due[opens] == f"Confirmatory scan window opens {opens.split()[0]}"
    # The date where the words want it (it was "2026-12-07: confirmatory scan due by"; walkthrough 3)
    by = next(text for text in due if text.endswith("scan due"))
    assert due[by] == f"Confirmatory scan due by {by.split()[0]}"
    assert not any(tip.rstrip().endswith((" by", ":")) for tip in due.values()), due
    confirm = {
        str(model.index(r, COL_CONFIRM).data()): str(
            model.index(r, COL_CONFIRM).data(Qt.ItemDataRole.ToolTipRole)
        )
        for r in range(model.rowCount())
    }
    assert confirm["Scan: waived"] == "Confirmatory scan: waived (clinical progression)"
    assert "Scan + biopsy: pending" in confirm
    responses = {str(model.index(r, COL_RESPONSE).data()) for r in range(model.rowCount())} - {"—"}
    assert responses
    assert all(re.fullmatch(r"\S+ \d{4}-\d{2}-\d{2}", text) for text in responses), responses
