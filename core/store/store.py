"""The store API shared by the GUI and the command line: a small facade over
one module per job.

- ``base``       the acting user, the audited write transaction, the file's engines
- ``accounts``   users and sign-in
- ``studies``    studies and their settings
- ``reading``    subjects, courses and the roster, read in bulk
- ``result_cache`` roster rows kept between starts (content-keyed, authenticated, per date)
- ``subjects``   adding, changing and deleting subjects, baselines and visits
- ``audit``      audit events and the log (``audit_log``: filters, rows, pages, escaping;
                 ``audit_verify``: integrity + chain (``audit_chain``) + replay (``audit_replay``)
                 + anchors; ``audit_export``: CSV and PDF)
- ``backup``     backups and restores of the file (checks, temporary names, rotation)
- ``restore``    backup and restore as store actions (permissions, audit rows)
- ``anchors``    the audit head kept outside the file (workstation, backups, worksheets)
- ``permissions`` the one table of who may do what

Every change goes through one write transaction that validates the whole
subject (with the same rules as a case file), applies the rows, and writes
the audit trail in the same transaction: a change is committed with its
audit rows, or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from core.store import models as m
from core.store.accounts import Accounts
from core.store.anchors import STUDY_FILE_ID_KEY, AnchorBook, check_anchor
from core.store.audit import AuditLog
from core.store.backup import (
    GENERATION_KEY,
    DamagedFileError,
    create_private,
    daily_backup,
    damaged_message,
    make_folder,
    refuse_if_damaged,
)
from core.store.base import SECRET_FIELDS, SYSTEM, SYSTEM_USER, Actor, Tx, _Tx, utc_now
from core.store.checkpoint import check_checkpoint
from core.store.engine import DEFAULT_BUSY_TIMEOUT_MS, default_db_path
from core.store.errors import NotFoundError, SchemaError, StoreError
from core.store.migrate import HEAD_REVISION, current_revision, migrate, revisions
from core.store.reading import subject_rows_without
from core.store.restore import Backups
from core.store.subjects import (
    MODALITIES,
    SUBJECT_STATUSES,
    ImportReport,
    RejectedRow,
    Subjects,
    import_roster_csv,
)
from core.store.users import Role

__all__ = [
    "MODALITIES",
    "SECRET_FIELDS",
    "SUBJECT_STATUSES",
    "SYSTEM_USER",
    "Actor",
    "ImportReport",
    "RejectedRow",
    "Store",
    "Tx",
    "_Tx",
    "import_roster_csv",
    "known_revision",
    "subject_rows_without",
    "utc_now",
]


class Store(Subjects, Accounts, AuditLog, Backups):
    """The study database. Open with ``Store.open(path)``."""

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        backup_daily: bool = True,
        anchor_book: AnchorBook | None = None,
        create: bool = True,
        readonly: bool | None = None,
    ) -> Store:
        """Open (creating with ``create``, or upgrading as needed) the database at ``path``.

        An existing file must be a ResistDesk database that passes SQLite's quick check
        (a damaged one is refused, naming the newest good backup; nothing is written to it).
        A read-only file or folder (or ``readonly=True``) opens read-only: reads work and
        every write says "read-only". ``warnings`` then lists what the user must be told
        (a daily backup that failed, an audit trail that no longer extends what this
        workstation saw last time).
        """
        db = path or default_db_path()
        existed = db.exists() and not _is_empty(db)
        if existed:
            _refuse_foreign(db)
            refuse_if_damaged(db, full=False)
        elif db.exists() and not create:
            raise SchemaError(f"{db} is empty: not a ResistDesk database (create one with `resistdesk init`)")
        if readonly is None:
            readonly = existed and not _writable(db)
        warnings: list[str] = []
        if readonly:
            warnings.append(
                f"{db} is read-only (file or folder): it is open for reading; nothing can be saved"
            )
            if not existed:
                raise StoreError(f"{db} is read-only and holds no database yet")
            if current_revision(db) != HEAD_REVISION:
                raise SchemaError(f"{db} is read-only and needs an upgrade: open a writable copy once")
        else:
            if not db.exists():
                if not create:
                    raise NotFoundError(f"no database at {db}")
                make_folder(db.parent)
                create_private(db)
            migrate(db)
            if existed and backup_daily:
                daily_backup(db, clock().date(), on_problem=warnings.append)
        store = cls(
            db, clock=clock, busy_timeout_ms=busy_timeout_ms, anchor_book=anchor_book, readonly=readonly
        )
        store.warnings += warnings
        store._check_checkpoint()  # before anything moves the workstation's anchor on
        if not readonly:  # no site CA is made here: an administrator creates it under a passphrase
            store._ensure_study_file_id()
        else:
            store._load_identity()
        store._check_remembered_anchor()
        store._check_site_ca()
        return store

    def _check_checkpoint(self) -> None:
        """Warn when audit rows were added or changed without this workstation's key."""
        if self.anchor_book is None:
            return
        with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            check = check_checkpoint(conn, self.anchor_book)
        if check.status == "broken":
            self.checkpoint_broken = True
            self.warnings.append(
                f"the audit trail of {self.path.name}: {check.describe()}. "
                "Run `resistdesk audit verify` and restore a backup if needed."
            )

    def _check_site_ca(self) -> None:
        """Pin the study's site CA the first time this workstation sees it; warn if it changed."""
        from core.store.ca_pin import pin_site_ca, site_ca_problem

        problem = site_ca_problem(self)
        if problem is not None:
            self.warnings.append(
                f"site CA: {problem}. Worksheets verified against this file will not be VERIFIED."
            )
        else:
            pin_site_ca(self)

    def _load_identity(self) -> None:
        with self.reading() as s:
            found = s.get(m.Meta, STUDY_FILE_ID_KEY)
            generation = s.get(m.Meta, GENERATION_KEY)
        self.study_file_id = found.value if found else None
        self._generation = generation.value if generation else None

    def _ensure_study_file_id(self) -> None:
        """Every study file gets a random id and a generation once: anchors and restores
        refer to the id; a restore gives the file a new generation."""
        self._load_identity()
        if self.study_file_id is None or self._generation is None:
            with self.writing(Actor(SYSTEM_USER, Role.ADMINISTRATOR), SYSTEM) as tx:
                if tx.session.get(m.Meta, STUDY_FILE_ID_KEY) is None:
                    tx.session.add(m.Meta(key=STUDY_FILE_ID_KEY, value=uuid.uuid4().hex))
                    tx.log("study_file_id_created", reason="identity of this study file, for anchors")
                if tx.session.get(m.Meta, GENERATION_KEY) is None:
                    tx.session.add(m.Meta(key=GENERATION_KEY, value=uuid.uuid4().hex))
            self._load_identity()

    def _check_remembered_anchor(self) -> None:
        """Warn when the trail no longer extends the head this workstation saw last."""
        if self.anchor_book is None or self.study_file_id is None:
            return
        remembered = self.anchor_book.get(self.study_file_id)
        with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            if remembered is not None:
                check = check_anchor(conn, remembered)
                if not check.ok:
                    self.anchor_contradicted = True
                    self.warnings.append(
                        f"the audit trail of {self.path.name} no longer extends what this workstation saw: "
                        f"{check.describe()}. Run `resistdesk audit verify` and restore a backup if needed."
                    )
                    return
        self.remember_head()


def known_revision(revision: str) -> bool:
    return revision in revisions()


def _is_empty(db: Path) -> bool:
    try:
        return db.stat().st_size == 0
    except FileNotFoundError:
        return True


def _writable(db: Path) -> bool:
    """Writable file in a writable folder (the journal lives beside it). Mode bits count
    too: a file or folder without write permission is read-only even for root."""
    for target in (db, db.parent):
        mode = target.stat().st_mode
        if not mode & 0o222 or not os.access(target, os.W_OK):
            return False
    return True


def _refuse_foreign(db: Path) -> None:
    """An existing file must be a ResistDesk database: never turn another file into one."""
    with db.open("rb") as f:
        header = f.read(16)
    if header != b"SQLite format 3\x00":
        raise SchemaError(f"{db}: not a ResistDesk database (not an SQLite file); nothing was changed")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise DamagedFileError(damaged_message(db, str(exc))) from None
    if tables and "alembic_version" not in tables:
        raise SchemaError(
            f"{db}: not a ResistDesk database (an SQLite file of another program); nothing was changed"
        )
