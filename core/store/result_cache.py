"""Roster rows kept between starts, so that a start does not classify again what has not changed.

Reading and classifying a 10,000-subject roster costs most of a cold start (``make bench``).
This cache keeps, per study file and study, the last roster's rows in a file of this
workstation's state folder (beside the audit anchor book, readable by its owner only), and
is built so that it can never change what the roster shows:

- **keyed by content.** A row is used only when the digest (BLAKE2b-256) of the subject's
  stored input, as just read from the study file, equals the digest it was stored under:
  the subject and course row, and its visits as one text the database makes of every
  value the roster reads with each visit's id (``core.store.engine.visit_texts``), or, for
  a subject with a value that text cannot print exactly (a REAL or a BLOB), its visit rows
  in order. A subject changed in any way, by the application or by anything else writing
  the file, has another digest: it is classified again. The file as a whole is bound to
  the rule sets' overrides, the as-of date, this program's code (a digest of the source of
  ``core.rules``, ``core.roster``, the read path and the query of the visit texts) and the
  versions of Python and SQLite: any difference and none of it is used. Subjects with
  lesion measurements (another table) are never cached.
- **authenticated.** The file carries an HMAC-SHA256 under a key derived from this
  workstation's secret (``core.store.checkpoint.workstation_key``), checked before
  anything in it is read. A changed, truncated, forged or other workstation's file is
  ignored (and rewritten on close); entries cannot be added or altered without the key.
- **a cache, never the record.** Nothing in the study file changes; a missing,
  unreadable or unwritable cache only costs the time to classify.

The first start on a new as-of date (the first start of the day) classifies everything,
as before; the file is written when the store closes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.util
import marshal
import os
import pickle
import pkgutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.roster import RosterRow
    from core.store.anchors import AnchorBook

CACHE_DIR = "roster-cache"
MAGIC = b"RDROSTER\x01"
FORMAT = 1
_KEY_LABEL = b"resistdesk roster result cache v1"
_MAC_BYTES = 32
# The modules whose code decides a cached row or its key: the rules (and what they import from
# core), the roster row, the read path, and the query that makes the visit texts keyed on.
_RULE_PACKAGE = "core.rules"
_OTHER_MODULES = (
    "core.roster", "core.store.reading", "core.store.result_cache", "core.store.engine", "core.limits",
    "core.errors",
)  # fmt: skip


def digest(subject: Sequence[Any], visits: Sequence[Sequence[Any]] | str) -> bytes:
    """The content key of one subject's stored input, as the database driver gives it: the
    subject row and its visit rows, or the visits as one text made by the database
    (``core.store.engine.visit_texts``).

    Encoded with ``marshal`` format 2 (twice as fast as pickle here, and unlike later
    formats it writes no back-references, so equal values always give equal bytes), or
    pickle for values marshal does not know; either way, different values give different
    bytes (a wrong guess of equality can only miss the cache, never hit it). A text follows
    the subject's encoding (which has a definite end) as UTF-8 (marshal writes long text
    five times slower)."""
    if isinstance(visits, str):
        value: Any = tuple(subject)
        tail = visits.encode("utf-8", "surrogatepass")
        tag = b"t"
    else:
        value, tail, tag = (tuple(subject), tuple(visits)), b"", b""
    try:
        data = tag + b"m" + marshal.dumps(value, 2)
    except ValueError:
        data = tag + b"p" + pickle.dumps(value, protocol=5)
    return hashlib.blake2b(data + tail, digest_size=32).digest()


@functools.cache
def code_identity() -> str | None:
    """A digest of the code that computes a roster row and its key, with the versions of Python
    and of the SQLite that prints the visit texts (None: not determinable; no cache)."""
    try:
        import sqlite3

        import core.rules

        names = sorted(
            [_RULE_PACKAGE] + [f"{_RULE_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(core.rules.__path__)]
        ) + list(_OTHER_MODULES)
        h = hashlib.sha256(f"{sys.version}\0{sqlite3.sqlite_version}".encode())
        for name in names:
            h.update(name.encode() + b"\0" + _module_bytes(name) + b"\0")
        return h.hexdigest()
    except Exception:  # a frozen bundle without sources or code: classify every time
        return None


def _module_bytes(name: str) -> bytes:
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise LookupError(name)
    if spec.origin and os.path.isfile(spec.origin):
        return Path(spec.origin).read_bytes()
    loader: Any = spec.loader
    return marshal.dumps(loader.get_code(name))


def _cache_key(book: AnchorBook) -> bytes | None:
    from core.store.checkpoint import workstation_key

    secret = workstation_key(book)
    return None if secret is None else hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def _day_before(iso: str) -> str:
    import datetime as dt

    try:
        return (dt.date.fromisoformat(iso) - dt.timedelta(days=1)).isoformat()
    except ValueError:
        return ""


class RosterCache:
    """The cached rows of one study as of one date under one set of rules (see the module)."""

    def __init__(self, path: Path, key: bytes, header: tuple[Any, ...]) -> None:
        self.path, self._key, self.header = path, key, header
        self._rows: dict[bytes, RosterRow] = {}
        self._used: set[bytes] = set()
        self._new: set[bytes] = set()
        self.changed = False
        self.loaded_from_file = False
        self._read = False  # a roster was read through it (begin): only then is it written

    @classmethod
    def open(
        cls, book: AnchorBook | None, study_file_id: str | None, study_id: int, header: tuple[Any, ...]
    ) -> RosterCache | None:
        """The cache for ``header`` (its stored rows if the file verifies and matches; else
        empty); None when this workstation cannot keep one."""
        code = code_identity()
        if book is None or study_file_id is None or code is None:
            return None
        key = _cache_key(book)
        if key is None:
            return None
        as_of = str(header[0])
        cache = cls(
            cls.folder(book) / f"{cls.prefix(study_file_id, study_id)}-{as_of}.bin",
            key,
            (FORMAT, code, study_file_id, study_id, *header),
        )
        cache._load()
        return cache

    @staticmethod
    def folder(book: AnchorBook) -> Path:
        return book.path.parent / CACHE_DIR

    @staticmethod
    def prefix(study_file_id: str, study_id: int) -> str:
        """The start of the file names of one study's caches (one file per as-of date)."""
        return hashlib.sha256(f"{study_file_id}/{study_id}".encode()).hexdigest()[:32]

    @classmethod
    def files(cls, book: AnchorBook, study_file_id: str, study_id: int) -> list[Path]:
        return sorted(cls.folder(book).glob(f"{cls.prefix(study_file_id, study_id)}-*.bin"))

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, MAGIC + payload, hashlib.sha256).digest()

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except OSError:
            return
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _MAC_BYTES:
            return
        tag, payload = data[len(MAGIC) : len(MAGIC) + _MAC_BYTES], data[len(MAGIC) + _MAC_BYTES :]
        if not hmac.compare_digest(tag, self._mac(payload)):
            return  # changed, forged or another workstation's: not read any further
        try:
            header, rows = pickle.loads(payload)
        except Exception:
            return
        if header != self.header or not isinstance(rows, dict):
            return
        self._rows, self.loaded_from_file = rows, True

    def _prune(self) -> None:
        """Keep this study's caches of this date and the day before (a start later today, or
        a start tomorrow prepared today: see ``Store.prepare_next_day``); drop older ones."""
        stem, _, as_of = self.path.stem.partition("-")  # the prefix is hex, the date ISO
        for path in self.path.parent.glob(f"{stem}-*.bin"):
            if path.stem.partition("-")[2] < _day_before(as_of):
                with contextlib.suppress(OSError):
                    path.unlink()

    def begin(self) -> None:
        """A whole roster is about to be read: what it does not use is not kept."""
        self._used, self._read = set(), True

    def __contains__(self, key: bytes) -> bool:
        return key in self._rows

    def get(self, key: bytes) -> RosterRow | None:
        row = self._rows.get(key)
        if row is not None:
            self._used.add(key)
        return row

    def put(self, key: bytes, row: RosterRow) -> None:
        self._rows[key] = row
        self._used.add(key)
        self._new.add(key)
        self.changed = True

    def __len__(self) -> int:
        return len(self._rows)

    def save(self) -> None:
        """Write the rows used since it opened (atomically, owner-only); errors are ignored."""
        from core.rules.frozen import shared_equal_values

        if not self._read:  # only loaded (prepare_roster): the file stays as it is
            return
        used, new = set(self._used), set(self._new)
        rows = {k: v for k, v in list(self._rows.items()) if k in used}
        if not self.changed and len(rows) == len(self._rows):
            return
        memo: dict[Any, Any] = {}  # the rows just classified share their equal parts (see there)
        rows = {k: shared_equal_values(v, memo) if k in new else v for k, v in rows.items()}
        try:
            payload = pickle.dumps((self.header, rows), protocol=5)
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)  # 0600
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC + self._mac(payload) + payload)
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        except (OSError, pickle.PicklingError):
            return
        self._prune()
        self.changed, self._new = False, set()
