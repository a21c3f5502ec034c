"""Anchors: the audit chain head kept OUTSIDE the study file.

A hash chain inside a file proves nothing against someone who can rewrite
the whole file: they rewrite the whole chain. An anchor is a (row, hash)
pair of the chain recorded elsewhere; the trail must still *extend* it (row
N still exists and still has that hash). Anchors come from:

- the workstation, which remembers the last head it saw for each study file
  (by the study file id stored in the file's ``meta``), in a small JSON file
  readable by its owner only, in the user data folder;
- every backup, which records the head it copied (in its own ``meta``);
- every signed worksheet (``Store.audit_anchor()`` gives the signer the head);
- anything given to ``audit verify --anchor`` (``ROW:HASH``, a backup file
  or an anchor JSON file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from core import APP_NAME
from core.errors import InputError

STUDY_FILE_ID_KEY = "study_file_id"
BACKUP_ANCHOR_KEY = "backup_anchor"
ANCHOR_BOOK = "audit-anchors.json"
STATE_DIR_ENV = "RESISTDESK_STATE_DIR"  # tests and portable installs point it elsewhere


@dataclass(frozen=True, slots=True)
class Anchor:
    """The audit trail's row ``position`` had hash ``hash`` (position 0: the empty trail)."""

    study_file_id: str | None
    position: int
    hash: str
    source: str = ""  # where the anchor comes from, as a report names it
    generation: str | None = None  # of the file it was taken from (a restore starts a new one)

    def to_json(self) -> dict[str, object]:
        return {"study_file_id": self.study_file_id, "position": self.position, "hash": self.hash}

    def describe(self) -> str:
        return f"{self.source or 'anchor'} (row {self.position}, hash {self.hash[:12]}…)"


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    anchor: Anchor
    problem: str | None = None  # None: the trail extends it

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        if self.ok:
            return f"extends {self.anchor.describe()}"
        return f"CONTRADICTS {self.anchor.describe()}: {self.problem}"


def check_anchor(conn: sqlite3.Connection, anchor: Anchor) -> AnchorCheck:
    """Does the trail in ``conn`` still extend ``anchor``? One primary-key lookup."""
    if anchor.study_file_id is not None:
        here = study_file_id(conn)
        if here is not None and here != anchor.study_file_id:
            return AnchorCheck(
                anchor, f"it is an anchor of another study file (id {anchor.study_file_id}, not {here})"
            )
    if anchor.position == 0:
        return AnchorCheck(anchor)
    row = conn.execute("SELECT hash FROM audit_event WHERE id = ?", (anchor.position,)).fetchone()
    if row is None:
        last = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0] or 0
        return AnchorCheck(anchor, f"the trail now ends at row {last}: rows were removed (truncated)")
    if row[0] != anchor.hash:
        return AnchorCheck(
            anchor, f"row {anchor.position} now has hash {row[0][:12]}…: the trail was rewritten"
        )
    return AnchorCheck(anchor)


def current_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(last row id, its hash) of the actual trail (not the head recorded in ``meta``)."""
    row = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    return (0, "0" * 64) if row is None else (int(row[0]), str(row[1]))


def study_file_id(conn: sqlite3.Connection) -> str | None:
    return _meta(conn, STUDY_FILE_ID_KEY)


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return None
    return None if row is None else str(row[0])


# ---------------------------------------------------------------------------
# The workstation's anchor book


def state_dir() -> Path:
    override = os.environ.get(STATE_DIR_ENV)
    return Path(override) if override else platformdirs.user_data_path(APP_NAME, appauthor=False)


class AnchorBook:
    """The last chain head this workstation saw, per study file id (owner-only JSON file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / ANCHOR_BOOK

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # unreadable: start again (the file is a safeguard, not the record)
        studies = data.get("studies") if isinstance(data, dict) else None
        return studies if isinstance(studies, dict) else {}

    def get(self, file_id: str) -> Anchor | None:
        entry = self._load().get(file_id)
        if not isinstance(entry, dict):
            return None
        try:
            position, digest = int(entry["position"]), str(entry["hash"])  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            return None
        return Anchor(
            file_id,
            position,
            digest,
            f"this workstation's last view of the trail ({entry.get('seen_at', '?')})",
        )

    def remember(
        self, file_id: str, position: int, digest: str, db_path: Path, *, force: bool = False
    ) -> None:
        """Record the head; never moves backwards (a shorter trail is for the checks to report)
        unless ``force``d by an authorised restore, which replaces the history on purpose."""
        studies = self._load()
        old = studies.get(file_id)
        old_position = old.get("position") if isinstance(old, dict) else None
        if not force and isinstance(old_position, int) and old_position > position:
            return
        entry = dict(old) if isinstance(old, dict) else {}  # keeps the pinned site CA
        entry.update(
            {
                "position": position,
                "hash": digest,
                "file": str(db_path),
                "seen_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )
        studies[file_id] = entry
        self._save(studies)

    def checkpoint_key(self, file_id: str) -> str | None:
        """The id of this workstation's key the study's keyed checkpoints were made with, if any."""
        entry = self._load().get(file_id)
        value = entry.get("checkpoint_key") if isinstance(entry, dict) else None
        return value if isinstance(value, str) else None

    def mark_checkpointed(self, file_id: str, key_id: str) -> None:
        """From now on this study must carry a keyed checkpoint of this workstation."""
        studies = self._load()
        old = studies.get(file_id)
        entry = dict(old) if isinstance(old, dict) else {}
        if entry.get("checkpoint_key") == key_id:
            return
        entry["checkpoint_key"] = key_id
        studies[file_id] = entry
        self._save(studies)

    def _save(self, studies: dict[str, dict[str, object]]) -> None:
        write_private(self.path, json.dumps({"version": 1, "studies": studies}, indent=1).encode())

    # The site CA certificate each study had when this workstation first saw it: a CA
    # certificate swapped into the file (with worksheets signed under it) is not trusted.

    def site_ca(self, file_id: str) -> tuple[str, str] | None:
        """(SHA-256 fingerprint, when it was recorded) of the study's pinned site CA, or None."""
        entry = self._load().get(file_id)
        if not isinstance(entry, dict) or not isinstance(entry.get("ca_sha256"), str):
            return None
        return str(entry["ca_sha256"]), str(entry.get("ca_seen_at", "?"))

    def pin_site_ca(
        self, file_id: str, fingerprint: str, *, force: bool = False, created_at: Path | None = None
    ) -> None:
        """Remember the study's site CA fingerprint the first time it is seen; ``force``: its
        custodian created the CA (with its new passphrase) on this workstation, in the study
        file at ``created_at``."""
        studies = self._load()
        old = studies.get(file_id)
        entry = dict(old) if isinstance(old, dict) else {}
        if not force and isinstance(entry.get("ca_sha256"), str):
            return
        if created_at is not None:
            entry["ca_created_in"] = _resolved(created_at)
        if entry.get("ca_sha256") != fingerprint:
            entry["ca_sha256"] = fingerprint
            entry["ca_seen_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        studies[file_id] = entry
        self._save(studies)

    def study_replaced(self, db_path: Path, file_id: str) -> tuple[str, str, str] | None:
        """(study file id, CA fingerprint, when recorded) of another study file this workstation
        knew at ``db_path`` with its site CA before it first saw ``file_id``'s, or None.

        A file replaced whole by one of someone else's making has another study file id, so the
        CA recorded for the study does not apply to it; the path does: it held another study
        first. Not when ``file_id``'s CA was created here, in this very file (a new study in the
        place of an old one)."""
        studies = self._load()
        mine = studies.get(file_id)
        mine = mine if isinstance(mine, dict) else {}
        target = _resolved(db_path)
        if mine.get("ca_created_in") == target:
            return None
        my_seen = str(mine.get("ca_seen_at", "")) if isinstance(mine.get("ca_sha256"), str) else None
        for other_id, entry in studies.items():
            if other_id == file_id or not isinstance(entry, dict):
                continue
            pinned, where = entry.get("ca_sha256"), entry.get("file")
            if not isinstance(pinned, str) or not isinstance(where, str) or _resolved(Path(where)) != target:
                continue
            seen = str(entry.get("ca_seen_at", ""))
            if my_seen is None or seen <= my_seen:
                return other_id, pinned, seen
        return None


def _resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable and writable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------
# Anchors given on the command line, and those recorded in backups


def parse_anchor(text: str) -> Anchor:
    """``ROW:HASH``, a backup (SQLite) file, or a JSON file holding ``position`` and ``hash``."""
    position, sep, digest = text.partition(":")
    if sep and position.strip().isdigit() and len(digest.strip()) == 64:
        return Anchor(None, int(position), digest.strip().lower(), f"anchor {text[:20]}…")
    path = Path(text)
    if not path.is_file():
        raise InputError("--anchor", f"{text!r} is neither ROW:HASH nor a readable file")
    head = path.read_bytes()[:16]
    if head.startswith(b"%PDF"):
        return worksheet_anchor(path)
    if head.startswith(b"SQLite format 3"):
        found = backup_anchor(path)
        if found is None:
            raise InputError("--anchor", f"{path} holds no ResistDesk audit trail")
        return found
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Anchor(
            data.get("study_file_id"), int(data["position"]), str(data["hash"]), f"anchor file {path.name}"
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise InputError("--anchor", f"{path}: not an anchor file (expected position and hash)") from None


def worksheet_anchor(path: Path) -> Anchor:
    """The audit head a signed worksheet recorded as the investigator signed (in its signed
    signature attachment)."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    from core.worksheet.pdfsign import SIGNATURE_ATTACHMENT, _attachments

    try:
        files = _attachments(PdfFileReader(io.BytesIO(path.read_bytes())))
        data = json.loads(files[SIGNATURE_ATTACHMENT])["audit_anchor"]
        return Anchor(
            data.get("study_file_id"), int(data["position"]), str(data["hash"]), f"worksheet {path.name}"
        )
    except Exception:
        raise InputError("--anchor", f"{path}: not a signed worksheet recording an audit anchor") from None


def backup_anchor(path: Path) -> Anchor | None:
    """The head a backup recorded when it was made (or, for an older backup, its own head)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            file_id = study_file_id(conn)
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (BACKUP_ANCHOR_KEY,)).fetchone()
            if row is not None:
                data = json.loads(row[0])
                return Anchor(
                    file_id,
                    int(data["position"]),
                    str(data["hash"]),
                    f"backup {path.name}",
                    data.get("generation"),
                )
            position, digest = current_head(conn)
            return Anchor(file_id, position, digest, f"backup {path.name}", _meta(conn, "file_generation"))
    except (sqlite3.DatabaseError, ValueError, KeyError, TypeError):
        return None


def folder_anchors(folder: Path, file_id: str | None, generation: str | None) -> Iterator[Anchor]:
    """Anchors recorded by the backups in ``folder`` of the same study file and generation
    (a backup taken before a restore belongs to the history the restore replaced)."""
    if file_id is None or generation is None or not folder.is_dir():
        return
    for path in sorted(folder.glob("*.sqlite3")):
        found = backup_anchor(path)
        if found is not None and found.study_file_id == file_id and found.generation == generation:
            yield found
