"""The sign-in dialog says each thing once and outlines the field at fault (walkthrough: the
'set by an administrator' note appeared twice after a first sign-in, and no field was ever
outlined). Fed as a user types: key presses and Return."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from core.store.store import Store
from core.store.users import MAX_FAILED_ATTEMPTS
from desktop.dialogs.session_dialogs import LoginDialog
from desktop.tasks import DbWriter
from tests.desktop.conftest import PASSWORD

ONE_TIME = "one-time-given-1"


@pytest.fixture
def login(qtbot: QtBot, empty_template: Path, tmp_path: Path) -> Iterator[tuple[Store, LoginDialog]]:
    path = tmp_path / "s.sqlite3"
    shutil.copy(empty_template, path)
    store = Store.open(path, backup_daily=False)
    admin = store.authenticate("admin", PASSWORD)
    store.create_user(admin, "nurse", "Nina Nurse", "coordinator", ONE_TIME)
    writer = DbWriter()
    try:
        dialog = LoginDialog(store, writer)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        yield store, dialog
    finally:
        writer.shutdown()
        store.close()


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def sign_in(qtbot: QtBot, dialog: LoginDialog, user: str | None, password: str) -> None:
    if user is not None:
        type_into(qtbot, dialog.username, user)
    type_into(qtbot, dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() or dialog.actor is not None, timeout=10000)


def shown_texts(dialog: LoginDialog) -> list[str]:
    """Every visible label's words, the error included, lower-cased without markup."""
    import re

    return [
        re.sub(r"<[^>]+>", "", label.text()).lower()
        for label in dialog.findChildren(QLabel)
        if label.isVisible() and label.text()
    ]


def occurrences(dialog: LoginDialog, words: str) -> int:
    return sum(text.count(words) for text in shown_texts(dialog))


@pytest.mark.parametrize("user", ["nurse", "nobody-here"])
def test_a_wrong_password_or_unknown_user_is_said_once_and_outlines_the_password(
    login: tuple[Store, LoginDialog], qtbot: QtBot, user: str
) -> None:
    _store, dialog = login
    for _attempt in range(2):  # a second failure replaces the message, never adds to it
        sign_in(qtbot, dialog, user, "not-the-password")
        assert occurrences(dialog, "wrong user id or password") == 1, shown_texts(dialog)
        assert dialog.error.text() == "Wrong user id or password"  # not "Password: wrong ... password"
        assert dialog.error.marked_fields == ["sign_in"]
        assert "border" in dialog.password.styleSheet()
        assert dialog.password.text() == ""
        assert dialog.password.hasFocus()
    assert dialog.actor is None


def test_a_locked_account_outlines_the_user_id(login: tuple[Store, LoginDialog], qtbot: QtBot) -> None:
    _store, dialog = login
    for _attempt in range(MAX_FAILED_ATTEMPTS):
        sign_in(qtbot, dialog, "admin", "not-the-password")
    assert occurrences(dialog, "account locked") == 1, shown_texts(dialog)
    sign_in(qtbot, dialog, None, PASSWORD)  # the right password, while locked
    assert dialog.actor is None
    assert dialog.error.text().startswith("User id: account locked until")
    assert occurrences(dialog, "account locked") == 1
    assert dialog.error.marked_fields == ["username"]
    assert "border" in dialog.username.styleSheet()
    assert "border" not in dialog.password.styleSheet()


def test_the_first_sign_in_note_is_shown_once_and_the_new_password_is_outlined(
    login: tuple[Store, LoginDialog], qtbot: QtBot
) -> None:
    store, dialog = login
    sign_in(qtbot, dialog, "nurse", ONE_TIME)
    qtbot.waitUntil(lambda: dialog.changing, timeout=10000)
    # The note above the new rows says it; the red line under them said it again.
    assert occurrences(dialog, "set by an administrator") == 1, shown_texts(dialog)
    assert not dialog.error.isVisible()
    assert dialog.new_password.hasFocus()

    type_into(qtbot, dialog.new_password, "short")  # refused by the password rules
    type_into(qtbot, dialog.new_repeat, "short")
    qtbot.keyClick(dialog.new_repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=10000)
    assert dialog.error.text().startswith("New password: must be at least 12 characters"), dialog.error.text()
    assert dialog.error.marked_fields == ["new_password"]
    assert "border" in dialog.new_password.styleSheet()
    assert "border" not in dialog.password.styleSheet()
    assert occurrences(dialog, "set by an administrator") == 1

    type_into(qtbot, dialog.new_password, "nina-own-phrase-2")
    type_into(qtbot, dialog.new_repeat, "nina-own-phrase-3")
    qtbot.keyClick(dialog.new_repeat, Qt.Key.Key_Return)
    assert dialog.error.text() == "Repeat new password: the two new passwords differ"
    assert dialog.error.marked_fields == ["new_repeat"]
    assert "border" not in dialog.new_password.styleSheet()  # the last one's outline is gone

    type_into(qtbot, dialog.new_repeat, "nina-own-phrase-2")
    type_into(qtbot, dialog.password, "not-the-one-time")  # the current password is wrong
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() and dialog.error.isVisible(), timeout=10000)
    assert dialog.error.marked_fields == ["sign_in"]
    assert occurrences(dialog, "wrong user id or password") == 1
    assert dialog.new_password.text() == "nina-own-phrase-2"  # what was right is kept

    sign_in(qtbot, dialog, None, ONE_TIME)
    qtbot.waitUntil(lambda: dialog.actor is not None, timeout=10000)
    assert store.authenticate("nurse", "nina-own-phrase-2").username == "nurse"


def test_another_user_id_typed_leaves_the_new_password_rows(
    login: tuple[Store, LoginDialog], qtbot: QtBot
) -> None:
    """The rows were the first account's: with another user id typed they sent a password change
    for that account (the admin's 'change' was refused as if its password were wrong)."""
    _store, dialog = login
    sign_in(qtbot, dialog, "nurse", ONE_TIME)
    qtbot.waitUntil(lambda: dialog.changing, timeout=10000)
    type_into(qtbot, dialog.username, "admin")
    assert not dialog.changing
    assert not dialog.new_password.isVisible()
    assert occurrences(dialog, "set by an administrator") == 0
    sign_in(qtbot, dialog, None, PASSWORD)
    qtbot.waitUntil(lambda: dialog.actor is not None, timeout=10000)
    assert dialog.actor.username == "admin"
