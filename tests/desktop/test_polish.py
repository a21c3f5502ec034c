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
        assert "Investigator" in texts and "Coordinator" in texts and "Administrator" in texts
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
    roles = {screen.model.row_at(r).username: screen.model.row_at(r).role for r in range(4)}
    assert roles["nurse2"] == "investigator"
