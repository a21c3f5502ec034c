"""The coordinator's day without traps (issue 16): one test, or more, per trap,
each driven through the real window and failing on the code before the fix."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QLocale, QSettings, Qt
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from core.rules import Category
from desktop import flows
from desktop.main_window import NAV_KEYS
from tests.desktop.conftest import PASSWORD, Desk, days_ago
from tests.desktop.helpers import Questions, fill_custodian

if TYPE_CHECKING:
    from core.store.store import Store
    from desktop.dialogs.session_dialogs import FirstRunDialog


def open_code(desk: Desk, code: str) -> int:
    w = desk.window
    assert w.roster_screen.select_subject(code)
    pk = w.roster_screen.current_subject_pk()
    assert pk is not None
    w.open_subject(pk)
    return pk


def roster_row(desk: Desk, code: str):  # type: ignore[no-untyped-def]
    return next(r for r in desk.window.rows if r.subject_id == code)


def ics_events(text: str) -> list[dict[str, str]]:
    """The events of an .ics file, unfolded (RFC 5545 3.1), property name to value;
    a VALARM inside an event is recorded as the key "VALARM"."""
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n")), "a line is not folded"
    lines = text.replace("\r\n ", "").split("\r\n")
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            if line == "BEGIN:VALARM":
                current["VALARM"] = "yes"
            name, _, value = line.partition(":")
            current.setdefault(name.split(";")[0], value)
    return events


# ---------------------------------------------------------------------------
# 7. Reminders name what is due, with dates that are right everywhere


def test_reminders_say_biopsy_when_only_the_biopsy_is_pending(demo_desk: Desk, tmp_path: Path) -> None:
    w = demo_desk.window
    row = roster_row(demo_desk, "RCC-023")  # scan confirmed, the biopsy result still awaited
    reminder = next(m for m in w.reminders_screen.confirmations.rows() if m.subject_id == "RCC-023")
    assert "biopsy" in reminder.what.lower()
    assert "scan" not in reminder.what.lower()
    assert (reminder.opens, reminder.closes) == (None, None)  # no scan window shown for a biopsy
    assert row.next_due is not None
    assert "biopsy" in row.next_due.what
    assert "scan" not in row.next_due.what
    today = demo_desk.store.today()
    for r in w.rows:  # the roster's next due: never a past date unless it says overdue
        if r.next_due is not None and r.next_due.date < today:
            assert r.next_due.urgency == "overdue", r
            assert "overdue" in r.next_due.what, r

    path = w.flows.export_ics(w.rows, tmp_path / "due.ics")
    assert path is not None
    events = ics_events(path.read_bytes().decode("utf-8"))
    rcc = [e for e in events if e["SUMMARY"].startswith("RCC-023")]
    assert len(rcc) == 1
    assert "biopsy" in rcc[0]["SUMMARY"]
    assert "scan" not in rcc[0]["SUMMARY"]
    for e in events:  # single days, never a block across the window
        start, end = dt.date.fromisoformat(e["DTSTART"]), dt.date.fromisoformat(e["DTEND"])
        assert end - start == dt.timedelta(days=1), e
    scans = [m for m in w.reminders_screen.confirmations.rows() if m.opens and m.closes]
    assert scans
    for m in scans:  # the opening day, and the due day with an alarm
        mine = {e["DTSTART"]: e for e in events if e["SUMMARY"].startswith(f"{m.subject_id}:")}
        assert f"{m.opens:%Y%m%d}" in mine
        assert f"{m.closes:%Y%m%d}" in mine
        assert mine[f"{m.closes:%Y%m%d}"].get("VALARM") == "yes"


def test_ics_folds_long_lines_without_splitting_characters() -> None:
    from core.reminders import Reminder, to_ics

    long = Reminder(1, "MÉL-" + "é" * 60, "confirmation", "open", "Confirmatory biopsy result needed",
                    dt.date(2025, 9, 1), category="primary resistance", needs="biopsy")  # fmt: skip
    text = to_ics([long], protocol="P-1", stamp=dt.datetime(2025, 9, 1, tzinfo=dt.UTC))
    raw = text.encode("utf-8")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert "MÉL-" + "é" * 60 in text.replace("\r\n ", "")


# ---------------------------------------------------------------------------
# 2. Every action on a subject's screen acts on the subject on screen, and says which


def test_subject_actions_act_on_the_subject_on_screen(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = demo_desk.window
    other = open_code(demo_desk, "UC-013")
    w.show_roster()
    pk = open_code(demo_desk, "MEL-002")
    assert w.roster_screen.select_subject("UC-013")  # the roster's selection is another subject
    assert other != pk
    screen = w.subject_screen
    for key in ("worksheet", "edit", "delete", "print"):
        assert "MEL-002" in screen.tools[key].text() + screen.tools[key].toolTip(), key

    screen.tools["worksheet"].trigger()
    assert w.worksheets_screen.subject_pk == pk
    assert "MEL-002" in w.worksheets_screen.prepare_button.text()
    assert "MEL-002" in w.worksheets_screen.info.text()

    w.open_subject(pk)  # right after a visit is saved (the roster reloads, its selection goes)
    dialog = w.flows.add_visit(pk)
    dialog.date.set_value(days_ago(3))
    dialog.response.setCurrentIndex(dialog.response.findData("SD"))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    qtbot.waitUntil(lambda: not w.loading, timeout=10000)
    assert w.showing_subject()
    screen.tools["worksheet"].trigger()
    assert w.worksheets_screen.subject_pk == pk
    assert "MEL-002" in w.worksheets_screen.prepare_button.text()

    w.open_subject(pk)
    screen.tools["edit"].trigger()
    assert w.flows.last_dialog.subject_id.text() == "MEL-002"
    w.flows.last_dialog.done(0)
    asked: list[str] = []
    monkeypatch.setattr(flows, "ask_reason", lambda _parent, what: asked.append(what))
    screen.tools["delete"].trigger()
    assert asked
    assert "MEL-002" in asked[0]


# ---------------------------------------------------------------------------
# 3. The window fits 1366x768 on every screen, with the demo's longest names


def _longest_subject(desk: Desk) -> str:
    return max(desk.window.rows, key=lambda r: len(r.tumor_type) + len(r.agent) + len(r.setting)).subject_id


def test_window_fits_1366x768_with_the_longest_subject_open(qtbot: QtBot, demo_desk: Desk) -> None:
    w = demo_desk.window
    limit_w, limit_h = 1366 - 20, 768 - 80  # the frame, the title bar and a panel
    code = _longest_subject(demo_desk)
    pk = open_code(demo_desk, code)
    # the longest tumor name a coordinator could type, too
    s = demo_desk.session
    long_name = "poorly differentiated neuroendocrine carcinoma of the gastroesophageal junction " * 2
    s.write(
        lambda: s.store.update_subject(s.actor, pk, {"tumor_type": long_name.strip()}, "test"), None, None, pk
    )
    qtbot.waitUntil(lambda: long_name.strip() in w.subject_screen.details.text(), timeout=10000)
    for key in (*NAV_KEYS, "subject"):
        if key == "subject":
            w.open_subject(pk)
        else:
            getattr(w, f"show_{key}")()
        hint = w.minimumSizeHint()
        assert hint.width() <= limit_w, (key, hint)
        assert hint.height() <= limit_h, (key, hint)
    w.open_subject(pk)
    w.resize(limit_w, limit_h)
    qtbot.waitUntil(lambda: w.width() <= limit_w, timeout=5000)
    assert w.subject_screen.details.toolTip() == w.subject_screen.details.text()
    assert w.subject_screen.details.elided()  # shown cut, whole in the tooltip
    w.show_settings()  # the settings scroll down, never sideways
    scroll = w.settings_screen.findChild(QScrollArea)
    assert scroll is not None
    qtbot.waitUntil(lambda: scroll.viewport().width() > 0, timeout=5000)
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()


# ---------------------------------------------------------------------------
# 4. Dates typed as a user types them


def test_typed_iso_date_is_saved_as_typed(qtbot: QtBot, empty_desk: Desk) -> None:
    w = empty_desk.window
    dialog = w.flows.add_subject()
    dialog.subject_id.setText("MEL-201")
    dialog.tumor_type.setText("melanoma")
    edit = dialog.first_dose.edit
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select all
    qtbot.keyClicks(edit, "2025-09-01")
    assert dialog.first_dose.value() == dt.date(2025, 9, 1)
    assert dialog.fields()["first_dose"] == "2025-09-01"
    assert dialog.first_dose.hint.text().startswith(QLocale().dayName(1, QLocale.FormatType.ShortFormat))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    qtbot.waitUntil(lambda: w.showing_subject() and w.subject_screen.course is not None, timeout=10000)
    assert w.subject_screen.course.first_dose == dt.date(2025, 9, 1)

    visit = w.flows.add_visit(w.subject_screen.subject_pk)
    edit = visit.date.edit
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "2025-10-27")
    assert visit.fields()["date"] == "2025-10-27"
    assert "56 days after the first dose" in visit.date.hint.text()  # and the weekday before it
    # typing at the start of the field is not lost
    qtbot.keyClick(edit, Qt.Key.Key_Home)
    qtbot.keyClicks(edit, "x")
    assert edit.text() == "x2025-10-27"
    assert not visit.date.is_valid()
    assert "not a date" in visit.date.hint.text()
    assert not visit.buttons.button(visit.buttons.StandardButton.Save).isEnabled()
    qtbot.keyClick(edit, Qt.Key.Key_Home)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    assert visit.fields()["date"] == "2025-10-27"
    assert visit.date.button.menu() is not None  # the calendar pop-up is still there
    visit.done(0)


def test_locale_short_dates_are_understood() -> None:
    from desktop.widgets.forms import parse_date

    us, de = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates), QLocale(QLocale.Language.German)
    assert parse_date("9/1/25", us) == dt.date(2025, 9, 1)
    assert parse_date("9/1/2025", us) == dt.date(2025, 9, 1)
    assert parse_date("01.09.25", de) == dt.date(2025, 9, 1)
    assert parse_date("2025-09-01", de) == dt.date(2025, 9, 1)
    assert parse_date("2025-13-01", us) is None


# ---------------------------------------------------------------------------
# 5. A second visit on the same date asks first


def test_second_visit_on_a_date_asks_first(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = demo_desk.window
    pk = open_code(demo_desk, "MEL-001")
    taken = demo_desk.store.case(pk)["assessments"][-1]["date"]
    count = len(demo_desk.store.case(pk)["assessments"])
    questions = Questions(monkeypatch, QMessageBox.StandardButton.Cancel)
    asked = questions.asked
    dialog = w.flows.add_visit(pk)
    dialog.date.set_value(dt.date.fromisoformat(taken))
    dialog.response.setCurrentIndex(dialog.response.findData("SD"))
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    save.click()
    assert len(asked) == 1
    assert taken in asked[0]
    assert dialog.isVisible()  # cancelled: nothing saved, the dialog keeps what was typed
    assert save.isEnabled()
    assert len(demo_desk.store.case(pk)["assessments"]) == count
    questions.answer = QMessageBox.StandardButton.Save
    save.click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert len(demo_desk.store.case(pk)["assessments"]) == count + 1

    other = w.flows.add_visit(pk)  # a new date: no question
    other.date.set_value(dt.date.fromisoformat(taken) + dt.timedelta(days=1))
    other.response.setCurrentIndex(other.response.findData("SD"))
    other.buttons.button(other.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: other.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert len(asked) == 2  # the two saves of the first dialog only


# ---------------------------------------------------------------------------
# 1. First run: the study and its administrator together; a study file without a study


def test_first_run_with_an_empty_protocol_creates_nothing_and_asks_categories(
    qtbot: QtBot, first_run: tuple[Store, FirstRunDialog]
) -> None:
    store, dialog = first_run
    dialog.title.setText("New study")
    dialog.admin_name.setText("Ann Admin")
    dialog.password.setText("admin-pass-1 long enough")
    dialog.repeat.setText("admin-pass-1 long enough")
    fill_custodian(dialog, "a separate CA passphrase 7")
    dialog.submit()  # the protocol id is empty
    qtbot.waitUntil(lambda: not dialog.error.isHidden(), timeout=10000)
    assert not store.has_users()  # no administrator without its study
    dialog.protocol.setText("NEW-1")
    dialog.categories.boxes[Category.PRIMARY_RESISTANCE].setChecked(True)
    dialog.submit()  # OK again: not "only an administrator can create accounts"
    qtbot.waitUntil(lambda: dialog.choice == "study", timeout=10000)
    assert [s.protocol_id for s in store.studies()] == ["NEW-1"]
    assert store.studies()[0].enrolled_categories == '["primary_resistance"]'


def test_an_administrator_creates_the_study_of_a_file_without_one(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> None:
    from core.store.store import Store
    from core.store.users import Role
    from desktop.bootstrap import start
    from desktop.dialogs.session_dialogs import LoginDialog, NewStudyDialog
    from tests.desktop.test_startup import Answers, shell, sign_in_as

    db = tmp_path / "nostudy.sqlite3"
    with Store.open(db) as store:
        store.create_user(None, "admin", "Ann Admin", Role.ADMINISTRATOR, PASSWORD)

    def create(dialog: QDialog) -> None:
        assert isinstance(dialog, NewStudyDialog)
        dialog.protocol.setText("LATE-1")
        dialog.title.setText("A study created in the window")
        dialog.categories.boxes[Category.SECONDARY_RESISTANCE].setChecked(True)
        dialog.submit()

    answers = Answers()
    answers.on(LoginDialog, sign_in_as("admin"))
    answers.on(NewStudyDialog, create)
    window = shell(qtbot, settings)
    try:
        start(db, settings, window)
        qtbot.waitUntil(lambda: window.attached and not window.loading, timeout=20000)
    finally:
        answers.stop()
    assert answers.seen == ["LoginDialog", "NewStudyDialog"]
    assert window.session.study.protocol_id == "LATE-1"
    assert window.session.study.enrolled_categories == '["secondary_resistance"]'
    window.close()


# ---------------------------------------------------------------------------
# 6. Categories not configured; settings that change a worksheet supersede its draft


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    f = tmp_path / "w.pdf"
    f.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(f), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.replace("\ufb01", "fi").replace("\ufb02", "fl").split())


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_a_new_study_worksheet_says_categories_not_configured(
    qtbot: QtBot, empty_desk: Desk, tmp_path: Path
) -> None:
    w, s = empty_desk.window, empty_desk.session
    admin = empty_desk.store.authenticate  # the study's administrator empties the categories
    s.write(lambda: s.store.update_study(admin("admin", PASSWORD), s.study_id,
                                         {"enrolled_categories": []}, "not decided yet"))  # fmt: skip
    qtbot.waitUntil(lambda: not empty_desk.writer.busy, timeout=10000)
    s.reload_study()
    w.show_settings()  # the settings say what an empty choice means
    assert w.settings_screen.no_categories.isVisibleTo(w.settings_screen)
    w.settings_screen.enrolled[Category.PRIMARY_RESISTANCE].setChecked(True)
    assert not w.settings_screen.no_categories.isVisibleTo(w.settings_screen)
    w.settings_screen.refresh()
    dialog = w.flows.add_subject()
    dialog.subject_id.setText("MEL-301")
    dialog.tumor_type.setText("melanoma")
    dialog.first_dose.set_value(days_ago(200))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: w.showing_subject() and w.subject_screen.course is not None, timeout=10000)
    w.subject_screen.tools["worksheet"].trigger()
    w.worksheets_screen.prepare(tmp_path / "draft.pdf")
    qtbot.waitUntil(lambda: (tmp_path / "draft.pdf").exists(), timeout=20000)
    text = _pdf_text((tmp_path / "draft.pdf").read_bytes(), tmp_path)
    assert "CATEGORIES NOT CONFIGURED" in text
    assert "NOT ELIGIBLE" not in text


def test_settings_that_change_a_worksheet_supersede_its_draft(
    qtbot: QtBot, demo_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.screens import settings as settings_module

    w = demo_desk.window
    monkeypatch.setattr(settings_module, "ask_reason", lambda *_a: "protocol amendment 3")
    for code in ("RCC-009", "MEL-001"):
        w.show_worksheets(open_code(demo_desk, code))
        count = w.worksheets_screen.model.rowCount()
        w.worksheets_screen.prepare(tmp_path / f"{code}.pdf")
        qtbot.waitUntil(lambda count=count: w.worksheets_screen.model.rowCount() == count + 1, timeout=20000)

    def superseded() -> dict[str, bool]:
        w.worksheets_screen.refresh()
        return {r.subject_id: r.superseded for r in w.worksheets_screen.model.rows()}

    assert superseded() == {"RCC-009": False, "MEL-001": False}
    w.show_settings()
    w.settings_screen.params["benefit_days"].setValue(300)  # type: ignore[attr-defined]
    w.settings_screen.save.click()  # RCC-009 becomes primary resistance; MEL-001 does not change
    qtbot.waitUntil(lambda: demo_desk.session.ruleset.overrides == {"benefit_days": 300}, timeout=10000)
    # RCC-009's classification changed; MEL-001's did not, but its worksheet prints every rule
    # parameter, so both drafts are out of date (the signatures' settings fingerprint)
    assert superseded() == {"RCC-009": True, "MEL-001": True}
    boxes = w.settings_screen.enrolled
    first = next(iter(boxes))
    boxes[first].setChecked(not boxes[first].isChecked())  # the eligibility statement changes
    w.settings_screen.save.click()
    qtbot.waitUntil(lambda: superseded() == {"RCC-009": True, "MEL-001": True}, timeout=10000)
    qtbot.waitUntil(lambda: not demo_desk.writer.busy, timeout=10000)


# ---------------------------------------------------------------------------
# 8. Words a coordinator uses; every problem of a dialog at once, the fields outlined

INTERNAL = re.compile(r"protocol_id|NON_CR_NON_PD|non_target|not_required|_account|#None|first_dose")


def _shown_text(widget: QWidget) -> str:
    """Everything a widget tree shows in words: labels, buttons, combo items, tables, browsers."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QComboBox, QTextBrowser

    parts: list[str] = []
    for w in [widget, *widget.findChildren(QWidget)]:
        if isinstance(w, QLabel | QAbstractButton):
            parts.append(w.text())
        elif isinstance(w, QComboBox):
            parts += [w.itemText(k) for k in range(w.count())]
        elif isinstance(w, QTextBrowser):
            parts.append(w.toPlainText())
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            for row in range(min(model.rowCount(), 200)):
                parts += [str(model.index(row, col).data() or "") for col in range(model.columnCount())]
    return "\n".join(parts)


def test_no_internal_names_on_screen(qtbot: QtBot, demo_desk: Desk) -> None:
    w = demo_desk.window
    open_code(demo_desk, "NSCLC-028")  # a baseline with non-targets, NON_CR_NON_PD responses
    screens = [w.subject_screen, w.roster_screen]
    dialog = w.flows.add_visit(w.subject_screen.subject_pk)
    screens.append(dialog)
    baseline = w.flows.edit_baseline(w.subject_screen.subject_pk)
    screens.append(baseline)
    for code in ("MEL-001", "RCC-023"):
        open_code(demo_desk, code)
        screens.append(w.subject_screen)
    w.show_audit()  # a record of stored values: its names and records in words, values as stored
    audit = "\n".join(f"{w.audit_screen.model.index(r, 4).data()} {w.audit_screen.model.index(r, 5).data()}"
                       for r in range(w.audit_screen.model.rowCount()))  # fmt: skip
    assert not re.findall(r"#None|user_account|first_dose=|subject_id=", audit)
    w.show_worksheets()
    screens.append(w.worksheets_screen)
    for screen in screens:
        found = INTERNAL.findall(_shown_text(screen))
        assert not found, (type(screen).__name__, found)
    dialog.done(0)
    baseline.done(0)


def test_all_problems_of_a_dialog_at_once_with_the_fields_outlined(
    qtbot: QtBot, first_run: tuple[Store, FirstRunDialog]
) -> None:
    store, dialog = first_run
    dialog.admin_name.setText("")
    dialog.password.setText("pw-1")
    dialog.repeat.setText("pw-2")
    dialog.submit()
    text = dialog.error.text()
    for words in ("Protocol id", "Study title", "Administrator's printed name", "Administrator's password"):
        assert words in text, text
    assert "protocol_id" not in text
    assert set(dialog.error.marked_fields) == {
        "protocol_id",
        "title",
        "full_name",
        "password",
        "custodian_username",
        "custodian_full_name",
        "custodian_password",
        "ca_passphrase",
    }
    assert "border" in dialog.protocol.styleSheet()
    assert "border" not in dialog.admin.styleSheet()
    dialog.protocol.setText("P-9")
    dialog.title.setText("T")
    dialog.admin_name.setText("Ann Admin")
    dialog.repeat.setText("pw-1")
    fill_custodian(dialog, "a separate CA passphrase 7")
    dialog.submit()  # only the password policy is left
    assert dialog.error.marked_fields == ["password"]
    assert "border" not in dialog.protocol.styleSheet()
    assert not store.has_users()


def test_subject_dialog_shows_every_problem(qtbot: QtBot, empty_desk: Desk) -> None:
    dialog = empty_desk.window.flows.add_subject()
    dialog.first_dose.edit.setText("2025-02-30")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    text = dialog.error.text()
    for words in ("Subject id", "Tumor type", "First dose"):
        assert words in text, text
    assert set(dialog.error.marked_fields) == {"subject_id", "tumor_type", "first_dose"}
    assert "border" in dialog.first_dose.edit.styleSheet()
    assert not empty_desk.store.all_rows(empty_desk.session.study_id)
    dialog.done(0)


# ---------------------------------------------------------------------------
# 9. Unsaved changes, a status message after each save and export, remembered folders


def test_closing_a_half_filled_visit_asks_first(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.widgets import forms

    w = demo_desk.window
    pk = open_code(demo_desk, "MEL-001")
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.Cancel]

    def question(_parent: object, _title: str, text: str, *_a: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(forms.QMessageBox, "question", question)
    untouched = w.flows.add_visit(pk)
    untouched.reject()  # nothing typed: closes without a question
    assert asked == []
    assert untouched.result() == QDialog.DialogCode.Rejected

    dialog = w.flows.add_visit(pk)
    qtbot.keyClicks(dialog.notes, "new lesion in the liver?")
    dialog.close()  # the window's close button
    assert len(asked) == 1
    assert "MEL-001" in asked[0]
    assert dialog.isVisible()  # kept, with what was typed
    assert dialog.notes.toPlainText() == "new lesion in the liver?"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert len(asked) == 2
    assert dialog.isVisible()
    answer[0] = QMessageBox.StandardButton.Discard
    dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
    assert not dialog.isVisible()

    subject = w.flows.add_subject()
    subject.show()
    qtbot.keyClicks(subject.subject_id, "MEL-777")
    answer[0] = QMessageBox.StandardButton.Cancel
    subject.reject()
    assert subject.isVisible()
    assert len(asked) == 4  # the subject dialog asked too
    assert "subject" in asked[-1]


def test_a_status_message_after_each_save(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.screens import settings as settings_module

    w = demo_desk.window
    bar = w.statusBar()
    pk = open_code(demo_desk, "MEL-001")
    dialog = w.flows.add_visit(pk)
    dialog.date.set_value(days_ago(1))
    dialog.response.setCurrentIndex(dialog.response.findData("SD"))
    bar.clearMessage()
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: "saved" in bar.currentMessage(), timeout=10000)
    assert "MEL-001" in bar.currentMessage()
    qtbot.waitUntil(lambda: not w.loading, timeout=10000)
    assert "MEL-001" in bar.currentMessage()  # the roster reload does not hide it
    bar.clearMessage()
    monkeypatch.setattr(settings_module, "ask_reason", lambda *_a: "amendment")
    w.show_settings()
    w.settings_screen.sponsor.setText("Another sponsor")
    w.settings_screen.save.click()
    qtbot.waitUntil(lambda: bar.currentMessage() == "Study settings saved.", timeout=10000)


def test_file_dialogs_start_in_documents_and_remember_the_folder_per_kind(
    qtbot: QtBot, demo_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.widgets import files

    w = demo_desk.window
    asked: list[str] = []
    answers = {"cases": tmp_path / "cases" / "out.json", "calendar": tmp_path / "cal" / "r.ics"}
    for path in answers.values():
        path.parent.mkdir()

    def save(_parent: object, title: str, start: str, _pattern: str) -> tuple[str, str]:
        asked.append(start)
        return str(answers["calendar" if "reminders" in title.lower() else "cases"]), ""

    monkeypatch.setattr(files.QFileDialog, "getSaveFileName", save)
    docs = files.documents_folder()
    w.export_cases()
    assert Path(asked[-1]).parent == docs  # not the program's working folder
    assert Path(asked[-1]).parent != Path.cwd() or docs == Path.cwd()
    qtbot.waitUntil(lambda: "Case files saved" in w.statusBar().currentMessage(), timeout=10000)
    w.export_ics()
    assert Path(asked[-1]).parent == docs  # another kind of file: its own folder
    qtbot.waitUntil(lambda: "Reminders saved" in w.statusBar().currentMessage(), timeout=10000)
    w.export_cases()
    assert Path(asked[-1]).parent == answers["cases"].parent  # remembered
    w.export_ics()
    assert Path(asked[-1]).parent == answers["calendar"].parent
    assert w.settings.value("folders/cases") == str(answers["cases"].parent)


# ---------------------------------------------------------------------------
# 10. Open study, recent studies, sign out, About, print, column chooser, context menus,
#     the baseline on the subject screen, and how-to help for every screen


def test_open_another_study_and_recent_studies(
    qtbot: QtBot, demo_desk: Desk, empty_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.dialogs.session_dialogs import LoginDialog
    from desktop.main_window import recent_studies
    from desktop.widgets import files
    from tests.desktop.conftest import _copy
    from tests.desktop.test_startup import Answers, sign_in_as

    w = demo_desk.window
    demo_path = Path(demo_desk.store.path).resolve()
    assert recent_studies(w.settings) == [demo_path]
    other = _copy(empty_template, tmp_path / "other.sqlite3")
    monkeypatch.setattr(files.QFileDialog, "getOpenFileName", lambda *_a: (str(other), ""))
    answers = Answers()
    answers.on(LoginDialog, sign_in_as("coord"))
    try:
        new = w.open_study()
        assert new is not None  # deletes itself on close (not handed to qtbot)
        qtbot.waitUntil(lambda: new.attached and not new.loading, timeout=20000)
    finally:
        answers.stop()
    assert new.session.study.protocol_id == "P-1"
    assert new.session.actor.username == "coord"
    assert recent_studies(new.settings) == [other.resolve(), demo_path]
    new.recent_menu.aboutToShow.emit()
    assert [a.text() for a in new.recent_menu.actions()] == ["other.sqlite3", "demo.sqlite3"]
    assert "P-1" in new.about_text()
    assert str(new.session.store.path) in new.about_text()
    assert "SITC-2020" in new.about_text()
    new.close()


def test_sign_out_and_switch_user(qtbot: QtBot, demo_desk: Desk) -> None:
    from desktop.dialogs.session_dialogs import LoginDialog
    from tests.desktop.test_startup import Answers, sign_in_as

    w = demo_desk.window
    assert w.action_map["sign_out"].text().replace("&", "").startswith("Sign out")
    answers = Answers()
    answers.on(LoginDialog, sign_in_as("investigator"))
    try:
        new = w.sign_out()
        assert new is not None  # deletes itself on close (not handed to qtbot)
        qtbot.waitUntil(lambda: new.attached and not new.loading, timeout=20000)
    finally:
        answers.stop()
    assert not w.isVisible()
    assert new.session.actor.username == "investigator"
    assert new.session.study.protocol_id == demo_desk.session.study.protocol_id
    new.close()


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_print_the_subject_summary_with_its_baseline(qtbot: QtBot, demo_desk: Desk, tmp_path: Path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    w = demo_desk.window
    pk = open_code(demo_desk, "NSCLC-028")
    screen = w.subject_screen
    baseline = demo_desk.store.case(pk)["baseline"]
    total = sum(Decimal(str(t["mm"])) for t in baseline["targets"])
    shown = screen.baseline.toPlainText()
    assert f"Sum of target diameters: {total} mm" in shown
    for t in baseline["targets"]:
        assert t["id"] in shown
    assert w.action_map["print_subject"].isEnabled()
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "summary.pdf"))
    assert w.print_subject(printer=printer)
    text = _pdf_text((tmp_path / "summary.pdf").read_bytes(), tmp_path)
    assert "NSCLC-028" in text
    assert f"Sum of target diameters: {total} mm" in text
    assert "Classification" in text
    qtbot.waitUntil(lambda: not demo_desk.writer.busy, timeout=10000)
    assert demo_desk.store.audit_events(limit=1)[0].action == "print"


def test_roster_column_chooser_and_row_context_menu(qtbot: QtBot, demo_desk: Desk) -> None:
    from desktop.screens.roster import COL_AGENT, COL_SUBJECT

    w = demo_desk.window
    roster = w.roster_screen
    header = roster.table.horizontalHeader()
    menu = roster.column_menu()
    agent = next(a for a in menu.actions() if a.text() == "Agent")
    assert agent.isChecked()
    agent.setChecked(False)
    assert header.isSectionHidden(COL_AGENT)
    assert not next(a for a in menu.actions() if a.text() == "Subject").isEnabled()
    assert not header.isSectionHidden(COL_SUBJECT)

    assert roster.select_subject("MEL-001")
    rect = roster.table.visualRect(roster.table.currentIndex())
    row_menu = roster.row_menu(rect.center())
    texts = [a.text() for a in row_menu.actions()]
    assert "Open MEL-001" in texts
    assert "Worksheet for MEL-001…" in texts
    next(a for a in row_menu.actions() if a.text() == "Worksheet for MEL-001…").trigger()
    assert w.worksheets_screen.subject_pk == roster.current_subject_pk()
    assert w.stack.currentWidget() is w.worksheets_screen

    pk = open_code(demo_desk, "MEL-001")
    table = w.subject_screen.table
    table.selectRow(0)
    visit_menu = w.subject_screen.visit_menu(table.visualRect(table.model().index(0, 0)).center())
    assert any(a.text().startswith("Edit the visit of") for a in visit_menu.actions())
    assert pk == w.subject_screen.subject_pk


def test_help_says_how_to_use_every_screen(demo_desk: Desk) -> None:
    w = demo_desk.window
    w.show_help()
    text = w.help_screen.browser.toPlainText()
    for heading in ("Roster", "subject's screen", "Reminders", "Worksheets", "Audit log", "Study settings",
                    "Users", "File menu"):  # fmt: skip
        assert (
            f"How to use the {heading}" in text
            or f"How to use {heading}" in text
            or (f"How to use a {heading}" in text)
        ), heading
