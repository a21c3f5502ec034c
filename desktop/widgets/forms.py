"""Small form helpers: an optional date, inline error display, a reason prompt."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from core import limits
from core.presentation import field_label, plain_message
from desktop.style import readable


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
        iso = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return iso if limits.MIN_DATE <= iso <= limits.MAX_DATE else None
    short = (locale or QLocale()).dateFormat(QLocale.FormatType.ShortFormat)
    formats = [short.replace("yyyy", "yy").replace("yy", "yyyy"), short.replace("yyyy", "yy")]
    for fmt in formats:
        day = QDate.fromString(text, fmt)
        if day.isValid():
            if "yyyy" not in fmt and day.year() < 2000:
                day = day.addYears(100)  # "25" is 2025, not 1925
            found = pydate(day)
            return found if limits.MIN_DATE <= found <= limits.MAX_DATE else None
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
        self.button.setArrowType(Qt.ArrowType.DownArrow)
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
        self.edit.textChanged.connect(self._typed)
        self._describe()

    def _picked(self, day: QDate, menu: QMenu) -> None:
        self.setDate(day)
        menu.close()

    # -- the QDateEdit calls the dialogs and tests use ----------------------
    def setDate(self, day: QDate | dt.date) -> None:
        self.set_value(pydate(day) if isinstance(day, QDate) else day)

    def minimumDate(self) -> QDate:
        return qdate(limits.MIN_DATE)

    def maximumDate(self) -> QDate:
        return qdate(limits.MAX_DATE)

    def date(self) -> QDate:
        return qdate(self._value)

    # ----------------------------------------------------------------------
    def value(self) -> dt.date:
        return self._value

    def set_value(self, day: dt.date) -> None:
        self.edit.setText(day.isoformat())  # textChanged updates the value and the hint

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
            self.hint.setText(
                f"<span style='color:{readable(ERROR_RED)}'>"
                f"not a date from {limits.MIN_DATE:%Y} to {limits.MAX_DATE:%Y} "
                "(YYYY-MM-DD)</span>"
            )
            return
        words = [QLocale().dayName(day.isoweekday(), QLocale.FormatType.ShortFormat)]
        if self._reference is not None:
            start, what = self._reference
            n = (day - start).days
            words.append(
                f"day 0: {what}" if n == 0
                else f"{abs(n)} day{'s' if abs(n) != 1 else ''} {'after' if n > 0 else 'before'} {what}"
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


Problem = tuple[str | None, str]
"""A refused value: (the field's dotted name or None, what is wrong with it)."""

ERROR_RED = "#c0392b"
INVALID_STYLE = f"border: 2px solid {ERROR_RED}; border-radius: 3px;"


class ErrorLabel(QLabel):
    """Every problem of a form at once, in red under it, each with the field's name as the
    form shows it; the fields at fault are outlined in red. Empty when all is well."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # messages quote what was typed: never render it
        self.setStyleSheet(f"color: {readable(ERROR_RED)}; font-weight: bold;")
        self.fields: dict[str, QWidget] = {}
        self.unlabelled: set[str] = set()  # fields whose messages name them already: no "Name: "
        self.labels: dict[str, str] = {}  # a form's own name for a field, where the usual is ambiguous
        self._marked: list[tuple[QWidget, str]] = []
        self.marked_fields: list[str] = []
        self._lines: list[tuple[QWidget | None, str]] = []  # each message, with its outlined field
        self._edits: list[tuple[object, object]] = []  # (signal, slot): a marked field typed in
        self.hide()

    def watch(self, fields: dict[str, QWidget]) -> None:
        """The widgets of the fields (dotted names, as the core names them) to outline."""
        self.fields.update(fields)

    def show_error(self, field: str | None, message: str | None) -> None:
        self.show_errors([(field, message)] if message else [])

    def show_errors(self, problems: Sequence[Problem]) -> None:
        for widget, sheet in self._marked:
            widget.setStyleSheet(sheet)
        self._marked, self.marked_fields, self._lines = [], [], []
        self._forget_edits()
        if not problems:
            self.clear()
            self.hide()
            return
        for field, message in problems:
            label, message = self.labels.get(field or "") or field_label(field), plain_message(message)
            if field in self.unlabelled:
                label, message = "", message[:1].upper() + message[1:]
            target = self._widget_for(field)
            self._lines.append((target, f"{label}: {message}" if label else message))
            if target is not None and all(target is not w for w, _ in self._marked):
                self._marked.append((target, target.styleSheet()))
                target.setStyleSheet(target.styleSheet() + INVALID_STYLE)
                self.marked_fields.append(field or "")
                self._watch_edit(target)
        self._render()

    def _render(self) -> None:
        lines = [line for _, line in self._lines]
        if not lines:
            self.clear()
            self.hide()
            return
        self.setText(lines[0] if len(lines) == 1 else "\n".join(f"• {line}" for line in lines))
        self.show()

    def _watch_edit(self, widget: QWidget) -> None:
        """Once the user types in (or picks in) an outlined field, its outline and its messages
        go: they were about what was there before (walkthrough: a first-run form corrected field
        by field still listed, in red, every problem it no longer had)."""
        signal = (
            widget.textEdited if isinstance(widget, QLineEdit)
            else widget.activated if isinstance(widget, QComboBox)
            else None
        )  # fmt: skip
        if signal is None:
            return

        def edited(*_args: object) -> None:
            self._fixed(widget)

        signal.connect(edited)
        self._edits.append((signal, edited))

    def _forget_edits(self) -> None:
        for signal, slot in self._edits:
            with contextlib.suppress(RuntimeError, TypeError):  # the field went with its dialog
                signal.disconnect(slot)  # type: ignore[attr-defined]
        self._edits = []

    def _fixed(self, widget: QWidget) -> None:
        for k, (marked, sheet) in enumerate(self._marked):
            if marked is widget:
                widget.setStyleSheet(sheet)
                del self._marked[k]
                del self.marked_fields[k]
                break
        else:
            return
        self._lines = [(w, line) for w, line in self._lines if w is not widget]
        self._render()

    def _widget_for(self, field: str | None) -> QWidget | None:
        if not field:
            return None
        for name in (field, field.removeprefix("assessments[0].")):
            if name in self.fields:
                return _outlined(self.fields[name])
        prefixes = [k for k in self.fields if field.startswith(k + ".") or field.startswith(k + "[")]
        return _outlined(self.fields[max(prefixes, key=len)]) if prefixes else None


def _outlined(widget: QWidget) -> QWidget:
    """The part of a composite field that gets the red outline (a date's text box)."""
    if isinstance(widget, OptionalDate):
        return widget.edit.edit
    if isinstance(widget, DateEdit):
        return widget.edit
    return widget


def date_problems(fields: dict[str, DateEdit | OptionalDate]) -> list[Problem]:
    """A problem for each date field whose text is not a date."""
    out: list[Problem] = []
    for name, w in fields.items():
        edit = w.edit if isinstance(w, OptionalDate) else w
        if isinstance(w, OptionalDate) and not w.check.isChecked():
            continue
        if not edit.is_valid():
            out.append((name, f"{edit.edit.text()!r} is not a date: type it as YYYY-MM-DD"))
    return out


def confirm_discard(parent: QWidget, what: str) -> bool:
    """Closing a dialog with changes not saved: True to discard them, False to keep editing."""
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        f"Changes to {what} are not saved. Discard them?",  # "the baseline lesions" too
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Discard


class ReasonDialog(QDialog):
    """Why saved data is changed or deleted. OK with no reason says that one is needed and
    stays open: it used to show the same empty prompt again without a word."""

    def __init__(self, parent: QWidget | None, what: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reason required")
        self.setMinimumWidth(420)
        self.text = QLineEdit()
        self.error = ErrorLabel()
        self.error.watch({"reason": self.text})
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        prompt = QLabel(f"Why {what}? (recorded in the audit trail)")
        prompt.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def reason(self) -> str:
        return self.text.text().strip()

    def submit(self) -> None:
        if not self.reason():
            self.error.show_error("reason", "is required: type why, in a few words")
            self.text.setFocus()
            return
        self.accept()


def ask_reason(parent: QWidget | None, what: str) -> str | None:
    """Ask why saved data is changed or deleted; None when cancelled (an empty reason is refused)."""
    dialog = ReasonDialog(parent, what)
    try:
        return dialog.reason() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


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


TITLE_AND_TASKBAR = 60
"""What a window manager's title bar and a desktop panel take from a screen's height."""


class FormScroll(QScrollArea):
    """A tall form that scrolls when the screen is too short for it, and otherwise asks for
    its whole height: a dialog built on it opens without a scroll bar where it fits, and
    a list of errors shown under it takes room from the form, not from below the screen."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.content = content
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def sizeHint(self) -> QSize:
        content = self.content.sizeHint()
        return QSize(content.width() + self.verticalScrollBar().sizeHint().width(), content.height())

    def minimumSizeHint(self) -> QSize:
        width = self.content.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(width, min(160, self.content.sizeHint().height()))


def keep_on_screen(window: QWidget) -> None:
    """Grow ``window`` to show all it holds where the screen allows, never past the bottom of
    the screen (less a title bar and a panel), and move it up if its bottom edge went below."""
    screen = window.screen()
    if screen is None:
        return
    room = screen.availableGeometry()
    hint = window.sizeHint()
    height = max(window.minimumSizeHint().height(), min(hint.height(), room.height() - TITLE_AND_TASKBAR))
    window.resize(max(window.width(), min(hint.width(), room.width())), height)
    frame = window.frameGeometry()
    overflow = frame.bottom() - room.bottom()
    if overflow > 0:
        window.move(window.x(), max(room.top(), window.y() - overflow))


class WheelGuard(QObject):
    """The mouse wheel scrolls a form; it changes a list or a number only in the field being
    worked in (the one with the keyboard focus).

    Walkthrough: scrolling the visit dialog with the wheel, the non-target's list passed under
    the pointer and the next turns of the wheel changed it from "present" to "unequivocal
    progression" without a word (Qt gives a list or a spin box the wheel, and the focus, as soon
    as the pointer is over it). Here such a field without the focus lets the wheel go to the
    form behind it, which scrolls; a click in the field first, and the wheel changes it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if not isinstance(watched, (QComboBox, QAbstractSpinBox)):
            return False
        if kind == QEvent.Type.Polish and watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel gives no focus
        elif kind == QEvent.Type.Wheel:
            focus = QApplication.focusWidget()
            if not (watched.hasFocus() or (focus is not None and watched.isAncestorOf(focus))):
                event.ignore()  # Qt then offers it to the parents: the scroll area scrolls
                return True
        return False


def guard_the_wheel() -> None:
    """Install the ``WheelGuard`` on the application, once."""
    app = QApplication.instance()
    if app is not None and app.findChild(WheelGuard) is None:
        app.installEventFilter(WheelGuard(app))
