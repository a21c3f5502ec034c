"""Backups and restores of the study file, and the checks that make them trustworthy.

- A backup is made only from a file that passes SQLite's full integrity
  check; it is written to a temporary name (owner-only), checked again, and
  only then renamed into place, so a backup file is complete and sound or
  absent. It records the audit head it copied (``backup_anchor`` in its
  ``meta``): an anchor of the history outside the live file.
- The daily backup on open is made by one process only (an exclusive lock
  file), never copies a damaged file, and never stops the program (a full
  disk is reported as a warning). Rotation never deletes the newest good
  backup.
- A restore checks the backup's integrity and schema, keeps a copy of what it
  replaces, copies with SQLite's backup API (safe under the WAL of other
  open programs) and gives the file a new generation, so every session still
  open on it refuses to write (see ``core.store.base``).
- A damaged live file is refused with a message naming the newest good
  backup and the restore command; nothing is written to it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from core.store.errors import SchemaError, StoreError

BACKUP_DIRNAME = "backups"
DAILY_PREFIX = "daily-"
DEFAULT_RETENTION = 14
GENERATION_KEY = "file_generation"
BACKUP_ANCHOR_KEY = "backup_anchor"  # same key as core.store.anchors (kept light: no import)
STALE_LOCK_SECONDS = 600


class DamagedFileError(StoreError):
    """The study file fails SQLite's integrity check."""


def backup_dir_for(db_path: Path) -> Path:
    return db_path.parent / BACKUP_DIRNAME


# ---------------------------------------------------------------------------
# Checks


def integrity_problem(path: Path, *, full: bool = True) -> str | None:
    """None when SQLite's integrity check (``quick_check`` unless ``full``) passes, else what it found."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            result = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}").fetchmany(5)]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        return str(exc)
    return None if result == ["ok"] else "; ".join(result) or "no answer"


def newest_good_backup(db_path: Path) -> Path | None:
    """The newest backup beside ``db_path`` that passes the quick check and is a ResistDesk file
    of the same study file when that can still be read (other study files, such as the demo,
    share the folder)."""
    folder = backup_dir_for(db_path)
    if not folder.is_dir():
        return None
    candidates = sorted(
        (p for p in folder.glob("*.sqlite3") if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    own = _study_file_id(db_path) if db_path.exists() else None
    for path in candidates:
        if (
            integrity_problem(path, full=False) is None
            and _revision(path) is not None
            and (own is None or _study_file_id(path) in (own, None))
        ):
            return path
    return None


def _study_file_id(path: Path) -> str | None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'study_file_id'").fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return None
    return None if row is None else str(row[0])


def daily_name(db_path: Path, day: dt.date) -> str:
    """``daily-<file>-<date>.sqlite3``: named by the study file too, since other study files
    (the demo) share the backups folder."""
    return f"{DAILY_PREFIX}{db_path.stem}-{day.isoformat()}.sqlite3"


def _dailies_of(folder: Path, db_path: Path) -> list[Path]:
    pattern = re.compile(rf"{re.escape(DAILY_PREFIX + db_path.stem)}-\d{{4}}-\d{{2}}-\d{{2}}\.sqlite3")
    return sorted(p for p in folder.glob(f"{DAILY_PREFIX}*.sqlite3") if pattern.fullmatch(p.name))


def damaged_message(db_path: Path, problem: str) -> str:
    good = newest_good_backup(db_path)
    where = (
        f"Restore the newest good backup: resistdesk restore --db {db_path} --user ADMIN {good}"
        if good is not None
        else f"No good backup was found in {backup_dir_for(db_path)}; restore one you keep elsewhere with "
        f"resistdesk restore --db {db_path} --user ADMIN BACKUP"
    )
    return f"{db_path} is damaged (integrity check: {problem}); nothing was written to it. {where}"


def refuse_if_damaged(db_path: Path, *, full: bool = False) -> None:
    problem = integrity_problem(db_path, full=full)
    if problem is not None:
        raise DamagedFileError(damaged_message(db_path, problem))


def _revision(path: Path) -> str | None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return None
    return None if row is None else str(row[0])


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
            except (sqlite3.DatabaseError, UnicodeDecodeError):
                row = None
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not a ResistDesk database ({exc})") from None
    if row is None:
        raise SchemaError(f"{path}: not a ResistDesk database (no schema version)")
    if not known_revision(row[0]):
        raise SchemaError(
            f"{path}: schema version {row[0]} is newer than this program knows; use a newer ResistDesk"
        )
    return str(row[0])


# ---------------------------------------------------------------------------
# Private files


def create_private(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only; fails if it exists."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def make_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise StoreError(
            f"{folder} is a file, not a folder: move it away so that backups can be written there"
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------
# Backup


def _resolve(db_path: Path, dest: Path, *, folder: bool) -> Path:
    """A folder (existing, or named without a suffix, or ``folder``) gets a dated file."""
    if folder or dest.is_dir() or (not dest.exists() and not dest.suffix):
        make_folder(dest)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return dest / f"{db_path.stem}-{stamp}.sqlite3"
    make_folder(dest.parent)
    return dest


def _record_anchor(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    file_id = conn.execute("SELECT value FROM meta WHERE key = 'study_file_id'").fetchone()
    generation = conn.execute("SELECT value FROM meta WHERE key = ?", (GENERATION_KEY,)).fetchone()
    anchor = {
        "study_file_id": file_id[0] if file_id else None,
        "generation": generation[0] if generation else None,
        "position": 0 if row is None else int(row[0]),
        "hash": "0" * 64 if row is None else str(row[1]),
        "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (BACKUP_ANCHOR_KEY, json.dumps(anchor))
        )


def backup_database(db_path: Path, dest: Path, *, folder: bool = False, replace: bool = True) -> Path:
    """Copy ``db_path`` to ``dest`` (a file, or a folder to put a dated file in).

    The source must pass the full integrity check; the copy is written under a
    temporary owner-only name, records its audit anchor, is checked again and
    renamed. With ``replace=False`` an existing ``dest`` is left alone (``FileExistsError``).
    """
    if not db_path.exists():
        raise SchemaError(f"no database at {db_path}")
    refuse_if_damaged(db_path, full=True)
    dest = _resolve(db_path, dest, folder=folder)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    create_private(tmp)
    try:
        with (
            contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(tmp)) as dst,
        ):
            src.backup(dst)
            # A backup is one self-contained file: no WAL beside it, even when opened read-only.
            dst.execute("PRAGMA journal_mode=DELETE")
            with contextlib.suppress(sqlite3.DatabaseError):  # a file without an audit trail records none
                _record_anchor(dst)
        problem = integrity_problem(tmp, full=True)
        if problem is not None:
            raise StoreError(f"the backup copy failed its own integrity check ({problem}); nothing was kept")
        if replace:
            os.replace(tmp, dest)
        else:
            try:
                os.link(tmp, dest)  # atomic, and never over an existing file
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: the lock file already serialises
                if dest.exists():
                    raise FileExistsError(dest) from None
                os.replace(tmp, dest)
            else:
                tmp.unlink()
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_dir(dest.parent)
    return dest


def daily_backup(
    db_path: Path,
    today: dt.date,
    retention: int = DEFAULT_RETENTION,
    *,
    on_problem: Callable[[str], None] | None = None,
) -> Path | None:
    """At most one backup a day on open, by one process; keep the newest ``retention``.

    Never raises: a damaged source, a full disk or a read-only folder is passed to
    ``on_problem`` (the program goes on; the damaged file is refused by the open itself).
    """
    folder = backup_dir_for(db_path)
    target = folder / daily_name(db_path, today)
    if target.exists() or not db_path.exists():
        return None
    lock = folder / f".{target.name}.lock"
    try:
        make_folder(folder)
        if not _take_lock(lock):
            return None  # another program is making today's backup
    except (OSError, StoreError) as exc:
        if on_problem is not None:
            on_problem(f"no daily backup today: {exc}")
        return None
    try:
        if target.exists():
            return None
        made = backup_database(db_path, target, replace=False)
        _rotate(_dailies_of(folder, db_path), made, max(1, retention))
        return made
    except FileExistsError:
        return None
    except (OSError, sqlite3.Error, StoreError) as exc:
        if on_problem is not None:
            on_problem(f"no daily backup today: {exc}")
        return None
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def _take_lock(lock: Path) -> bool:
    for _ in range(2):
        try:
            create_private(lock)
            return True
        except FileExistsError:
            try:
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                continue
            if age < STALE_LOCK_SECONDS:
                return False
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()  # left by a program that crashed: take it over
    return False


def _rotate(dailies: list[Path], newest: Path, retention: int) -> None:
    """Keep the newest ``retention`` daily backups (of one study file, sorted by name); never
    delete ``newest`` (just made and checked) nor the newest one that still passes the quick check."""
    keep = {newest}
    for path in reversed(dailies):
        if integrity_problem(path, full=False) is None:
            keep.add(path)
            break
    for old in dailies[: max(0, len(dailies) - retention)]:
        if old not in keep:
            for path in (old, old.with_name(old.name + "-wal"), old.with_name(old.name + "-shm")):
                with contextlib.suppress(OSError):
                    path.unlink()


# ---------------------------------------------------------------------------
# Restore


def restore_database(source: Path, db_path: Path, known_revision: Callable[[str], bool]) -> Path | None:
    """Replace ``db_path`` by ``source`` after checking it; returns the copy of what it replaced.

    The restored file gets a new generation: sessions still open on the old content refuse to
    write. Who may restore is checked by the caller (``Store.restore``), against the live file.
    """
    check_database_file(source, known_revision)
    safety = None
    if db_path.exists():
        folder = backup_dir_for(db_path)
        name = f"before-restore-{_stamp()}.sqlite3"
        if integrity_problem(db_path, full=True) is None:
            safety = backup_database(db_path, folder / name)
        else:  # keep even a damaged file, byte for byte: it is evidence
            make_folder(folder)
            safety = folder / (name + ".damaged")
            create_private(safety)
            shutil.copyfile(db_path, safety)
    else:
        make_folder(db_path.parent)
        create_private(db_path)
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(db_path)) as dst,
    ):
        src.backup(dst)
        with dst:
            dst.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (GENERATION_KEY, uuid.uuid4().hex)
            )
            dst.execute("DELETE FROM meta WHERE key = ?", (BACKUP_ANCHOR_KEY,))
    return safety


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
