"""The audit log as an inspector reads it: filters (a subject: everything that belongs
to it), rows with their subject, pages with a total, and values escaped for display."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from core.store import models as m


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


def _as_stored(field: str, value: object) -> str:
    """A stored value as it is stored (the CLI log and the CSV export)."""
    return str(value)


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

    def change(
        self,
        name: Callable[[str], str] = str,
        value: Callable[[str, object], str] = _as_stored,
        equals: str = "=",
    ) -> str:
        """What changed, escaped for display. ``name`` and ``value`` turn a field and a
        stored value into what is shown (as stored by default; words on the screen)."""
        if self.field and self.field != "*":
            old = "∅" if self.old_value is None else printable(value(self.field, self.old_value))
            new = "∅" if self.new_value is None else printable(value(self.field, self.new_value))
            return f"{printable(name(self.field))}: {old} → {new}"
        text = self.new_value or self.old_value or ""
        if self.field == "*" and text.startswith("{"):
            try:
                values = json.loads(text)
            except ValueError:
                return printable(text)
            if isinstance(values, dict):
                return ", ".join(
                    f"{printable(name(str(k)))}{equals}{printable(value(str(k), v))}"
                    for k, v in values.items()
                )
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
