"""Small form helpers: an optional date, inline error display, a reason prompt."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QWidget

from core import limits


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class DateEdit(QDateEdit):
    def __init__(self, day: dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setDateRange(qdate(limits.MIN_DATE), qdate(limits.MAX_DATE))  # the core's plausible dates
        if day is not None:
            self.setDate(qdate(day))

    def value(self) -> dt.date:
        return pydate(self.date())


class OptionalDate(QWidget):
    """A date that may be absent ("not recorded"): a checkbox and a date field."""

    sig_changed = Signal()
    """The date or its presence changed."""

    def __init__(self, label: str, day: dt.date | None = None, default: dt.date | None = None) -> None:
        super().__init__()
        self.check = QCheckBox(label)
        self.edit = DateEdit(day or default or dt.datetime.now().astimezone().date())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit, 1)
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(self.sig_changed)
        self.edit.dateChanged.connect(self.sig_changed)
        self.set_value(day)

    def value(self) -> dt.date | None:
        return self.edit.value() if self.check.isChecked() else None

    def set_value(self, day: dt.date | None) -> None:
        self.check.setChecked(day is not None)
        self.edit.setEnabled(day is not None)
        if day is not None:
            self.edit.setDate(qdate(day))


class ErrorLabel(QLabel):
    """Shows a field's problem in red under a form; empty when all is well."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # messages quote what was typed: never render it
        self.setStyleSheet("color: #c0392b; font-weight: bold;")
        self.hide()

    def show_error(self, field: str | None, message: str | None) -> None:
        if not message:
            self.clear()
            self.hide()
            return
        self.setText(f"{field}: {message}" if field else message)
        self.show()


def ask_reason(parent: QWidget, what: str) -> str | None:
    """Ask why saved data is changed or deleted; None when cancelled (an empty reason is refused)."""
    while True:
        text, ok = QInputDialog.getText(
            parent, "Reason required", f"Why {what}? (recorded in the audit trail)", QLineEdit.EchoMode.Normal
        )
        if not ok:
            return None
        if text.strip():
            return text.strip()


def confirm_same_date(parent: QWidget, date: str, count: int) -> bool:
    """Warn before a second visit is saved on a date that already has one (rules v2, C11)."""
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        parent,
        "Another visit on this date",
        f"{count} visit(s) on {date} are already recorded. If the responses differ, the worst "
        "response of that date governs the classification, and it is flagged as a conflict.\n\n"
        "Save this visit on the same date anyway?",
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Save
