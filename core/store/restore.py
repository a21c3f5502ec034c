"""Backup and restore as actions of the store, with their permissions and audit rows.

The file mechanics (checks, temporary names, rotation) are in ``core.store.backup``.

Restore is authorised by an administrator of the LIVE study file, password
re-entered: an administrator of the backup proves nothing (anyone can make
a database with ``init`` and be its administrator). A backup of another
study file (another study file id) is refused unless that administrator
forces it. When the live file cannot be read (damaged), the backup's own
administrator is accepted only for a backup of the same study file, as
recorded in the damaged file or remembered by this workstation; forcing is
then not possible.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from core.store.anchors import AnchorBook, current_head, study_file_id
from core.store.backup import (
    backup_database,
    backup_dir_for,
    check_database_file,
    integrity_problem,
    restore_database,
)
from core.store.base import SYSTEM, SYSTEM_USER, Actor, StoreCore
from core.store.checkpoint import key_id
from core.store.errors import AuthError, StoreError
from core.store.permissions import require
from core.store.users import Role, decoy_hash, verify_password


class Backups(StoreCore):
    """``backup``: any signed-in role may take a copy (the daily one is automatic)."""

    def backup(self, actor: Actor, dest: Path | None = None) -> Path:
        """Check the file, copy it (``dest``: a file or folder; default the backups folder)."""
        self.authorize(actor, "backup.create")
        made = backup_database(self.path, dest or backup_dir_for(self.path), folder=dest is None)
        self.remember_head()
        return made


@dataclass(frozen=True, slots=True)
class RestoreResult:
    restored: Path
    safety: Path | None
    forced: bool


def restore_study(
    db_path: Path,
    source: Path,
    username: str,
    password: str,
    *,
    force: bool = False,
    anchor_book: AnchorBook | None = None,
) -> RestoreResult:
    from core.store.store import Store, known_revision

    check_database_file(source, known_revision)
    backup_id = _file_id(source)
    book = anchor_book if anchor_book is not None else AnchorBook()
    live_readable = db_path.exists() and integrity_problem(db_path, full=False) is None
    if live_readable:
        with Store.open(db_path, backup_daily=False, anchor_book=book, create=False) as live:
            actor = live.authorize(live.authenticate(username, password, purpose="restore"), "backup.restore")
            live_id = live.study_file_id
        if backup_id != live_id and not force:
            raise AuthError(
                f"{source.name} is a backup of another study file (id {backup_id or 'none'}), "
                f"not of this one (id {live_id}); an administrator of this study can replace it "
                "anyway with --force"
            )
    else:
        actor = _backup_administrator(source, username, password)
        known = _file_id(db_path) if db_path.exists() else None
        remembered = backup_id is not None and book.get(backup_id) is not None
        if db_path.exists() and backup_id != known and not remembered:
            raise AuthError(
                f"{db_path} cannot be read, and {source.name} is not a backup of a study file known here: "
                "refused (restore a backup of this study)"
            )
    safety = restore_database(source, db_path, known_revision)
    forced = force and live_readable and backup_id != live_id
    with Store.open(db_path, backup_daily=False, anchor_book=book) as store:
        store.checkpoint_broken = False  # the history was replaced on purpose: checkpoint it anew
        with store.writing(Actor(SYSTEM_USER, Role.ADMINISTRATOR), SYSTEM) as tx:
            tx.log(
                "restore",
                new=source.name,
                reason=f"restored by {actor.username} (administrator)"
                + ("; forced: a backup of another study file" if forced else "")
                + (f"; the replaced file was kept as {safety.name}" if safety else ""),
            )
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            position, digest = current_head(conn)
        if store.study_file_id is not None:  # the history was replaced on purpose: anchor it anew
            book.remember(store.study_file_id, position, digest, db_path, force=True)
            if store._checkpointed and store._audit_key is not None:
                book.mark_checkpointed(store.study_file_id, key_id(store._audit_key))
        store.anchor_contradicted = True  # keep close() from touching the book again
    return RestoreResult(db_path, safety, forced)


def _file_id(path: Path) -> str | None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return study_file_id(conn)
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return None


def _backup_administrator(source: Path, username: str, password: str) -> Actor:
    """An administrator of the backup (only when the live file cannot be read)."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT password_hash, role, active, full_name FROM user_account WHERE username = ?", (username,)
        ).fetchone()
    ok = verify_password(password, row[0] if row is not None else decoy_hash())
    if row is None or not ok or not row[2]:
        raise AuthError("wrong user id or password")
    try:
        require(Role(row[1]), "backup.restore")
    except ValueError:
        raise StoreError(f"{source}: the account has no valid role") from None
    return Actor(username, Role(row[1]), row[3])
