"""After the first run, the sign-in says what was made and what comes next (walkthrough: the
study, both accounts and the CA were created and nothing said so)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from core.rules import Category
from desktop.bootstrap import start
from desktop.dialogs.session_dialogs import FirstRunDialog, LoginDialog
from tests.desktop.helpers import fill_custodian
from tests.desktop.test_startup import Answers, shell

ADMIN_PASSWORD = "admin-pass-1 long enough"


def test_the_sign_in_after_the_first_run_names_the_file_the_study_the_accounts_and_the_next_step(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> None:
    db = tmp_path / "site.sqlite3"
    seen: dict[str, str] = {}

    def create(dialog: QDialog) -> None:
        assert isinstance(dialog, FirstRunDialog)
        dialog.protocol.setText("NEW-7")
        dialog.title.setText("Rechallenge after PD-1")
        dialog.site.setText("Clinic North")
        dialog.admin.setText("ann")
        dialog.admin_name.setText("Ann Admin")
        dialog.password.setText(ADMIN_PASSWORD)
        dialog.repeat.setText(ADMIN_PASSWORD)
        fill_custodian(dialog, "a separate CA passphrase 7")
        dialog.categories.boxes[Category.PRIMARY_RESISTANCE].setChecked(True)
        dialog.submit()

    def sign_in(dialog: QDialog) -> None:
        assert isinstance(dialog, LoginDialog)
        seen["note"] = (
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dialog.message.text())).split()).replace(" ,", ",")
            if hasattr(dialog, "message")
            else ""
        )
        seen["user"] = dialog.username.text()
        seen["wraps"] = str(dialog.message.wordWrap()) if hasattr(dialog, "message") else ""
        dialog.password.setText(ADMIN_PASSWORD)  # the user id is filled in: the administrator's
        dialog.submit()

    answers = Answers()
    answers.on(FirstRunDialog, create)
    answers.on(LoginDialog, sign_in)
    window = shell(qtbot, settings)
    try:
        start(db, settings, window)
        qtbot.waitUntil(lambda: window.attached and not window.loading, timeout=30000)
    finally:
        answers.stop()
    assert answers.seen == ["FirstRunDialog", "LoginDialog"]  # nothing else to answer in between
    note = seen["note"]
    assert "study is created" in note
    assert f"study file {db.name}" in note  # by name: the whole path is on the line below
    assert not note.rstrip().endswith("….")
    assert "NEW-7" in note
    assert "Rechallenge after PD-1" in note
    assert "Clinic North" in note
    assert "ann (Ann Admin), administrator" in note
    assert "pia (Dr. Pia Principal), investigator and keeper of the site certificate authority" in note
    assert note.count(str(db.name)) == 1  # said once
    assert "sign in" in note.lower()
    assert "File > Site certificate authority…" in note  # the menu as the window names it
    assert seen["wraps"] == "True"  # a long path wraps instead of widening the dialog off the screen
    assert seen["user"] == "ann"
    assert window.session.actor.username == "ann"
    assert "NEW-7 created" in window.statusBar().currentMessage()
    window.close()


def test_the_demo_and_a_later_start_add_no_note(
    qtbot: QtBot, first_run: tuple[object, FirstRunDialog]
) -> None:
    _store, dialog = first_run
    assert dialog.confirmation() == ""  # nothing made yet
    dialog.choice = "demo"
    assert dialog.confirmation() == ""
