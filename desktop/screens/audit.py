"""The audit log: filter by subject, user and date; verify the hash chain."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from core.presentation import field_label
from core.store import models as m
from desktop.screens.simple_table import RowsModel, table_view
from desktop.session import Session
from desktop.widgets.forms import OptionalDate


def _record(e: m.AuditEvent) -> str:
    """ "subject 12", "user account", never an internal table name with "#None"."""
    if not e.entity:
        return ""
    kind = e.entity.replace("_", " ")
    return f"{kind} {e.entity_id}" if e.entity_id is not None else kind


def _change(e: m.AuditEvent) -> str:
    if e.field and e.field != "*":
        old = "∅" if e.old_value is None else e.old_value
        new = "∅" if e.new_value is None else e.new_value
        return f"{field_label(e.field)}: {old} → {new}"
    text = e.new_value or e.old_value or ""
    if e.field == "*" and text.startswith("{"):
        try:
            values = json.loads(text)
        except ValueError:
            return text
        return ", ".join(f"{field_label(k)} = {v}" for k, v in values.items())
    return text


class AuditScreen(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model: RowsModel[m.AuditEvent] = RowsModel(
            [
                ("#", lambda e: e.id),
                ("When (UTC)", lambda e: e.at_utc[:19].replace("T", " ")),
                ("User", lambda e: e.user),
                ("Action", lambda e: e.action),
                ("Record", _record),
                ("Change", _change),
                ("Reason", lambda e: e.reason),
            ],
            colour=lambda e: "#c0392b" if e.action in ("login_failed", "delete") else None,
        )
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("subject id")
        self.user = QComboBox()
        self.since = OptionalDate("from")
        self.until = OptionalDate("to")
        apply = QPushButton("Filter")
        verify = QPushButton("Verify audit trail")
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        filters = QHBoxLayout()
        for w in (QLabel("Subject"), self.subject, QLabel("User"), self.user, self.since, self.until, apply):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(verify)
        self.view = table_view(self.model)
        for col, width in enumerate((50, 150, 110, 90, 130, 420)):
            self.view.setColumnWidth(col, width)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.verdict)
        layout.addWidget(self.view)
        apply.clicked.connect(self.refresh)
        self.subject.returnPressed.connect(self.refresh)
        verify.clicked.connect(self.verify)

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
        events = store.audit_events(
            user=self.user.currentData(), since=self.since.value(), until=self.until.value(), limit=5000
        )
        code = self.subject.text().strip()
        if code:
            try:
                pk = store.subject_pk(self.session.study_id, code)
            except Exception:
                events = []
            else:
                events = [e for e in events if self._about_subject(e, pk)]
        self.model.set_rows(events)

    def _about_subject(self, e: m.AuditEvent, pk: int) -> bool:
        if e.entity in ("subject", "worksheet") and e.entity_id == pk:
            return True
        return f'"subject_id": "{pk}"' in (e.new_value or e.old_value or "")

    def verify(self) -> None:
        report = self.session.store.verify_audit()
        colour = "#1e8449" if report.ok else "#c0392b"
        self.verdict.setText(f"<b style='color:{colour}'>{report.describe()}</b>")
