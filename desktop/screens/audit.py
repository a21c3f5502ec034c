"""The audit log: filter by subject (everything that belongs to it), user and date; a page
at a time with the total shown; verify the whole trail; export CSV or a PDF report.

Every value is shown escaped (``core.store.audit.printable``): a newline or a control
character in a reason cannot make a cell look like another event."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.presentation import action_label, audit_change_text
from core.store.audit import AuditFilter, AuditPage, AuditRow, printable
from desktop.screens.simple_table import RowsModel, table_view
from desktop.session import Session
from desktop.style import readable
from desktop.widgets.forms import OptionalDate

BASE = QPalette.ColorRole.Base  # table cells are drawn on Base

PAGE_SIZE = 500
AUDIT_WIDTHS = (50, 135, 90, 105, 110, 280, 90, 200)
"""#, When, User, Action, Record, Change, Subject, Reason: every column on a 1366 px screen
(Reason was behind a sideways scroll bar); Change takes the spare width of a wider one."""
CHANGE_COLUMN = 5


def _record(e: AuditRow) -> str:
    """ "subject 12", "user account 3": words, never an internal table name or "#None"."""
    if not e.entity:
        return ""
    kind = printable(e.entity).replace("_", " ")
    return f"{kind} {e.entity_id}" if e.entity_id is not None else kind


class AuditScreen(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.page_number = 1
        self.page: AuditPage | None = None
        self.model: RowsModel[AuditRow] = RowsModel(
            [
                ("#", lambda e: e.id),
                ("When (UTC)", lambda e: e.at_utc[:19].replace("T", " ")),
                ("User", lambda e: printable(e.user)),
                ("Action", lambda e: printable(action_label(e.action))),
                ("Record", _record),
                ("Change", audit_change_text),
                ("Subject", lambda e: printable(e.subject)),
                ("Reason", lambda e: printable(e.reason)),
            ],
            colour=lambda e: readable("#c0392b", BASE) if e.action in ("login_failed", "delete") else None,
        )
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("subject id")
        self.user = QComboBox()
        self.since = OptionalDate("from")
        self.until = OptionalDate("to")
        apply = QPushButton("Filter")
        verify = QPushButton("Verify audit trail")
        self.newer = QPushButton("◀ Newer")
        self.older = QPushButton("Older ▶")
        self.showing = QLabel()
        export_csv = QPushButton("Export CSV…")
        export_pdf = QPushButton("Export PDF report…")
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        filters = QHBoxLayout()
        for w in (QLabel("Subject"), self.subject, QLabel("User"), self.user, self.since, self.until, apply):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(verify)
        paging = QHBoxLayout()
        for w in (self.newer, self.showing, self.older):
            paging.addWidget(w)
        paging.addStretch(1)
        paging.addWidget(export_csv)
        paging.addWidget(export_pdf)
        self.view = table_view(self.model, "No event matches these filters.")
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)  # the spare width goes to Change (see _fit), not Reason
        for col, width in enumerate(AUDIT_WIDTHS):
            self.view.setColumnWidth(col, width)
        self._user_sized = False
        self._fitting = False
        header.sectionResized.connect(self._section_resized)
        self.view.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(paging)
        layout.addWidget(self.verdict)
        layout.addWidget(self.view)
        apply.clicked.connect(self.first_page)
        self.subject.returnPressed.connect(self.first_page)
        verify.clicked.connect(self.verify)
        self.newer.clicked.connect(lambda: self.go(self.page_number - 1))
        self.older.clicked.connect(lambda: self.go(self.page_number + 1))
        export_csv.clicked.connect(lambda: self.export_csv())
        export_pdf.clicked.connect(lambda: self.export_pdf())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit()
        return super().eventFilter(watched, event)

    def _section_resized(self, *_: object) -> None:
        if not self._fitting:
            self._user_sized = True  # a column dragged by hand stays as the user left it

    def _fit(self) -> None:
        """Change, the widest text, takes the width the other columns leave (at least its
        own); Reason keeps its width (it took all the spare width at 1920 px while Change,
        beside it, was cut)."""
        if self._user_sized:
            return
        others = sum(w for c, w in enumerate(AUDIT_WIDTHS) if c != CHANGE_COLUMN)
        width = max(AUDIT_WIDTHS[CHANGE_COLUMN], self.view.viewport().width() - others)
        self._fitting = True
        try:
            self.view.horizontalHeader().resizeSection(CHANGE_COLUMN, width)
        finally:
            self._fitting = False

    def current_filter(self) -> AuditFilter:
        return AuditFilter(
            user=self.user.currentData(),
            subject=self.subject.text().strip() or None,
            since=self.since.value(),
            until=self.until.value(),
        )

    def first_page(self) -> None:
        self.page_number = 1
        self.refresh()

    def go(self, page: int) -> None:
        self.page_number = max(1, page)
        self.refresh()

    def refresh(self) -> None:
        store = self.session.store
        current = self.user.currentData()
        self.user.blockSignals(True)
        self.user.clear()
        self.user.addItem("anyone", None)
        for u in store.users():
            self.user.addItem(u.username, u.username)
        self.user.setCurrentIndex(max(0, self.user.findData(current)))
        self.user.blockSignals(False)
        self.page = store.audit_page(self.current_filter(), page=self.page_number, page_size=PAGE_SIZE)
        if self.page_number > self.page.pages:
            self.page_number = self.page.pages
            self.page = store.audit_page(self.current_filter(), page=self.page_number, page_size=PAGE_SIZE)
        self.model.set_rows(self.page.rows)
        self.showing.setText(self.page.describe())
        self.newer.setEnabled(self.page_number > 1)
        self.older.setEnabled(self.page_number < self.page.pages)

    def verify(self) -> None:
        report = self.session.store.verify_audit()
        colour = readable("#1e8449" if report.ok else "#c0392b")
        lines = "<br>".join(printable(line) for line in report.describe().splitlines())
        self.verdict.setText(f"<b style='color:{colour}'>{lines}</b>")

    def _choose(self, title: str, suffix: str, pattern: str) -> Path | None:
        name = f"{self.session.study.protocol_id}-audit-trail{suffix}"
        chosen, _ = QFileDialog.getSaveFileName(self, title, name, pattern)
        return Path(chosen) if chosen else None

    def export_csv(self, path: Path | None = None) -> Path | None:
        from core.store.audit_export import write_csv

        path = path or self._choose("Export the audit trail", ".csv", "CSV (*.csv)")
        if path is None:
            return None
        flt = self.current_filter()
        count = write_csv(self.session.store.audit_rows(flt), path)
        self._record(f"{count} event(s) to {path.name}", flt)
        return path

    def export_pdf(self, path: Path | None = None) -> Path | None:
        from core.store.audit_export import write_pdf

        path = path or self._choose("Audit trail report", ".pdf", "PDF (*.pdf)")
        if path is None:
            return None
        flt = self.current_filter()
        s = self.session
        count = write_pdf(s.store, flt, path, generated_by=s.actor.full_name or s.actor.username)
        self._record(f"{count} event(s) to {path.name}", flt)
        return path

    def _record(self, detail: str, flt: AuditFilter) -> None:
        s = self.session
        s.write(
            lambda: s.store.log_event(
                s.actor, "export", entity="audit_event", detail=detail, reason=f"filters: {flt.describe()}"
            )
        )
