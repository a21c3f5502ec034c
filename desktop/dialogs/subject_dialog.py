"""Add or edit a subject and its PD-(L)1 treatment course."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.rules import Regimen, Setting, StopReason
from core.rules.agents import PD1_PDL1_NAMES
from core.store.store import SUBJECT_STATUSES
from desktop.style import muted
from desktop.widgets.forms import DateEdit, ErrorLabel, OptionalDate, Problem, confirm_discard, date_problems

# Generic names first, as coordinators write them on the CRF.
AGENTS = sorted(PD1_PDL1_NAMES)
MPR_CHOICES = (("not recorded", None), ("yes", True), ("no", False))
INTERVAL_MIN, INTERVAL_MAX = 7, 84  # days (case-file field dosing_interval_days)
INTERVAL_NONE = INTERVAL_MIN - 1  # the spin box's "not recorded" value
# Common PD-(L)1 + chemotherapy courses, as the agent text reads them (SITC-2023-ICI-chemo).
CHEMO_AGENTS = (
    "pembrolizumab + carboplatin + pemetrexed",
    "pembrolizumab + carboplatin + paclitaxel",
    "atezolizumab + carboplatin + etoposide",
    "durvalumab + cisplatin + etoposide",
    "nivolumab + oxaliplatin + capecitabine",
    "pembrolizumab + cisplatin + fluorouracil",
)
REGIMEN_LABELS: dict[Regimen, str] = {
    Regimen.MONOTHERAPY: "PD-(L)1 monotherapy (SITC 2020)",
    Regimen.ICI_CHEMOTHERAPY: "PD-(L)1 + chemotherapy (SITC 2023 ICI-chemo)",
    Regimen.COMBINATION: "other combination (not covered)",
}


class SubjectDialog(QDialog):
    """Fields use the case-file names; the store validates them with the case-file rules."""

    def __init__(
        self, parent: QWidget | None, case: dict[str, Any] | None = None, status: str = "active"
    ) -> None:
        super().__init__(parent)
        self.editing = case is not None
        self.setWindowTitle("Edit subject" if self.editing else "Add subject")
        case = case or {}
        d = dt.date.fromisoformat

        self.subject_id = QLineEdit(case.get("subject_id", ""))
        self.subject_id.setPlaceholderText("pseudonymous study subject id, e.g. MEL-014")
        self.tumor_type = QLineEdit(case.get("tumor_type", ""))
        self.tumor_type.setPlaceholderText("e.g. melanoma, non-small cell lung cancer")
        self.indolent = QCheckBox("Indolent tumor (6-month timeframes may need modification)")
        self.indolent.setChecked(bool(case.get("indolent")))
        self.setting = QComboBox()
        self.setting.addItems([s.value for s in Setting])
        self.setting.setCurrentText(case.get("setting", "advanced"))
        self.status = QComboBox()
        self.status.addItems(list(SUBJECT_STATUSES))
        self.status.setCurrentText(status)
        self.agent = QComboBox()
        self.agent.setEditable(True)
        self.agent.addItems(AGENTS)
        self.agent.insertSeparator(len(AGENTS))
        self.agent.addItems(CHEMO_AGENTS)
        self.agent.setCurrentText(case.get("agent") or "pembrolizumab")
        self.regimen = QComboBox()
        for regimen, label in REGIMEN_LABELS.items():
            self.regimen.addItem(label, regimen.value)
        self.regimen.setCurrentIndex(max(0, self.regimen.findData(case.get("regimen", "monotherapy"))))
        self.regimen.setToolTip(
            "Monotherapy follows SITC 2020. PD-(L)1 + chemotherapy follows the SITC 2023 definitions "
            "(Rizvi et al., JITC 2023, Table 3). A chemotherapy partner named in the agent also selects "
            "them. Other combinations (ICI+ICI, ICI+targeted) are not covered."
        )
        self.first_dose = DateEdit(
            d(case["first_dose"]) if case.get("first_dose") else dt.datetime.now().astimezone().date()
        )
        self.last_dose = OptionalDate(
            "stopped; last dose", d(case["last_dose"]) if case.get("last_dose") else None
        )
        self.reason = QComboBox()
        self.reason.addItem("—", None)
        for r in StopReason:
            self.reason.addItem(r.value.replace("_", " "), r.value)
        self.reason.setCurrentIndex(max(0, self.reason.findData(case.get("discontinuation_reason"))))
        self.interval = QSpinBox()
        self.interval.setObjectName("dosing_interval_days")
        self.interval.setRange(INTERVAL_NONE, INTERVAL_MAX)
        self.interval.setSpecialValueText("not recorded")
        self.interval.setSuffix(" days")
        interval = case.get("dosing_interval_days")
        self.interval.setValue(interval if isinstance(interval, int) else INTERVAL_NONE)
        hint = (
            "Cycle length of the PD-(L)1 inhibitor (7-84 days: 14, 21, 28, 42...). Optional. When therapy "
            "has stopped, the last cycle counts in the exposure: two 3-weekly doses are 42 days."
        )
        self.interval.setToolTip(hint)
        self.interval_hint = QLabel("e.g. 21 for 3-weekly dosing; counts the last cycle when therapy stopped")
        self.interval_hint.setWordWrap(True)
        self.interval_hint.setStyleSheet(f"color: {muted()}")
        self.intercurrent = QCheckBox("Other anticancer therapy between the last dose and progression")
        self.intercurrent.setChecked(bool(case.get("intercurrent_therapy")))
        self.surgery = OptionalDate(
            "surgery on", d(case["surgery_date"]) if case.get("surgery_date") else None
        )
        self.mpr = QComboBox()
        for label, value in MPR_CHOICES:
            self.mpr.addItem(label, value)
        self.mpr.setCurrentIndex(max(0, self.mpr.findData(case.get("major_pathological_response"))))
        self.adjuvant_after = QCheckBox("Adjuvant PD-(L)1 therapy after surgery")
        self.adjuvant_after.setChecked(bool(case.get("adjuvant_after_neoadjuvant")))
        self.error = ErrorLabel()

        form = QFormLayout()
        form.addRow("Subject id", self.subject_id)
        form.addRow("Tumor type", self.tumor_type)
        form.addRow("", self.indolent)
        form.addRow("Setting", self.setting)
        form.addRow("Status", self.status)
        form.addRow("Agent", self.agent)
        form.addRow("Regimen", self.regimen)
        form.addRow("First dose", self.first_dose)
        form.addRow("Last dose", self.last_dose)
        form.addRow("Dosing interval (days)", self.interval)
        form.addRow("", self.interval_hint)
        form.addRow("Reason for stopping", self.reason)
        form.addRow("", self.intercurrent)
        form.addRow("Surgery (neoadjuvant)", self.surgery)
        form.addRow("Major pathological response", self.mpr)
        form.addRow("", self.adjuvant_after)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setting.currentTextChanged.connect(self._setting_changed)
        self._setting_changed(self.setting.currentText())
        self.first_dose.dateChanged.connect(self._first_dose_changed)
        self._first_dose_changed()
        self.error.watch({
            "subject_id": self.subject_id, "tumor_type": self.tumor_type, "setting": self.setting,
            "status": self.status, "agent": self.agent, "regimen": self.regimen,
            "first_dose": self.first_dose, "last_dose": self.last_dose, "discontinuation_reason": self.reason,
            "surgery_date": self.surgery, "major_pathological_response": self.mpr,
        })  # fmt: skip

    def _state(self) -> tuple[object, ...]:
        return (self.fields(), self.status.currentText(), self.first_dose.edit.text(),
                self.last_dose.edit.edit.text(), self.surgery.edit.edit.text())  # fmt: skip

    def showEvent(self, event: QShowEvent) -> None:
        if not hasattr(self, "_initial"):
            self._initial = self._state()
        super().showEvent(event)

    def reject(self) -> None:
        """Cancel, Esc or the close button: ask before discarding what was typed."""
        initial = getattr(self, "_initial", None)
        if initial is not None and self._state() != initial and not confirm_discard(self, "the subject"):
            return
        super().reject()

    def _first_dose_changed(self) -> None:
        for w in (self.last_dose, self.surgery):
            w.edit.set_reference(self.first_dose.value())

    def _setting_changed(self, setting: str) -> None:
        neo = setting == Setting.NEOADJUVANT.value
        for w in (self.surgery, self.mpr, self.adjuvant_after):
            w.setEnabled(neo)

    def fields(self) -> dict[str, Any]:
        """The case-file fields as entered (the store validates them)."""
        neo = self.setting.currentText() == Setting.NEOADJUVANT.value
        last = self.last_dose.text_value()
        surgery = self.surgery.text_value() if neo else None
        return {
            "subject_id": self.subject_id.text().strip(),
            "tumor_type": self.tumor_type.text().strip(),
            "indolent": self.indolent.isChecked(),
            "setting": self.setting.currentText(),
            "agent": self.agent.currentText().strip() or None,
            "regimen": self.regimen.currentData(),
            "first_dose": self.first_dose.text_value(),
            "last_dose": last,
            "discontinuation_reason": self.reason.currentData() if last else None,
            "intercurrent_therapy": self.intercurrent.isChecked(),
            "surgery_date": surgery,
            "major_pathological_response": self.mpr.currentData() if neo else None,
            "adjuvant_after_neoadjuvant": self.adjuvant_after.isChecked() if neo else False,
            "dosing_interval_days": None if self.interval.value() == INTERVAL_NONE else self.interval.value(),
        }

    def problems(self) -> list[Problem]:
        """What can be seen wrong before the store checks the rest: every field at once."""
        out: list[Problem] = []
        if not self.subject_id.text().strip():
            out.append(("subject_id", "is required (the pseudonymous study subject id)"))
        if not self.tumor_type.text().strip():
            out.append(("tumor_type", "is required"))
        neo = self.setting.currentText() == Setting.NEOADJUVANT.value
        dates = {"first_dose": self.first_dose, "last_dose": self.last_dose}
        if neo:
            dates["surgery_date"] = self.surgery
        out += date_problems(dates)  # type: ignore[arg-type]
        last = self.last_dose.value()
        if last is not None and self.last_dose.edit.is_valid() and last < self.first_dose.value():
            out.append(("last_dose", f"{last} is before the first dose ({self.first_dose.value()})"))
        return out

    def precheck(self) -> bool:
        """Show every problem found before saving; True when there is none."""
        found = self.problems()
        self.error.show_errors(found)
        return not found

    def show_error(self, field: str | None, message: str) -> None:
        self.error.show_error(field, message)
        self.buttons.setEnabled(True)
