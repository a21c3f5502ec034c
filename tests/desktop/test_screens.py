"""Every screen and dialog, through its widgets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from core.rules import Category
from core.store.store import Store
from desktop import flows
from desktop.dialogs.session_dialogs import FirstRunDialog, LoginDialog
from desktop.screens import settings as settings_module
from desktop.screens import users as users_module
from desktop.tasks import DbWriter
from tests.desktop.conftest import PASSWORD, Desk
from tests.desktop.helpers import fill_custodian


def open_code(desk: Desk, code: str) -> int:
    w = desk.window
    assert w.roster_screen.select_subject(code)
    pk = w.roster_screen.current_subject_pk()
    assert pk is not None
    w.open_subject(pk)
    return pk


def test_window_title_says_demo_and_user(demo_desk: Desk) -> None:
    w = demo_desk.window
    assert "DEMO" in w.windowTitle()
    assert "DEMO-PD1-R" in w.windowTitle()
    assert "Avery Admin" in w.status_user.text()


def test_subject_screen_shows_roles_classification_timeline_and_spider(demo_desk: Desk) -> None:
    open_code(demo_desk, "MEL-005")  # pseudoprogression
    screen = demo_desk.window.subject_screen
    roles = [screen.visits.row_at(r).role for r in range(screen.visits.rowCount())]
    assert roles[:2] == ["PD later refuted", "Refutes the PD (pseudoprogression)"]
    # Caveats as human labels, the rule-set version named (C16); the code stays in JSON only.
    assert "Pseudoprogression: a progression was refuted" in screen.panel.toPlainText()
    assert "PSEUDOPROGRESSION_REFUTED" not in screen.panel.toPlainText()
    assert "SITC-2020 v2" in screen.panel.toPlainText()
    assert screen.result is not None
    assert screen.result.category is Category.NO_PROGRESSION
    assert screen.spider.points == []
    open_code(demo_desk, "MEL-029")  # lesion-measured
    assert len(screen.spider.points) == 5
    assert screen.spider.points[0][1] == pytest.approx(-10.77, abs=0.01)  # 58 mm against 65 mm
    assert "Rule set SITC-2020 v2" in screen.panel.toPlainText()
    image = screen.timeline.grab().toImage()
    assert image.width() > 300  # painted at its real size


def test_visit_dialog_computes_recist_as_the_coordinator_types(demo_desk: Desk) -> None:
    pk = open_code(demo_desk, "NSCLC-028")
    dialog = demo_desk.window.flows.add_visit(pk)
    assert set(dialog.target_inputs) == {"T1", "T2"}
    dialog.target_inputs["T1"].setText("18")
    dialog.target_inputs["T2"].setText("9")
    text = dialog.preview_label.text()
    assert "Sum 27.0 mm" in text
    assert "PR" in text
    dialog.response.setCurrentIndex(dialog.response.findData("SD"))
    assert "recorded response differs from the measurements" in dialog.preview_label.text()
    dialog.target_inputs["T1"].setText("-4")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    assert "T1" in dialog.error.text()
    dialog.done(0)  # close without the unsaved-changes question


def test_baseline_dialog_sets_lesions(qtbot: QtBot, empty_desk: Desk) -> None:
    s = empty_desk.session
    done: list[int] = []
    fields = {"subject_id": "L-1", "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
              "first_dose": "2025-01-06"}  # fmt: skip
    s.write(lambda: s.store.add_subject(s.actor, s.study_id, fields), done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    dialog = empty_desk.window.flows.edit_baseline(done[0])
    dialog._add_clicked("t")
    lid, _kind, organ, _nodal, mm = dialog.rows[0]
    organ.setText("liver")
    mm.setText("8")  # too small for a target
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert "T1" in dialog.error.text()
    mm.setText("25")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert s.store.case(done[0])["baseline"]["targets"][0]["id"] == lid.text()


def test_subject_dialog_refuses_bad_input_inline(qtbot: QtBot, empty_desk: Desk) -> None:
    dialog = empty_desk.window.flows.add_subject()
    dialog.subject_id.setText("BAD-1")
    dialog.tumor_type.setText("")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert "Tumor type" in dialog.error.text()
    assert dialog.isVisible()
    assert not empty_desk.store.all_rows(empty_desk.session.study_id)
    dialog.done(0)  # close without the unsaved-changes question


def test_edit_and_delete_subject_with_reason(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    pk = open_code(demo_desk, "MCC-021")
    monkeypatch.setattr(flows, "ask_reason", lambda *_a: "data entry correction")
    dialog = demo_desk.window.flows.edit_subject(pk)
    dialog.tumor_type.setText("Merkel cell carcinoma, skin")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert demo_desk.store.case(pk)["tumor_type"] == "Merkel cell carcinoma, skin"
    demo_desk.window.flows.delete_subject(pk, demo_desk.window.show_roster)
    qtbot.waitUntil(
        lambda: not demo_desk.window.roster_screen.select_subject("MCC-021") and not demo_desk.window.loading,
        timeout=10000,
    )
    assert demo_desk.store.audit_events(limit=1)[0].reason == "data entry correction"


def test_reminders_screen_and_calendar_export(qtbot: QtBot, demo_desk: Desk, tmp_path: Path) -> None:
    screen = demo_desk.window.reminders_screen
    urgencies = [m.urgency for m in screen.confirmations.rows()]
    assert urgencies == sorted(urgencies, key=["overdue", "open", "not_yet_open"].index)
    assert screen.counts() == (1, 5)
    assert "1 overdue" in demo_desk.window.nav.item(1).text()
    screen.days.setValue(365)
    assert screen.thresholds.rowCount() > 0
    path = demo_desk.window.flows.export_ics(demo_desk.window.rows, tmp_path / "due.ics")
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR")
    pending = screen.confirmations.rows()  # a scan window: its opening day and its due day
    assert text.count("BEGIN:VEVENT") == sum(2 if m.opens else 1 for m in pending)
    assert "NSCLC-003" in text
    qtbot.waitUntil(lambda: not demo_desk.writer.busy, timeout=10000)
    assert demo_desk.store.audit_events(limit=1)[0].action == "export"


def test_audit_screen_filters_and_verifies(demo_desk: Desk) -> None:
    w = demo_desk.window
    w.show_audit()
    screen = w.audit_screen
    assert screen.model.rowCount() > 100
    screen.subject.setText("MEL-001")
    screen.first_page()
    assert 0 < screen.model.rowCount() < 20
    screen.verify()
    assert "intact" in screen.verdict.text()


def test_audit_screen_subject_filter_pages_escapes_and_exports(
    qtbot: QtBot, demo_desk: Desk, tmp_path: Path
) -> None:
    store, actor = demo_desk.store, demo_desk.session.actor
    pk = store.subject_pk(demo_desk.session.study_id, "NSCLC-028")
    rows = store.subject_rows(pk)
    measured = next(a for a in rows.assessments if a.id in rows.measurements)
    fields = store.case(pk)["assessments"]
    visit = next(v for v in fields if v["date"] == measured.date.isoformat())
    forged = "typo\n999\t2026-01-01T00:00:00\tinvestigator\tsign worksheet#1"
    demo_desk.writer.submit(
        lambda: store.update_assessment(actor, measured.id or 0, {**visit, "ecog": 2}, forged)
    )
    qtbot.waitUntil(lambda: not demo_desk.writer.busy, timeout=10000)
    w = demo_desk.window
    w.show_audit()
    screen = w.audit_screen
    screen.subject.setText("NSCLC-028")
    screen.first_page()
    shown = screen.model.rows()
    assert {r.subject for r in shown} == {"NSCLC-028"}
    assert {"subject", "course", "assessment", "measurement", "baseline_lesion"} <= {r.entity for r in shown}
    assert any(r.action == "update" for r in shown)  # updates are no longer hidden
    headers = [
        screen.model.headerData(c, Qt.Orientation.Horizontal) for c in range(screen.model.columnCount())
    ]
    assert "Subject" in headers
    reason_col = headers.index("Reason")
    shown_reason = screen.model.data(screen.model.index(len(shown) - 1, reason_col))
    assert "\n" not in str(shown_reason)
    assert "\\n999" in str(shown_reason)
    assert screen.showing.text().startswith(f"showing 1-{len(shown)} of {len(shown)}")
    screen.subject.setText("")
    screen.first_page()
    assert screen.page is not None
    assert screen.page.total > len(screen.page.rows) or screen.page.total <= 500
    assert "of" in screen.showing.text()
    screen.subject.setText("NSCLC-028")
    screen.first_page()
    csv_path = screen.export_csv(tmp_path / "trail.csv")
    pdf_path = screen.export_pdf(tmp_path / "trail.pdf")
    assert csv_path is not None
    assert pdf_path is not None
    text = csv_path.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("id,when_utc,user")
    assert len(text.splitlines()) == len(shown) + 1  # escaped: one line per event
    assert pdf_path.read_bytes().startswith(b"%PDF")
    qtbot.waitUntil(lambda: not demo_desk.writer.busy, timeout=10000)
    assert store.audit_events(limit=1)[0].action == "export"


def test_settings_screen_override_reclassifies(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = demo_desk.window
    w.show_settings()
    screen = w.settings_screen
    before = {r.subject_id: r.category for r in w.rows}
    assert before["RCC-009"] is Category.SECONDARY_RESISTANCE  # PD at day 252
    screen.params["benefit_days"].setValue(300)  # type: ignore[attr-defined]
    monkeypatch.setattr(settings_module, "ask_reason", lambda *_a: "protocol amendment 2")
    screen.save.click()
    qtbot.waitUntil(lambda: demo_desk.session.ruleset.overrides == {"benefit_days": 300}, timeout=10000)
    qtbot.waitUntil(
        lambda: (
            not w.loading
            and {r.subject_id: r.category for r in w.rows}["RCC-009"] is Category.PRIMARY_RESISTANCE
        ),
        timeout=10000,
    )
    screen.params["confirm_min_days"].setValue(90)  # type: ignore[attr-defined]
    screen.save.click()
    qtbot.waitUntil(lambda: screen.error.isVisible(), timeout=10000)
    assert "Confirmation window opens (days after PD)" in screen.error.text()


def test_users_screen_adds_a_user(qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    w = demo_desk.window
    w.show_users()
    screen = w.users_screen
    assert screen.model.rowCount() == 3
    dialogs: list[users_module.NewUserDialog] = []
    monkeypatch.setattr(users_module.NewUserDialog, "open", lambda self: dialogs.append(self))
    screen.add_user()
    d = dialogs[0]
    d.username.setText("nurse1")
    d.full_name.setText("Nora Nurse")
    d.password.setText("nurse-password")
    d.repeat.setText("nurse-password")
    d.buttons.accepted.emit()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 4, timeout=10000)


def test_users_screen_is_hidden_from_non_administrators(empty_desk: Desk) -> None:
    w = empty_desk.window
    assert w.nav.item(5).isHidden()
    assert not w.action_map["users"].isEnabled()


def test_help_shows_rules_interpretations_and_caveats(demo_desk: Desk) -> None:
    demo_desk.window.show_help()
    text = demo_desk.window.help_screen.browser.toPlainText()
    for needle in ("I-1", "I-5", "Table 4", "PSEUDOPROGRESSION_REFUTED", "benefit_days"):
        assert needle in text


def test_login_dialog(qtbot: QtBot, demo_template: Path, tmp_path: Path) -> None:
    from tests.desktop.conftest import _copy

    store = Store.open(_copy(demo_template, tmp_path / "d.sqlite3"), backup_daily=False)
    writer = DbWriter()
    try:
        dialog = LoginDialog(store, writer)
        qtbot.addWidget(dialog)
        dialog.username.setText("coordinator")
        dialog.password.setText("not-it")
        dialog.submit()
        qtbot.waitUntil(lambda: not dialog.error.isHidden(), timeout=10000)
        assert "wrong user id or password" in dialog.error.text().lower()
        dialog.password.setText(PASSWORD)
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.actor is not None, timeout=10000)
        assert dialog.actor is not None
        assert dialog.actor.username == "coordinator"
    finally:
        writer.shutdown()
        store.close()


def test_first_run_creates_a_study_with_its_administrator(
    qtbot: QtBot, first_run: tuple[Store, FirstRunDialog]
) -> None:
    store, dialog = first_run
    dialog.protocol.setText("NEW-1")
    dialog.title.setText("New study")
    dialog.admin_name.setText("Ann Admin")
    dialog.password.setText("admin-pass-1")
    dialog.repeat.setText("admin-pass-2")
    dialog.submit()
    assert "differ" in dialog.error.text()
    dialog.repeat.setText("admin-pass-1")
    fill_custodian(dialog, "ca-passphrase-of-site")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.choice == "study", timeout=10000)
    assert [s.protocol_id for s in store.studies()] == ["NEW-1"]
    assert store.authenticate("admin", "admin-pass-1").full_name == "Ann Admin"
    from core.store.site_keys import has_site_ca

    assert has_site_ca(store)  # under the CA passphrase, never the administrator's password


def test_first_run_opens_the_demo(
    qtbot: QtBot, first_run: tuple[Store, FirstRunDialog], tmp_path: Path
) -> None:
    _store, dialog = first_run
    dialog.demo.setChecked(True)
    dialog.demo_password.setText("demo-pass-phrase-1")
    dialog.demo_repeat.setText("demo-pass-phrase-1")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.choice == "demo", timeout=20000)
    with Store.open(tmp_path / "demo.sqlite3") as demo:
        assert demo.studies()[0].is_demo


def test_window_geometry_and_columns_are_remembered(qtbot: QtBot, demo_desk: Desk, settings: object) -> None:
    w = demo_desk.window
    w.roster_screen.table.setColumnWidth(1, 333)
    w.close()
    assert w.settings.value("roster/header-12") is not None
    assert w.settings.value("window/geometry") is not None


def test_every_action_has_a_handler(demo_desk: Desk) -> None:
    from desktop.actions import ACTIONS

    for spec in ACTIONS:
        assert callable(getattr(demo_desk.window, spec.handler)), spec.key
    assert json.dumps([a.key for a in ACTIONS])
    assert isinstance(demo_desk.window.screens["roster"], QWidget)


def test_import_and_export_case_files(
    qtbot: QtBot, empty_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.paths import resource

    told: list[str] = []
    monkeypatch.setattr(flows.SubjectFlows, "_tell", lambda self, message: told.append(message))
    files = [
        Path(str(resource("examples", "cases", f"{n}.json")))
        for n in ("primary-confirmed", "pseudoprogression")
    ]
    empty_desk.window.flows.import_cases(files)
    qtbot.waitUntil(lambda: bool(told), timeout=10000)
    assert told == ["Imported 2 subject(s)."]
    qtbot.waitUntil(lambda: not empty_desk.window.loading and len(empty_desk.window.rows) == 2, timeout=10000)
    out = empty_desk.window.flows.export_cases(tmp_path / "out.json")
    assert out is not None
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(c["subject_id"] for c in exported) == ["primary-confirmed", "pseudoprogression"]


def test_cancelled_import_from_the_gui_imports_nothing(
    qtbot: QtBot, empty_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.store import Cancelled

    errors: list[BaseException] = []
    monkeypatch.setattr(flows.SubjectFlows, "_report", lambda self, exc: errors.append(exc))
    monkeypatch.setattr(
        flows.SubjectFlows, "_tell", lambda self, message: errors.append(AssertionError(message))
    )
    many = [{"subject_id": f"C-{k}", "tumor_type": "melanoma", "setting": "advanced", "regimen": "monotherapy",
             "first_dose": "2025-01-06", "assessments": []} for k in range(300)]  # fmt: skip
    f = tmp_path / "many.json"
    f.write_text(json.dumps(many), encoding="utf-8")
    empty_desk.window.flows.import_cases([f])
    empty_desk.window.flows.last_progress.canceled.emit()  # what the Cancel button emits
    qtbot.waitUntil(lambda: bool(errors), timeout=20000)
    assert isinstance(errors[0], Cancelled)
    assert empty_desk.store.all_rows(empty_desk.session.study_id) == []


def test_import_roster_csv_reports_rejected_rows(
    qtbot: QtBot, empty_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop import flows as flows_module

    warnings: list[str] = []
    monkeypatch.setattr(flows_module.QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    f = tmp_path / "roster.csv"
    f.write_text("subject_id,tumor_type,setting,regimen,first_dose\nR-1,melanoma,advanced,monotherapy,2025-01-06\n"
                 "R-2,melanoma,advanced,mono,2025-01-06\n", encoding="utf-8")  # fmt: skip
    empty_desk.window.flows.import_roster(f)
    qtbot.waitUntil(lambda: bool(warnings), timeout=10000)
    assert "line 3: regimen" in warnings[0]
    assert empty_desk.store.all_rows(empty_desk.session.study_id) == []


def test_prepare_sign_and_verify_a_worksheet_from_the_gui(
    qtbot: QtBot, investigator_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.screens import worksheets as ws_module

    monkeypatch.setattr(ws_module.QMessageBox, "open", lambda self: None)
    desk = investigator_desk
    w = desk.window
    pk = open_code(desk, "MEL-001")
    w.subject_screen.tools["worksheet"].trigger()
    screen = w.worksheets_screen
    assert screen.subject_pk == pk
    assert screen.prepare_button.isEnabled()
    offered: list[str] = []

    def save_as(_parent: object, _settings: object, _kind: str, _title: str, name: str, _p: str) -> Path:
        offered.append(name)  # the name the save dialog offers, as a coordinator files it
        return tmp_path / "draft.pdf"

    monkeypatch.setattr(ws_module, "save_path", save_as)
    screen.prepare()
    qtbot.waitUntil(lambda: (tmp_path / "draft.pdf").exists(), timeout=20000)
    assert screen.model.rowCount() == 1
    row = screen.model.row_at(0)
    assert row.status == "draft"
    assert offered == [f"MEL-001_{row.document_id}-DRAFT.pdf"]
    screen.view.selectRow(0)
    assert screen.sign_button.isEnabled()
    dialog = screen.sign(tmp_path / "signed.pdf")
    assert dialog is not None
    dialog.password.setText("wrong-password")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not dialog.error.isHidden(), timeout=20000)
    assert "wrong password" in dialog.error.text()
    dialog.password.setText(PASSWORD)
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: (tmp_path / "signed.pdf").exists(), timeout=20000)
    assert screen.model.row_at(0).status == "signed"
    assert ws_module.file_name(screen.model.row_at(0)) == f"MEL-001_{row.document_id}-SIGNED.pdf"
    report = screen.verify_file(tmp_path / "signed.pdf")
    assert report is not None
    assert report.ok, report.describe()
    # the chain check names the site CA by its common name; the full DN only under details
    shown = screen.last_report_box.informativeText()
    chain = next(line for line in shown.splitlines() if "chain to the site CA" in line)
    assert "issued by ResistDesk CA" in chain
    assert "CN=" not in shown
    assert "2.5.4." not in shown
    assert "CN=ResistDesk CA" in screen.last_report_box.detailedText()
    assert screen.export_certificate(tmp_path / "site.pem") is not None
    assert "BEGIN CERTIFICATE" in (tmp_path / "site.pem").read_text(encoding="ascii")
    # a CA certificate put into the file behind the app's back is not the study's CA here
    import contextlib
    import datetime as dt
    import sqlite3

    from core.worksheet import pki

    mine = pki.create_site_ca("Site", "P", "attackers-own-passphrase", dt.datetime.now(dt.UTC))
    with contextlib.closing(sqlite3.connect(desk.store.path)) as conn, conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'site_ca_certificate'", (mine.certificate_pem,))
    report = screen.verify_file(tmp_path / "signed.pdf")
    assert report is not None
    assert not report.ok
    pinned = report.check("site CA")
    assert pinned is not None
    assert not pinned.ok
    assert "not the one this workstation recorded for study" in pinned.detail
    assert "not the one this workstation recorded" in screen.last_report_box.informativeText()


def test_coordinators_prepare_but_cannot_sign(qtbot: QtBot, demo_desk: Desk, tmp_path: Path) -> None:
    w = demo_desk.window
    pk = open_code(demo_desk, "MEL-001")
    w.show_worksheets(pk)
    screen = w.worksheets_screen
    screen.prepare(tmp_path / "draft.pdf")
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1, timeout=20000)
    screen.view.selectRow(0)
    assert not demo_desk.session.can_sign
    assert not screen.sign_button.isEnabled()
    assert "Only an investigator can sign" in screen.info.text()


def test_a_new_account_chooses_its_password_at_sign_in_before_anything_else(
    qtbot: QtBot, empty_template: Path, tmp_path: Path
) -> None:
    from desktop.dialogs.session_dialogs import LoginDialog

    path = tmp_path / "s.sqlite3"
    shutil.copy(empty_template, path)
    store = Store.open(path, backup_daily=False)
    admin = store.authenticate("admin", PASSWORD)
    store.create_user(admin, "nurse", "Nina Nurse", "coordinator", "one-time-given-1")
    writer = DbWriter()
    try:
        dialog = LoginDialog(store, writer, username="nurse")
        qtbot.addWidget(dialog)
        assert not dialog.new_password.isVisibleTo(dialog)
        dialog.password.setText("one-time-given-1")
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.changing, timeout=10000)
        assert dialog.actor is None  # not signed in yet
        assert "administrator" in dialog.change_note.text()  # said once, above the new rows
        dialog.new_password.setText("nina-own-phrase-2")
        dialog.new_repeat.setText("nina-own-phrase-2")
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.actor is not None, timeout=10000)
        assert store.authenticate("nurse", "nina-own-phrase-2").username == "nurse"
    finally:
        writer.shutdown()
        store.close()


def test_the_sign_dialog_shows_the_pages_and_the_statement(investigator_desk: Desk, qtbot: QtBot) -> None:
    from core.store.worksheets import prepare_worksheet, worksheets
    from desktop.screens.worksheets import SignDialog

    s = investigator_desk.session
    pk = s.store.subject_pk(s.study_id, "MEL-001")
    s.store.on_write = None
    prepare_worksheet(s.store, s.actor, pk, s.store.today())
    row = worksheets(s.store, pk)[0]
    dialog = SignDialog(None, s, row)
    qtbot.addWidget(dialog)
    assert len(dialog.preview.pages) >= 2
    assert dialog.preview.pages[0].width() > 500
    assert "BY CATEGORY" in dialog.statement.text()
    assert "DEMO-PD1-R" in dialog.statement.text()


def test_users_screen_shows_printed_names_whole_and_labels_the_role_box(demo_desk: Desk) -> None:
    """'Casey Coordinator' wrapped onto two lines in a 100-pixel column while the last column
    stretched over empty space; the role box beside 'Add user…' had no label."""
    from PySide6.QtWidgets import QLabel

    w = demo_desk.window
    w.show_users()
    screen = w.users_screen
    screen.refresh()
    view, metrics = screen.view, screen.view.fontMetrics()
    for row in range(screen.model.rowCount()):
        for column in (0, 1, 2):
            text = str(screen.model.index(row, column).data())
            assert view.columnWidth(column) >= metrics.horizontalAdvance(text), (row, column, text)
    labels = [label.text() for label in screen.findChildren(QLabel)]
    assert "New role:" in labels


def test_a_worksheet_file_name_holds_the_subject_in_characters_any_system_accepts() -> None:
    import dataclasses
    import datetime as dt

    from core.store.worksheets import WorksheetRow
    from desktop.screens.worksheets import file_name

    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    row = WorksheetRow(1, "RD-20261201-0A1B2C3D4E", "MEL/029: Ünal", now, "coord", now.date(),
                       "primary_resistance", None, "draft", None, None, False)  # fmt: skip
    assert file_name(row) == "MEL_029_Ünal_RD-20261201-0A1B2C3D4E-DRAFT.pdf"
    assert file_name(dataclasses.replace(row, status="signed")).endswith("-SIGNED.pdf")
    assert (
        file_name(dataclasses.replace(row, subject_id="../..")) == "subject_RD-20261201-0A1B2C3D4E-DRAFT.pdf"
    )
