"""The store API shared by the GUI and the command line: a small facade over
one module per job.

- ``base``       the acting user, the audited write transaction, the file's engines
- ``accounts``   users and sign-in
- ``studies``    studies and their settings
- ``reading``    subjects, courses and the roster, read in bulk
- ``subjects``   adding, changing and deleting subjects, baselines and visits
- ``audit``      the audit log and its verification (chain in ``audit_chain``)
- ``backup``     backups and restores of the file

Every change goes through one write transaction that validates the whole
subject (with the same rules as a case file), applies the rows, and writes
the audit trail in the same transaction: a change is committed with its
audit rows, or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from core.store import models as m
from core.store.accounts import Accounts
from core.store.audit import AuditLog
from core.store.backup import daily_backup
from core.store.base import SECRET_FIELDS, SYSTEM, SYSTEM_USER, Actor, Tx, _Tx, utc_now
from core.store.engine import DEFAULT_BUSY_TIMEOUT_MS, default_db_path
from core.store.migrate import migrate, revisions
from core.store.reading import subject_rows_without
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


class Store(Subjects, Accounts, AuditLog):
    """The study database. Open with ``Store.open(path)``."""

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        backup_daily: bool = True,
    ) -> Store:
        """Open (creating or upgrading as needed) the database at ``path``."""
        db = path or default_db_path()
        existed = db.exists()
        migrate(db)
        if existed and backup_daily:
            daily_backup(db, clock().date())
        store = cls(db, clock=clock, busy_timeout_ms=busy_timeout_ms)
        store._ensure_site_ca()
        return store

    def _ensure_site_ca(self) -> None:
        """The site certificate authority is created the first time a database is opened."""
        from core.store.site_keys import CA_CERT_KEY, ensure_site_ca

        with self.reading() as s:
            if s.get(m.Meta, CA_CERT_KEY) is not None:
                return
        with self.writing(Actor(SYSTEM_USER, Role.ADMINISTRATOR), SYSTEM) as tx:
            ensure_site_ca(tx, "", self.now())


def known_revision(revision: str) -> bool:
    return revision in revisions()
