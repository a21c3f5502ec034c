"""Crash safety and concurrent writers, with real processes on a real file."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from core.store import Actor, Role, Store, StoreBusyError
from tests.core.store.conftest import dump, fixed_clock, subject_fields

ADMIN = Actor("admin", Role.ADMINISTRATOR, "Ada Admin", 1)
FORK = mp.get_context("fork")  # children inherit the imported modules: fast start
KILL_ROUNDS = int(os.environ.get("RESISTDESK_KILL_ROUNDS", "50"))


def _writer(db: str, prefix: str, count: int, pipe: Connection) -> None:
    """Add subjects one transaction at a time; report each one after its commit returns."""
    with Store(Path(db), clock=fixed_clock, busy_timeout_ms=30000) as store:
        study_id = store.studies()[0].id or 0
        for k in range(count):
            code = f"{prefix}-{k}"
            pk = store.add_subject(ADMIN, study_id, subject_fields(code))
            store.add_assessment(ADMIN, pk, {"date": "2024-02-26", "response": "SD"})
            pipe.send(code)
    pipe.close()


def _stored_codes(db: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {r[0] for r in conn.execute("SELECT subject_code FROM subject")}


def _integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.slow
def test_sigkill_during_writes_loses_no_committed_record(db_path: Path) -> None:
    rnd = random.Random(20261124)
    committed: set[str] = set()
    for round_no in range(KILL_ROUNDS):
        receive, send = FORK.Pipe(duplex=False)
        child = FORK.Process(target=_writer, args=(str(db_path), f"K{round_no}", 10_000, send))
        child.start()
        send.close()
        # Kill at a random moment after the child's first commit: how long opening the study
        # takes (integrity check, migrations, a loaded machine) must not decide what is tested.
        if receive.poll(120):
            committed.add(receive.recv())
        time.sleep(rnd.uniform(0.0, 0.2))
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        with contextlib.suppress(EOFError, OSError):
            while receive.poll():
                committed.add(receive.recv())
        receive.close()
        assert _integrity(db_path) == "ok", f"round {round_no}"
    stored = _stored_codes(db_path)
    assert committed, "the children never committed anything: the test proves nothing"
    assert committed <= stored
    with Store.open(db_path, backup_daily=False) as store:
        assert store.verify_audit().ok


def test_two_processes_writing_lose_nothing_and_keep_the_chain(db_path: Path) -> None:
    children, pipes = [], []
    for prefix in ("A", "B"):
        receive, send = FORK.Pipe(duplex=False)
        child = FORK.Process(target=_writer, args=(str(db_path), prefix, 15, send))
        child.start()
        send.close()
        children.append(child)
        pipes.append(receive)
    reported: set[str] = set()
    for child, pipe in zip(children, pipes, strict=True):
        child.join(120)
        assert child.exitcode == 0
        with contextlib.suppress(EOFError):
            while True:
                reported.add(pipe.recv())
    assert len(reported) == 30
    assert reported <= _stored_codes(db_path)
    assert _integrity(db_path) == "ok"
    with Store.open(db_path, backup_daily=False) as store:
        report = store.verify_audit()
        assert report.ok, report.describe()
        assert report.checkpoint is not None
        assert report.checkpoint.status == "ok", report.describe()  # each commit checkpointed its head
        assert not store.warnings


def test_a_wait_that_times_out_says_database_busy_and_saves_nothing(db_path: Path) -> None:
    with Store(db_path, clock=fixed_clock, busy_timeout_ms=200) as store:
        study_id = store.studies()[0].id or 0
        before = dump(db_path)
        holder = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            with pytest.raises(StoreBusyError, match="database busy"):
                store.add_subject(ADMIN, study_id, subject_fields("BUSY-1"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert dump(db_path) == before
        store.add_subject(ADMIN, study_id, subject_fields("BUSY-1"))  # works once the lock is gone
