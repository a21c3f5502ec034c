"""Study settings: protocol details, response criteria, the categories and
regimens the protocol enrolls, and both rule sets' parameter overrides
(SITC 2020 and SITC 2023 ICI-chemo, each separately) with an explanation of each."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.errors import InputError
from core.presentation import parameter_label
from core.rules import (
    CATEGORY_LABELS,
    ICI_CHEMO_PARAMETER_HELP,
    PARAMETER_HELP,
    Category,
    IciChemoParameters,
    Parameters,
    Regimen,
)
from core.rules.ici_chemo_ruleset import ICI_CHEMO_TABLE, MAX_MIN_EXPOSURE_DAYS, TABLE_MIN_EXPOSURE_DAYS
from desktop.session import Session
from desktop.style import readable
from desktop.widgets.forms import ErrorLabel, ask_reason

DEFAULTS = Parameters()
ICI_CHEMO_DEFAULTS = IciChemoParameters()
ENROLLED_REGIMENS = (
    (Regimen.MONOTHERAPY, "PD-(L)1 monotherapy (SITC 2020)"),
    (Regimen.ICI_CHEMOTHERAPY, "PD-(L)1 + chemotherapy (SITC 2023 ICI-chemo)"),
)


class SettingsScreen(QWidget):
    sig_saved = Signal()
    """The study settings were saved."""
    sig_lock_minutes = Signal(int)
    """The idle time before the session locks changed: (minutes)."""

    def __init__(self, session: Session, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.settings = session, settings
        self.protocol = QLineEdit()
        self.title = QLineEdit()
        self.sponsor = QLineEdit()
        self.site = QLineEdit()
        self.criteria = QComboBox()
        self.criteria.addItems(["RECIST 1.1", "iRECIST"])
        self.paper = QComboBox()
        self.paper.addItems(["A4", "Letter"])
        details = QFormLayout()
        for label, w in (
            ("Protocol id", self.protocol),
            ("Title", self.title),
            ("Sponsor", self.sponsor),
            ("Site", self.site),
            ("Response criteria", self.criteria),
            ("Worksheet paper", self.paper),
        ):
            details.addRow(label, w)

        self.enrolled: dict[Category, QCheckBox] = {}
        enrolls = QGroupBox("Categories this protocol enrolls (shown on the eligibility worksheet)")
        grid = QGridLayout(enrolls)
        for k, cat in enumerate(c for c in Category if c is not Category.PENDING_CONFIRMATION):
            box = QCheckBox(CATEGORY_LABELS[cat])
            self.enrolled[cat] = box
            box.toggled.connect(lambda _on: self._categories_note())
            grid.addWidget(box, k // 3, k % 3)

        self.regimens: dict[Regimen, QCheckBox] = {}
        regimens = QGroupBox("Regimens this protocol enrolls after (shown on the eligibility worksheet)")
        row_r = QHBoxLayout(regimens)
        for regimen, label in ENROLLED_REGIMENS:
            box = QCheckBox(label)
            self.regimens[regimen] = box
            row_r.addWidget(box)
        row_r.addStretch(1)

        self.chemo_params: dict[str, QSpinBox] = {}
        # A group's title does not wrap and sets its minimum width: the long part goes in a label.
        chemo = QGroupBox("SITC-2023-ICI-chemo rule parameters, for PD-(L)1 + chemotherapy courses")
        grid_c = QGridLayout(chemo)
        grid_c.setColumnStretch(2, 1)
        source = QLabel(f"{ICI_CHEMO_TABLE}; overridden separately from SITC-2020.")
        source.setWordWrap(True)
        grid_c.addWidget(source, 0, 0, 1, 3)
        for row, f in enumerate(dataclasses.fields(IciChemoParameters), start=1):
            spin = QSpinBox()
            if f.name == "min_exposure_days":
                spin.setRange(TABLE_MIN_EXPOSURE_DAYS, MAX_MIN_EXPOSURE_DAYS)
            else:
                spin.setRange(0, 3650)
            spin.setSuffix(" days")
            spin.setMinimumWidth(110)
            spin.setToolTip(ICI_CHEMO_PARAMETER_HELP[f.name])
            text = QLabel(
                f"{ICI_CHEMO_PARAMETER_HELP[f.name]} <i>Default: {getattr(ICI_CHEMO_DEFAULTS, f.name)}.</i>"
            )
            text.setWordWrap(True)
            grid_c.addWidget(QLabel(f"<b>{parameter_label(f.name)}</b>"), row, 0)
            grid_c.addWidget(spin, row, 1)
            grid_c.addWidget(text, row, 2)
            self.chemo_params[f.name] = spin

        self.params: dict[str, QWidget] = {}
        params = QGroupBox(
            "SITC-2020 rule parameters, for PD-(L)1 monotherapy (a change is a study override, "
            "recorded with every result)"
        )
        grid_p = QGridLayout(params)
        grid_p.setColumnStretch(2, 1)
        for row, f in enumerate(dataclasses.fields(Parameters)):
            default = getattr(DEFAULTS, f.name)
            if isinstance(default, bool):
                widget: QWidget = QCheckBox()
            elif isinstance(default, int):
                spin = QSpinBox()
                spin.setRange(0, 3650)
                spin.setSuffix(" days")
                spin.setMinimumWidth(110)
                widget = spin
            else:
                widget = QLineEdit()
                widget.setMinimumWidth(320)
            widget.setToolTip(PARAMETER_HELP[f.name])
            shown = ", ".join(default) if isinstance(default, tuple) else str(default).lower()
            explanation = QLabel(f"{PARAMETER_HELP[f.name]} <i>Default: {shown}.</i>")
            explanation.setWordWrap(True)
            grid_p.addWidget(QLabel(f"<b>{parameter_label(f.name)}</b>"), row, 0)
            grid_p.addWidget(widget, row, 1)
            grid_p.addWidget(explanation, row, 2)
            self.params[f.name] = widget

        self.lock_minutes = QSpinBox()
        self.lock_minutes.setRange(1, 240)
        self.lock_minutes.setSuffix(" minutes")
        self.lock_minutes.setValue(int(str(settings.value("session/lock_minutes", 10))))
        self.lock_minutes.valueChanged.connect(self._lock_changed)
        local = QFormLayout()
        local.addRow("Lock the session after idle", self.lock_minutes)

        self.error = ErrorLabel()
        self.error.watch({"protocol_id": self.protocol, "title": self.title, "sponsor": self.sponsor,
                          "site": self.site, "criteria": self.criteria, "paper_size": self.paper,
                          "enrolled_categories": enrolls})  # fmt: skip
        self.error.watch({f"rule_overrides.{k}": w for k, w in self.params.items()})
        self.save = QPushButton("Save study settings…")
        self.save.clicked.connect(self._save)
        self.reset = QPushButton("Revert")
        self.reset.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reset)
        buttons.addWidget(self.save)

        inner = QWidget()
        col = QVBoxLayout(inner)
        col.addLayout(details)
        col.addWidget(enrolls)
        self.no_categories = QLabel(
            f"<b style='color:{readable('#b9770e')}'>No category chosen yet:</b> worksheets say "
            '"categories not configured" until the protocol\'s categories are ticked and saved.'
        )
        self.no_categories.setWordWrap(True)
        col.addWidget(self.no_categories)
        col.addWidget(regimens)
        col.addWidget(params)
        col.addWidget(chemo)
        col.addWidget(QLabel("<b>This workstation</b>"))
        col.addLayout(local)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    def _categories_note(self) -> None:
        if hasattr(self, "no_categories"):
            self.no_categories.setVisible(not any(box.isChecked() for box in self.enrolled.values()))

    def _lock_changed(self, minutes: int) -> None:
        self.settings.setValue("session/lock_minutes", minutes)
        self.sig_lock_minutes.emit(minutes)

    def refresh(self) -> None:
        study = self.session.study
        self.protocol.setText(study.protocol_id)
        self.title.setText(study.title)
        self.sponsor.setText(study.sponsor)
        self.site.setText(study.site)
        self.criteria.setCurrentText(study.criteria)
        self.paper.setCurrentText(study.paper_size)
        enrolled = set(json.loads(study.enrolled_categories))
        for cat, box in self.enrolled.items():
            box.setChecked(cat.value in enrolled)
        self._categories_note()
        regimens = set(json.loads(study.enrolled_regimens))
        for regimen, box in self.regimens.items():
            box.setChecked(regimen.value in regimens)
        chemo_values = self.session.rules.ici_chemo.parameters
        for name, spin in self.chemo_params.items():
            spin.setValue(int(getattr(chemo_values, name)))
        values = self.session.ruleset.parameters
        for name, widget in self.params.items():
            value = getattr(values, name)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(", ".join(value))
        editable = self.session.is_admin
        for w in (self.save, self.reset):
            w.setEnabled(editable)
        self.save.setToolTip("" if editable else "Only an administrator changes study settings")
        self.error.show_error(None, None)

    def changes(self) -> dict[str, Any]:
        overrides: dict[str, Any] = {}
        for name, widget in self.params.items():
            if isinstance(widget, QCheckBox):
                value: Any = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                value = widget.value()
            else:
                assert isinstance(widget, QLineEdit)
                value = [w.strip().lower() for w in widget.text().split(",") if w.strip()]
            default = getattr(DEFAULTS, name)
            if (list(default) if isinstance(default, tuple) else default) != value:
                overrides[name] = value
        chemo = {
            name: spin.value()
            for name, spin in self.chemo_params.items()
            if spin.value() != getattr(ICI_CHEMO_DEFAULTS, name)
        }
        return {
            "protocol_id": self.protocol.text(),
            "title": self.title.text(),
            "sponsor": self.sponsor.text(),
            "site": self.site.text(),
            "criteria": self.criteria.currentText(),
            "paper_size": self.paper.currentText(),
            "enrolled_categories": [c.value for c, box in self.enrolled.items() if box.isChecked()],
            "rule_overrides": overrides,
            "ici_chemo_overrides": chemo,
            "enrolled_regimens": [r.value for r, box in self.regimens.items() if box.isChecked()],
        }

    def _save(self) -> None:
        reason = ask_reason(self, "are the study settings changed")
        if reason is None:
            return
        changes, session = self.changes(), self.session
        self.save.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.save.setEnabled(True)
            if isinstance(exc, InputError):
                self.error.show_error(exc.field, exc.message)
            else:
                self.error.show_error(None, str(exc))

        def done(_result: object) -> None:
            self.save.setEnabled(True)
            session.reload_study()
            self.refresh()
            self.sig_saved.emit()

        session.write(
            lambda: session.store.update_study(session.actor, session.study_id, changes, reason), done, failed
        )
