"""Small form helpers: an optional date, inline error display, a reason prompt."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def parse_date(text: str, locale: QLocale | None = None) -> dt.date | None:
    """A typed date: ISO (2025-09-01) first, then the locale's short format (with a
    two- or four-digit year); None when it is not a date."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    short = (locale or QLocale()).dateFormat(QLocale.FormatType.ShortFormat)
    formats = [short.replace("yyyy", "yy").replace("yy", "yyyy"), short.replace("yyyy", "yy")]
    for fmt in formats:
        day = QDate.fromString(text, fmt)
        if day.isValid():
            if "yyyy" not in fmt and day.year() < 2000:
                day = day.addYears(100)  # "25" is 2025, not 1925
            return pydate(day)
    return None


class DateEdit(QWidget):
    """A date typed as text (ISO, or the locale's short format) or picked in the calendar.

    A plain line edit, so no keystroke is ever swallowed by a date section. Beside it,
    the weekday and, when the dialog knows one, the day count from the first dose.
    ``value()`` is the last valid date; ``is_valid()`` says whether the text is one.
    """

    dateChanged = Signal(QDate)
    """A new valid date was typed or picked."""

    def __init__(self, day: dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = day or dt.datetime.now().astimezone().date()
        self._reference: tuple[dt.date, str] | None = None
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("YYYY-MM-DD")
        self.edit.setMaxLength(20)
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("0000-00-00000"))
        self.edit.setToolTip(
            "Type the date as YYYY-MM-DD or as "
            + QLocale().dateFormat(QLocale.FormatType.ShortFormat).lower()
            + ", or pick it in the calendar"
        )
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.button = QToolButton()
        self.button.setText("📅")
        self.button.setToolTip("Pick the date in a calendar")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.button)
        picker = QWidgetAction(menu)
        picker.setDefaultWidget(self.calendar)
        menu.addAction(picker)
        menu.aboutToShow.connect(lambda: self.calendar.setSelectedDate(qdate(self._value)))
        self.button.setMenu(menu)
        self.calendar.clicked.connect(lambda day: self._picked(day, menu))
        self.hint = QLabel()
        self.hint.setMinimumWidth(self.hint.fontMetrics().horizontalAdvance("Wed."))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.button)
        layout.addWidget(self.hint, 1)
        self.edit.setText(self._value.isoformat())
        self.edit.textEdited.connect(self._typed)
        self._describe()

    def _picked(self, day: QDate, menu: QMenu) -> None:
        self.setDate(day)
        menu.close()

    # -- the QDateEdit calls the dialogs and tests use ----------------------
    def setDate(self, day: QDate) -> None:
        self.set_value(pydate(day))

    def date(self) -> QDate:
        return qdate(self._value)

    # ----------------------------------------------------------------------
    def value(self) -> dt.date:
        return self._value

    def set_value(self, day: dt.date) -> None:
        self.edit.setText(day.isoformat())
        self._typed(self.edit.text())

    def is_valid(self) -> bool:
        return parse_date(self.edit.text()) is not None

    def text_value(self) -> str:
        """The ISO date when the text is one, else the text as typed (the check names the field)."""
        day = parse_date(self.edit.text())
        return day.isoformat() if day else self.edit.text().strip()

    def set_reference(self, day: dt.date | None, what: str = "the first dose") -> None:
        """Count days from ``day`` beside the field."""
        self._reference = (day, what) if day else None
        room = f"Wed · 1000 days after {what}" if day else "Wed."
        self.hint.setMinimumWidth(self.hint.fontMetrics().horizontalAdvance(room))
        self._describe()

    def _typed(self, text: str) -> None:
        day = parse_date(text)
        if day is not None and day != self._value:
            self._value = day
            self._describe()
            self.dateChanged.emit(qdate(day))
        else:
            self._describe()

    def _describe(self) -> None:
        day = parse_date(self.edit.text())
        if day is None:
            self.hint.setText("<span style='color:#c0392b'>not a date (YYYY-MM-DD)</span>")
            return
        words = [QLocale().dayName(day.isoweekday(), QLocale.FormatType.ShortFormat)]
        if self._reference is not None:
            start, what = self._reference
            n = (day - start).days
            words.append(
                f"day 0: {what}" if n == 0
                else f"{n} day{'s' if abs(n) != 1 else ''} {'after' if n > 0 else 'before'} {what}"
            )  # fmt: skip
        self.hint.setText(" · ".join(words))


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

    def text_value(self) -> str | None:
        """The ISO date (or the text as typed, for the check to name), None when not recorded."""
        return self.edit.text_value() if self.check.isChecked() else None

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
