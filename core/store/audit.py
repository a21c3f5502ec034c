"""The audit log as the store shows it: events that change no data, the filtered
log, and verification of the trail. The hash chain itself is in
``core.store.audit_chain`` (its names are re-exported here)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from core.store import models as m
from core.store.audit_chain import (
    COUNT_KEY,
    GENESIS,
    HEAD_KEY,
    REDACTED,
    AuditReport,
    AuditWriter,
    event_hash,
    serialize,
    verify_audit,
)
from core.store.base import Actor, StoreCore

__all__ = [
    "COUNT_KEY",
    "GENESIS",
    "HEAD_KEY",
    "REDACTED",
    "AuditLog",
    "AuditReport",
    "AuditWriter",
    "event_hash",
    "serialize",
    "verify_audit",
]


class AuditLog(StoreCore):
    """Audit events, the log and its verification."""

    def log_event(
        self,
        actor: Actor,
        action: str,
        *,
        entity: str = "",
        entity_id: int | None = None,
        reason: str = "",
        detail: str | None = None,
    ) -> None:
        """Audit an event that changes no study data (an export, a print, a verification)."""
        with self.writing(actor, "audit.note") as tx:
            tx.log(action, entity=entity, entity_id=entity_id, new=detail, reason=reason)

    def audit_events(
        self,
        *,
        user: str | None = None,
        entity: str | None = None,
        entity_id: int | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        limit: int | None = None,
    ) -> list[m.AuditEvent]:
        with self.reading() as s:
            q = select(m.AuditEvent)
            if user:
                q = q.where(m.AuditEvent.user == user)
            if entity:
                q = q.where(m.AuditEvent.entity == entity)
            if entity_id is not None:
                q = q.where(m.AuditEvent.entity_id == entity_id)
            if since:
                q = q.where(m.AuditEvent.at_utc >= since.isoformat())
            if until:
                q = q.where(m.AuditEvent.at_utc < (until + dt.timedelta(days=1)).isoformat())
            q = q.order_by(col(m.AuditEvent.id).desc())
            if limit:
                q = q.limit(limit)
            return list(s.exec(q))

    def verify_audit(self) -> AuditReport:
        return verify_audit(self.path)
