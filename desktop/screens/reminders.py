"""Reminders: every pending confirmation across the roster by urgency, and the
threshold dates coming up in the next N days; export to a calendar file."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from core.reminders import Reminder, pending_confirmations, upcoming_thresholds, without_confirmations
from core.roster import RosterRow
from desktop.screens.simple_table import RowsModel, table_view
from desktop.style import URGENCY_COLOURS, muted, readable

BASE = QPalette.ColorRole.Base  # table cells are drawn on Base

URGENCY_LABELS = {
    "overdue": "OVERDUE",
    "open": "due now",
    "not_yet_open": "opening soon",
    "upcoming": "upcoming",
}


class RemindersScreen(QWidget):
    sig_open_subject = Signal(int)
    """Open a subject: (subject primary key)."""
    sig_export = Signal()
    """Export the reminders to a calendar file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confirmations: RowsModel[Reminder] = RowsModel(
            [
                ("Urgency", lambda m: URGENCY_LABELS[m.urgency]),
                ("Subject", lambda m: m.subject_id),
                ("Would become", lambda m: m.category),
                ("Window opens", lambda m: m.opens or ""),
                ("Window closes", lambda m: m.closes or ""),
                ("What", lambda m: m.what),
            ],
            colour=lambda m: (
                readable(URGENCY_COLOURS[m.urgency], BASE) if m.urgency in URGENCY_COLOURS else None
            ),
        )
        self.thresholds: RowsModel[Reminder] = RowsModel(
            [("Date", lambda m: m.date), ("Subject", lambda m: m.subject_id), ("Threshold", lambda m: m.what)]
        )
        self.days = QSpinBox()
        self.days.setRange(1, 365)
        self.days.setValue(30)
        self.days.setSuffix(" days")
        self.summary = QLabel()
        self.no_confirmation = QLabel()
        self.no_confirmation.setWordWrap(True)
        self.no_confirmation.setStyleSheet(f"color: {muted()}")  # #555 was 1.9:1 on a dark palette
        export = QPushButton("Export to calendar (.ics)…")
        export.clicked.connect(self.sig_export)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(export)
        self.confirm_view = table_view(
            self.confirmations, "No confirmation pending: no subject waits for a confirmatory scan or biopsy."
        )
        self.threshold_view = table_view(self.thresholds)  # its words depend on the days: see refresh
        for view, model in ((self.confirm_view, self.confirmations), (self.threshold_view, self.thresholds)):
            view.activated.connect(
                lambda index, model=model: self.sig_open_subject.emit(model.row_at(index.row()).subject_pk)
            )
        for col, width in enumerate((100, 110, 170, 100, 100)):
            self.confirm_view.setColumnWidth(col, width)
        horizon = QHBoxLayout()
        horizon.addWidget(
            QLabel("<b>Threshold dates</b> (6 weeks, 6 months, 12 weeks after the last dose) in the next")
        )
        horizon.addWidget(self.days)
        horizon.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("<b>Confirmations pending</b>, most urgent first"))
        layout.addWidget(self.confirm_view, 3)
        layout.addWidget(self.no_confirmation)
        layout.addLayout(horizon)
        layout.addWidget(self.threshold_view, 2)
        self._rows: Sequence[RosterRow] = []
        self.days.valueChanged.connect(lambda _v: self.set_rows(self._rows))

    def set_rows(self, rows: Sequence[RosterRow]) -> None:
        self._rows = rows
        pending = pending_confirmations(rows)
        self.confirmations.set_rows(pending)
        as_of = rows[0].result.as_of if rows else None
        self.thresholds.set_rows(upcoming_thresholds(rows, as_of, self.days.value()) if as_of else [])
        days = self.days.value()
        plural = "s" if days != 1 else ""
        self.threshold_view.set_placeholder(f"No threshold date in the next {days} day{plural}.")
        chemo = without_confirmations(rows)
        self.no_confirmation.setText(
            f"{len(chemo)} subject(s) on PD-(L)1 + chemotherapy are classified under SITC 2023 ICI-chemo "
            "(Rizvi et al., JITC 2023, Table 3), which requires no confirmatory scan: "
            "nothing to remind for them."
            if chemo
            else ""
        )
        self.no_confirmation.setVisible(bool(chemo))
        counts = {u: sum(1 for m in pending if m.urgency == u) for u in ("overdue", "open", "not_yet_open")}
        self.summary.setText(
            f"<b style='color:{readable(URGENCY_COLOURS['overdue'])}'>{counts['overdue']} overdue</b> · "
            f"<b style='color:{readable(URGENCY_COLOURS['open'])}'>{counts['open']} due now</b> · "
            f"{counts['not_yet_open']} opening soon" + (f" · as of {as_of}" if as_of else "")
        )

    def counts(self) -> tuple[int, int]:
        """(overdue, due now) for the navigation badge."""
        pending = self.confirmations.rows()
        return sum(1 for m in pending if m.urgency == "overdue"), sum(
            1 for m in pending if m.urgency == "open"
        )
