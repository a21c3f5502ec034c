"""The audit log as the store shows it: events that change no data, the filtered
log, and verification of the trail. The hash chain itself is in
``core.store.audit_chain`` (its names are re-exported here)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from core.store import models as m
from core.store.anchors import (
    STUDY_FILE_ID_KEY,
    Anchor,
    AnchorBook,
    AnchorCheck,
    check_anchor,
    folder_anchors,
    study_file_id,
)
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
from core.store.audit_replay import Difference, replay_differences
from core.store.backup import backup_dir_for
from core.store.base import Actor, StoreCore

__all__ = [
    "COUNT_KEY",
    "GENESIS",
    "HEAD_KEY",
    "REDACTED",
    "AuditLog",
    "AuditReport",
    "AuditWriter",
    "StudyFileReport",
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


@dataclass(frozen=True, slots=True)
class StudyFileReport:
    """What ``audit verify`` found, section by section."""

    integrity: str  # "ok", or what SQLite's integrity_check reported
    chain: AuditReport | None
    differences: tuple[Difference, ...] = ()
    more_differences: int = 0  # beyond those kept in ``differences``
    anchors: tuple[AnchorCheck, ...] = ()
    study_file_id: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and self.chain is not None
            and self.chain.ok
            and not self.differences
            and all(a.ok for a in self.anchors)
        )

    @property
    def rows(self) -> int:
        return self.chain.rows if self.chain else 0

    @property
    def problem_row(self) -> int | None:
        return self.chain.problem_row if self.chain else None

    def lines(self) -> list[str]:
        out = [f"file integrity check: {self.integrity}"]
        if self.chain is not None:
            out.append(f"hash chain: {self.chain.describe()}")
        if self.chain is not None and self.integrity == "ok":
            if self.differences:
                total = len(self.differences) + self.more_differences
                out.append(f"replay: {total} difference(s) between the audit trail and the tables:")
                out += [f"  {d.describe()}" for d in self.differences]
                if self.more_differences:
                    out.append(f"  ... and {self.more_differences} more")
            else:
                out.append("replay: every audited table matches the audit trail")
        if self.anchors:
            out.append(f"anchors checked: {len(self.anchors)}")
            out += [f"  {a.describe()}" for a in self.anchors]
        else:
            out.append("anchors checked: none known for this study file")
        return out

    def describe(self) -> str:
        if self.ok:
            head = f"audit trail intact: {self.rows} rows, hash chain verified, replay matches every table"
        else:
            head = "audit trail NOT intact"
        return "\n".join([head, *self.lines()])


MAX_SHOWN_DIFFERENCES = 1000


def verify_study_file(
    db_path: Path, anchors: Sequence[Anchor] = (), book: AnchorBook | None = None
) -> StudyFileReport:
    """Full check of a study file, read-only, streaming (bounded memory at any size)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            integrity = "ok" if [r[0] for r in result] == ["ok"] else "; ".join(str(r[0]) for r in result[:5])
            if integrity != "ok":
                return StudyFileReport(integrity, None)
            file_id = study_file_id(conn)
            chain = verify_chain(conn)
            kept: list[Difference] = []
            more = 0
            for difference in replay_differences(conn):
                if len(kept) < MAX_SHOWN_DIFFERENCES:
                    kept.append(difference)
                else:
                    more += 1
            every = list(anchors)
            if book is not None and file_id is not None:
                remembered = book.get(file_id)
                if remembered is not None:
                    every.append(remembered)
            generation = conn.execute("SELECT value FROM meta WHERE key = 'file_generation'").fetchone()
            every += folder_anchors(backup_dir_for(db_path), file_id, generation[0] if generation else None)
            checks = tuple(check_anchor(conn, a) for a in every)
    except sqlite3.DatabaseError as exc:
        return StudyFileReport(f"unreadable ({exc})", None)
    return StudyFileReport(integrity, chain, tuple(kept), more, checks, file_id)
