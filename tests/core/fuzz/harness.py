"""Run the command line in-process against throwaway copies of one small study database.

``make test`` runs a quick, reproducible pass (``RESISTDESK_FUZZ`` unset);
``make fuzz`` sets ``RESISTDESK_FUZZ=long`` for many more random examples.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import itertools
import os
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from core import cli
from core.cli import common
from core.rules import Course
from core.store import Role, Store

PASSWORD = "fuzz-password"
LONG = os.environ.get("RESISTDESK_FUZZ") == "long"


def fuzz_settings(quick: int, long: int) -> settings:
    """Examples per property: few and reproducible in ``make test``, many and random in ``make fuzz``."""
    return settings(
        max_examples=long if LONG else quick,
        derandomize=not LONG,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


@dataclasses.dataclass
class Outcome:
    code: int
    out: str
    err: str

    def check_no_crash(self) -> None:
        """Exit 0 or 2 (1 only for a named failure that is not the input's), never a traceback."""
        assert "Traceback" not in self.err, self.err
        assert "internal error" not in self.err, self.err
        assert self.code in (0, 1, 2), self.code
        if self.code != 0:
            assert self.err.startswith(("error: ", "usage: ")), self.err


class Harness:
    """A template study (administrator ``admin``, one study) and a folder for inputs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.sqlite3"
        with Store.open(self.template, backup_daily=False) as store:
            store.create_user(None, "admin", "Ada Admin", Role.ADMINISTRATOR, PASSWORD)
            admin = store.authenticate("admin", PASSWORD)
            store.create_study(admin, "FUZZ-1", "Fuzzed study")
        self._counter = itertools.count()

    def folder(self) -> Path:
        path = self.root / f"run{next(self._counter)}"
        path.mkdir()
        return path

    def fresh_db(self) -> Path:
        dest = self.folder() / "study.sqlite3"
        with (
            contextlib.closing(sqlite3.connect(self.template)) as a,
            contextlib.closing(sqlite3.connect(dest)) as b,
        ):
            a.backup(b)
        return dest

    def write(self, name: str, data: bytes) -> Path:
        path = self.folder() / name
        path.write_bytes(data)
        return path

    def run(self, *argv: str | Path, passwords: int = 3) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        saved = common.PASSWORDS
        common.PASSWORDS = common.Passwords(io.StringIO(f"{PASSWORD}\n" * passwords))
        try:
            code = cli.main([str(a) for a in argv], out=out, err=err)
        finally:
            common.PASSWORDS = saved
        return Outcome(code, out.getvalue(), err.getvalue())


def file_hash(db: Path) -> str:
    """The database file and its journal, byte for byte."""
    digest = hashlib.sha256()
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-journal")):
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def canonical(course: Course) -> Course:
    """A course with its assessments in one order (the store keeps them by date)."""
    return dataclasses.replace(
        course, assessments=tuple(sorted(course.assessments, key=lambda a: (a.date, repr(a))))
    )


def by_subject(courses: Any) -> dict[str, Course]:
    return {c.subject_id: canonical(c) for c in courses}
