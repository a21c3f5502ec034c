"""The site CA in the window: the custodian certifies, an administrator cannot (separation of
duties), and a key that follows an administrator's reset needs the custodian's confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from core.store.site_keys import certificate_queue
from tests.desktop.conftest import PASSWORD, Desk, _copy, _open
from tests.desktop.helpers import Questions


@pytest.fixture
def custodian_desk(qtbot: QtBot, demo_template: Path, tmp_path: Path, settings: QSettings) -> Iterator[Desk]:
    yield from _open(qtbot, _copy(demo_template, tmp_path / "demo.sqlite3"), settings, "coordinator")


def _reset_investigator(desk: Desk) -> None:
    """An administrator resets the investigator; someone chooses the new password."""
    store = desk.store
    store.on_write = None  # set up on this thread, before the dialog
    admin = store.authenticate("admin", PASSWORD)
    temporary = store.reset_password(admin, "investigator", reason="forgotten")
    store.change_password("investigator", temporary, "investigator-new-pw-5")


def test_an_administrator_sees_who_waits_and_cannot_certify(qtbot: QtBot, demo_desk: Desk) -> None:
    from desktop.dialogs.ca_dialog import SiteCADialog

    _reset_investigator(demo_desk)
    dialog = SiteCADialog(demo_desk.session, demo_desk.window)
    qtbot.addWidget(dialog)
    text = dialog.queue_label.text()
    assert "Dr. Ines Investigator" in text
    assert "password reset by admin on" in text
    assert not dialog.act.isEnabled()
    assert not dialog.passphrase.isEnabled()
    assert "administrator cannot run the site certificate authority" in dialog.error.text()


def test_the_custodian_confirms_a_key_after_a_reset_then_certifies_it(
    qtbot: QtBot, custodian_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.dialogs.ca_dialog import SiteCADialog

    _reset_investigator(custodian_desk)
    questions = Questions(monkeypatch, QMessageBox.StandardButton.No)
    asked = questions.asked
    dialog = SiteCADialog(custodian_desk.session, custodian_desk.window)
    qtbot.addWidget(dialog)
    assert dialog.act.isEnabled()
    dialog.passphrase.setText(PASSWORD)  # the demo's CA passphrase is its password
    dialog.act.click()
    assert "Dr. Ines Investigator (investigator): password reset by admin" in asked[0]
    assert [e.username for e in certificate_queue(custodian_desk.store) if e.pending] == ["investigator"]
    questions.answer = QMessageBox.StandardButton.Yes
    dialog.passphrase.setText("not-the-passphrase")
    dialog.act.click()
    qtbot.waitUntil(lambda: "wrong CA passphrase" in dialog.error.text(), timeout=20000)
    dialog.passphrase.setText(PASSWORD)
    dialog.act.click()
    qtbot.waitUntil(lambda: "Certificates issued: investigator" in dialog.last_message, timeout=20000)
    assert certificate_queue(custodian_desk.store) == []
    assert "Every active investigator holds a current certificate" in dialog.queue_label.text()
    assert dialog.passphrase.text() == ""


def test_the_file_menu_opens_the_ca_dialog(qtbot: QtBot, custodian_desk: Desk) -> None:
    custodian_desk.window.action_map["site_ca"].trigger()
    dialog = custodian_desk.window.ca_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert "Site CA" in dialog.summary.text()
    dialog.close()


def test_choosing_a_password_after_a_reset_shows_what_the_account_did_before(
    qtbot: QtBot, demo_template: Path, tmp_path: Path
) -> None:
    from core.store.store import Store
    from desktop.dialogs.session_dialogs import LoginDialog
    from desktop.tasks import DbWriter

    store = Store.open(_copy(demo_template, tmp_path / "demo.sqlite3"), backup_daily=False)
    writer = DbWriter()
    try:
        admin = store.authenticate("admin", PASSWORD)
        temporary = store.reset_password(admin, "investigator", reason="forgotten")
        dialog = LoginDialog(store, writer, username="investigator")
        qtbot.addWidget(dialog)
        dialog.password.setText(temporary)
        dialog.submit()  # the store asks for a new password first
        qtbot.waitUntil(lambda: dialog.changing, timeout=20000)
        dialog.new_password.setText("my-own-new-pass-9")
        dialog.new_repeat.setText("my-own-new-pass-9")
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.actor is not None, timeout=20000)
        assert "Your password was reset by admin" in dialog.review
        assert "no worksheet was signed in your name" in dialog.review
        # the number the custodian will check with them, as the custodian's list shows it
        waiting = {e.username: e for e in certificate_queue(store)}["investigator"]
        assert f"Your new signing key is {waiting.key_id}." in dialog.review
    finally:
        writer.shutdown()
        store.close()
