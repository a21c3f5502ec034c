"""Rows of lesion fields in a table that can lose a row: the baseline's targets and non-targets,
a visit's new lesions.

Each row is a tuple of ordinary input widgets (the forms outline them in red, the tests type into
them), placed in a ``QTableWidget`` so that rows can be selected: by clicking a row's number, or
by working in one of its fields. The selected rows go with the *Remove* button beside the *Add*
buttons, the Delete key (outside a text field, where Delete deletes a character), or the
right-click menu of any of the row's fields. Nothing is saved until the dialog's OK: Cancel
undoes a removal with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

Row = tuple[QWidget, ...]


class LesionTable(QWidget):
    """A table of lesion rows with Add buttons, Remove, the Delete key and a context menu."""

    changed = Signal()
    """A row was added or removed."""

    def __init__(
        self,
        headers: Sequence[str],
        adds: Sequence[tuple[str, Callable[[], None]]],
        noun: str = "lesion",
        visible_rows: int = 5,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.noun = noun
        self.rows: list[Row] = []
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setToolTip(f"Click a number to select the {noun}; Shift or Ctrl for more")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        row_height = QLineEdit().sizeHint().height() + 6
        self.table.verticalHeader().setDefaultSectionSize(row_height)
        room = header.sizeHint().height() + visible_rows * row_height + 2 * self.table.frameWidth() + 2
        self.table.setMinimumHeight(header.sizeHint().height() + 2 * row_height + 2 * self.table.frameWidth())
        self.table.setMaximumHeight(room)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda pos: self._popup(self.table.viewport().mapToGlobal(pos), None)
        )
        self.table.verticalHeader().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().customContextMenuRequested.connect(self._header_menu)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        # A click on a row's number selects the row, and Qt puts the keyboard in its first field
        # (the current cell's widget): Delete then deleted a character of the id, not the row.
        self.table.verticalHeader().sectionClicked.connect(lambda _row: self.table.setFocus())

        self.remove_action = QAction(f"Remove selected {noun}s", self)
        self.remove_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        # Delete in a text field deletes a character (the field takes the key first); on a row's
        # number, a list or a tick box it removes the selected rows.
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        self.table.addAction(self.remove_action)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        self.add_buttons: list[QPushButton] = []
        for title, handler in adds:
            button = QPushButton(title)
            button.clicked.connect(handler)
            buttons.addWidget(button)
            self.add_buttons.append(button)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip(
            f"Remove the selected {noun}s (Delete). Cancel undoes it: nothing is saved until OK"
        )
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._selection_changed()

    # ------------------------------------------------------------------
    def add_row(self, widgets: Row, focus: bool = False) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, widget in enumerate(widgets):
            widget.installEventFilter(self)
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            widget.customContextMenuRequested.connect(
                lambda pos, w=widget: self._popup(w.mapToGlobal(pos), w)
            )
            self.table.setCellWidget(row, col, widget)
        self.rows.append(widgets)
        if focus:
            widgets[0].setFocus()
            self.table.selectRow(row)
        self.changed.emit()

    def row_of(self, widget: QWidget) -> int | None:
        for k, row in enumerate(self.rows):
            if any(widget is w or w.isAncestorOf(widget) for w in row):
                return k
        return None

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectionModel().selectedRows()})

    def remove_selected(self) -> None:
        """Remove the selected rows (none selected: nothing happens)."""
        doomed = self.selected_rows()
        if not doomed:
            return
        for row in reversed(doomed):
            for widget in self.rows[row]:
                widget.removeEventFilter(self)
            self.table.removeRow(row)  # deletes its widgets
            del self.rows[row]
        if self.rows:  # the next row, so that Delete again removes it too
            nxt = min(doomed[0], len(self.rows) - 1)
            self.table.selectRow(nxt)
        self.table.setFocus()
        self._selection_changed()
        self.changed.emit()

    # ------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            row = self.row_of(watched)
            if row is not None and row not in self.selected_rows():
                self.table.selectRow(row)  # working in a row's field selects the row
        return super().eventFilter(watched, event)

    def _selection_changed(self) -> None:
        count = len(self.selected_rows())
        self.remove_button.setEnabled(count > 0)
        self.remove_action.setEnabled(count > 0)
        self.remove_button.setText("Remove" if count < 2 else f"Remove {count}")

    def _header_menu(self, pos: QPoint) -> None:
        header = self.table.verticalHeader()
        row = header.logicalIndexAt(pos)
        if row >= 0 and row not in self.selected_rows():
            self.table.selectRow(row)
        self._popup(header.mapToGlobal(pos), None)

    def context_menu(self, widget: QWidget | None) -> QMenu:
        """The right-click menu: a text field's own (cut, copy, paste) and, below, Remove."""
        if widget is not None:
            row = self.row_of(widget)
            if row is not None and row not in self.selected_rows():
                self.table.selectRow(row)
        menu = widget.createStandardContextMenu() if isinstance(widget, QLineEdit) else QMenu(self)
        if not menu.isEmpty():
            menu.addSeparator()
        count = len(self.selected_rows())
        action = menu.addAction(
            f"Remove this {self.noun}" if count == 1 else f"Remove the {count} selected {self.noun}s"
        )
        action.setEnabled(count > 0)
        action.triggered.connect(self.remove_selected)
        return menu

    def _popup(self, where: QPoint, widget: QWidget | None) -> None:
        menu = self.context_menu(widget)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(where)
