"""Keyed checkpoints: audit rows appended with correct hashes by a program without the
workstation's key are reported by `audit verify` and on opening the study."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from core.store import Store
from core.store.anchors import AnchorBook
from core.store.audit_chain import event_hash
from core.store.audit_verify import verify_study_file
from core.store.checkpoint import CHECKPOINT_KEY, KEY_FILE
from tests.core.store.conftest import PASSWORD, fixed_clock


def _open(db: Path) -> Store:
    return Store.open(db, clock=fixed_clock, backup_daily=False)


def _forge_role_change(db: Path, username: str = "coord", role: str = "administrator") -> int:
    """What an attacker with write access does: make a coordinator administrator and append the
    audit row that explains it, hash-chained correctly, with the head updated in ``meta``."""
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        user_id, old = conn.execute(
            "SELECT id, role FROM user_account WHERE username = ?", (username,)
        ).fetchone()
        last, prev = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        row = (at, "admin", "update", "user_account", user_id, "role", old, role, "promotion")
        digest = event_hash(prev, *row)
        conn.execute(
            "INSERT INTO audit_event (id, at_utc, user, action, entity, entity_id, field, old_value, new_value, "
            "reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (last + 1, *row, prev, digest),
        )
        conn.execute("UPDATE user_account SET role = ? WHERE id = ?", (role, user_id))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (digest,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_count'", (str(last + 1),))
    return int(last)


def _write_something(db: Path) -> None:
    with _open(db) as store:
        store.create_study(store.authenticate("admin", PASSWORD), "P-002", "Another trial")


def test_a_well_hashed_forged_role_change_is_reported(db_path: Path) -> None:
    _write_something(db_path)
    assert verify_study_file(db_path, book=AnchorBook()).ok
    last = _forge_role_change(db_path)
    report = verify_study_file(db_path, book=AnchorBook())
    assert report.chain is not None
    assert report.chain.ok  # the chain alone is fooled...
    assert not report.differences  # ...and so is the replay
    assert not report.ok  # but not the keyed checkpoint
    expected = (
        f"audit rows were added or changed by a program without this workstation's key after row {last}"
    )
    assert expected in report.describe()
    store = _open(db_path)
    try:
        assert any(expected in w for w in store.warnings), store.warnings
        # writing on does not launder the forged rows: no new checkpoint is made over them
        store.create_study(store.authenticate("admin", PASSWORD), "P-003", "A third trial")
    finally:
        store.close()
    assert expected in verify_study_file(db_path, book=AnchorBook()).describe()


def test_a_removed_checkpoint_is_reported_when_this_workstation_made_one(db_path: Path) -> None:
    _write_something(db_path)
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (CHECKPOINT_KEY,))
    report = verify_study_file(db_path, book=AnchorBook())
    assert not report.ok
    assert "without this workstation's key" in report.describe()
    assert "missing" in report.describe()


def test_a_made_up_checkpoint_with_this_key_id_is_reported(db_path: Path) -> None:
    _write_something(db_path)
    last = _forge_role_change(db_path)
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        data = json.loads(
            conn.execute("SELECT value FROM meta WHERE key = ?", (CHECKPOINT_KEY,)).fetchone()[0]
        )
        head = conn.execute("SELECT hash FROM audit_event WHERE id = ?", (last + 1,)).fetchone()[0]
        data.update(position=last + 1, hash=head, mac="0" * 64)
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(data), CHECKPOINT_KEY))
    report = verify_study_file(db_path, book=AnchorBook())
    assert not report.ok
    assert "does not verify" in report.describe()


def test_another_workstations_checkpoint_is_not_checkable_here_and_not_an_error(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_something(db_path)
    monkeypatch.setenv("RESISTDESK_STATE_DIR", str(tmp_path / "other-workstation"))
    report = verify_study_file(db_path, book=AnchorBook())
    assert report.ok, report.describe()
    assert "not checkable here" in report.describe()
    with _open(db_path) as store:
        assert not [w for w in store.warnings if "key" in w]


def test_normal_writes_keep_the_checkpoint_and_the_key_is_private(
    db_path: Path, workstation_state: Path
) -> None:
    from tests.core.test_cli import EXE

    _write_something(db_path)
    key = workstation_state / KEY_FILE
    assert key.stat().st_size == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    r = subprocess.run(
        [EXE, "study", "add", "--db", str(db_path), "--user", "admin", "--protocol", "P-9", "--title", "CLI"],
        input=PASSWORD + "\n", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    report = verify_study_file(db_path, book=AnchorBook())
    assert report.ok, report.describe()
    assert report.checkpoint is not None
    assert report.checkpoint.status == "ok"
    r = subprocess.run(
        [EXE, "audit", "verify", "--db", str(db_path), "--user", "admin"],
        input=PASSWORD + "\n", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "keyed checkpoint of this workstation verifies" in r.stdout


def test_rows_forged_while_a_session_is_open_are_not_checkpointed_over(db_path: Path) -> None:
    """The forger writes while the application has the study open: its next write must not
    authenticate the forged rows with a new checkpoint."""
    with _open(db_path) as store:
        admin = store.authenticate("admin", PASSWORD)
        store.create_study(admin, "P-002", "Another trial")
        last = _forge_role_change(db_path)
        store.create_study(admin, "P-003", "A third trial")  # the user's work is still saved
        assert any("without this workstation's key after row" in w for w in store.warnings)
    expected = (
        f"audit rows were added or changed by a program without this workstation's key after row {last}"
    )
    assert expected in verify_study_file(db_path, book=AnchorBook()).describe()


def test_restoring_a_backup_checkpoints_the_restored_history_anew(db_path: Path) -> None:
    from core.store.restore import restore_study

    with _open(db_path) as store:
        made = store.backup(store.authenticate("admin", PASSWORD))
    _forge_role_change(db_path)
    assert not verify_study_file(db_path, book=AnchorBook()).ok
    restore_study(db_path, made, "admin", PASSWORD)
    report = verify_study_file(db_path, book=AnchorBook())
    assert report.ok, report.describe()
    assert report.checkpoint is not None
    assert report.checkpoint.status == "ok"
    with _open(db_path) as store:
        assert not [w for w in store.warnings if "key" in w]
