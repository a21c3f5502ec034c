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

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from core.paths import default_db_path

__all__ = ["DEFAULT_BUSY_TIMEOUT_MS", "default_db_path", "make_engine"]

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
