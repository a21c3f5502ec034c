"""Traps found walking a coordinator's whole day in the real window under Xvfb (1366x768,
with a window manager): first run, accounts, subjects, visits, reminders, worksheets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from core.store.users import Role
from tests.desktop.conftest import PASSWORD, Desk, _copy, _open

if TYPE_CHECKING:
    from core.store.store import Store
    from desktop.dialogs.session_dialogs import FirstRunDialog
    from desktop.tasks import DbWriter

SMALL_SCREEN_HEIGHT = 768
TITLE_AND_TASKBAR = 60  # what a window manager and a task bar take from a 768-pixel screen


def test_first_run_errors_keep_the_ok_button_on_a_768_pixel_screen(
    qtbot: QtBot, first_run: tuple[Store, FirstRunDialog]
) -> None:
    """OK pressed on the empty form listed nine problems under it: the dialog grew to 719 px
    and, placed under a title bar, its OK button went below the bottom of the screen."""
    store, dialog = first_run
    dialog.show()
    dialog.admin.clear()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.error.text().count("\n") >= 8  # every problem at once
    assert dialog.minimumSizeHint().height() <= SMALL_SCREEN_HEIGHT - TITLE_AND_TASKBAR
    room = dialog.screen().availableGeometry()
    assert dialog.frameGeometry().bottom() <= room.bottom()
    assert ok.isVisible()
    assert dialog.protocol.isVisible()  # still there, scrolled to
    assert not store.has_users()


def test_a_baseline_before_the_first_dose_reads_without_a_minus_sign(qtbot: QtBot) -> None:
    """The baseline scan a week before the first dose read "Mon · -7 days before the first dose"."""
    import datetime as dt

    from desktop.dialogs.visit_dialog import BaselineDialog

    dialog = BaselineDialog(None, None, lambda _b: None, dt.date(2026, 1, 5))
    qtbot.addWidget(dialog)
    edit = dialog.date.edit
    edit.selectAll()
    QTest.keyClicks(edit, "2025-12-29")  # as a coordinator types it
    assert dialog.date.hint.text().endswith("7 days before the first dose")
    assert "-" not in dialog.date.hint.text()
    edit.selectAll()
    QTest.keyClicks(edit, "2026-01-04")
    assert dialog.date.hint.text().endswith("· 1 day before the first dose")
    edit.selectAll()
    QTest.keyClicks(edit, "2026-03-02")
    assert dialog.date.hint.text().endswith("56 days after the first dose")


@pytest.fixture
def custodian_desk(qtbot: QtBot, demo_template: Path, tmp_path: Path, settings: QSettings) -> Iterator[Desk]:
    """The demo's coordinator: the custodian of its site CA."""
    yield from _open(qtbot, _copy(demo_template, tmp_path / "demo.sqlite3"), settings, "coordinator")


def _new_investigator(desk: Desk, username: str = "ivan") -> None:
    """An administrator adds an investigator, who signs in and chooses a password: a key waits."""
    store = desk.store
    store.on_write = None  # set up on this thread, before the dialog
    admin = store.authenticate("admin", PASSWORD)
    store.create_user(admin, username, "Dr. Ivan Investigator", Role.INVESTIGATOR, "one-time-pass-1")
    store.change_password(username, "one-time-pass-1", "ivan-own-password-5")


def test_enter_after_the_ca_passphrase_certifies_instead_of_closing(
    qtbot: QtBot, custodian_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The custodian typed the CA passphrase and pressed Enter: Close was the default button,
    so the dialog vanished and the investigator's key stayed uncertified, without a word."""
    from PySide6.QtWidgets import QMessageBox

    from core.store.site_keys import certificate_queue
    from desktop.dialogs.ca_dialog import SiteCADialog

    asked: list[str] = []  # a key after a password an administrator set: confirmed in person
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Yes
    )
    _new_investigator(custodian_desk)
    dialog = SiteCADialog(custodian_desk.session, custodian_desk.window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.passphrase.setFocus()
    QTest.keyClicks(dialog.passphrase, PASSWORD)  # the demo's CA passphrase is its password
    QTest.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Certificates issued: ivan" in dialog.last_message, timeout=20000)
    assert dialog.isVisible()
    assert [e.username for e in certificate_queue(custodian_desk.store) if e.pending] == []


def test_ok_with_no_reason_says_a_reason_is_needed(qtbot: QtBot) -> None:
    """OK pressed on an empty "Reason required" prompt showed the same empty prompt again,
    with no word of why: the coordinator could not tell whether the edit was saved."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.widgets.forms import ReasonDialog, ask_reason

    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ReasonDialog)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        QTest.mouseClick(ok, Qt.MouseButton.LeftButton)  # no reason typed
        seen.append(dialog.error.text() if dialog.isVisible() else "closed")
        QTest.keyClicks(dialog.text, "T1 re-read by radiology")
        QTest.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)
    reason = ask_reason(None, "is the visit of 2026-07-27 changed")
    assert seen == ["Reason: is required: type why, in a few words"]
    assert reason == "T1 re-read by radiology"

    def cancel() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ReasonDialog)
        QTest.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
        )

    QTimer.singleShot(0, cancel)
    assert ask_reason(None, "is the visit of 2026-07-27 changed") is None


def test_the_window_first_opens_within_the_screen(qtbot: QtBot, settings: QSettings) -> None:
    """The first start opened a 1280x800 window on a 1366x768 screen: the status bar and the
    bottom of every list were below the screen until the window was maximized."""
    from desktop.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    room = window.screen().availableGeometry()
    assert window.height() <= room.height() - TITLE_AND_TASKBAR  # room left for its title bar
    assert window.width() <= max(room.width(), window.minimumSizeHint().width())


def _events(ics: str) -> list[dict[str, str]]:
    """The events of an iCalendar text, lines unfolded (RFC 5545 3.1)."""
    lines = ics.replace("\r\n ", "").split("\r\n")
    events: list[dict[str, str]] = []
    for line in lines:
        if line == "BEGIN:VEVENT":
            events.append({})
        elif events and ":" in line and not line.startswith(("BEGIN:VALARM", "END:")):
            key, _, value = line.partition(":")
            events[-1].setdefault(key.split(";")[0], value)
    return events


def test_each_calendar_event_says_what_its_own_day_is(
    qtbot: QtBot, custodian_desk: Desk, tmp_path: Path
) -> None:
    """The .ics "confirmatory scan due (last day)" event read "Confirmatory scan window opens
    <date>": the coordinator opening it on the due day read the wrong instruction."""
    w = custodian_desk.window
    pending = [
        r for r in w.rows if r.result.confirmation.status == "pending" and r.result.confirmation.closes
    ]
    assert pending
    path = w.flows.export_ics(w.rows, tmp_path / "reminders.ics")
    assert path is not None
    events = _events(path.read_bytes().decode("utf-8"))  # CRLF line ends kept
    row = pending[0]
    c = row.result.confirmation
    due = next(e for e in events if e["SUMMARY"].startswith(f"{row.subject_id}: confirmatory scan")
               and e["SUMMARY"].endswith("due (last day)"))  # fmt: skip
    opens = next(e for e in events if e["SUMMARY"] == f"{row.subject_id}: confirmatory scan window opens"
                 or e["SUMMARY"].startswith(f"{row.subject_id}: confirmatory scan window opens "))  # fmt: skip
    assert due["DTSTART"] == f"{c.closes:%Y%m%d}"
    assert "last day" in due["DESCRIPTION"]
    assert "window opens" not in due["DESCRIPTION"]
    assert f"{c.opens} to {c.closes}" in due["DESCRIPTION"]
    assert "opens today" in opens["DESCRIPTION"]


def test_a_new_investigator_is_told_whom_to_ask_for_a_certificate(
    qtbot: QtBot, demo_desk: Desk, settings: QSettings
) -> None:
    """A new investigator read "The site CA's custodian certifies your key (File > Site
    certificate authority…)": not who that is, and a menu that refuses them."""
    from desktop.dialogs.ca_dialog import SiteCADialog
    from desktop.screens.worksheets import WorksheetsScreen
    from desktop.session import Session

    _new_investigator(demo_desk)
    store = demo_desk.store
    ivan = Session(
        store, demo_desk.writer, store.authenticate("ivan", "ivan-own-password-5"), store.studies()[0]
    )
    screen = WorksheetsScreen(ivan, settings=settings)
    qtbot.addWidget(screen)
    screen.refresh()
    custodian = next(u for u in store.users() if u.username == "coordinator")  # the demo's custodian
    assert f"{custodian.full_name} (coordinator)" in screen.info.text()
    assert "You cannot sign yet" in screen.info.text()
    dialog = SiteCADialog(demo_desk.session, demo_desk.window)  # the administrator's view
    qtbot.addWidget(dialog)
    assert f"{custodian.full_name} (coordinator)" in dialog.error.text()


def _text_height(text: str, width: int) -> int:
    """How tall ``text`` is, wrapped at ``width``, in a label of its own."""
    from PySide6.QtWidgets import QLabel

    probe = QLabel(text)
    probe.setWordWrap(True)
    return probe.heightForWidth(width)


def test_measurement_rows_stay_put_while_the_summary_changes(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing a size turned the live summary from three lines into two; the room went to the
    notes box above the lesions, every measurement row moved down 14 px, and the click aimed
    at T2 landed on T1: the visit was saved with T1 overwritten and T2 not evaluated."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    from desktop.dialogs import visit_dialog
    from desktop.dialogs.visit_dialog import VisitDialog

    monkeypatch.setattr(visit_dialog, "confirm_discard", lambda *_a: True)  # closed at the end
    s = demo_desk.session
    cases = (s.store.case(r.subject_pk) for r in demo_desk.window.rows)
    case = next(c for c in cases if c.get("baseline") and len(c["baseline"]["targets"]) >= 2)
    dialog = VisitDialog(None, case, s.store.today(), lambda *_a: None)
    qtbot.addWidget(dialog)
    dialog.show()
    QApplication.processEvents()
    edits = list(dialog.target_inputs.values())
    before = [e.mapTo(dialog, QPoint(0, 0)).y() for e in edits]
    label = dialog.preview_label
    summary = _text_height(label.text(), label.width())  # three lines here
    for edit in edits:
        QTest.keyClicks(edit, "999")
    QApplication.processEvents()
    assert _text_height(label.text(), label.width()) < summary  # the summary lost a line
    assert [e.mapTo(dialog, QPoint(0, 0)).y() for e in edits] == before


def test_the_rule_set_table_says_yes_not_true(qtbot: QtBot, demo_desk: Desk) -> None:
    """The subject screen (and the worksheet) listed "Secondary resistance needs a confirmatory
    scan: true": a program's word, not a coordinator's."""
    w = demo_desk.window
    row = w.rows[0]
    w.open_subject(row.subject_pk)
    qtbot.waitUntil(lambda: "Rule set" in w.subject_screen.panel.toPlainText(), timeout=10000)
    text = w.subject_screen.panel.toPlainText()
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    label = next(k for k, x in enumerate(lines) if x == "Secondary resistance needs a confirmatory scan")
    assert lines[label + 1] in ("yes", "no")  # the value, in the next cell
    assert "true" not in [x.lower() for x in lines]


def test_a_new_baseline_starts_at_the_first_dose_not_today(qtbot: QtBot) -> None:
    """Entering the baseline of a subject who started months ago, the date field offered
    today ("330 days after the first dose"): saved unread, the baseline followed every visit."""
    import datetime as dt

    from desktop.dialogs.visit_dialog import BaselineDialog

    first = dt.date(2026, 1, 5)
    dialog = BaselineDialog(None, None, lambda _b: None, first)
    qtbot.addWidget(dialog)
    assert dialog.date.value() == first
    assert "day 0: the first dose" in dialog.date.hint.text()
    saved = BaselineDialog(
        None, {"date": "2025-12-29", "targets": [], "non_targets": []}, lambda _b: None, first
    )
    qtbot.addWidget(saved)
    assert saved.date.value() == dt.date(2025, 12, 29)  # a saved baseline keeps its own date


@pytest.fixture
def walk_study(tmp_path: Path) -> Iterator[tuple[Store, DbWriter]]:
    """A study made by the first run (administrator, custodian pi), and an investigator ivan the
    administrator added with a one-time password."""
    from core.store.firstrun import Custodian, create_study_with_administrator
    from core.store.store import Store
    from desktop.tasks import DbWriter

    store = Store.open(tmp_path / "study.sqlite3", backup_daily=False)
    writer = DbWriter()
    try:
        keeper = Custodian("pi", "Dr. Pia Principal", "pia-own-password-7", "clinic-north-ca-phrase")
        create_study_with_administrator(
            store, username="admin", full_name="Alex Admin", password="admin-password-2026",
            protocol_id="IMM-1", title="Walk", site="Clinic North", custodian=keeper,
        )  # fmt: skip
        admin = store.authenticate("admin", "admin-password-2026")
        store.create_user(admin, "ivan", "Dr. Ivan Investigator", Role.INVESTIGATOR, "one-time-pass-1")
        yield store, writer
    finally:
        writer.shutdown()
        store.close()


def test_after_the_first_run_the_new_investigator_is_told_the_custodian(
    qtbot: QtBot, walk_study: tuple[Store, DbWriter], settings: QSettings
) -> None:
    """In a study made by the first run the CA's creation is logged under the administrator,
    so the notice fell back to "the site CA's custodian", with no name."""
    from desktop.screens.worksheets import WorksheetsScreen
    from desktop.session import Session

    store, writer = walk_study
    store.change_password("ivan", "one-time-pass-1", "ivan-own-password-5")
    ivan = Session(store, writer, store.authenticate("ivan", "ivan-own-password-5"), store.studies()[0])
    screen = WorksheetsScreen(ivan, settings=settings)
    qtbot.addWidget(screen)
    screen.refresh()
    assert "Dr. Pia Principal (pi)" in screen.info.text()
    assert "Alex Admin" not in screen.info.text()


def test_the_first_sign_in_names_who_will_check_the_new_key(
    qtbot: QtBot, walk_study: tuple[Store, DbWriter]
) -> None:
    """After choosing a password the investigator read "The CA custodian checks this number
    with you": not who, in a study whose custodian the first run named."""
    from desktop.dialogs.session_dialogs import LoginDialog

    store, writer = walk_study
    dialog = LoginDialog(store, writer, username="ivan")
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.password, "one-time-pass-1")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.changing, timeout=10000)
    QTest.keyClicks(dialog.new_password, "ivan-own-password-5")
    QTest.keyClicks(dialog.new_repeat, "ivan-own-password-5")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.actor is not None, timeout=20000)
    assert "The CA custodian, Dr. Pia Principal (pi), checks this number with you" in dialog.review
