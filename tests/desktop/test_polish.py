"""GUI walkthrough polish: human words instead of internal codes, roster column widths."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.store.users import Role
from desktop.screens import users as users_module
from tests.desktop.conftest import Desk


def test_role_combos_show_words_and_keep_codes_as_data(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = demo_desk.window
    w.show_users()
    screen = w.users_screen
    dialogs: list[users_module.NewUserDialog] = []
    monkeypatch.setattr(users_module.NewUserDialog, "open", lambda self: dialogs.append(self))
    screen.add_user()
    for combo in (dialogs[0].role, screen.role):
        texts = [combo.itemText(i) for i in range(combo.count())]
        codes = [combo.itemData(i) for i in range(combo.count())]
        assert codes == [r.value for r in Role]
        assert {"Investigator", "Coordinator", "Administrator"} <= set(texts)
        assert all(t[:1].isupper() and "_" not in t for t in texts)
    # the user is created with the code, not the label
    d = dialogs[0]
    d.username.setText("nurse2")
    d.full_name.setText("Nora Nurse")
    d.role.setCurrentIndex(d.role.findData("investigator"))
    d.password.setText("nurse-password")
    d.repeat.setText("nurse-password")
    d.buttons.accepted.emit()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 4, timeout=10000)
    assert "(Administrator)" in w.status_user.text()  # the status bar too
    role_col = [screen.model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)].index("Role")
    assert {screen.model.data(screen.model.index(r, role_col)) for r in range(4)} >= {"Investigator"}
    roles = {screen.model.row_at(r).username: screen.model.row_at(r).role for r in range(4)}
    assert roles["nurse2"] == "investigator"


def test_audit_screen_shows_actions_in_words(qtbot: QtBot, demo_desk: Desk) -> None:
    import re

    w = demo_desk.window
    w.show_audit()
    screen = w.audit_screen
    qtbot.waitUntil(lambda: screen.model.rowCount() > 0, timeout=10000)
    column = [
        screen.model.headerData(c, Qt.Orientation.Horizontal) for c in range(screen.model.columnCount())
    ]
    action_col = column.index("Action")
    change_col = column.index("Change")
    actions = {screen.model.data(screen.model.index(r, action_col)) for r in range(screen.model.rowCount())}
    codes = {screen.model.row_at(r).action for r in range(screen.model.rowCount())}
    assert "insert" in codes  # the demo's rows are there, as codes underneath
    snake = re.compile(r"\b[a-z]+_[a-z_]+\b")
    assert not [a for a in actions if snake.search(str(a)) or str(a) in codes], actions
    changes = [
        str(screen.model.data(screen.model.index(r, change_col))) for r in range(screen.model.rowCount())
    ]

    # coded values in the changes are words too (the demo has each of these)
    joined = "\n".join(changes)
    for code in (
        "non_target",
        "ici_chemotherapy",
        "unequivocal_progression",
        "maximal_benefit",
        "primary_resistance",
    ):
        assert code not in joined, [c for c in changes if code in c][:3]
    assert "Kind = non-target" in joined
    assert "ICI + chemotherapy" in joined


@pytest.mark.parametrize("width", [1920, 1366])
def test_roster_gives_spare_width_to_tumor_type_and_agent(qtbot: QtBot, demo_desk: Desk, width: int) -> None:
    from desktop.screens.roster import BASE_WIDTHS, HEADERS

    w = demo_desk.window
    w.resize(width, 1000 if width == 1920 else 700)
    w.show()
    w.show_roster()
    table = w.roster_screen.table
    qtbot.waitUntil(lambda: table.isVisible() and w.roster_screen.model.rowCount() > 0, timeout=10000)
    qtbot.wait(50)
    header = table.horizontalHeader()
    last = len(HEADERS) - 1
    tumor, agent = HEADERS.index("Tumor type"), HEADERS.index("Agent")
    assert not header.stretchLastSection()
    if width == 1920:
        assert header.sectionSize(tumor) > header.sectionSize(last)
        assert header.sectionSize(agent) > header.sectionSize(last)
        # no column is narrower than it started, and every cut one got some of the spare width
        for col in range(len(HEADERS)):
            assert header.sectionSize(col) >= BASE_WIDTHS[col], HEADERS[col]
        # the fitting itself never adds a horizontal scroll bar
        used = sum(header.sectionSize(c) for c in range(len(HEADERS)) if not header.isSectionHidden(c))
        assert used <= table.viewport().width()
