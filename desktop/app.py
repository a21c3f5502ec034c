"""Application bootstrap and the case viewer window.

The viewer opens the bundled worked example cases and shows, for each, the
SITC 2020 category and the rationale that produced it. All clinical work is
done by ``core``; this module only lays results out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import sys
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core import APP_NAME, __version__
from core.casefile import parse_document
from core.paths import example_case_files
from core.rules import CATEGORY_LABELS, CAVEAT_HELP, Category, Classification, Course, classify

# Badge colours per category: readable on light and dark palettes.
CATEGORY_COLOURS: dict[Category, str] = {
    Category.PRIMARY_RESISTANCE: "#c0392b",
    Category.SECONDARY_RESISTANCE: "#d35400",
    Category.LATE_PROGRESSION: "#8e44ad",
    Category.LATE_RELAPSE: "#8e44ad",
    Category.PENDING_CONFIRMATION: "#b7950b",
    Category.INSUFFICIENT_EXPOSURE: "#7f8c8d",
    Category.NO_PROGRESSION: "#27ae60",
    Category.NOT_APPLICABLE: "#7f8c8d",
    Category.INDETERMINATE: "#2c3e50",
}

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class CaseRow:
    course: Course
    result: Classification


def load_example_courses() -> list[Course]:
    """Every bundled example case, parsed by the core."""
    courses: list[Course] = []
    for f in example_case_files():
        found, _, errors = parse_document(json.loads(f.read_text(encoding="utf-8")), source=f.name)
        if errors:
            raise errors[0]
        courses.extend(found)
    return courses


class CaseListModel(QAbstractListModel):
    """Thin adapter over rows the core built: subject id and category."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseRow] = []

    def set_rows(self, rows: list[CaseRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> CaseRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        category = row.result.category
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{row.course.subject_id}\n{CATEGORY_LABELS[category]}"
        if role == Qt.ItemDataRole.DecorationRole:
            return QColor(CATEGORY_COLOURS[category])
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.result.reason or row.result.rule or CATEGORY_LABELS[category]
        return None


def result_html(course: Course, result: Classification) -> str:
    """The classification laid out for reading: category, rule, evidence, rationale."""
    e = html.escape
    colour = CATEGORY_COLOURS[result.category]
    label = CATEGORY_LABELS[result.category]
    parts = [
        f"<h2>{e(course.subject_id)}</h2>",
        f"<p><span style='background:{colour};color:white;padding:4px;font-weight:bold'>"
        f"&nbsp;{e(label)}&nbsp;</span>",
    ]
    if result.provisional_category:
        parts.append(f" &nbsp;provisionally <b>{e(CATEGORY_LABELS[result.provisional_category])}</b>")
    parts.append("</p>")
    facts = [
        ("Rule", result.rule.value if result.rule else "—"),
        ("Progression date", str(result.progression_date or "—")),
        ("Confirmation", f"{result.confirmation.required}: {result.confirmation.status}"),
    ]
    c = result.confirmation
    if c.opens and c.closes:
        window = f"{c.opens} to {c.closes}"
        if c.due_status:
            window += f" ({c.due_status.replace('_', ' ')})"
        facts.append(("Confirmation window", window))
    if result.reason:
        facts.append(("Reason", result.reason))
    parts.append("<table cellspacing='4'>")
    parts += [f"<tr><td><b>{e(k)}</b></td><td>{e(v)}</td></tr>" for k, v in facts]
    parts.append("</table><h3>Rationale</h3><ol>")
    parts += [f"<li>{e(step)}</li>" for step in result.rationale]
    parts.append("</ol>")
    if result.caveats:
        parts.append("<h3>Caveats</h3><ul>")
        parts += [
            f"<li><b>{e(cv.code.value)}</b>: {e(cv.text)}<br><i>{e(CAVEAT_HELP[cv.code])}</i></li>"
            for cv in result.caveats
        ]
        parts.append("</ul>")
    k = result.key_dates
    parts.append("<h3>Key dates</h3><ul>")
    parts.append(f"<li>6 weeks of exposure: {k.min_exposure_reached}</li>")
    parts.append(f"<li>6 months from first dose: {k.benefit_threshold}</li>")
    if k.off_treatment_threshold:
        parts.append(f"<li>12 weeks after last dose: {k.off_treatment_threshold}</li>")
    parts.append("</ul>")
    parts.append(
        f"<p style='color:gray'>Rule set {e(result.ruleset.name)} v{result.ruleset.version}, "
        f"as of {result.as_of}</p>"
    )
    return "".join(parts)


class CaseViewer(QMainWindow):
    """Interim main window: the bundled example cases and their classification."""

    def __init__(self, courses: list[Course], as_of: dt.date) -> None:
        super().__init__()
        self.setWindowTitle(f"{APP_NAME} {__version__} — example cases")
        self._courses = courses
        self.model = CaseListModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAlternatingRowColors(True)
        self.list.setMinimumWidth(320)
        self.detail = QTextBrowser()
        self.as_of = QDateEdit(QDate(as_of.year, as_of.month, as_of.day))
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")

        top = QHBoxLayout()
        top.addWidget(QLabel("Classify as of:"))
        top.addWidget(self.as_of)
        top.addStretch(1)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(self.detail)
        splitter.setSizes([340, 760])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(splitter)
        self.setCentralWidget(central)
        self.resize(1100, 720)

        self.as_of.dateChanged.connect(self.reclassify)
        self.list.selectionModel().currentRowChanged.connect(self._show)
        self.reclassify()

    def reclassify(self) -> None:
        as_of = self.as_of.date().toPython()
        assert isinstance(as_of, dt.date)
        current = max(self.list.currentIndex().row(), 0)
        self.model.set_rows([CaseRow(c, classify(c, as_of)) for c in self._courses])
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(min(current, self.model.rowCount() - 1)))

    def _show(self, current: QModelIndex) -> None:
        if current.isValid():
            row = self.model.row_at(current.row())
            self.detail.setHtml(result_html(row.course, row.result))


def run(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    window = CaseViewer(load_example_courses(), dt.datetime.now().astimezone().date())
    window.show()
    return app.exec()
