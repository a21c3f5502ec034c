"""The audit trail: append-only rows, each hash-chained to the one before.

Each row's ``hash`` is SHA-256 over the previous row's hash and the row's
own content, so editing, inserting or removing a row with another program
breaks the chain at that row. The chain head (row count and last hash) is
also kept in ``meta`` to detect rows removed from the end. ``verify_audit``
re-reads the file directly with ``sqlite3``, independently of the ORM.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from core.store.models import AuditEvent, Meta

GENESIS = "0" * 64
HEAD_KEY, COUNT_KEY = "audit_head", "audit_count"
REDACTED = "(redacted)"


def event_hash(
    prev_hash: str,
    at_utc: str,
    user: str,
    action: str,
    entity: str,
    entity_id: int | None,
    field: str,
    old_value: str | None,
    new_value: str | None,
    reason: str,
) -> str:
    payload = json.dumps(
        [at_utc, user, action, entity, entity_id, field, old_value, new_value, reason],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


class AuditWriter:
    """Appends audit rows inside the caller's write transaction."""

    def __init__(self, session: Session, clock: Callable[[], str]) -> None:
        self._session = session
        self._clock = clock
        self._prev: str | None = None
        self._count = 0
        self.start: tuple[int, str] | None = None

    def _load_head(self) -> None:
        row = self._session.execute(text("SELECT hash, id FROM audit_event ORDER BY id DESC LIMIT 1")).first()
        self._prev = GENESIS if row is None else str(row[0])
        self._count = 0 if row is None else int(row[1])
        self.start = (self._count, self._prev)  # the head before this transaction's rows

    def append(
        self,
        user: str,
        action: str,
        *,
        entity: str = "",
        entity_id: int | None = None,
        field: str = "",
        old: str | None = None,
        new: str | None = None,
        reason: str = "",
    ) -> None:
        if self._prev is None:
            self._load_head()
        assert self._prev is not None
        at = self._clock()
        digest = event_hash(self._prev, at, user, action, entity, entity_id, field, old, new, reason)
        self._count += 1
        self._session.add(
            AuditEvent(
                id=self._count,
                at_utc=at,
                user=user,
                action=action,
                entity=entity,
                entity_id=entity_id,
                field=field,
                old_value=old,
                new_value=new,
                reason=reason,
                prev_hash=self._prev,
                hash=digest,
            )
        )
        self._prev = digest

    @property
    def appended(self) -> bool:
        """Did this transaction add audit rows?"""
        return self._prev is not None

    def close(self) -> None:
        """Record the chain head in the same transaction."""
        if self._prev is None:
            return
        for key, value in ((HEAD_KEY, self._prev), (COUNT_KEY, str(self._count))):
            self._session.merge(Meta(key=key, value=value))


@dataclass(frozen=True, slots=True)
class AuditReport:
    rows: int
    problem_row: int | None = None
    problem: str | None = None
    head_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.rows} rows, hash chain verified"
        where = f"row {self.problem_row}: " if self.problem_row is not None else ""
        return f"audit trail NOT intact: {where}{self.problem}"


def verify_audit(db_path: Path) -> AuditReport:
    """Re-check the whole chain; report the first row altered, inserted or removed."""
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        return verify_chain(conn)


def verify_chain(conn: sqlite3.Connection) -> AuditReport:
    """The chain check, streaming the rows (memory does not grow with the trail)."""
    meta = dict(
        conn.execute("SELECT key, value FROM meta WHERE key IN (?, ?)", (HEAD_KEY, COUNT_KEY)).fetchall()
    )
    cursor = conn.execute(
        "SELECT id, at_utc, user, action, entity, entity_id, field, old_value, new_value, reason, "
        "prev_hash, hash FROM audit_event ORDER BY id"
    )
    prev_hash, prev_id, count = GENESIS, 0, 0
    for row in cursor:
        count += 1
        row_id, *content, stored_prev, stored_hash = row
        if row_id != prev_id + 1:
            missing = f"{prev_id + 1}" if row_id == prev_id + 2 else f"{prev_id + 1}-{row_id - 1}"
            return AuditReport(count, prev_id + 1, f"row(s) {missing} removed outside the application")
        if stored_prev != prev_hash:
            return AuditReport(
                count,
                row_id,
                "does not follow the row before it (inserted or reordered outside the application)",
            )
        if event_hash(prev_hash, *content) != stored_hash:
            return AuditReport(
                count, row_id, "content does not match its hash (altered outside the application)"
            )
        prev_hash, prev_id = stored_hash, row_id
    expected_count = int(meta.get(COUNT_KEY, "0"))
    if expected_count != count or meta.get(HEAD_KEY, GENESIS if not count else None) != prev_hash:
        if expected_count > count:
            return AuditReport(count, count + 1, f"row(s) {count + 1}-{expected_count} removed from the end")
        return AuditReport(
            count,
            expected_count + 1,
            "rows after the recorded chain head (inserted outside the application)",
        )
    return AuditReport(count, head_hash=prev_hash)


def serialize(value: Any) -> str | None:
    """How a field value is written into the audit trail."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Stored as naive UTC by SQLite; written the same way here so both read alike.
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
