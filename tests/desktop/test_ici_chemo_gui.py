"""The chemo-immunotherapy rule set in the GUI: the course dialog's regimen,
the visit dialog's "Rapidly progressing disease", the roster's rule-set
column and filter, both rule sets in the study settings, and reminders."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from core.rules import Category
from desktop.screens import settings as settings_module
from desktop.screens.roster import COL_CATEGORY, COL_RULESET, RULESET_FILTERS
from tests.desktop.conftest import PASSWORD, Desk, days_ago
from tests.desktop.test_screens import open_code


def test_chemo_subject_entered_through_the_dialogs_is_classified_under_2023(
    qtbot: QtBot, empty_desk: Desk
) -> None:
    w = empty_desk.window
    dialog = w.flows.add_subject()
    dialog.subject_id.setText("LUNG-1")
    dialog.tumor_type.setText("non-small cell lung cancer")
    dialog.agent.setCurrentText("pembrolizumab + carboplatin + pemetrexed")
    dialog.regimen.setCurrentIndex(dialog.regimen.findData("ici_chemotherapy"))
    assert "chemotherapy" in dialog.regimen.currentText()
    dialog.first_dose.setDate(days_ago(60))
    assert dialog.fields()["regimen"] == "ici_chemotherapy"
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    pk = empty_desk.store.subject_pk(empty_desk.session.study_id, "LUNG-1")
    assert empty_desk.store.case(pk)["regimen"] == "ici_chemotherapy"

    visit = w.flows.add_visit(pk)
    visit.date.setDate(days_ago(30))  # 30 days of exposure
    visit.response.setCurrentIndex(visit.response.findData("PD"))
    box = visit.flags["rapid_progression"]
    assert box.text() == "Rapidly progressing disease"
    box.setChecked(True)
    assert visit.fields()["rapid_progression"] is True
    visit.buttons.button(visit.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: visit.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert empty_desk.store.case(pk)["assessments"][0]["rapid_progression"] is True

    qtbot.waitUntil(lambda: not w.loading and any(r.subject_id == "LUNG-1" for r in w.rows), timeout=10000)
    row = next(r for r in w.rows if r.subject_id == "LUNG-1")
    assert row.category is Category.PRIMARY_RESISTANCE
    assert row.result.ruleset.name == "SITC-2023-ICI-chemo"
    w.open_subject(pk)
    panel = w.subject_screen.panel.toPlainText()
    assert "SITC-2023-ICI-chemo v1" in panel
    assert "Table 3 of Rizvi et al., J Immunother Cancer 2023;11:e005920" in panel
    assert "RAPID_PROGRESSION_ANY_EXPOSURE" in panel or "Rapidly progressing" in panel
    assert "SITC 2023 ICI-chemo" in w.subject_screen.badge.text()
    # Nothing to remind: no confirmation under this rule set.
    assert not [m for m in w.reminders_screen.confirmations.rows() if m.subject_id == "LUNG-1"]
    assert "nothing to remind" in w.reminders_screen.no_confirmation.text()


def test_roster_shows_and_filters_by_rule_set(demo_desk: Desk) -> None:
    screen = demo_desk.window.roster_screen
    model = screen.model
    names = {r.subject_id: r.result.ruleset.name for r in demo_desk.window.rows}
    chemo = {k for k, v in names.items() if v == "SITC-2023-ICI-chemo"}
    assert len(chemo) >= 8
    labels = [label for label, _ in RULESET_FILTERS]
    screen.ruleset.setCurrentIndex(labels.index("SITC 2023 ICI-chemo"))
    shown = {model.row_at(r).subject_id for r in range(model.rowCount())}
    assert shown == chemo
    assert screen.count.text() == f"{len(chemo)} of {len(names)} subjects"
    for r in range(model.rowCount()):
        assert model.data(model.index(r, COL_RULESET)) == "SITC 2023 ICI-chemo"
    texts = {
        model.row_at(r).subject_id: model.data(model.index(r, COL_CATEGORY)) for r in range(model.rowCount())
    }
    assert texts["NSCLC-035"] == "Secondary or late resistance"
    screen.ruleset.setCurrentIndex(labels.index("SITC 2020 (monotherapy)"))
    assert {model.row_at(r).subject_id for r in range(model.rowCount())} == set(names) - chemo
    screen.ruleset.setCurrentIndex(0)
    assert model.rowCount() == len(names)


def test_settings_override_each_rule_set_separately(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = demo_desk.window
    w.show_settings()
    screen = w.settings_screen
    before = {r.subject_id: r.category for r in w.rows}
    assert before["NSCLC-035"] is Category.SECONDARY_RESISTANCE  # PD at day 294
    assert before["RCC-009"] is Category.SECONDARY_RESISTANCE  # SITC 2020, PD at day 252
    assert screen.regimens  # which regimens the protocol enrolls
    assert all(box.isChecked() for box in screen.regimens.values())
    assert screen.chemo_params["min_exposure_days"].maximum() == 56
    screen.chemo_params["benefit_days"].setValue(300)
    monkeypatch.setattr(settings_module, "ask_reason", lambda *_a: "protocol amendment 3")
    screen.save.click()
    qtbot.waitUntil(
        lambda: demo_desk.session.rules.ici_chemo.overrides == {"benefit_days": 300}, timeout=10000
    )
    assert demo_desk.session.ruleset.overrides == {}
    qtbot.waitUntil(
        lambda: (
            not w.loading
            and {r.subject_id: r.category for r in w.rows}["NSCLC-035"] is Category.PRIMARY_RESISTANCE
        ),
        timeout=10000,
    )
    assert {r.subject_id: r.category for r in w.rows}["RCC-009"] is Category.SECONDARY_RESISTANCE
    screen.refresh()
    assert screen.chemo_params["benefit_days"].value() == 300
    assert screen.params["benefit_days"].value() == 182  # type: ignore[attr-defined]


def test_subject_screen_names_the_rule_set_for_a_monotherapy_subject_too(demo_desk: Desk) -> None:
    open_code(demo_desk, "MEL-001")
    panel = demo_desk.window.subject_screen.panel.toPlainText()
    assert "Kluger et al., J Immunother Cancer 2020;8:e000398" in panel
    open_code(demo_desk, "NSCLC-039")  # ICI + chemotherapy + bevacizumab: not covered
    screen = demo_desk.window.subject_screen
    assert screen.result is not None
    assert screen.result.category is Category.NOT_APPLICABLE
    assert "e005923" in screen.panel.toPlainText()


def test_sign_and_verify_a_chemo_worksheet_from_the_gui(
    qtbot: QtBot, investigator_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.screens import worksheets as ws_module

    monkeypatch.setattr(ws_module.QMessageBox, "open", lambda self: None)
    w = investigator_desk.window
    pk = open_code(investigator_desk, "SCLC-033")
    w.subject_screen.tools["worksheet"].trigger()
    screen = w.worksheets_screen
    assert screen.subject_pk == pk
    screen.prepare(tmp_path / "draft.pdf")
    qtbot.waitUntil(lambda: (tmp_path / "draft.pdf").exists(), timeout=20000)
    row = screen.model.row_at(0)
    assert row.rule == "SITC-2023 ICI-chemo Table 3 primary"
    screen.view.selectRow(0)
    dialog = screen.sign(tmp_path / "signed.pdf")
    assert dialog is not None
    dialog.password.setText(PASSWORD)
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: (tmp_path / "signed.pdf").exists(), timeout=20000)
    assert screen.model.row_at(0).status == "signed"
    report = screen.verify_file(tmp_path / "signed.pdf")
    assert report is not None
    assert report.ok, report.describe()
    assert "SITC-2023-ICI-chemo" in report.describe()


def test_rapid_progression_box_is_for_chemo_courses_only(demo_desk: Desk) -> None:
    w = demo_desk.window
    mono = w.flows.add_visit(open_code(demo_desk, "MEL-001"))
    assert not mono.flags["rapid_progression"].isEnabled()
    mono.reject()
    chemo = w.flows.add_visit(open_code(demo_desk, "NSCLC-032"))
    assert chemo.flags["rapid_progression"].isEnabled()
    chemo.reject()
