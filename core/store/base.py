"""The store's core: the acting user, the audited write transaction, and the
connection to one study file (reading and writing sessions, the clock).

Every module of the store (accounts, studies, subjects, reading, audit,
backup) builds on ``StoreCore``; ``core.store.store.Store`` puts them together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel

from core.errors import InputError
from core.limits import MAX_REASON_CHARS, text_problem
from core.rules import Classification, Course, StudyRules
from core.store.anchors import STUDY_FILE_ID_KEY, AnchorBook, current_head
from core.store.audit_chain import REDACTED, AuditWriter, serialize
from core.store.backup import GENERATION_KEY
from core.store.checkpoint import (
    CHECKPOINT_KEY,
    checkpoint_problem,
    key_id,
    make_checkpoint,
    workstation_key,
)
from core.store.engine import DEFAULT_BUSY_TIMEOUT_MS, make_engine
from core.store.errors import AuthError, NotFoundError, StoreBusyError, StoreError
from core.store.models import Meta
from core.store.permissions import require
from core.store.result_cache import RosterCache
from core.store.users import Role

T = TypeVar("T", bound=SQLModel)

SYSTEM_USER = "system"
# Never written into the audit trail: password hashes and key material; a worksheet's PDF is
# identified by its SHA-256 instead.
SECRET_FIELDS = frozenset({"password_hash", "private_key_pem", "public_key_pem", "certificate_pem", "pdf"})


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated user on whose behalf a change is made."""

    username: str
    role: Role
    full_name: str = ""
    user_id: int | None = None


@dataclass
class Tx:
    """One write transaction: audited inserts, updates and deletes."""

    session: Session
    audit: AuditWriter
    actor: Actor
    _touched: list[int] = field(default_factory=list)

    def log(self, action: str, **kw: Any) -> None:
        self.audit.append(self.actor.username, action, **kw)

    def insert(self, obj: T, reason: str = "") -> T:
        self.session.add(obj)
        self.session.flush()
        values = _audit_values(obj)
        self.log(
            "insert",
            entity=_entity(obj),
            entity_id=_pk(obj),
            field="*",
            new=json.dumps(values, sort_keys=True, ensure_ascii=False),
            reason=reason,
        )
        return obj

    def update(self, obj: SQLModel, changes: Mapping[str, Any], reason: str) -> dict[str, tuple[Any, Any]]:
        changed: dict[str, tuple[Any, Any]] = {}
        for name, value in changes.items():
            old = getattr(obj, name)
            if old == value and type(old) is type(value):
                continue
            setattr(obj, name, value)
            changed[name] = (old, value)
            shown_old, shown_new = serialize(old), serialize(value)
            if name in SECRET_FIELDS:
                shown_old, shown_new = (REDACTED if old is not None else None), REDACTED
            self.log(
                "update",
                entity=_entity(obj),
                entity_id=_pk(obj),
                field=name,
                old=shown_old,
                new=shown_new,
                reason=reason,
            )
        if changed:
            self.session.add(obj)
            self.session.flush()
        return changed

    def delete(self, obj: SQLModel, reason: str) -> None:
        values = _audit_values(obj)
        self.log(
            "delete",
            entity=_entity(obj),
            entity_id=_pk(obj),
            field="*",
            old=json.dumps(values, sort_keys=True, ensure_ascii=False),
            reason=reason,
        )
        self.session.delete(obj)
        self.session.flush()


def _audit_values(obj: SQLModel) -> dict[str, str | None]:
    """A row's fields as the audit trail records them, secrets redacted."""
    values = {k: serialize(v) for k, v in obj.model_dump().items() if k != "id" and v is not None}
    for secret in SECRET_FIELDS & set(values):
        values[secret] = REDACTED
    return values


def _entity(obj: SQLModel) -> str:
    return str(obj.__tablename__)


def _pk(obj: SQLModel) -> int | None:
    value = getattr(obj, "id", None)
    return value if isinstance(value, int) else None


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InputError("reason", "a reason is required to change or delete saved data")
    # Kept in the audit trail for inspectors: bounded, and free text like notes (newlines and
    # tabs are kept and shown escaped by the audit log; other control characters are refused).
    reason = reason.strip()
    problem = text_problem(reason, MAX_REASON_CHARS, multiline=True)
    if problem:
        raise InputError("reason", problem)
    return reason


# Older name, kept for modules that import it.
_Tx = Tx


def _get(session: Session, model: type[T], pk: int) -> T:
    obj = session.get(model, pk)
    if obj is None:
        raise NotFoundError(f"no {model.__tablename__} with id {pk}")
    return obj


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# Write actions outside the permission table: the sign-in itself (it audits failures of
# anyone), the program's own set-up, and the first account of a new database.
SIGN_IN, SYSTEM, BOOTSTRAP = "sign_in", "system", "bootstrap"


def _authorise(session: Session, actor: Actor, action: str) -> None:
    if action == SIGN_IN:
        return
    if action == SYSTEM:
        if actor.username != SYSTEM_USER:
            raise AuthError("internal action refused to a user")
        return
    if action == BOOTSTRAP:
        if session.execute(text("SELECT count(*) FROM user_account")).scalar_one():
            raise AuthError("this database already has accounts; an administrator creates new ones")
        # Accounts deleted with another program would let anyone with write access to the file
        # run the first run again: a new administrator, custodian and site CA over the study.
        had = session.execute(
            text(
                "SELECT count(*) FROM audit_event WHERE (entity = 'user_account' AND action = 'insert') "
                "OR action = 'site_ca_created'"
            )
        ).scalar_one()
        if had:
            raise AuthError(
                "this database had accounts (its audit trail records them) and they were removed "
                "outside ResistDesk: it is not a new database; restore a backup"
            )
        return
    row = session.execute(
        text("SELECT role, active FROM user_account WHERE username = :u"), {"u": actor.username}
    ).first()
    if row is None:
        raise AuthError(f"no account {actor.username!r} in this database: sign in again")
    if not row[1]:
        raise AuthError(f"the account {actor.username!r} has been disabled: nothing was saved")
    try:
        role = Role(row[0])
    except ValueError:
        raise AuthError(f"the account {actor.username!r} has no valid role") from None
    require(role, action)


class StoreCore:
    """One open study file: engines, clock, transactions. See ``Store`` for the whole API."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        anchor_book: AnchorBook | None = None,
        readonly: bool = False,
    ) -> None:
        self.path = path
        # Opened read-only (a read-only file or folder): reads work, every write says so.
        self.readonly = readonly
        # The file this session opened, and the study file id and generation in it: every
        # write checks it still talks to them (see _check_identity).
        stat = path.stat()
        self._file_identity: tuple[int, int] = (stat.st_dev, stat.st_ino)
        self._generation: str | None = None
        # The last audit row (id, hash) this session wrote: it must still be in the file at
        # the next write (an older copy of the same study copied over it has lost it).
        self._last_written: tuple[int, str] | None = None
        # Where this workstation remembers the last audit head it saw (None: nowhere).
        self.anchor_book: AnchorBook | None = anchor_book if anchor_book is not None else AnchorBook()
        self.study_file_id: str | None = None
        self.anchor_contradicted = False
        # Keyed checkpoints (core.store.checkpoint): broken ones stay reported (none is written
        # over them); the key is this workstation's, loaded (or made) at the first write.
        self.checkpoint_broken = False
        self._audit_key: bytes | None = None
        self._checkpointed = False  # this session wrote (or verified) a checkpoint of its key
        self.warnings: list[str] = []
        self._clock = clock
        self._read = make_engine(path, writer=False, busy_timeout_ms=busy_timeout_ms, readonly=readonly)
        self._write = make_engine(path, writer=True, busy_timeout_ms=busy_timeout_ms, readonly=readonly)
        # Called with the thread that writes; the GUI uses it to assert its writer thread.
        self.on_write: Callable[[threading.Thread], None] | None = None
        # Classifications keyed by their whole input (course, as_of, rule set): all immutable
        # values, so a changed subject is simply a different key. Bounded; see _classified().
        self._results: dict[tuple[Course, dt.date, StudyRules], Classification] = {}
        # Roster rows kept between starts, per study (core.store.result_cache); written on close.
        self._roster_caches: dict[int, RosterCache] = {}
        self._roster_cache_lock = threading.Lock()

    def remember_head(self) -> None:
        """Tell the workstation's anchor book the trail's head now (never when the trail
        contradicted it: the warning must stay until someone looks)."""
        if (
            self.anchor_book is None
            or self.study_file_id is None
            or self.anchor_contradicted
            or self.checkpoint_broken
        ):
            return
        try:
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
                position, digest = current_head(conn)
            self.anchor_book.remember(self.study_file_id, position, digest, self.path)
            if self._checkpointed and self._audit_key is not None:
                self.anchor_book.mark_checkpointed(self.study_file_id, key_id(self._audit_key))
        except (OSError, sqlite3.Error, UnicodeDecodeError):
            pass  # the anchor book is a safeguard; failing to update it must not stop the work

    def close(self) -> None:
        self.remember_head()
        with self._roster_cache_lock:
            caches, self._roster_caches = list(self._roster_caches.values()), {}
        for cache in caches:
            cache.save()
        self._read.dispose()
        self._write.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------
    # Transactions

    def now(self) -> dt.datetime:
        return self._clock()

    def today(self) -> dt.date:
        return self._clock().astimezone().date()

    def _stamp(self) -> str:
        return self._clock().astimezone(dt.UTC).isoformat(timespec="microseconds")

    def _check_file(self) -> None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise StoreError(
                f"the study file {self.path} was deleted while it was open: nothing was saved"
            ) from None
        if (stat.st_dev, stat.st_ino) != self._file_identity:
            raise StoreError(
                f"the study file {self.path} was replaced by another file since it was opened: "
                "nothing was saved; close it and open it again"
            )

    def _check_identity(self, session: Session) -> None:
        """Inside the write transaction: still the same study file, same generation?"""
        if self._generation is None:
            return
        rows = dict(
            session.execute(
                text("SELECT key, value FROM meta WHERE key IN (:a, :b)"),
                {"a": STUDY_FILE_ID_KEY, "b": GENERATION_KEY},
            ).all()
        )
        lost = False
        if self._last_written is not None:
            row_id, digest = self._last_written
            found = session.execute(
                text("SELECT hash FROM audit_event WHERE id = :i"), {"i": row_id}
            ).scalar_one_or_none()
            lost = found != digest
        if (
            lost
            or rows.get(STUDY_FILE_ID_KEY) != self.study_file_id
            or rows.get(GENERATION_KEY) != self._generation
        ):
            raise StoreError(
                f"the study file {self.path} was restored or replaced since this session opened it: "
                "nothing was saved; close it and open it again"
            )

    def _write_checkpoint(
        self, session: Session, position: int, digest: str, start: tuple[int, str] | None
    ) -> None:
        """Inside the write transaction: the new head, under this workstation's key; never
        over rows that another program added since the last checkpoint of this key."""
        if self.anchor_book is None or self.checkpoint_broken:
            return
        if self._audit_key is None:
            self._audit_key = workstation_key(self.anchor_book)
            if self._audit_key is None:
                return  # no key can be kept here: the anchors remain
        file_id = session.execute(
            text("SELECT value FROM meta WHERE key = :k"), {"k": STUDY_FILE_ID_KEY}
        ).scalar_one_or_none()
        if file_id is None:
            return
        previous = session.execute(
            text("SELECT value FROM meta WHERE key = :k"), {"k": CHECKPOINT_KEY}
        ).scalar_one_or_none()
        problem = checkpoint_problem(self._audit_key, str(file_id), previous, start)
        if problem is not None:  # rows were added while this session was open: keep it visible
            self.checkpoint_broken = True
            self.warnings.append(f"the audit trail of {self.path.name}: {problem}")
            return
        value = make_checkpoint(self._audit_key, str(file_id), position, digest)
        session.merge(Meta(key=CHECKPOINT_KEY, value=value))
        session.flush()
        self._checkpointed = True

    def authorize(self, actor: Actor, action: str) -> Actor:
        """Check, with the account as it is now, that ``actor`` may do ``action`` (for reads:
        writes check inside their transaction). Returns the actor with its current role."""
        with self.reading() as session:
            _authorise(session, actor, action)
            row = session.execute(
                text("SELECT role, full_name, id FROM user_account WHERE username = :u"),
                {"u": actor.username},
            ).one()
        return Actor(actor.username, Role(row[0]), row[1], row[2])

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self._read) as session:
            yield session

    @contextlib.contextmanager
    def writing(self, actor: Actor, action: str) -> Iterator[Tx]:
        """One audited write transaction (``BEGIN IMMEDIATE``) doing ``action``.

        Inside the transaction, before anything is written, the actor's current
        role and active flag are read again and checked against the permission
        table: a user disabled or demoted in another session loses the power at
        once, not at the next sign-in.
        """
        if self.on_write is not None:
            self.on_write(threading.current_thread())
        if self.readonly:
            raise StoreError(f"{self.path} is read-only: nothing can be saved (use a writable copy)")
        self._check_file()
        try:
            with Session(self._write, expire_on_commit=False) as session, session.begin():
                self._check_identity(session)
                _authorise(session, actor, action)
                tx = Tx(session, AuditWriter(session, self._stamp), actor)
                yield tx
                tx.audit.close()
                self._check_file()  # deleted or replaced while writing: roll back, say so
                head = session.execute(
                    text("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
                ).first()
                if head is not None and tx.audit.appended:
                    self._write_checkpoint(session, int(head[0]), str(head[1]), tx.audit.start)
            if head is not None:  # committed
                self._last_written = (int(head[0]), str(head[1]))
        except OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise StoreBusyError(
                    "database busy: another ResistDesk program kept it locked too long; "
                    "nothing was saved, try again"
                ) from exc
            if "readonly" in str(exc).lower() or "read-only" in str(exc).lower():
                raise StoreError(f"{self.path} is read-only: nothing was saved") from exc
            raise StoreError(f"database error, nothing was saved: {exc.orig}") from exc
        except IntegrityError as exc:
            raise StoreError(f"database refused the change, nothing was saved: {exc.orig}") from exc
