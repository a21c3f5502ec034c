"""The audit log as the store shows it: events that change no data, the filtered
log, and verification of the trail. The hash chain itself is in
``core.store.audit_chain`` (its names are re-exported here)."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import sqlite3
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, text
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


# ---------------------------------------------------------------------------
# The audit log: rows, filters, pages, safe display


def printable(text: str | None) -> str:
    """``text`` with backslashes, newlines and every other control or format character
    escaped (``\\n``, ``\\u202e``): a value or reason can never start a fake line or
    reorder what is shown."""
    if text is None:
        return ""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    user: str | None = None
    entity: str | None = None
    subject: str | None = None  # a subject id (code): everything that belongs to it
    since: dt.date | None = None
    until: dt.date | None = None

    def describe(self) -> str:
        parts = [
            f"{name} {value}"
            for name, value in (
                ("user", self.user),
                ("table", self.entity),
                ("subject", self.subject),
                ("from", self.since),
                ("to", self.until),
            )
            if value
        ]
        return ", ".join(parts) or "none (the whole trail)"


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at_utc: str
    user: str
    action: str
    entity: str
    entity_id: int | None
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    subject: str  # the subject the row belongs to ("" when none)

    @classmethod
    def of(cls, e: m.AuditEvent, subject: str) -> AuditRow:
        return cls(
            e.id or 0, e.at_utc, e.user, e.action, e.entity, e.entity_id, e.field, e.old_value, e.new_value,
            e.reason, subject,
        )  # fmt: skip

    @property
    def record(self) -> str:
        """ "subject 12", "user account 3": words, never a table name with "#None"."""
        if not self.entity:
            return ""
        kind = self.entity.replace("_", " ")
        return f"{kind} {self.entity_id}" if self.entity_id is not None else kind

    def change(self) -> str:
        """What changed, escaped for display."""
        if self.field and self.field != "*":
            old = "∅" if self.old_value is None else printable(self.old_value)
            new = "∅" if self.new_value is None else printable(self.new_value)
            return f"{printable(self.field)}: {old} → {new}"
        text = self.new_value or self.old_value or ""
        if self.field == "*" and text.startswith("{"):
            try:
                values = json.loads(text)
            except ValueError:
                return printable(text)
            if isinstance(values, dict):
                return ", ".join(f"{printable(str(k))}={printable(str(v))}" for k, v in values.items())
        return printable(text)

    def line(self) -> str:
        """One line of the CLI log: tab-separated, every field escaped."""
        subject = f" [subject {printable(self.subject)}]" if self.subject else ""
        change = self.change()
        reason = f" (reason: {printable(self.reason)})" if self.reason else ""
        target = f" {printable(self.record)}" if self.entity else ""
        return (
            f"{self.id}\t{printable(self.at_utc)}\t{printable(self.user)}\t{printable(self.action)}"
            f"{target}{subject}{' ' + change if change else ''}{reason}"
        )


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    first: int  # position (1 = oldest matching event) of the first row shown; 0 when none
    last: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def describe(self) -> str:
        if not self.rows:
            return f"showing 0 of {self.total}"
        pages = f"page {self.page} of {self.pages}, newest first"
        return f"showing {self.first}-{self.last} of {self.total} ({pages})"


_FIELDS = (
    "id", "at_utc", "user", "action", "entity", "entity_id", "field", "old_value", "new_value", "reason",
    "prev_hash", "hash",
)  # fmt: skip
_COLUMNS = ", ".join(f'"{c}"' for c in _FIELDS)
_SHOWN = ", ".join(f'"{c}"' for c in _FIELDS[:10])


def _json_field(text: str | None, key: str) -> str | None:
    """One string field of an insert row's JSON (sorted keys, values written as strings)."""
    if not text:
        return None
    marker = f'"{key}": "'
    at = text.find(marker)
    # A quote inside a value is escaped (\\"), so the marker can only be a key; confirm with JSON
    # when the text is unusual.
    if at < 0:
        return None
    end = text.find('"', at + len(marker))
    value = text[at + len(marker) : end]
    if "\\" in value:
        loaded = _insert_json(text).get(key)
        return None if loaded is None else str(loaded)
    return value


def _insert_json(text: str) -> dict[str, Any]:
    try:
        values = json.loads(text)
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def _matches_values(user: str, entity: str, at: str, flt: AuditFilter) -> bool:
    if flt.user and user != flt.user:
        return False
    if flt.entity and entity != flt.entity:
        return False
    if flt.since and at < flt.since.isoformat():
        return False
    return not (flt.until and at >= (flt.until + dt.timedelta(days=1)).isoformat())


# table -> the field of its insert row naming the row it belongs to, and that row's table
_OWNER = {
    "subject": ("", "subject"),
    "course": ("subject_id", "subject"),
    "assessment": ("subject_id", "subject"),
    "baseline_lesion": ("subject_id", "subject"),
    "worksheet": ("subject_id", "subject"),
    "measurement": ("assessment_id", "assessment"),
    "new_lesion": ("assessment_id", "assessment"),
    "signature": ("worksheet_id", "worksheet"),
}


def _filtered(q: Any, flt: AuditFilter) -> Any:
    if flt.user:
        q = q.where(m.AuditEvent.user == flt.user)
    if flt.entity:
        q = q.where(m.AuditEvent.entity == flt.entity)
    if flt.since:
        q = q.where(m.AuditEvent.at_utc >= flt.since.isoformat())
    if flt.until:
        q = q.where(m.AuditEvent.at_utc < (flt.until + dt.timedelta(days=1)).isoformat())
    return q


def _insert_values(e: m.AuditEvent) -> dict[str, Any]:
    try:
        values = json.loads(e.new_value or "{}")
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def _subject_code(s: Any, entity: str, entity_id: int, at: int, memo: dict[tuple[str, int, int], str]) -> str:
    """The subject code of row ``entity_id`` of ``entity`` as it was at audit row ``at`` (ids of
    deleted rows are reused by SQLite: the insert that counts is the last one before ``at``)."""
    insert = s.exec(
        select(m.AuditEvent)
        .where(
            m.AuditEvent.entity == entity,
            m.AuditEvent.entity_id == entity_id,
            m.AuditEvent.action == "insert",
            col(m.AuditEvent.id) <= at,
        )
        .order_by(col(m.AuditEvent.id).desc())
        .limit(1)
    ).first()
    if insert is None:
        return ""
    key = (entity, entity_id, insert.id or 0)
    if key in memo:
        return memo[key]
    values = _insert_values(insert)
    code = ""
    if entity == "subject":
        code = str(values.get("subject_code", ""))
        for e in s.exec(  # renamed since?
            select(m.AuditEvent).where(
                m.AuditEvent.entity == "subject",
                m.AuditEvent.entity_id == entity_id,
                m.AuditEvent.field == "subject_code",
                col(m.AuditEvent.id) > (insert.id or 0),
                col(m.AuditEvent.id) <= at,
            )
        ):
            code = e.new_value or code
    else:
        field, parent = _OWNER[entity]
        value = values.get(field)
        if value is not None and str(value).isdigit():
            code = _subject_code(s, parent, int(value), at, memo)
    memo[key] = code
    return code


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
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        return StudyFileReport(f"unreadable ({exc})", None)
    return StudyFileReport(integrity, chain, tuple(kept), more, checks, file_id)
