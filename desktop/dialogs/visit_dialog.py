"""Record or edit a tumor assessment: the recorded response, the progression
flags, and (when the subject has a baseline) the lesion measurements, whose
RECIST/iRECIST response, sums and % changes update as the coordinator types.

Every check is the core's (``core.visits.preview_visit``): an invalid entry
is shown inline and blocks saving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core import limits
from core.presentation import NEW_LESION_LABELS, NON_TARGET_LABELS, response_label
from core.rules import Response
from core.rules.lesions import TSTM, NewLesionStatus, NonTargetStatus
from core.rules.recist import display
from core.store.store import MODALITIES
from core.visits import VisitPreview, preview_visit
from desktop.style import readable
from desktop.widgets.forms import (
    DateEdit,
    ErrorLabel,
    FormScroll,
    Problem,
    confirm_discard,
    date_problems,
    keep_on_screen,
)
from desktop.widgets.lesion_table import LesionTable

FROM_MEASUREMENTS = "— computed from measurements —"
NOT_RECORDED = "— not recorded —"
BIOPSY_CHOICES = (("not done / no result", None), ("confirms progression", True), ("does not confirm", False))

SaveHandler = Callable[[dict[str, Any], str], None]


def _pct(value: Decimal | None) -> str:
    shown = display(value)
    return "—" if shown is None else f"{shown:+.1f} %"


def _mm(value: Decimal | None) -> str:
    shown = display(value)
    return "—" if shown is None else f"{shown:.1f} mm"


def _is_ici_chemo(case: dict[str, Any]) -> bool:
    """Whether the subject's course is classified under SITC-2023-ICI-chemo."""
    from core.casefile import parse_case
    from core.errors import CaseFormatError
    from core.rules.ici_chemo import is_ici_chemo_course

    try:
        return is_ici_chemo_course(parse_case(case))
    except CaseFormatError:
        return True  # cannot tell: leave the box usable


class VisitDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        case: dict[str, Any],
        today: dt.date,
        on_save: SaveHandler,
        visit: dict[str, Any] | None = None,
        modality: str = "CT",
    ) -> None:
        super().__init__(parent)
        self.case, self.today, self.on_save = case, today, on_save
        self.editing = visit is not None
        visit = visit or {}
        self.setWindowTitle(f"{'Edit' if self.editing else 'New'} visit: {case['subject_id']}")
        baseline = case.get("baseline")

        self.date = DateEdit(dt.date.fromisoformat(visit["date"]) if visit.get("date") else today)
        if case.get("first_dose"):
            self.date.set_reference(dt.date.fromisoformat(case["first_dose"]))
        self.modality = QComboBox()
        self.modality.addItems(list(MODALITIES))
        self.modality.setCurrentText(modality)
        self.response = QComboBox()
        self.response.addItem(FROM_MEASUREMENTS if baseline else NOT_RECORDED, None)
        for r in Response:
            self.response.addItem(response_label(r.value), r.value)
        self.response.setCurrentIndex(max(0, self.response.findData(visit.get("response"))))
        self.ecog = QComboBox()
        self.ecog.addItem("not recorded", None)
        for k in range(6):
            self.ecog.addItem(str(k), k)
        self.ecog.setCurrentIndex(max(0, self.ecog.findData(visit.get("ecog"))))
        self.flags = {
            "clinical_progression": QCheckBox(
                "Clear clinical progression (PS decline or disease-related symptoms)"
            ),
            "symptomatic": QCheckBox("Symptomatic"),
            "nodal_only": QCheckBox("Progression in lymph nodes only"),
            "multiple_metastases": QCheckBox("Multiple metastases"),
            "rapid_progression": QCheckBox("Rapidly progressing disease"),
        }
        self.flags["rapid_progression"].setToolTip(
            "PD-(L)1 + chemotherapy (SITC 2023, Table 3): for rapidly progressing disease any "
            "exposure is adequate for primary resistance. Tick it on the progression visit."
        )
        if not _is_ici_chemo(case) and not visit.get("rapid_progression"):
            # Only the 2023 chemotherapy rule set reads it; a saved tick stays editable.
            self.flags["rapid_progression"].setEnabled(False)
            self.flags["rapid_progression"].setToolTip(
                "Used only for PD-(L)1 + chemotherapy courses (SITC 2023, Table 3)."
            )
        for key, box in self.flags.items():
            box.setChecked(bool(visit.get(key)))
        self.sites = QSpinBox()
        self.sites.setRange(-1, limits.MAX_PROGRESSING_SITES)
        self.sites.setSpecialValueText("not recorded")
        self.sites.setValue(visit["progressing_sites"] if visit.get("progressing_sites") is not None else -1)
        self.biopsy = QComboBox()
        for label, value in BIOPSY_CHOICES:
            self.biopsy.addItem(label, value)
        self.biopsy.setCurrentIndex(max(0, self.biopsy.findData(visit.get("biopsy_confirms_progression"))))
        self.notes = QPlainTextEdit(
            visit.get("notes", "") if isinstance(visit.get("notes", ""), str) else "\n".join(visit["notes"])
        )
        self.notes.setFixedHeight(60)  # not a spring: the lesion rows below must stay put

        form = QFormLayout()
        form.addRow("Date", self.date)
        form.addRow("Modality", self.modality)
        form.addRow("Overall response (investigator)", self.response)
        form.addRow("ECOG", self.ecog)
        for box in self.flags.values():
            form.addRow("", box)
        form.addRow("Progressing sites", self.sites)
        form.addRow("Biopsy", self.biopsy)
        form.addRow("Notes", self.notes)

        # The form and the lesions scroll where the screen is too short for them (an iRECIST
        # visit with its new lesions is taller than a 768-pixel screen); errors and buttons stay.
        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(form)
        self.target_inputs: dict[str, QLineEdit] = {}
        self.non_target_inputs: dict[str, QComboBox] = {}
        self.new_lesions = QComboBox()
        self.new_table: LesionTable | None = None  # new lesions one by one (iRECIST)
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        # Room for four lines from the start: a wrapped label's height is not in the dialog's
        # first size, so a three-line summary squeezed the rows, and they moved as it changed.
        self.preview_label.setMinimumHeight(4 * self.preview_label.fontMetrics().lineSpacing())
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        if baseline:
            body.addWidget(self._lesion_box(baseline, visit.get("lesions") or {}))
        body.addStretch(1)  # room to spare goes below the lesions, never between their rows
        layout = QVBoxLayout(self)
        layout.addWidget(FormScroll(content), 1)
        if baseline:  # the live RECIST summary: under the form, never scrolled out of sight
            layout.addWidget(self.preview_label)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        for signal in (
            self.date.dateChanged, self.response.currentIndexChanged, self.ecog.currentIndexChanged,
            self.sites.valueChanged, self.biopsy.currentIndexChanged, self.new_lesions.currentIndexChanged,
        ):  # fmt: skip
            signal.connect(self.refresh)
        for box in self.flags.values():
            box.toggled.connect(self.refresh)
        self.preview = VisitPreview()
        self._watch()
        self.refresh()
        self._initial = self._state()

    def _state(self) -> tuple[dict[str, Any], str, str]:
        return self.fields(), self.modality.currentText(), self.date.edit.text()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        keep_on_screen(self)  # whole where it fits, never below the screen's bottom

    def reject(self) -> None:
        """Cancel, Esc or the close button: ask before discarding what was typed."""
        if self._state() != self._initial and not confirm_discard(
            self, f"the visit of {self.case['subject_id']}"
        ):
            return
        super().reject()

    def _lesion_box(self, baseline: dict[str, Any], lesions: dict[str, Any]) -> QGroupBox:
        box = QGroupBox(
            f"Lesion measurements ({self.case.get('criteria', 'RECIST 1.1')}; baseline {baseline['date']})"
        )
        grid = QGridLayout(box)
        grid.addWidget(QLabel("<b>Lesion</b>"), 0, 0)  # targets, non-targets and new lesions
        grid.addWidget(QLabel("<b>Baseline</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Now (mm; TSTM = too small to measure; blank = not evaluated)</b>"), 0, 2)
        row = 1
        old_targets = lesions.get("targets", {})
        for t in baseline["targets"]:
            kind = "node, short axis" if t.get("nodal") else "longest diameter"
            grid.addWidget(QLabel(f"{t['id']} {t.get('organ', '')} ({kind})"), row, 0)
            grid.addWidget(QLabel(f"{t['mm']} mm"), row, 1)
            edit = QLineEdit("" if old_targets.get(t["id"]) is None else str(old_targets[t["id"]]))
            edit.setPlaceholderText("not evaluated")
            edit.textChanged.connect(self.refresh)
            grid.addWidget(edit, row, 2)
            self.target_inputs[t["id"]] = edit
            row += 1
        old_nt = lesions.get("non_targets", {})
        for n in baseline["non_targets"]:
            grid.addWidget(QLabel(f"{n['id']} {n.get('organ', '')} (non-target)"), row, 0)
            combo = QComboBox()
            for status in NonTargetStatus:
                combo.addItem(NON_TARGET_LABELS.get(status.value, status.value), status.value)
            combo.setCurrentIndex(max(0, combo.findData(old_nt.get(n["id"], NonTargetStatus.PRESENT.value))))
            combo.currentIndexChanged.connect(self.refresh)
            grid.addWidget(combo, row, 2)
            self.non_target_inputs[n["id"]] = combo
            row += 1
        grid.addWidget(QLabel("New lesions"), row, 0)
        for new_status in NewLesionStatus:
            value = new_status.value
            self.new_lesions.addItem(NEW_LESION_LABELS.get(value, value), value)
        new = lesions.get("new_lesions", "none")
        shown = new if isinstance(new, str) else NewLesionStatus.NONE.value  # a list: see below
        self.new_lesions.setCurrentIndex(max(0, self.new_lesions.findData(shown)))
        grid.addWidget(self.new_lesions, row, 2)
        if self.case.get("criteria") == "iRECIST" or isinstance(new, list):
            # iRECIST follows each new lesion (their sum NLT, more of them): recorded one by one.
            # A visit saved with such a list also shows it (editing it used to save "unequivocal"
            # in its place: the lesions were lost).
            row += 1
            self.new_table = LesionTable(
                ("Id", "Organ", "Size (mm)", "Measurable"),
                (("Add new lesion", self._add_new_clicked),),
                noun="new lesion",
                visible_rows=3,
            )
            self.new_table.changed.connect(self._new_rows_changed)
            for n in new if isinstance(new, list) else []:
                mm = n.get("mm")
                self._add_new_row(str(n.get("id", "")), str(n.get("organ", "")),
                                  "" if mm is None else str(mm), bool(n.get("measurable")))  # fmt: skip
            grid.addWidget(QLabel("New lesions, one by one"), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self.new_table, row, 1, 1, 2)
            self._new_rows_changed()
        return box

    @property
    def new_rows(self) -> list[tuple[QLineEdit, QLineEdit, QLineEdit, QCheckBox]]:
        """The new lesions' rows: id, organ, size and the measurable tick (the widgets
        ``_add_new_row`` made)."""
        return cast(
            list[tuple[QLineEdit, QLineEdit, QLineEdit, QCheckBox]],
            self.new_table.rows if self.new_table else [],
        )

    def _add_new_clicked(self) -> None:
        used = {r[0].text().strip() for r in self.new_rows}
        number = 1
        while f"N{number}" in used:
            number += 1
        self._add_new_row(f"N{number}", "", "", True, focus=True)

    def _add_new_row(self, lid: str, organ: str, mm: str, measurable: bool, focus: bool = False) -> None:
        assert self.new_table is not None
        lid_edit, organ_edit, mm_edit, box = QLineEdit(lid), QLineEdit(organ), QLineEdit(mm), QCheckBox()
        mm_edit.setPlaceholderText("not measured")
        box.setChecked(measurable)
        box.setToolTip(
            "Measurable (at least 10 mm; 15 mm short axis for a node): counts in the new-lesion sum"
        )
        for edit in (lid_edit, organ_edit, mm_edit):
            edit.textChanged.connect(self.refresh)
        box.toggled.connect(self.refresh)
        self.new_table.add_row((lid_edit, organ_edit, mm_edit, box), focus=focus)

    def _new_rows_changed(self) -> None:
        """New lesions listed make the visit's new lesions unequivocal: the list governs."""
        listed = self.new_table is not None and bool(self.new_table.rows)
        if listed and self.new_lesions.isEnabled():  # shows what the list means; kept for later
            self._status_before = self.new_lesions.currentIndex()
            self.new_lesions.setCurrentIndex(self.new_lesions.findData(NewLesionStatus.UNEQUIVOCAL.value))
        elif not listed and not self.new_lesions.isEnabled():  # the last one removed: as it was
            self.new_lesions.setCurrentIndex(getattr(self, "_status_before", 0))
        self.new_lesions.setEnabled(not listed)
        self.new_lesions.setToolTip(
            "The new lesions listed below govern (a listed new lesion is unequivocal)" if listed else ""
        )
        if hasattr(self, "preview"):  # not while the dialog is built
            self._watch()
            self.refresh()

    # ------------------------------------------------------------------
    def _target_value(self, text: str) -> Any:
        text = text.strip()
        if not text:
            return None
        if text.upper() == TSTM:
            return TSTM
        try:
            return Decimal(text.replace(",", "."))
        except InvalidOperation:
            return text  # the core names the lesion and says why

    def fields(self) -> dict[str, Any]:
        visit: dict[str, Any] = {"date": self.date.text_value()}
        if self.response.currentData() is not None:
            visit["response"] = self.response.currentData()
        if self.ecog.currentData() is not None:
            visit["ecog"] = self.ecog.currentData()
        for key, box in self.flags.items():
            if box.isChecked():
                visit[key] = True
        if self.sites.value() >= 0:
            visit["progressing_sites"] = self.sites.value()
        if self.biopsy.currentData() is not None:
            visit["biopsy_confirms_progression"] = self.biopsy.currentData()
        if self.notes.toPlainText().strip():
            visit["notes"] = self.notes.toPlainText().strip()
        if self.target_inputs or self.non_target_inputs:
            visit["lesions"] = {
                "targets": {k: self._target_value(e.text()) for k, e in self.target_inputs.items()},
                "non_targets": {k: c.currentData() for k, c in self.non_target_inputs.items()},
                "new_lesions": self._new_list() or self.new_lesions.currentData(),
            }
        return visit

    def _new_list(self) -> list[dict[str, Any]]:
        """The new lesions listed one by one (none: the status chosen above governs)."""
        return [
            {"id": lid.text().strip(), "organ": organ.text().strip(), "mm": self._target_value(mm.text()),
             "measurable": measurable.isChecked()}
            for lid, organ, mm, measurable in self.new_rows
        ]  # fmt: skip

    def refresh(self) -> None:
        if self.new_table is not None:
            self._watch()  # a new lesion's id is part of how the checks name it
        self.preview = preview_visit(self.case, self.fields(), self.today)
        p = self.preview
        found = self.problems()
        self.error.show_errors(found)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(p.ok and not found)
        if p.timepoint is not None:
            tp = p.timepoint
            lines = [
                f"Sum {_mm(tp.sum_mm)}{' (partial)' if not tp.complete and tp.sum_mm is not None else ''}; "
                f"from baseline {_pct(tp.change_from_baseline_pct)}; nadir {_mm(tp.nadir_mm)}, "
                f"change {_mm(tp.change_from_nadir_mm)} / {_pct(tp.change_from_nadir_pct)}",
                f"Target {response_label(tp.target.value) if tp.target else '—'}, non-target "
                f"{response_label(tp.non_target.value) if tp.non_target else '—'}, new lesions "
                f"{NEW_LESION_LABELS.get(tp.new_lesions.value, tp.new_lesions.value)}: "
                f"<b>{response_label(p.computed.value) if p.computed else '—'}</b> — {tp.row}",
            ]
            if p.differs and p.recorded and p.computed:
                lines.append(
                    f"<span style='color:{readable('#b9770e')}'><b>The recorded response differs from the "
                    f"measurements</b>: recorded {response_label(p.recorded.value)}, the measurements give "
                    f"{response_label(p.computed.value)}; the recorded response governs.</span>"
                )
            self.preview_label.setText("<br>".join(lines))
        elif found and (self.target_inputs or self.non_target_inputs):
            # Said, not a blank where the summary was (walkthrough: it vanished while a new lesion
            # row waited for its size, and nothing said why or when it would come back).
            self.preview_label.setText(
                f"<span style='color:{readable('#7f8c8d')}'>The RECIST response is computed once the "
                "problem below is fixed.</span>"
            )
        elif self.target_inputs or self.non_target_inputs:
            self.preview_label.setText("")

    def problems(self) -> list[Problem]:
        """Every problem of the visit at once: the date, each measurement, then the core's check."""
        found: list[Problem] = date_problems({"date": self.date})
        for lid, edit in self.target_inputs.items():
            text = edit.text().strip()
            if text and text.upper() != TSTM and not isinstance(self._target_value(text), Decimal):
                found.append((f"lesions.targets.{lid}", f"{text!r} is not a size in mm (or TSTM)"))
        for k, new in enumerate(self._new_list()):
            if new["mm"] is not None and not isinstance(new["mm"], Decimal):
                found.append((f"lesions.new_lesions[{k}].mm", f"{new['mm']!r} is not a size in mm"))
        p = self.preview
        if not p.ok and p.error and all(field != p.error_field for field, _ in found):
            found.append((p.error_field, p.error))
        return found

    def _watch(self) -> None:
        fields: dict[str, QWidget] = {
            "date": self.date, "modality": self.modality, "response": self.response, "ecog": self.ecog,
            "progressing_sites": self.sites, "biopsy_confirms_progression": self.biopsy, "notes": self.notes,
            "lesions.new_lesions": self.new_lesions,
        }  # fmt: skip
        fields.update({f"lesions.targets.{k}": e for k, e in self.target_inputs.items()})
        fields.update({f"lesions.non_targets.{k}": c for k, c in self.non_target_inputs.items()})
        fields.update(self.flags)
        if self.new_table is not None:  # by row, and by id as the checks name a new lesion
            self.error.fields = {k: w for k, w in self.error.fields.items() if "new lesion" not in k
                                 and not k.startswith("lesions.new_lesions[")}  # fmt: skip
            for k, (lid, organ, mm, measurable) in enumerate(self.new_rows):
                named = f"new lesion {lid.text().strip()}"
                for prefix in (f"lesions.new_lesions[{k}]", named):
                    fields.update({prefix: lid, f"{prefix}.id": lid, f"{prefix}.organ": organ,
                                   f"{prefix}.mm": mm, f"{prefix}.measurable": measurable})  # fmt: skip
        self.error.watch(fields)

    def _save(self) -> None:
        self.refresh()
        if not self.preview.ok or self.problems():
            return
        self.buttons.setEnabled(False)
        self.on_save(self.fields(), self.modality.currentText())

    def show_error(self, field: str | None, message: str) -> None:
        """The store refused the visit: say why, keep what was typed."""
        self.error.show_error(field, message)
        self.buttons.setEnabled(True)


class BaselineDialog(QDialog):
    """Baseline lesions: targets with their size, non-targets, and the scan date."""

    def __init__(
        self,
        parent: QWidget | None,
        baseline: dict[str, Any] | None,
        on_save: Callable[[dict[str, Any]], None],
        first_dose: dt.date | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Baseline lesions")
        self.on_save = on_save
        baseline = baseline or {
            # The first dose, not today: a baseline entered months later defaulted to that day,
            # "330 days after the first dose", easy to save unread.
            "date": (first_dose or dt.datetime.now().astimezone().date()).isoformat(),
            "targets": [],
            "non_targets": [],
        }
        self.date = DateEdit(dt.date.fromisoformat(baseline["date"]))
        self.date.set_reference(first_dose)
        # Rows are removed with the Remove button, the Delete key or the right-click menu (a row
        # used to go only when its id was cleared, which nothing said); Cancel undoes it.
        self.lesions = LesionTable(
            ("Id", "Kind", "Organ", "Lymph node", "Size (mm)"),
            (
                ("Add target", lambda: self._add_clicked("t")),
                ("Add non-target", lambda: self._add_clicked("n")),
            ),
            noun="lesion",
            visible_rows=7,
        )
        for t in baseline["targets"]:
            self._add_row(t["id"], "target", t.get("organ", ""), bool(t.get("nodal")), str(t["mm"]))
        for n in baseline["non_targets"]:
            self._add_row(n["id"], "non_target", n.get("organ", ""), False, "")
        self.error = ErrorLabel()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel("Baseline scan date"))
        top.addWidget(self.date)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("At most 5 targets, 2 per organ (all lymph nodes count as one organ); "
                                "non-nodal ≥ 10 mm longest diameter, nodal ≥ 15 mm short axis."))  # fmt: skip
        layout.addWidget(self.lesions)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._initial = self._state()

    @property
    def rows(self) -> list[tuple[QLineEdit, QComboBox, QLineEdit, QCheckBox, QLineEdit]]:
        return self.lesions.rows  # type: ignore[return-value]  # the widgets _add_row made

    def _state(self) -> tuple[object, ...]:
        return (self.date.edit.text(), *((w[0].text(), w[1].currentData(), w[2].text(), w[3].isChecked(),
                                          w[4].text()) for w in self.rows))  # fmt: skip

    def reject(self) -> None:
        if self._state() != self._initial and not confirm_discard(self, "the baseline lesions"):
            return
        super().reject()

    def _add_clicked(self, which: str) -> None:
        kind = "target" if which == "t" else "non_target"
        prefix = "T" if kind == "target" else "NT"
        used = {r[0].text().strip() for r in self.rows}
        number = 1
        while f"{prefix}{number}" in used:  # the first free number: after a removal, T1 may be
            number += 1
        self._add_row(f"{prefix}{number}", kind, "", False, "", focus=True)

    def _add_row(self, lid: str, kind: str, organ: str, nodal: bool, mm: str, focus: bool = False) -> None:
        widgets = (QLineEdit(lid), QComboBox(), QLineEdit(organ), QCheckBox(), QLineEdit(mm))
        widgets[1].addItem("target", "target")
        widgets[1].addItem("non-target", "non_target")
        widgets[1].setCurrentIndex(max(0, widgets[1].findData(kind)))
        widgets[3].setChecked(nodal)
        self.lesions.add_row(widgets, focus=focus)

    def baseline(self) -> dict[str, Any]:
        targets: list[dict[str, Any]] = []
        non_targets: list[dict[str, Any]] = []
        fields: dict[str, QWidget] = {"date": self.date, "baseline.date": self.date}
        for lid, kind, organ, nodal, mm in self.rows:
            if not lid.text().strip():
                continue
            key = "targets" if kind.currentData() == "target" else "non_targets"
            k = len(targets) if key == "targets" else len(non_targets)
            named = f"baseline {'target' if key == 'targets' else 'non-target'} {lid.text().strip()}"
            for prefix in (f"{key}[{k}]", f"baseline.{key}[{k}]", named):
                fields.update({prefix: lid, f"{prefix}.id": lid, f"{prefix}.organ": organ, f"{prefix}.mm": mm,
                               f"{prefix}.nodal": nodal})  # fmt: skip
            if kind.currentData() == "target":
                try:
                    size: Any = Decimal(mm.text().strip().replace(",", "."))
                except InvalidOperation:
                    size = mm.text().strip()
                targets.append(
                    {
                        "id": lid.text().strip(),
                        "organ": organ.text().strip(),
                        "nodal": nodal.isChecked(),
                        "mm": size,
                    }
                )
            else:
                non_targets.append({"id": lid.text().strip(), "organ": organ.text().strip()})
        self.error.watch(fields)
        return {"date": self.date.text_value(), "targets": targets, "non_targets": non_targets}

    def problems(self) -> list[Problem]:
        """Every problem seen before the store checks the lesions: the date, ids and sizes."""
        found: list[Problem] = date_problems({"baseline.date": self.date})
        baseline = self.baseline()
        for k, t in enumerate(baseline["targets"]):
            if not isinstance(t["mm"], Decimal):
                found.append((f"baseline.targets[{k}].mm", f"{t['mm']!r} is not a size in mm"))
        found += self._dropped_input()
        ids = [x["id"] for x in baseline["targets"] + baseline["non_targets"]]
        for k, lid in enumerate(ids):
            if lid in ids[:k]:
                n_targets = len(baseline["targets"])
                kind, n = ("targets", k) if k < n_targets else ("non_targets", k - n_targets)
                found.append((f"baseline.{kind}[{n}].id", f"the id {lid} is used twice"))
        return found

    def _dropped_input(self) -> list[Problem]:
        """What a row holds that the baseline would not keep, said instead of dropped: a row
        without an id (it was left out without a word), a size or a lymph-node mark on a
        non-target (RECIST measures targets only; the baseline keeps a non-target's id and organ)."""
        found: list[Problem] = []
        for n, (lid, kind, organ, nodal, mm) in enumerate(self.rows, 1):
            name = lid.text().strip()
            if not name and (organ.text().strip() or mm.text().strip()):
                why = "is required: a lesion without an id is not saved"
                found.append(self._row_problem(f"row {n}.id", lid, f"Lesion on row {n}, id", why))
            if kind.currentData() != "non_target" or not name:
                continue
            if mm.text().strip():
                why = "a non-target lesion is not measured: clear the size, or make it a target"
                label = f"Non-target lesion {name}, size (mm)"
                found.append(self._row_problem(f"row {n}.mm", mm, label, why))
            if nodal.isChecked():
                why = "is kept for targets only: untick it, or make the lesion a target"
                label = f"Non-target lesion {name}, lymph node"
                found.append(self._row_problem(f"row {n}.nodal", nodal, label, why))
        return found

    def _row_problem(self, key: str, widget: QWidget, label: str, message: str) -> Problem:
        self.error.watch({key: widget})
        self.error.labels[key] = label
        return key, message

    def _save(self) -> None:
        found = self.problems()
        if found:
            self.error.show_errors(found)
            return
        self.buttons.setEnabled(False)
        self.on_save(self.baseline())

    def show_error(self, field: str | None, message: str) -> None:
        self.error.show_error(field, message)
        self.buttons.setEnabled(True)
