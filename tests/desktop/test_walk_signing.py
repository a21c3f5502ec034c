"""Found walking through the investigator's first signature in the real window at 1366x768."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from core.store.store import Store
from core.store.users import Role
from desktop.session import Session
from desktop.tasks import DbWriter
from tests.desktop.conftest import PASSWORD, Desk

SMALL_SCREEN_HEIGHT = 768
TITLE_AND_TASKBAR = 60  # what a window manager and a task bar take from a 768-pixel screen


def test_the_sign_dialog_fits_a_768_pixel_screen(investigator_desk: Desk, qtbot: QtBot) -> None:
    """The Sign button sat below the bottom of a 1366x768 screen: the preview could not shrink."""
    from core.store.worksheets import prepare_worksheet, worksheets
    from desktop.screens.worksheets import SignDialog

    s = investigator_desk.session
    pk = s.store.subject_pk(s.study_id, "MEL-001")
    s.store.on_write = None
    prepare_worksheet(s.store, s.actor, pk, s.store.today())
    dialog = SignDialog(investigator_desk.window, s, worksheets(s.store, pk)[0])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.minimumSizeHint().height() <= SMALL_SCREEN_HEIGHT - TITLE_AND_TASKBAR
    assert dialog.height() <= dialog.screen().availableGeometry().height()
    assert dialog.preview.isVisible()  # still there, scrolling
    assert dialog.preview.height() > 0


def test_an_investigator_without_a_certificate_is_told_before_signing(
    demo_desk: Desk, qtbot: QtBot, settings: QSettings
) -> None:
    """A new investigator read "You can sign" and only learnt at the password prompt that an
    administrator must first issue the signing certificate."""
    from desktop.screens.worksheets import WorksheetsScreen

    store = demo_desk.store
    store.on_write = None
    store.create_user(
        demo_desk.session.actor, "inv2", "Dr New Investigator", Role.INVESTIGATOR, "one-time-1x!"
    )
    store.change_password("inv2", "one-time-1x!", PASSWORD)
    newcomer = Session(store, demo_desk.writer, store.authenticate("inv2", PASSWORD), store.studies()[0])
    screen = WorksheetsScreen(newcomer, settings=settings)
    qtbot.addWidget(screen)
    screen.refresh()
    assert "no signing certificate" in screen.info.text()
    assert "You cannot sign yet" in screen.info.text()
    assert screen.minimumSizeHint().width() < 1366 - 260  # the notice wraps; it widened the window to 1535 px

    veteran = Session(
        store, demo_desk.writer, store.authenticate("investigator", PASSWORD), store.studies()[0]
    )
    screen = WorksheetsScreen(veteran, settings=settings)
    qtbot.addWidget(screen)
    screen.refresh()
    assert "You can sign (investigator)" in screen.info.text()


def test_first_sign_in_password_change_does_not_overprint_the_form(
    qtbot: QtBot, empty_template: Path, tmp_path: Path
) -> None:
    """The 'set by an administrator' note and the new-password rows overprinted each other in a
    dialog that kept its first, smaller size; the message sent the user to the command line."""
    from desktop.dialogs.session_dialogs import LoginDialog

    path = tmp_path / "s.sqlite3"
    shutil.copy(empty_template, path)
    store = Store.open(path, backup_daily=False)
    admin = store.authenticate("admin", PASSWORD)
    store.create_user(admin, "inv9", "Dr Nine", "investigator", "one-time-given-9")
    writer = DbWriter()
    try:
        dialog = LoginDialog(store, writer, username="inv9")
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.password.setText("one-time-given-9")
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.changing, timeout=10000)
        qtbot.wait(50)
        note, new = dialog.change_note.geometry(), dialog.new_password.geometry()
        assert note.bottom() < new.top(), (note, new)
        assert dialog.password.geometry().bottom() < note.top()
        assert dialog.error.isHidden()  # the note says why; the same words in red said it twice
        assert dialog.new_repeat.geometry().bottom() < dialog.buttons.geometry().top()
        assert dialog.change_note.height() >= dialog.change_note.heightForWidth(dialog.change_note.width())
        assert "resistdesk" not in dialog.change_note.text()
    finally:
        writer.shutdown()
        store.close()


def test_the_add_user_dialog_shows_a_printed_name_whole(qtbot: QtBot) -> None:
    """At 256 px the printed name an administrator typed was cut ('r Ingrid Investigator')."""
    from desktop.screens.users import NewUserDialog

    dialog = NewUserDialog(None)
    qtbot.addWidget(dialog)
    dialog.full_name.setText("Dr Ingrid Investigator-Lindqvist")
    dialog.show()
    qtbot.waitExposed(dialog)
    needed = dialog.full_name.fontMetrics().horizontalAdvance(dialog.full_name.text())
    assert dialog.full_name.width() > needed + 10


def test_the_timeline_keeps_the_as_of_date_inside_the_chart() -> None:
    """The 'as of' label started right of its line and was cut at the chart's edge ('as of 202')."""
    from desktop.widgets.charts import label_x

    assert label_x(100.0, 80, 400) == 103.0  # room on the right: beside the line
    start = label_x(380.0, 80, 400)  # no room: left of the line, whole
    assert start >= 0
    assert start + 80 <= 400 - 2
