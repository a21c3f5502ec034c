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

__all__ = ["DEFAULT_BUSY_TIMEOUT_MS", "VISIT_COLUMNS", "default_db_path", "make_engine", "visit_texts"]

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
# object per value), for the roster's result cache to key on (core.store.reading). Every value the
# roster reads of a visit (VISIT_COLUMNS, which core.store.reading selects too) is in it, with the
# visit's id. The ids must be the table's row ids (checked, _SCHEMA_SQL): unique, so equal texts
# are equal sets of visits, whatever order the scan gave them in, and the order the roster puts
# them in (date, id) follows from the set; ids that repeat (a table rebuilt without its primary
# key) would leave two visits of one day in the order of whatever index a query scans, which the
# two queries need not share.
#
# JSON tells NULL, integers and text apart, and text exactly; not the other two storage classes.
# It prints a REAL to 15 digits, and SQLite 3.45 and later print a BLOB that reads as their binary
# JSON (JSONB) as the value it encodes (x'00' as null, the same text as a NULL: 3.40 raises an
# error). The application writes neither, but any program can, in any column, and in a table
# rebuilt with other declared types even in a text column. So a subject with a REAL or a BLOB in
# any column of the text is flagged, and keyed on its values instead: each column gives a term of
# a sum that is a REAL when it is one of them (a BLOB or, in a text column, any value but text
# and NULL gives 0.5; NULLs, which would hide a REAL, count as 0; every text is at least '' and
# below every BLOB). Only operators and CASE, no function per column: the check costs 0.02 s on
# 100,000 visits.
VISIT_COLUMNS = (
    "date", "response", "clinical_progression", "symptomatic", "nodal_only", "multiple_metastases",
    "progressing_sites", "biopsy_confirms_progression", "ecog", "notes", "rapid_progression",
)  # fmt: skip
_TEXT_COLUMNS = ("date", "response", "notes")
_CHECKED = " + ".join(
    f"CASE WHEN coalesce(a.{c}, '') >= '' AND coalesce(a.{c}, '') < x'' THEN 0 ELSE 0.5 END"
    if c in _TEXT_COLUMNS
    else f"CASE WHEN coalesce(a.{c}, 0) < x'' THEN coalesce(a.{c}, 0) ELSE 0.5 END"
    for c in VISIT_COLUMNS  # not the id: a row id is an integer
)
_VISIT_TEXTS_SQL = (
    f"SELECT a.subject_id, json_group_array(json_array({', '.join(f'a.{c}' for c in ('id', *VISIT_COLUMNS))}"
    f")), max(typeof({_CHECKED}) = 'real') "
    "FROM assessment a WHERE a.subject_id IN (SELECT id FROM subject WHERE study_id = ?) "
    "GROUP BY a.subject_id"
)
# The schema the texts rely on (another program can change it with plain SQL): the visit and
# subject tables are tables, and a visit's id is its row id (the only primary key column, declared
# INTEGER, in a rowid table: no index of its own; checked against SQLite for DESC, WITHOUT ROWID,
# INT). The text and the values classified come from two queries, equal only if both read stored
# values: a view may give others at each query, even in one transaction (random(), 'now'); a
# generated column cannot (SQLite allows only deterministic functions in one).
_SCHEMA_SQL = (
    "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('assessment', 'subject'))"
    " = 2 "
    "AND (SELECT group_concat(name) FROM pragma_table_info('assessment') WHERE pk > 0) = 'id' "
    "AND (SELECT upper(type) FROM pragma_table_info('assessment') WHERE name = 'id') = 'INTEGER' "
    "AND NOT EXISTS (SELECT 1 FROM pragma_index_list('assessment') WHERE origin = 'pk')"
)


def visit_texts(conn: Connection, study_id: int) -> dict[int, str | None] | None:
    """{subject pk: its visits as one text} for a study's subjects with visits (None for a
    subject whose values a text cannot tell apart exactly), read in ``conn``'s transaction;
    None when this engine cannot make them (not SQLite, a SQLite without JSON, a BLOB JSON
    cannot hold, or a schema they cannot rely on: see _SCHEMA_SQL)."""
    import sqlite3

    if conn.dialect.name != "sqlite":
        return None
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        if cursor.execute(_SCHEMA_SQL).fetchone()[0] != 1:
            return None
        rows = cursor.execute(_VISIT_TEXTS_SQL, (study_id,)).fetchall()
    except sqlite3.Error:  # no JSON, or a value it cannot take (and not flagged): the caller reads values
        return None
    finally:
        cursor.close()
    return {sid: None if flagged else text for sid, text, flagged in rows}
