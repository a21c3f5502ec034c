"""One subject: header, treatment course, visits with their role in the
classification, the classification panel, the timeline and the spider plot."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core.casefile import parse_stored_case
from core.presentation import category_label, regimen_text, response_label, ruleset_short
from core.rules import Classification, Course, VisitRole, classify
from core.rules.recist import evaluate
from core.store import models as m
from core.store.casemap import case_from_rows, visit_order
from desktop.session import Session
from desktop.style import category_colour, readable, response_colour
from desktop.widgets.charts import SpiderWidget, TimelineData, TimelineWidget
from desktop.widgets.elided import ElidedLabel
from desktop.widgets.result_view import result_html

Index = QModelIndex | QPersistentModelIndex

ACTION_LABELS = {
    "add_visit": ("Add visit…", "Record a tumor assessment for {code}"),
    "edit_visit": ("Edit visit…", "Change the selected visit of {code}"),
    "delete_visit": ("Delete visit…", "Delete the selected visit of {code}"),
    "baseline": ("Baseline lesions…", "Set the baseline lesions of {code}"),
    "worksheet": ("Worksheet for {code}…", "Prepare or sign the eligibility worksheet of {code}"),
    "print": ("Print {code}…", "Print the summary of {code}"),
    "edit": ("Edit course of {code}…", "Change the treatment course of {code}"),
    "delete": ("Delete {code}…", "Delete subject {code} and its visits"),
}
ACTION_KEYS = tuple(ACTION_LABELS)

ROLE_LABELS = {
    VisitRole.INITIAL_PD: "Initial PD",
    VisitRole.CONFIRMATORY: "Confirms the PD",
    VisitRole.REFUTING: "Refutes the PD (pseudoprogression)",
    VisitRole.TOO_EARLY: "Too early to confirm (< 4 weeks)",
    VisitRole.CLINICAL_PROGRESSION: "Clinical progression: scan waived",
    VisitRole.BIOPSY: "Biopsy result",
    VisitRole.BEST_RESPONSE: "Best response before PD",
    VisitRole.REFUTED_PD: "PD later refuted",
    VisitRole.AFTER_AS_OF: "After the as-of date (not used)",
    VisitRole.AWAITING_ICPD: "iUPD again: awaiting iCPD",
    VisitRole.BEFORE_UNEQUIVOCAL: "Too early: lesion not yet unequivocal",
}
VISIT_HEADERS = (
    "Date",
    "Modality",
    "Recorded",
    "From lesions",
    "Governs",
    "Role in classification",
    "Flags",
    "Notes",
)


@dataclass(frozen=True)
class VisitRow:
    assessment_pk: int
    date: dt.date
    modality: str
    recorded: str
    computed: str
    governing: str
    role: str
    flags: str
    notes: str


def visit_rows(assessments: Sequence[m.Assessment], result: Classification) -> list[VisitRow]:
    """Rows for the visit table, in the case-file order the classification indexes."""
    ordered = visit_order(assessments)
    roles = dict(result.visit_roles)
    responses = {k: (gov, comp) for k, gov, comp in result.visit_responses}
    out = []
    for k, a in enumerate(ordered):
        gov, comp = responses.get(k, (None, None))
        flags = [
            label
            for label, on in (
                ("clinical progression", a.clinical_progression),
                ("symptomatic", a.symptomatic),
                ("nodal only", a.nodal_only),
                ("multiple metastases", a.multiple_metastases),
            )
            if on
        ]
        if a.progressing_sites is not None:
            flags.append(f"{a.progressing_sites} site(s)")
        if a.biopsy_confirms_progression is not None:
            flags.append("biopsy +" if a.biopsy_confirms_progression else "biopsy −")
        if a.ecog is not None:
            flags.append(f"ECOG {a.ecog}")
        role = roles.get(k)
        out.append(
            VisitRow(
                a.id or 0,
                a.date,
                a.modality,
                a.response or "—",
                comp.value if comp else ("measured" if a.new_lesions is not None else ""),
                gov.value if gov else "",
                ROLE_LABELS.get(role, "") if role else "",
                ", ".join(flags),
                a.notes,
            )
        )
    return out


class VisitModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[VisitRow] = []

    def set_rows(self, rows: list[VisitRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> VisitRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(VISIT_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,  # the whole title when a narrow column cuts it
        ):
            return VISIT_HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        values = (
            r.date.isoformat(),
            r.modality,
            response_label(r.recorded),
            response_label(r.computed),
            response_label(r.governing),
            r.role,
            r.flags,
            r.notes,
        )
        if role == Qt.ItemDataRole.DisplayRole:
            return values[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 4 and r.governing:
            # the response's colour, darkened where it would not read as text (PR's light green
            # was 2.3:1 on white)
            return QColor(readable(response_colour(r.governing).name(), QPalette.ColorRole.Base))
        return None


class SubjectScreen(QWidget):
    sig_back = Signal()
    """Return to the roster."""
    sig_edit_subject = Signal(int)
    """Edit this subject's course: (subject pk)."""
    sig_add_visit = Signal(int)
    """Record a visit: (subject pk)."""
    sig_edit_visit = Signal(int, int)
    """Edit a saved visit: (subject pk, assessment pk)."""
    sig_delete_visit = Signal(int, int)
    """Delete a saved visit: (subject pk, assessment pk)."""
    sig_edit_baseline = Signal(int)
    """Set the baseline lesions: (subject pk)."""
    sig_delete_subject = Signal(int)
    """Delete the subject: (subject pk)."""
    sig_worksheet = Signal(int)
    """Prepare or sign this subject's worksheet: (subject pk)."""
    sig_print = Signal(int)
    """Print this subject's summary: (subject pk)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.subject_pk: int | None = None
        self.course: Course | None = None
        self.result: Classification | None = None

        back = QPushButton("← Roster")
        back.clicked.connect(self.sig_back)
        self.code = QLabel()
        self.code.setTextFormat(Qt.TextFormat.RichText)
        self.badge = QLabel()
        self.badge.setTextFormat(Qt.TextFormat.RichText)
        self.details = ElidedLabel()
        header = QHBoxLayout()
        header.addWidget(back)
        header.addWidget(self.code)
        header.addWidget(self.badge)
        header.addWidget(self.details, 1)
        # The actions sit in a toolbar: what does not fit goes behind its » overflow button,
        # so the window keeps its size whatever the subject's names.
        self.toolbar = QToolBar("Subject actions")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.tools: dict[str, QAction] = {}
        for key in ACTION_KEYS:
            action = QAction(self)
            self.toolbar.addAction(action)
            self.tools[key] = action
            if key in ("baseline", "print"):
                self.toolbar.addSeparator()
        self._label_actions(None)
        self.tools["add_visit"].triggered.connect(lambda: self._emit(self.sig_add_visit))
        self.tools["edit"].triggered.connect(lambda: self._emit(self.sig_edit_subject))
        self.tools["baseline"].triggered.connect(lambda: self._emit(self.sig_edit_baseline))
        self.tools["delete"].triggered.connect(lambda: self._emit(self.sig_delete_subject))
        self.tools["worksheet"].triggered.connect(lambda: self._emit(self.sig_worksheet))
        self.tools["print"].triggered.connect(lambda: self._emit(self.sig_print))
        self.tools["edit_visit"].triggered.connect(self._edit_visit)
        self.tools["delete_visit"].triggered.connect(self._delete_visit)

        self.visits = VisitModel(self)
        self.table = QTableView()
        self.table.setModel(self.visits)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self._edit_visit())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.timeline = TimelineWidget()
        self.spider = SpiderWidget()
        self.baseline = QTextBrowser()
        charts = self.charts = QTabWidget()
        charts.addTab(self.timeline, "Timeline")
        charts.addTab(self.spider, "Spider plot (% change from baseline)")
        charts.addTab(self.baseline, "Baseline lesions")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda pos: self.visit_menu(pos).popup(self.table.viewport().mapToGlobal(pos))
        )
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(charts)
        left.setSizes([260, 220])
        self.panel = QTextBrowser()
        self.panel.setOpenExternalLinks(False)
        # "Category changed from X (v1) to Y (v2)": shown while the rules upgrade marks the subject.
        self.changed_note = QLabel()
        self.changed_note.setObjectName("rules_change_note")
        self.changed_note.setWordWrap(True)
        self.changed_note.setStyleSheet(
            "background: #fdebd0; color: #6e2c00; border: 1px solid #d35400; padding: 4px"
        )
        self.changed_note.hide()
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.panel)
        split.setSizes([700, 480])

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.changed_note)
        layout.addWidget(split, 1)
        self._update_buttons()

    def visit_menu(self, pos: QPoint) -> QMenu:
        """Right-click on a visit: edit or delete it; anywhere: add one."""
        menu = QMenu(self)
        index = self.table.indexAt(pos)
        if index.isValid():
            self.table.selectRow(index.row())
            day = self.visits.row_at(index.row()).date
            menu.addAction(f"Edit the visit of {day}…", self._edit_visit)
            menu.addAction(f"Delete the visit of {day}…", self._delete_visit)
            menu.addSeparator()
        menu.addAction(self.tools["add_visit"])
        return menu

    def baseline_html(self) -> str:
        """The baseline lesions and the sum of the target diameters, as the subject screen shows them."""
        course = self.course
        if course is None or course.baseline is None:
            return "<p>No baseline lesions recorded. Use <b>Baseline lesions…</b> to enter them.</p>"
        b = course.baseline
        e = html.escape
        total = sum((t.mm for t in b.targets), Decimal(0))
        rows = "".join(
            f"<tr><td>{e(t.id)}</td><td>target</td><td>{e(t.organ)}</td>"
            f"<td>{'node, short axis' if t.nodal else 'longest diameter'}</td>"
            f"<td align='right'>{t.mm} mm</td></tr>"
            for t in b.targets
        ) + "".join(
            f"<tr><td>{e(n.id)}</td><td>non-target</td><td>{e(n.organ)}</td><td></td><td></td></tr>"
            for n in b.non_targets
        )
        return (
            f"<p><b>Baseline scan {b.date}</b> ({course.criteria.value}): {len(b.targets)} target and "
            f"{len(b.non_targets)} non-target lesion(s). <b>Sum of target diameters: {total} mm</b></p>"
            "<table border='1' cellspacing='0' cellpadding='3'><tr><th>Lesion</th><th>Kind</th><th>Organ</th>"
            f"<th>Measured</th><th>Size</th></tr>{rows}</table>"
        )

    def summary_html(self, subject_pk: int) -> tuple[str, str]:
        """The subject's summary for printing: (HTML, subject id)."""
        if subject_pk != self.subject_pk:
            self.show_subject(subject_pk)
        assert self.result is not None
        code = html.escape(self.result.subject_id)
        header = "".join(f"<th align='left'>{h}</th>" for h in VISIT_HEADERS)
        visits = "".join(
            "<tr>" + "".join(
                f"<td>{html.escape(str(self.visits.data(self.visits.index(r, c)) or ''))}</td>"
                for c in range(len(VISIT_HEADERS))
            ) + "</tr>"
            for r in range(self.visits.rowCount())
        )  # fmt: skip
        classification = result_html(self.result.subject_id, self.result, full=False, paper=True)
        page = (
            f"<h1>{code}</h1><p>{html.escape(self.details.text())}</p>"
            "<h2>Visits</h2><table border='1' cellspacing='0' cellpadding='3'>"
            f"<tr>{header}</tr>{visits}</table>"
            f"<h2>Baseline lesions</h2>{self.baseline_html()}"
            f"<h2>Classification</h2>{classification}"
            f"<p style='color:gray'>Printed {dt.datetime.now().astimezone():%Y-%m-%d %H:%M} by "
            f"{html.escape(self.session.actor.full_name or self.session.actor.username)}.</p>"
        )
        return page, self.result.subject_id

    def _emit(self, signal: SignalInstance) -> None:
        if self.subject_pk is not None:
            signal.emit(self.subject_pk)

    def selected_visit_pk(self) -> int | None:
        index = self.table.currentIndex()
        return self.visits.row_at(index.row()).assessment_pk if index.isValid() else None

    def _edit_visit(self) -> None:
        pk = self.selected_visit_pk()
        if self.subject_pk is not None and pk is not None:
            self.sig_edit_visit.emit(self.subject_pk, pk)

    def _delete_visit(self) -> None:
        pk = self.selected_visit_pk()
        if self.subject_pk is not None and pk is not None:
            self.sig_delete_visit.emit(self.subject_pk, pk)

    def _update_buttons(self) -> None:
        has_visit = self.selected_visit_pk() is not None
        self.tools["edit_visit"].setEnabled(has_visit)
        self.tools["delete_visit"].setEnabled(has_visit)
        for key in ("add_visit", "baseline", "worksheet", "print", "edit", "delete"):
            self.tools[key].setEnabled(self.subject_pk is not None)

    def _label_actions(self, code: str | None) -> None:
        """Every action names the subject it acts on."""
        for key, (label, tip) in ACTION_LABELS.items():
            self.tools[key].setText(label.format(code=code or "—"))
            self.tools[key].setToolTip(tip.format(code=code or "—"))

    def show_subject(self, subject_pk: int) -> None:
        self.subject_pk = subject_pk
        self.refresh()

    def refresh(self) -> None:
        if self.subject_pk is None:
            return
        store, as_of = self.session.store, self.session.as_of()
        rows = store.subject_rows(self.subject_pk)
        case = case_from_rows(rows, self.session.study.criteria)
        course = parse_stored_case(case)
        result = classify(course, as_of, self.session.rules)
        self.course, self.result = course, result
        s = rows.subject
        colour = category_colour(result.category).name()
        c = rows.course
        self._label_actions(s.subject_code)
        self.code.setText(f"<span style='font-size:large'><b>{html.escape(s.subject_code)}</b></span>")
        self.badge.setText(
            f"<span style='background:{colour};color:white'>&nbsp;"
            f"{category_label(result)}&nbsp;</span> &nbsp;<i>"
            f"{ruleset_short(result.ruleset.name)}</i>"
        )
        self.details.setText(
            f"{s.tumor_type} · {s.setting} · {c.agent or 'agent not recorded'} ({regimen_text(c.regimen)}) "
            f"from {c.first_dose}"
            + (f" to {c.last_dose}" if c.last_dose else "")
            + f" · {s.status.replace('_', ' ')}"
        )
        change = store.category_changes(self.session.study_id).get(self.subject_pk)
        if change is not None:
            self.changed_note.setText(
                f"Rules {self.session.ruleset.label}: {change.describe()} (classified as of {change.as_of})."
            )
        self.changed_note.setVisible(change is not None)
        self.visits.set_rows(visit_rows(rows.assessments, result))
        self.panel.setHtml(result_html(s.subject_code, result))
        self.timeline.set_data(TimelineData(course, result))
        self.baseline.setHtml(self.baseline_html())
        points: list[tuple[int, float]] = []
        if course.baseline is not None:
            measured = [
                (a.date, a.lesions) for a in course.assessments if a.lesions is not None and a.date <= as_of
            ]
            recist = evaluate(
                course.baseline, measured, criteria=course.criteria, first_dose=course.first_dose
            )
            points = [((d - course.first_dose).days, v) for d, v in recist.spider_points()]
        self.spider.set_points(points)
        self._update_buttons()
