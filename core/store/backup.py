"""Online backups with SQLite's backup API, and checked restores.

A backup is a consistent copy even while another program writes (the backup
API copies a snapshot page by page). A restore checks the file's integrity
and schema version before anything is replaced, and backs up the current
database first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

from core.store.errors import SchemaError

BACKUP_DIRNAME = "backups"
DAILY_PREFIX = "daily-"
DEFAULT_RETENTION = 14


def backup_dir_for(db_path: Path) -> Path:
    return db_path.parent / BACKUP_DIRNAME


def backup_database(db_path: Path, dest: Path) -> Path:
    """Copy ``db_path`` to ``dest`` (a file, or a folder to put a dated file in)."""
    if not db_path.exists():
        raise SchemaError(f"no database at {db_path}")
    if dest.is_dir():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        dest = dest / f"{db_path.stem}-{stamp}.sqlite3"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".partial")
    tmp.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(db_path)) as src, contextlib.closing(sqlite3.connect(tmp)) as dst:
        src.backup(dst)
    tmp.replace(dest)  # a backup file is either complete or absent
    return dest


def daily_backup(db_path: Path, today: dt.date, retention: int = DEFAULT_RETENTION) -> Path | None:
    """At most one backup a day on open; keep the newest ``retention`` of them."""
    folder = backup_dir_for(db_path)
    target = folder / f"{DAILY_PREFIX}{today.isoformat()}.sqlite3"
    if target.exists() or not db_path.exists():
        return None
    made = backup_database(db_path, target)
    dailies = sorted(folder.glob(f"{DAILY_PREFIX}*.sqlite3"))
    for old in dailies[: max(0, len(dailies) - retention)]:
        old.unlink()
    return made


def check_database_file(path: Path, known_revision: Callable[[str], bool]) -> str:
    """Integrity and schema checks of a database file; returns its revision."""
    if not path.is_file():
        raise SchemaError(f"{path}: no such file")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
            if not result or result[0] != "ok":
                raise SchemaError(f"{path}: integrity check failed ({result[0] if result else 'no answer'})")
            try:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.DatabaseError:
                row = None
    except sqlite3.DatabaseError as exc:
        raise SchemaError(f"{path}: not a ResistDesk database ({exc})") from None
    if row is None:
        raise SchemaError(f"{path}: not a ResistDesk database (no schema version)")
    if not known_revision(row[0]):
        raise SchemaError(
            f"{path}: schema version {row[0]} is newer than this program knows; use a newer ResistDesk"
        )
    return str(row[0])


def restore_database(source: Path, db_path: Path, known_revision: Callable[[str], bool]) -> Path | None:
    """Replace ``db_path`` by ``source`` after checking it; returns the safety backup made first."""
    check_database_file(source, known_revision)
    safety = None
    if db_path.exists():
        safety = backup_database(db_path, backup_dir_for(db_path) / f"before-restore-{_stamp()}.sqlite3")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(db_path)) as dst,
    ):
        src.backup(dst)
    return safety


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
