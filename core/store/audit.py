"""The audit trail in the store: events that change no data, the log for inspectors
(``audit_log``), and the whole verification (``audit_verify``). The hash chain itself is
in ``audit_chain`` and the replay in ``audit_replay``; their names are re-exported here."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterator, Sequence

from sqlalchemy import func, text
from sqlmodel import col, select

from core.store import models as m
from core.store.anchors import STUDY_FILE_ID_KEY, Anchor
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
    verify_chain,
)
from core.store.audit_log import (
    _OWNER,
    _SHOWN,
    AuditFilter,
    AuditPage,
    AuditRow,
    _filtered,
    _json_field,
    _matches_values,
    _subject_code,
    printable,
)
from core.store.audit_verify import MAX_SHOWN_DIFFERENCES, StudyFileReport, verify_study_file
from core.store.base import Actor, StoreCore

__all__ = [
    "COUNT_KEY",
    "GENESIS",
    "HEAD_KEY",
    "MAX_SHOWN_DIFFERENCES",
    "REDACTED",
    "AuditFilter",
    "AuditLog",
    "AuditPage",
    "AuditReport",
    "AuditRow",
    "AuditWriter",
    "StudyFileReport",
    "event_hash",
    "printable",
    "serialize",
    "verify_audit",
    "verify_chain",
    "verify_study_file",
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

    # ------------------------------------------------------------------
    # The log for inspectors: filters (a subject: everything that belongs to it), pages

    def audit_page(self, flt: AuditFilter | None = None, *, page: int = 1, page_size: int = 200) -> AuditPage:
        """Page ``page`` (1: the newest) of the events matching ``flt``, oldest first within the
        page, each with its subject; with the total, so nothing is hidden by a silent cap."""
        flt = flt or AuditFilter()
        page, page_size = max(1, page), max(1, page_size)
        if flt.subject:
            return self._subject_page(flt, page, page_size)
        with self.reading() as s:
            total = s.exec(_filtered(select(func.count()).select_from(m.AuditEvent), flt)).one()
            q = _filtered(select(m.AuditEvent), flt).order_by(col(m.AuditEvent.id).desc())
            events = list(s.exec(q.offset((page - 1) * page_size).limit(page_size)))
        events.reverse()
        subjects = self._subjects_of(events)
        rows = [AuditRow.of(e, subjects.get(e.id or 0, "")) for e in events]
        first = max(0, total - page * page_size)
        return AuditPage(rows, total, first + 1 if rows else 0, first + len(rows), page, page_size)

    def audit_rows(self, flt: AuditFilter | None = None) -> Iterator[AuditRow]:
        """Every event matching ``flt``, oldest first, streamed (for exports)."""
        yield from self._stream(flt or AuditFilter())

    def _subject_page(self, flt: AuditFilter, page: int, page_size: int) -> AuditPage:
        keep = page * page_size
        window: collections.deque[AuditRow] = collections.deque(maxlen=keep)
        total = 0
        for row in self._subject_events(flt):
            total += 1
            window.append(row)
        rows = list(window)[: max(0, len(window) - (page - 1) * page_size)][-page_size:]
        last = max(0, total - (page - 1) * page_size)
        return AuditPage(
            rows, total, last - len(rows) + 1 if rows else 0, last if rows else 0, page, page_size
        )

    def _subject_events(self, flt: AuditFilter) -> Iterator[AuditRow]:
        return self._stream(flt)

    def _stream(self, flt: AuditFilter) -> Iterator[AuditRow]:
        """One pass over the trail in order, plain tuples. Which subject each row belongs to is
        learnt from the insert rows as they come (a visit's insert names its subject, a
        measurement's its visit, a signature's its worksheet), so updates, deletions and rows
        deleted since are all placed; an id SQLite reuses after a delete starts afresh. A subject
        is known by its insert row; a filter by code matches every code it ever had."""
        with self._read.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            cursor = driver.cursor()
            codes: dict[int, set[str]] = collections.defaultdict(set)  # subject insert id -> codes
            final: dict[int, str] = {}
            current: dict[int, int] = {}  # subject pk -> its insert row id (incarnation)
            for row_id, pk, action, new in cursor.execute(
                "SELECT id, entity_id, action, new_value FROM audit_event WHERE entity = 'subject' "
                "AND entity_id IS NOT NULL AND (action = 'insert' OR field = 'subject_code') ORDER BY id"
            ):
                if action == "insert":
                    current[pk] = row_id
                    code = _json_field(new, "subject_code") or ""
                elif new is None:
                    continue
                else:
                    code = new
                incarnation = current.get(pk)
                if incarnation is not None:
                    codes[incarnation].add(code)
                    final[incarnation] = code
            wanted = {i for i, c in codes.items() if flt.subject in c} if flt.subject else None
            owner: dict[str, dict[int, int]] = {name: {} for name in _OWNER}  # row -> subject incarnation
            cursor.execute(f"SELECT {_SHOWN} FROM audit_event ORDER BY id")
            for values in cursor:
                row_id, at, user, action, entity, entity_id = values[:6]
                incarnation = None
                if entity in _OWNER and entity_id is not None:
                    rows = owner[entity]
                    if action == "insert":
                        if entity == "subject":
                            rows[entity_id] = row_id
                        else:
                            key, parent = _OWNER[entity]
                            parent_id = _json_field(values[8], key)
                            found = (
                                owner[parent].get(int(parent_id))
                                if parent_id and parent_id.isdigit()
                                else None
                            )
                            if found is None:
                                rows.pop(entity_id, None)
                            else:
                                rows[entity_id] = found
                    incarnation = rows.get(entity_id)
                    if action == "delete":
                        rows.pop(entity_id, None)
                if wanted is not None and incarnation not in wanted:
                    continue
                if not _matches_values(user, entity, at, flt):
                    continue
                code = final.get(incarnation, "") if incarnation is not None else ""
                field, old, new, reason = values[6], values[7], values[8], values[9]
                yield AuditRow(row_id, at, user, action, entity, entity_id, field, old, new, reason, code)
            cursor.close()

    def _subjects_of(self, events: Sequence[m.AuditEvent]) -> dict[int, str]:
        """Event id -> subject code, for a page of events (indexed look-ups, no full pass)."""
        out: dict[int, str] = {}
        memo: dict[tuple[str, int, int], str] = {}
        with self.reading() as s:
            for e in events:
                if e.entity in _OWNER and e.entity_id is not None:
                    out[e.id or 0] = _subject_code(s, e.entity, e.entity_id, e.id or 0, memo)
        return out

    def audit_anchor(self) -> Anchor:
        """The trail's head now (row and hash) with the study file id: what a signed
        worksheet or a backup records, so the history can be checked later from outside."""
        with self.reading() as s:
            row = s.execute(text("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")).first()
            file_id = s.get(m.Meta, STUDY_FILE_ID_KEY)
        position, digest = (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
        return Anchor(file_id.value if file_id else None, position, digest, "this study file")

    def verify_audit(self, anchors: Sequence[Anchor] = ()) -> StudyFileReport:
        """The whole check: integrity, chain, replay against every table, anchors."""
        return verify_study_file(self.path, anchors, self.anchor_book)
