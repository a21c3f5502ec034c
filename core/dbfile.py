"""Is a ``--db`` path usable as a study file? Checked before anything opens it, by the
command line and by the launcher before the window starts (imports only the standard
library and ``core.errors``, so the window's start stays fast)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from core.errors import InputError

SQLITE_HEADER = b"SQLite format 3\x00"


def check_database_arg(db: Path) -> None:
    """Refuse (``--db``) a file that is not a ResistDesk database before anything opens it:
    opening would otherwise fail deep inside SQLite, or add our tables to someone else's file."""
    try:
        if db.is_dir():
            raise InputError("--db", f"{db} is a folder, not a database file")
        if not db.exists() or db.stat().st_size == 0:
            return  # a new database
    except OSError as exc:  # a name too long for the system, a folder without permission
        raise InputError("--db", f"cannot use {db}: {exc.strerror or exc}") from None
    try:
        with db.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InputError("--db", f"cannot read {db}: {exc.strerror or exc}") from None
    if header != SQLITE_HEADER:
        raise InputError("--db", f"{db} is not a database (not an SQLite file)")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        # a damaged file (SQLite's message may quote the garbled bytes: not even UTF-8);
        # imported here only, to keep the window's start light
        from core.store.backup import damaged_message

        raise InputError("--db", damaged_message(db, str(exc))) from None
    if tables and "alembic_version" not in tables:
        raise InputError("--db", f"{db} is an SQLite database of another program, not a ResistDesk study")
