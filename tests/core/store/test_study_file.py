"""A study file you can trust: each fault and attack of issue 13, tried for real on
SQLite files, and refused or reported."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.casefile import parse_case
from core.store import Actor, AuthError, Role, SchemaError, Store, StoreError
from core.store import backup as backup_module
from core.store import passwords as passwords_module
from core.store.anchors import AnchorBook, parse_anchor
from core.store.audit import event_hash, verify_study_file
from core.store.backup import DamagedFileError, daily_backup
from core.store.restore import restore_study
from tests.core.store.conftest import PASSWORD, dump, fixed_clock, subject_fields

ADMIN = Actor("admin", Role.ADMINISTRATOR, "Ada Admin", 1)


def _sql(db: Path, *statements: str) -> None:
    """Edit the file directly, as another program (or a person with sqlite3) would."""
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        for statement in statements:
            conn.execute(statement)


def _one(db: Path, query: str) -> object:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(query).fetchone()[0]


@pytest.fixture
def busy(db_path: Path, store: Store, study_id: int) -> Path:
    """Two subjects with a visit each; the store (and its anchor) is then closed."""
    for k in range(2):
        pk = store.add_subject(ADMIN, study_id, subject_fields(f"S-{k}"))
        store.add_assessment(ADMIN, pk, {"date": "2024-03-01", "response": "PD"})
    store.close()
    return db_path


# ---------------------------------------------------------------------------
# audit verify: replay against every table


def test_direct_edits_are_reported_by_table_row_and_field(busy: Path) -> None:
    _sql(
        busy,
        "UPDATE assessment SET response = 'PR' WHERE id = 1",
        "UPDATE course SET first_dose = '2023-01-01' WHERE id = 2",
        "UPDATE user_account SET role = 'administrator' WHERE username = 'coord'",
    )
    report = verify_study_file(busy)
    assert report.chain is not None
    assert report.chain.ok  # the hash chain alone says nothing: this is what used to pass
    assert not report.ok
    found = {(d.table, d.row, d.field, d.trail, d.live) for d in report.differences}
    assert ("assessment", 1, "response", "PD", "PR") in found
    assert ("course", 2, "first_dose", "2024-01-08", "2023-01-01") in found
    assert ("user_account", 2, "role", "coordinator", "administrator") in found
    assert "assessment row 1 field response" in report.describe()


def test_rows_added_or_removed_directly_are_reported(busy: Path) -> None:
    _sql(
        busy,
        "INSERT INTO subject (id, study_id, subject_code, tumor_type, indolent, setting, status) "
        "VALUES (99, 1, 'GHOST', 'melanoma', 0, 'advanced', 'active')",
        "DELETE FROM assessment WHERE id = 2",
    )
    report = verify_study_file(busy)
    text = report.describe()
    assert "subject row 99: in the table but not in the audit trail" in text
    assert "assessment row 2: in the audit trail but missing from the table" in text


def test_a_one_byte_flip_in_a_page_is_caught_by_the_replay(busy: Path) -> None:
    data = bytearray(busy.read_bytes())
    _sql(busy, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(busy.read_bytes())
    # The visit's response is stored as the text PD in a table page; the audit trail's copy is
    # inside JSON ("response": "PD"). Flip the table's byte only: SQLite has no page checksums.
    at = [i for i in range(len(data) - 2) if data[i : i + 2] == b"PD" and data[i - 1 : i] != b'"']
    assert at
    data[at[0] + 1] = ord("R")
    busy.write_bytes(bytes(data))
    assert backup_module.integrity_problem(busy) is None  # invisible to SQLite's own check
    report = verify_study_file(busy)
    assert not report.ok
    assert any(
        d.table == "assessment" and d.field == "response" and d.live == "PR" for d in report.differences
    )


# ---------------------------------------------------------------------------
# Anchors outside the file


def _truncate(db: Path, keep: int) -> None:
    """Remove the newest audit rows and fix the chain head in meta to match."""
    last_hash = _one(db, f"SELECT hash FROM audit_event WHERE id = {keep}")
    _sql(
        db,
        "DROP TRIGGER IF EXISTS audit_event_no_delete",
        f"DELETE FROM audit_event WHERE id > {keep}",
        f"UPDATE meta SET value = '{last_hash}' WHERE key = 'audit_head'",
        f"UPDATE meta SET value = '{keep}' WHERE key = 'audit_count'",
    )


def test_truncation_with_the_head_edited_is_caught_by_the_workstation_anchor(busy: Path) -> None:
    total = int(_one(busy, "SELECT max(id) FROM audit_event"))  # type: ignore[call-overload]
    _truncate(busy, total - 3)
    report = verify_study_file(busy, book=AnchorBook())
    assert report.chain is not None
    assert report.chain.ok  # what the old check said: intact
    assert not report.ok
    assert "CONTRADICTS this workstation's last view" in report.describe()
    assert "truncated" in report.describe()
    with Store.open(busy, backup_daily=False) as reopened:
        assert any("no longer extends" in w for w in reopened.warnings)
    with Store.open(busy, backup_daily=False) as again:  # the warning stays until someone looks
        assert again.warnings


def _rewrite_chain(db: Path) -> None:
    """Rewrite the whole trail consistently (tables and audit rows, hashes recomputed)."""
    _sql(
        db,
        "DROP TRIGGER IF EXISTS audit_event_no_update",
        "UPDATE assessment SET response = 'PR' WHERE id = 1",
    )
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        rows = conn.execute(
            "SELECT id, at_utc, user, action, entity, entity_id, field, old_value, new_value, reason "
            "FROM audit_event ORDER BY id"
        ).fetchall()
        prev = "0" * 64
        for row_id, *content in rows:
            if content[3] == "assessment" and content[4] == 1 and content[2] == "insert":
                values = json.loads(content[7])
                values["response"] = "PR"
                content[7] = json.dumps(values, sort_keys=True, ensure_ascii=False)
            digest = event_hash(prev, *content)
            conn.execute(
                "UPDATE audit_event SET new_value = ?, prev_hash = ?, hash = ? WHERE id = ?",
                (content[7], prev, digest, row_id),
            )
            prev = digest
        conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (prev,))


def test_a_full_rewrite_passes_the_chain_and_replay_but_not_the_anchors(
    db_path: Path, store: Store, study_id: int, tmp_path: Path
) -> None:
    pk = store.add_subject(ADMIN, study_id, subject_fields("S-0"))
    store.add_assessment(ADMIN, pk, {"date": "2024-03-01", "response": "PD"})
    anchor = store.audit_anchor()  # what a signed worksheet records
    (tmp_path / "anchor.json").write_text(json.dumps(anchor.to_json()), encoding="utf-8")
    store.close()
    _rewrite_chain(db_path)
    alone = verify_study_file(db_path)
    assert alone.chain is not None
    assert alone.chain.ok
    assert not alone.differences  # consistent rewrite: only an anchor outside the file can tell
    given = verify_study_file(db_path, [parse_anchor(str(tmp_path / "anchor.json"))])
    assert not given.ok
    assert "CONTRADICTS anchor file anchor.json" in given.describe()
    assert "rewritten" in given.describe()
    by_hand = verify_study_file(db_path, [parse_anchor(f"{anchor.position}:{anchor.hash}")])
    assert not by_hand.ok
    remembered = verify_study_file(db_path, book=AnchorBook())
    assert "CONTRADICTS this workstation's last view" in remembered.describe()


def test_every_backup_records_its_anchor_and_verify_checks_it(
    db_path: Path, store: Store, study_id: int
) -> None:
    pk = store.add_subject(ADMIN, study_id, subject_fields("S-0"))
    store.add_assessment(ADMIN, pk, {"date": "2024-03-01", "response": "PD"})
    made = store.backup(ADMIN)
    recorded = json.loads(str(_one(made, "SELECT value FROM meta WHERE key = 'backup_anchor'")))
    assert recorded["position"] == store.audit_anchor().position
    assert recorded["hash"] == store.audit_anchor().hash
    store.close()
    _rewrite_chain(db_path)
    report = verify_study_file(db_path)  # no book: the backup beside the file is an anchor too
    assert f"CONTRADICTS backup {made.name}" in report.describe()


def test_the_anchor_book_is_private_to_its_owner(store: Store, workstation_state: Path) -> None:
    store.close()
    book = workstation_state / "audit-anchors.json"
    assert book.exists()
    assert stat.S_IMODE(book.stat().st_mode) == 0o600


# ---------------------------------------------------------------------------
# Integrity: damaged files, backups, rotation, the backups folder, permissions


def _smash(db: Path) -> None:
    _sql(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    data[4096 : 4096 + 512] = b"\xff" * 512  # a page of the first table
    db.write_bytes(bytes(data))


def test_a_damaged_file_is_refused_naming_the_newest_good_backup(db_path: Path, store: Store) -> None:
    good = store.backup(ADMIN)
    store.close()
    _smash(db_path)
    before = db_path.read_bytes()
    with pytest.raises(DamagedFileError) as exc:
        Store.open(db_path, clock=lambda: fixed_clock() + dt.timedelta(days=3))
    assert str(good) in str(exc.value)
    assert "resistdesk restore" in str(exc.value)
    assert db_path.read_bytes() == before  # nothing written to it
    dailies = list((db_path.parent / "backups").glob("daily-*"))
    assert dailies == []  # the damaged file was not copied as a "backup"


def test_the_daily_backup_never_copies_a_damaged_file(db_path: Path, store: Store) -> None:
    store.close()
    _smash(db_path)
    problems: list[str] = []
    assert daily_backup(db_path, dt.date(2025, 6, 2), on_problem=problems.append) is None
    assert "damaged" in problems[0]
    assert not list((db_path.parent / "backups").glob("daily-*"))


def test_rotation_never_deletes_the_newest_good_backup(db_path: Path, store: Store) -> None:
    store.close()
    folder = db_path.parent / "backups"
    folder.mkdir()
    later = (
        folder / f"daily-{db_path.stem}-2025-06-30.sqlite3"
    )  # named later than today (a clock set wrong once)
    later.write_bytes(b"damaged" * 1000)
    made = daily_backup(db_path, dt.date(2025, 6, 1), retention=1)
    assert made is not None
    assert made.exists()  # the old rotation deleted it, keeping the damaged one


def test_a_first_backup_creates_the_backups_folder(db_path: Path, store: Store) -> None:
    made = store.backup(ADMIN)
    assert made.parent == db_path.parent / "backups"
    assert made.parent.is_dir()
    store.close()
    with Store.open(db_path) as again:
        assert again.studies()


def test_a_file_named_backups_is_reported_not_overwritten(db_path: Path, store: Store) -> None:
    (db_path.parent / "backups").write_text("notes", encoding="utf-8")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        store.backup(ADMIN)
    assert (db_path.parent / "backups").read_text(encoding="utf-8") == "notes"


def test_files_are_created_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    with Store.open(db) as store:
        admin = store.create_user(None, "admin", "A Admin", "administrator", PASSWORD)
        made = store.backup(admin)
        wal, shm = db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")
        assert wal.exists()
        assert shm.exists()
        for path in (db, wal, shm, made):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# ---------------------------------------------------------------------------
# File identity, restores


def test_a_session_refuses_to_write_after_the_file_was_restored(
    db_path: Path, store: Store, study_id: int
) -> None:
    store.add_subject(ADMIN, study_id, subject_fields("NEW-X"))
    saved = store.backup(ADMIN)
    store.add_subject(ADMIN, study_id, subject_fields("NEW-Z"))
    restore_study(db_path, saved, "admin", PASSWORD)
    before = dump(db_path)
    with pytest.raises(StoreError, match="restored or replaced"):
        store.add_subject(ADMIN, study_id, subject_fields("NEW-Y"))
    assert dump(db_path) == before


def test_a_session_refuses_to_write_after_the_file_was_replaced(
    db_path: Path, store: Store, study_id: int, tmp_path: Path
) -> None:
    other = tmp_path / "other.sqlite3"
    with (
        contextlib.closing(sqlite3.connect(db_path)) as src,
        contextlib.closing(sqlite3.connect(other)) as dst,
    ):
        src.backup(dst)
    os.replace(other, db_path)
    with pytest.raises(StoreError, match="replaced by another file"):
        store.add_subject(ADMIN, study_id, subject_fields("NEW-Y"))


def test_a_session_refuses_to_write_after_an_older_copy_was_copied_over_the_file(
    db_path: Path, store: Store, study_id: int, tmp_path: Path
) -> None:
    """`cp yesterday.sqlite3 study.sqlite3` while the program is open: same file (inode), same
    study id and generation, but the session's own latest rows are gone. Writing on would put
    new rows on the older content (with the session's WAL) as if nothing had happened."""
    older = tmp_path / "older.sqlite3"
    with (
        contextlib.closing(sqlite3.connect(db_path)) as src,
        contextlib.closing(sqlite3.connect(older)) as dst,
    ):
        src.backup(dst)
    store.add_subject(ADMIN, study_id, subject_fields("NEW-X"))
    _sql(db_path, "PRAGMA wal_checkpoint(TRUNCATE)")
    inode = db_path.stat().st_ino
    with db_path.open("r+b") as f:  # overwritten in place, as cp does
        f.write(older.read_bytes())
        f.truncate()
    assert db_path.stat().st_ino == inode
    with pytest.raises(StoreError, match="restored or replaced"):
        store.add_subject(ADMIN, study_id, subject_fields("NEW-Y"))
    assert _one(db_path, "SELECT count(*) FROM subject WHERE subject_code = 'NEW-Y'") == 0


def test_a_database_deleted_during_an_import_fails_and_says_so(
    db_path: Path, store: Store, study_id: int
) -> None:
    courses = [parse_case({**subject_fields(f"IMP-{k}"), "assessments": []}) for k in range(80)]

    def delete_midway(done: int, _total: int) -> None:
        if done == 50:
            db_path.unlink()

    with pytest.raises(StoreError, match="deleted"):
        store.import_cases(ADMIN, study_id, courses, progress=delete_midway)
    store.close()
    for sidecar in ("-wal", "-shm"):
        leftover = db_path.with_name(db_path.name + sidecar)
        assert not leftover.exists() or leftover.stat().st_size == 0 or sidecar == "-shm"
    with Store.open(db_path) as fresh:  # a new file put at the same place gets none of it
        admin = fresh.create_user(None, "admin", "A Admin", "administrator", PASSWORD)
        fresh.create_study(admin, "P-NEW", "New")
        assert fresh.all_rows(fresh.studies()[0].id or 0) == []
        assert fresh.verify_audit(()).chain is not None


def _foreign_study(tmp_path: Path) -> Path:
    """What a coordinator makes with `resistdesk init`: a database of their own."""
    mine = tmp_path / "mine.sqlite3"
    with Store.open(mine) as own:
        me = own.create_user(None, "coord", "Cory", "administrator", "coords-own-pass")
        own.create_study(me, "P-001", "Empty copy")
    return mine


def _study_data(line: str) -> bool:
    return not any(table in line for table in ("audit_event", "user_account", '"meta"'))


def test_restore_needs_an_administrator_of_the_live_study(
    db_path: Path, store: Store, tmp_path: Path
) -> None:
    store.close()
    mine = _foreign_study(tmp_path)
    before = dump(db_path)
    with pytest.raises(AuthError, match="wrong user id or password"):
        restore_study(db_path, mine, "coord", "coords-own-pass")  # administrator of the backup only
    with pytest.raises(AuthError, match="only an administrator"):
        restore_study(db_path, mine, "coord", PASSWORD)  # the live coordinator
    with pytest.raises(AuthError, match="another study file"):
        restore_study(db_path, mine, "admin", PASSWORD)  # the live administrator, not forced
    assert [line for line in dump(db_path) if _study_data(line)] == [
        line for line in before if _study_data(line)
    ]
    result = restore_study(db_path, mine, "admin", PASSWORD, force=True)
    assert result.forced
    assert result.safety is not None
    assert result.safety.exists()  # what it replaced is kept
    with Store.open(
        result.safety, backup_daily=False, readonly=True, anchor_book=AnchorBook(tmp_path / "x.json")
    ) as kept:
        assert kept.study_by_protocol("P-001").title == "A phase 2 trial"


# ---------------------------------------------------------------------------
# Read-only, foreign and empty files, concurrent daily backups, a full disk


def test_a_read_only_file_opens_read_only_and_writes_say_so(
    db_path: Path, store: Store, study_id: int
) -> None:
    store.close()
    os.chmod(db_path, 0o444)
    try:
        with Store.open(db_path) as ro:
            assert ro.readonly
            assert any("read-only" in w for w in ro.warnings)  # the application tells the user at once
            assert [s.protocol_id for s in ro.studies()] == ["P-001"]
            actor = ro.authenticate("coord", PASSWORD)
            with pytest.raises(StoreError, match="read-only"):
                ro.add_subject(actor, study_id, subject_fields("NO-1"))
    finally:
        os.chmod(db_path, 0o600)


def test_a_read_only_folder_opens_read_only(db_path: Path, store: Store) -> None:
    store.close()
    _sql(db_path, "PRAGMA wal_checkpoint(TRUNCATE)")
    folder = db_path.parent
    os.chmod(folder, 0o555)
    try:
        with Store.open(db_path) as ro:
            assert ro.readonly
            assert ro.studies()
    finally:
        os.chmod(folder, 0o755)


def test_a_non_resistdesk_or_empty_file_is_refused_not_converted(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    with pytest.raises(SchemaError, match="empty"):
        Store.open(empty, create=False)
    assert empty.stat().st_size == 0
    other = tmp_path / "other.sqlite3"
    _sql(other, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('mine')")
    before = dump(other)
    with pytest.raises(SchemaError, match="not a ResistDesk database"):
        Store.open(other)
    assert dump(other) == before


_OPEN_ON_A_NEW_DAY = """
import datetime as dt, sys
from pathlib import Path
from core.store import Store
clock = lambda: dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)
with Store.open(Path(sys.argv[1]), clock=clock) as store:
    print(len(store.studies()))
"""


def test_concurrent_opens_on_a_new_day_make_one_daily_backup(db_path: Path, store: Store) -> None:
    store.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_ON_A_NEW_DAY, str(db_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["1"] * 6
    dailies = sorted(p.name for p in (db_path.parent / "backups").iterdir())
    assert dailies == [f"daily-{db_path.stem}-2025-07-01.sqlite3"]


def test_a_full_disk_during_the_daily_backup_does_not_stop_the_program(
    db_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.close()

    def full_disk(*_args: object, **_kw: object) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup_module, "backup_database", full_disk)
    with Store.open(db_path, clock=lambda: fixed_clock() + dt.timedelta(days=1)) as opened:
        assert opened.studies()
        assert any("No space left on device" in w for w in opened.warnings)


# ---------------------------------------------------------------------------
# Sign-in


def test_an_unknown_user_id_is_hashed_like_a_known_one_and_not_recorded(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = passwords_module.verify_password

    def counting(password: str, stored: str) -> bool:
        calls.append(stored.split("$")[0])
        return real(password, stored)

    monkeypatch.setattr(passwords_module, "verify_password", counting)
    typed = "Tr0ub4dor&3-typed-in-the-user-field"
    for name in (typed, "coord"):
        with pytest.raises(AuthError, match="wrong user id or password"):
            store.authenticate(name, "not-the-password")
    assert calls == ["scrypt", "scrypt"]  # the same work either way: time tells nothing
    trail = "\n".join(line for line in dump(store.path) if "audit_event" in line)
    assert typed not in trail
    assert "unknown user id" in trail


def test_the_replay_matches_after_worksheets_signatures_and_a_lockout(store: Store, study_id: int) -> None:
    from core.store.users import MAX_FAILED_ATTEMPTS
    from core.store.worksheets import prepare_worksheet, sign_worksheet

    pk = store.add_subject(ADMIN, study_id, subject_fields("S-W"))
    store.add_assessment(ADMIN, pk, {"date": "2024-03-01", "response": "PD"})
    inv = store.authenticate("inv", PASSWORD)
    wid, _ = prepare_worksheet(store, ADMIN, pk, store.today())
    sign_worksheet(store, inv, wid, PASSWORD)
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError):
            store.authenticate("coord", "wrong-password")
    report = store.verify_audit()
    assert report.ok, report.describe()


def test_audit_verify_streams_its_memory_does_not_grow_with_the_study(tmp_path: Path) -> None:
    """Python memory at the peak of the whole check, for a study and one four times larger: a
    check that loaded the trail or a table would need about four times as much."""
    import tracemalloc

    from tests.bench.generator import synthetic_cases

    def peak(subjects: int) -> int:
        db = tmp_path / f"s{subjects}.sqlite3"
        with Store.open(db, backup_daily=False) as store:
            admin = store.create_user(None, "admin", "A Admin", "administrator", PASSWORD)
            study = store.create_study(admin, "P-M", "Memory")
            courses = [parse_case(c) for c in synthetic_cases(subjects, 10, seed=subjects)]
            store.import_cases(admin, study.id or 0, courses)
        tracemalloc.start()
        report = verify_study_file(db)
        used = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert report.ok, report.describe()
        return used

    small, large = peak(100), peak(400)
    assert large < 2 * small, (small, large)


def test_an_anchor_of_another_study_file_is_named_as_such(store: Store, tmp_path: Path) -> None:
    mine = _foreign_study(tmp_path)
    with Store.open(mine, backup_daily=False, anchor_book=AnchorBook(tmp_path / "other.json")) as other:
        foreign = other.audit_anchor()
    report = store.verify_audit([foreign])
    assert not report.ok
    assert "anchor of another study file" in report.describe()


def test_a_signed_worksheet_anchors_the_trail_outside_the_file(
    db_path: Path, store: Store, study_id: int, tmp_path: Path
) -> None:
    from core.store.worksheets import prepare_worksheet, sign_worksheet

    pk = store.add_subject(ADMIN, study_id, subject_fields("S-0"))
    store.add_assessment(ADMIN, pk, {"date": "2024-03-01", "response": "PD"})
    inv = store.authenticate("inv", PASSWORD)
    wid, _ = prepare_worksheet(store, ADMIN, pk, store.today())
    pdf = sign_worksheet(store, inv, wid, PASSWORD)
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(pdf)
    anchor = parse_anchor(str(signed))
    assert anchor.study_file_id == store.study_file_id
    assert verify_study_file(db_path, [anchor]).ok
    store.close()
    _rewrite_chain(db_path)
    report = verify_study_file(db_path, [parse_anchor(str(signed))])
    assert f"CONTRADICTS worksheet {signed.name}" in report.describe()


def _garble_schema_text(db: Path) -> None:
    """One byte of a table's CREATE statement made invalid UTF-8 (a bit flip on the schema page):
    SQLite's error message then quotes it, and Python cannot decode that message."""
    _sql(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    at = data.index(b"measurable BOOLEAN NOT NULL")
    data[at + len("measurable BOOLEAN NOT N")] = 0xAA
    db.write_bytes(bytes(data))


def test_a_garbled_schema_is_refused_as_damaged_not_a_crash(db_path: Path, store: Store) -> None:
    from core.cli import main

    good = store.backup(ADMIN)
    store.close()
    _garble_schema_text(db_path)
    before = db_path.read_bytes()
    with pytest.raises(DamagedFileError) as exc:
        Store.open(db_path, create=False)
    assert str(good) in str(exc.value)
    out, err = io.StringIO(), io.StringIO()
    code = main(["audit", "verify", "--db", str(db_path), "--user", "admin"], out=out, err=err)
    assert code != 0
    assert "internal error" not in err.getvalue()
    assert "damaged" in err.getvalue()
    assert str(good) in err.getvalue()
    assert db_path.read_bytes() == before


def test_two_study_files_in_one_folder_each_get_their_daily_backup(db_path: Path, store: Store) -> None:
    """The demo study lives beside the real one and shares its backups folder: a daily backup
    named by the date alone meant whichever opened first that day was the only one backed up,
    and a damaged file was told to restore the other study's backup."""
    store.close()
    other = db_path.with_name("demo.sqlite3")
    Store.open(other, backup_daily=False).close()  # another study file, in the same folder
    day = dt.date(2025, 8, 1)
    mine = daily_backup(db_path, day)
    theirs = daily_backup(other, day)
    assert mine is not None
    assert theirs is not None
    assert mine != theirs
    assert _one(mine, "SELECT value FROM meta WHERE key = 'study_file_id'") == _one(
        db_path, "SELECT value FROM meta WHERE key = 'study_file_id'"
    )
    os.utime(theirs, (theirs.stat().st_mtime + 60,) * 2)  # the other study's backup is the newest
    _smash(db_path)
    with pytest.raises(DamagedFileError) as exc:
        Store.open(db_path, create=False)
    assert str(mine) in str(exc.value)
    assert str(theirs) not in str(exc.value)
    # rotation keeps each study's own backups
    for k in range(1, 4):
        assert daily_backup(other, day + dt.timedelta(days=k), retention=2) is not None
    assert mine.exists()
