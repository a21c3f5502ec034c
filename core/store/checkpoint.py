"""Keyed checkpoints: the audit chain head, authenticated with this workstation's secret.

The hash chain has no key: anyone who can write the study file can append rows with correct
hashes (and update the head in ``meta``). So every write transaction of the application that
adds audit rows also stores, in the same transaction, an HMAC-SHA256 over (study file id,
audit position, head hash) under a secret that only this workstation holds (32 random bytes,
created on first use beside the anchor book, readable by its owner only), with the key's id
(first 16 hex digits of its SHA-256). A program without the key cannot make a checkpoint that
verifies here: rows appended after the checkpoint, or a checkpoint made up, are reported.

A checkpoint made under another workstation's key is "not checkable here" (not an error).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.store.anchors import AnchorBook, current_head, study_file_id

CHECKPOINT_KEY = "audit_checkpoint"  # in ``meta``
KEY_FILE = "workstation-audit.key"
KEY_BYTES = 32


def _key_path(book: AnchorBook) -> Path:
    return book.path.parent / KEY_FILE


def workstation_key(book: AnchorBook, *, create: bool = True) -> bytes | None:
    """This workstation's secret (made on first use, mode 0600; None if unavailable)."""
    path = _key_path(book)
    with contextlib.suppress(FileNotFoundError):
        data = path.read_bytes()
        return data if len(data) == KEY_BYTES else None
    if not create:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=KEY_FILE, suffix=".tmp", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(KEY_BYTES))
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: keep theirs
                os.link(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) == KEY_BYTES else None


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def mac(key: bytes, file_id: str, position: int, head: str) -> str:
    message = json.dumps([file_id, position, head]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_checkpoint(key: bytes, file_id: str, position: int, head: str) -> str:
    """The ``meta`` value recording the head (position, hash) under ``key``."""
    return json.dumps(
        {"key_id": key_id(key), "position": position, "hash": head, "mac": mac(key, file_id, position, head)}
    )


def checkpoint_problem(
    key: bytes, file_id: str, stored: str | None, start: tuple[int, str] | None
) -> str | None:
    """Before a new checkpoint is written: does the one in the file, if made with ``key``,
    verify and end where this transaction's rows start?"""
    if stored is None or start is None:
        return None
    try:
        data = json.loads(stored)
        found_id, at = str(data["key_id"]), int(data["position"])
        digest, tag = str(data["hash"]), str(data["mac"])
    except (ValueError, KeyError, TypeError):
        return _forged(0, "its keyed checkpoint is unreadable")
    if found_id != key_id(key):
        return None  # another workstation's: not checkable here
    if not hmac.compare_digest(tag, mac(key, file_id, at, digest)):
        return _forged(0, "its keyed checkpoint does not verify")
    if (at, digest) != start:
        return _forged(at, f"the trail went on to row {start[0]}")
    return None


@dataclass(frozen=True, slots=True)
class CheckpointCheck:
    status: str  # "ok", "none", "other-key", "no-key", "broken"
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != "broken"

    def describe(self) -> str:
        return self.detail


def check_checkpoint(conn: sqlite3.Connection, book: AnchorBook | None) -> CheckpointCheck:
    """Does the trail end exactly at a checkpoint made with this workstation's key?"""
    file_id = study_file_id(conn)
    if book is None or file_id is None:
        return CheckpointCheck("none", "no workstation key to check against")
    position, head = current_head(conn)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (CHECKPOINT_KEY,)).fetchone()
    except sqlite3.DatabaseError:
        row = None
    expected = book.checkpoint_key(file_id)
    key = workstation_key(book, create=False)
    since = _last_seen(book, file_id)
    if row is None:
        if key is not None and expected == key_id(key):
            return CheckpointCheck("broken", _forged(since, "its keyed checkpoint is missing"))
        return CheckpointCheck("none", "no keyed checkpoint in this file (written before they existed)")
    try:
        data = json.loads(row[0])
        found_id, at = str(data["key_id"]), int(data["position"])
        digest, tag = str(data["hash"]), str(data["mac"])
    except (ValueError, KeyError, TypeError):
        return CheckpointCheck("broken", _forged(since, "its keyed checkpoint is unreadable"))
    if key is None or found_id != key_id(key):
        return CheckpointCheck(
            "other-key",
            f"keyed checkpoint made on another workstation (key {found_id[:16]}): not checkable here",
        )
    if not hmac.compare_digest(tag, mac(key, file_id, at, digest)):
        return CheckpointCheck("broken", _forged(since, "its keyed checkpoint does not verify"))
    stored = conn.execute("SELECT hash FROM audit_event WHERE id = ?", (at,)).fetchone() if at else None
    if at and (stored is None or stored[0] != digest):
        before = min(since, at - 1) if since else 0
        return CheckpointCheck("broken", _forged(before, "the checkpointed row changed"))
    if (position, head) != (at, digest):
        return CheckpointCheck("broken", _forged(at, f"the trail goes on to row {position}"))
    return CheckpointCheck("ok", f"keyed checkpoint of this workstation verifies (row {at})")


def _last_seen(book: AnchorBook, file_id: str) -> int:
    remembered = book.get(file_id)
    return remembered.position if remembered is not None else 0


def _forged(after: int, why: str) -> str:
    return (
        f"audit rows were added or changed by a program without this workstation's key after row {after} "
        f"({why})"
    )
