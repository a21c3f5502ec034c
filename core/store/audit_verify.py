"""``audit verify``: the whole check of a study file, read-only and streaming: SQLite's
integrity check, the hash chain, the replay against every table, and the anchors."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.store.anchors import Anchor, AnchorBook, AnchorCheck, check_anchor, folder_anchors, study_file_id
from core.store.audit_chain import AuditReport, verify_chain
from core.store.audit_replay import Difference, replay_differences
from core.store.backup import backup_dir_for
from core.store.checkpoint import CheckpointCheck, check_checkpoint


@dataclass(frozen=True, slots=True)
class StudyFileReport:
    """What ``audit verify`` found, section by section."""

    integrity: str  # "ok", or what SQLite's integrity_check reported
    chain: AuditReport | None
    differences: tuple[Difference, ...] = ()
    more_differences: int = 0  # beyond those kept in ``differences``
    anchors: tuple[AnchorCheck, ...] = ()
    study_file_id: str | None = None
    checkpoint: CheckpointCheck | None = None

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and self.chain is not None
            and self.chain.ok
            and not self.differences
            and all(a.ok for a in self.anchors)
            and (self.checkpoint is None or self.checkpoint.ok)
        )

    @property
    def rows(self) -> int:
        return self.chain.rows if self.chain else 0

    @property
    def problem_row(self) -> int | None:
        return self.chain.problem_row if self.chain else None

    def lines(self) -> list[str]:
        out = [f"file integrity check: {self.integrity}"]
        if self.chain is not None:
            out.append(f"hash chain: {self.chain.describe()}")
        if self.chain is not None and self.integrity == "ok":
            if self.differences:
                total = len(self.differences) + self.more_differences
                out.append(f"replay: {total} difference(s) between the audit trail and the tables:")
                out += [f"  {d.describe()}" for d in self.differences]
                if self.more_differences:
                    out.append(f"  ... and {self.more_differences} more")
            else:
                out.append("replay: every audited table matches the audit trail")
        if self.anchors:
            out.append(f"anchors checked: {len(self.anchors)}")
            out += [f"  {a.describe()}" for a in self.anchors]
        else:
            out.append("anchors checked: none known for this study file")
        if self.checkpoint is not None:
            out.append(f"keyed checkpoint: {self.checkpoint.describe()}")
        return out

    def describe(self) -> str:
        if self.ok:
            head = f"audit trail intact: {self.rows} rows, hash chain verified, replay matches every table"
        else:
            head = "audit trail NOT intact"
        return "\n".join([head, *self.lines()])


MAX_SHOWN_DIFFERENCES = 1000


def verify_study_file(
    db_path: Path, anchors: Sequence[Anchor] = (), book: AnchorBook | None = None
) -> StudyFileReport:
    """Full check of a study file, read-only, streaming (bounded memory at any size)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            integrity = "ok" if [r[0] for r in result] == ["ok"] else "; ".join(str(r[0]) for r in result[:5])
            if integrity != "ok":
                return StudyFileReport(integrity, None)
            file_id = study_file_id(conn)
            chain = verify_chain(conn)
            kept: list[Difference] = []
            more = 0
            for difference in replay_differences(conn):
                if len(kept) < MAX_SHOWN_DIFFERENCES:
                    kept.append(difference)
                else:
                    more += 1
            every = list(anchors)
            if book is not None and file_id is not None:
                remembered = book.get(file_id)
                if remembered is not None:
                    every.append(remembered)
            generation = conn.execute("SELECT value FROM meta WHERE key = 'file_generation'").fetchone()
            every += folder_anchors(backup_dir_for(db_path), file_id, generation[0] if generation else None)
            checks = tuple(check_anchor(conn, a) for a in every)
            keyed = check_checkpoint(conn, book)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        return StudyFileReport(f"unreadable ({exc})", None)
    return StudyFileReport(integrity, chain, tuple(kept), more, checks, file_id, keyed)
