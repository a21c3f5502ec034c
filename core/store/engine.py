"""SQLite engines for the study database.

WAL journal, foreign keys on, ``synchronous=FULL`` (clinical data must
survive a power cut), and a busy timeout. The driver's implicit
transactions are disabled and SQLAlchemy emits ``BEGIN`` itself, so DDL is
transactional (a failed migration rolls back completely) and writers take
the write lock up front (``BEGIN IMMEDIATE``), so two programs writing the
same file queue instead of deadlocking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

from core.paths import default_db_path

__all__ = ["DEFAULT_BUSY_TIMEOUT_MS", "default_db_path", "make_engine", "visit_texts"]

DEFAULT_BUSY_TIMEOUT_MS = 5000


def make_engine(
    path: Path, *, writer: bool, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, readonly: bool = False
) -> Engine:
    """An engine on ``path``; ``writer`` engines begin with ``BEGIN IMMEDIATE``; ``readonly``
    engines open the file read-only (a read-only file or folder) and never change it."""
    url = f"sqlite:///file:{path}?mode=ro&uri=true" if readonly else f"sqlite:///{path}"
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        poolclass=NullPool,  # a fresh connection per session: safe across threads and processes
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if not readonly:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer and not readonly else "BEGIN")

    return engine


# Each subject's visits as one JSON text, made by SQLite (its JSON functions are C: no Python
# object per value), for the roster's result cache to key on (core.store.reading). Every stored
# value is in it, with the visit's id: equal texts are equal sets of visits, whatever order the
# scan gave them in. JSON tells NULL, numbers and text apart, and text exactly; but it prints a
# REAL to 15 digits, so a subject with a REAL in a number column (the application writes none)
# is flagged, and keyed on its values instead: a sum with a REAL operand is a REAL (and NULLs,
# which would hide one, count as 0). A BLOB makes the query fail.
_NUMBER_COLUMNS = (
    "clinical_progression", "symptomatic", "nodal_only", "multiple_metastases",
    "progressing_sites", "biopsy_confirms_progression", "ecog", "rapid_progression",
)  # fmt: skip
_VISIT_TEXTS_SQL = (
    "SELECT a.subject_id, json_group_array(json_array(a.id, a.date, a.response, a.clinical_progression, "
    "a.symptomatic, a.nodal_only, a.multiple_metastases, a.progressing_sites, a.biopsy_confirms_progression, "
    "a.ecog, a.notes, a.rapid_progression)), "
    f"max(typeof({' + '.join(f'coalesce(a.{c}, 0)' for c in _NUMBER_COLUMNS)}) = 'real') "
    "FROM assessment a WHERE a.subject_id IN (SELECT id FROM subject WHERE study_id = ?) "
    "GROUP BY a.subject_id"
)


def visit_texts(conn: Connection, study_id: int) -> dict[int, str | None] | None:
    """{subject pk: its visits as one text} for a study's subjects with visits (None for a
    subject whose values a text cannot tell apart exactly), read in ``conn``'s transaction;
    None when this engine cannot make them (not SQLite, or a value JSON cannot hold)."""
    import sqlite3

    if conn.dialect.name != "sqlite":
        return None
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        rows = cursor.execute(_VISIT_TEXTS_SQL, (study_id,)).fetchall()
    except sqlite3.Error:  # a BLOB in a visit, or a SQLite without JSON: the caller reads values
        return None
    finally:
        cursor.close()
    return {sid: None if flagged else text for sid, text, flagged in rows}
