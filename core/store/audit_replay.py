"""Replay the audit trail and compare it with every live table, streaming.

For each audited table, the trail's insert/update/delete rows of that table
(read in row order through the ``ix_audit_event_entity`` index) are merged
with the table itself (read in row order): memory holds one row at a time,
whatever the size of the study. Any difference is reported by table, row and
field: a value changed in the file directly, a row added or removed without
its audit rows. Read with plain ``sqlite3``, independently of the ORM.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary
from sqlmodel import SQLModel

from core.store import models as m
from core.store.audit_chain import REDACTED
from core.store.base import SECRET_FIELDS

MISSING = object()


@dataclass(frozen=True, slots=True)
class Difference:
    table: str
    row: int
    field: str  # "*": the whole row
    trail: str | None  # the value the audit trail leads to (None: no such row / no value)
    live: str | None  # the value in the table

    def describe(self) -> str:
        if self.field == "*":
            if self.live is None:
                return (
                    f"{self.table} row {self.row}: in the audit trail but missing from the table "
                    "(deleted outside the application)"
                )
            return (
                f"{self.table} row {self.row}: in the table but not in the audit trail "
                "(added outside the application)"
            )
        return (
            f"{self.table} row {self.row} field {self.field}: the audit trail says {_show(self.trail)}, "
            f"the table holds {_show(self.live)} (changed outside the application)"
        )


def _show(value: str | None) -> str:
    return "(nothing)" if value is None else repr(value)


def _normaliser(column: Any) -> Any:
    """How a raw SQLite value of this column is written in the trail (``audit_chain.serialize``)."""
    kind = column.type
    kind = getattr(kind, "impl", kind)  # a TypeDecorator (sqlmodel's UTCDateTime) stores as its impl
    if isinstance(kind, Boolean):
        return lambda v: "true" if v else "false"
    if isinstance(kind, DateTime):
        return lambda v: dt.datetime.fromisoformat(v).isoformat() if isinstance(v, str) else str(v)
    if isinstance(kind, Date | Integer):
        return str
    return str


def _live_rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    quoted = ", ".join(f'"{c}"' for c in ["id", *columns])
    yield from conn.execute(f'SELECT {quoted} FROM "{table}" ORDER BY id')  # names from the models


def _trail_rows(conn: sqlite3.Connection, table: str) -> Iterator[tuple[int, dict[str, str] | None]]:
    """(row id, the row's values as the trail leaves them, or None when deleted), by row id."""
    cursor = conn.execute(
        "SELECT entity_id, action, field, new_value FROM audit_event "
        "WHERE entity = ? AND entity_id IS NOT NULL AND action IN ('insert', 'update', 'delete') "
        "ORDER BY entity_id, id",
        (table,),
    )
    current_id: int | None = None
    state: dict[str, str] | None = None
    for entity_id, action, field, new in cursor:
        if entity_id != current_id:
            if current_id is not None:
                yield current_id, state
            current_id, state = entity_id, None
        if action == "insert":
            try:
                loaded = json.loads(new or "{}")
            except ValueError:
                loaded = {}
            state = {k: v for k, v in loaded.items() if v is not None} if isinstance(loaded, dict) else {}
        elif action == "update":
            if state is None:
                state = {}
            if new is None:
                state.pop(field, None)
            else:
                state[field] = new
        else:
            state = None
    if current_id is not None:
        yield current_id, state


def _site_ca_differences(conn: sqlite3.Connection) -> Iterator[Difference]:
    """The site CA certificate in ``meta`` must be the one the trail says was created: one
    swapped in directly would make `verify --db` trust certificates of someone else's CA."""
    from core.worksheet.pki import fingerprint

    row = conn.execute("SELECT value FROM meta WHERE key = 'site_ca_certificate'").fetchone()
    logged = conn.execute(
        "SELECT new_value FROM audit_event WHERE entity = '' AND entity_id IS NULL "
        "AND action = 'site_ca_created' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    live = None
    if row is not None:
        try:
            live = fingerprint(str(row[0]))
        except ValueError:
            live = "(not a certificate)"
    trail = None if logged is None else logged[0]
    if live != trail:
        yield Difference("meta", 0, "site_ca_certificate (SHA-256 fingerprint)", trail, live)


def replay_differences(conn: sqlite3.Connection) -> Iterator[Difference]:
    """Every difference between the replayed trail and the live tables, table by table."""
    yield from _site_ca_differences(conn)
    tables = SQLModel.metadata.tables
    for name in m.AUDITED:
        table = tables[name]
        columns = [
            c.name
            for c in table.columns
            if c.name != "id" and c.name not in SECRET_FIELDS and not isinstance(c.type, LargeBinary)
        ]
        norm = [_normaliser(table.columns[c]) for c in columns]
        live = _live_rows(conn, name, columns)
        trail = _trail_rows(conn, name)
        live_row = next(live, None)
        trail_row = next(trail, None)
        while live_row is not None or trail_row is not None:
            live_id = live_row[0] if live_row is not None else None
            trail_id = trail_row[0] if trail_row is not None else None
            if trail_row is None or (live_id is not None and trail_id is not None and live_id < trail_id):
                assert live_row is not None
                yield Difference(name, live_row[0], "*", None, "(row)")
                live_row = next(live, None)
                continue
            if live_row is None or (trail_id is not None and live_id is not None and trail_id < live_id):
                if trail_row[1] is not None:
                    yield Difference(name, trail_row[0], "*", "(row)", None)
                trail_row = next(trail, None)
                continue
            state = trail_row[1]
            if state is None:
                yield Difference(name, live_row[0], "*", None, "(row)")
            else:
                for column, fn, raw in zip(columns, norm, live_row[1:], strict=True):
                    value = None if raw is None else fn(raw)
                    expected = state.get(column)
                    if expected == REDACTED:
                        continue
                    if value != expected:
                        yield Difference(name, live_row[0], column, expected, value)
            live_row = next(live, None)
            trail_row = next(trail, None)
