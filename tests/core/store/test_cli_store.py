"""The database commands, run as a site administrator would, through the installed entry point."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from core.errors import InputError
from tests.core.test_cli import EXE, example


def rd(*args: object, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *map(str, args)], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database set up from the command line: administrator, study, coordinator."""
    db = tmp_path_factory.mktemp("site") / "site.sqlite3"
    r = rd(
        "init",
        "--db",
        db,
        "--admin",
        "root",
        "--name",
        "Rita Root",
        "--custodian",
        "pia",
        "--custodian-name",
        "Dr. Pia Principal",
        stdin="root-password\npia-password-1\nca-passphrase-77\n",
    )
    assert r.returncode == 0, r.stderr
    assert "CA custodian pia" in r.stdout
    r = rd(
        "study", "add", "--db", db, "--user", "root", "--protocol", "P-7", "--title", "After PD-1",
        "--enrolls", "primary_resistance", "--param", "benefit_days=200", stdin="root-password\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = rd(
        "user", "add", "--db", db, "--user", "root", "cora", "--name", "Cora Coordinator", "--role", "coordinator",
        stdin="root-password\ncora-one-time-1\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = rd("user", "passwd", "--db", db, "--user", "cora", stdin="cora-one-time-1\ncora-password\n")
    assert r.returncode == 0, r.stderr
    return db


def test_init_refuses_a_second_administrator_bootstrap(site: Path) -> None:
    r = rd("init", "--db", site, "--admin", "other", "--name", "O", "--custodian", "c", "--custodian-name", "C",
           stdin="other-password\n")  # fmt: skip
    assert r.returncode == 2
    assert "already has user accounts" in r.stderr


def test_init_refuses_a_database_without_its_ca_custodian(tmp_path: Path) -> None:
    """Without a site CA, the first non-administrator account to run `ca init` would hold it: an
    administrator could create an account of their own and be its custodian."""
    db = tmp_path / "new.sqlite3"
    r = rd("init", "--db", db, "--admin", "root", "--name", "Rita Root", stdin="root-password\n")
    assert r.returncode == 2
    assert "--custodian" in r.stderr
    assert "not created without its CA" in r.stderr
    assert not db.exists()


def test_user_and_study_lists(site: Path) -> None:
    users = rd("user", "list", "--db", site, "--user", "root", stdin="root-password\n").stdout
    assert "root\tadministrator" in users
    assert "cora\tcoordinator" in users
    assert (
        "P-7\tRECIST 1.1"
        in rd("study", "list", "--db", site, "--user", "root", stdin="root-password\n").stdout
    )


def test_import_classify_export(site: Path, tmp_path: Path) -> None:
    r = rd("import", "--db", site, "--user", "cora", example("primary-confirmed"), example("pseudoprogression"),
           stdin="cora-password\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "imported 2" in r.stdout
    out = json.loads(
        rd(
            "classify",
            "--db",
            site,
            "--as-of",
            "2024-06-06",
            "--subject",
            "primary-confirmed",
            "--user",
            "root",
            stdin="root-password\n",
        ).stdout
    )
    assert out[0]["category"] == "primary_resistance"
    assert out[0]["ruleset"]["overrides"] == {"benefit_days": 200}
    exported = json.loads(
        rd(
            "export",
            "--db",
            site,
            "--subject",
            "primary-confirmed",
            "--user",
            "root",
            stdin="root-password\n",
        ).stdout
    )
    original = json.loads(Path(example("primary-confirmed")).read_text(encoding="utf-8"))
    assert [a["date"] for a in exported[0]["assessments"]] == [a["date"] for a in original["assessments"]]
    log = rd("audit", "log", "--db", site, "--limit", "5", "--user", "root", stdin="root-password\n").stdout
    assert "export" in log


def test_import_of_a_malformed_file_imports_nothing(site: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"subject_id": "Z", "tumor_type": "melanoma"}), encoding="utf-8")
    r = rd(
        "import", "--db", site, "--user", "cora", example("too-little-exposure"), bad, stdin="cora-password\n"
    )
    assert r.returncode == 2
    assert "bad.json" in r.stderr
    assert "nothing was imported" in r.stderr
    assert (
        "too-little-exposure"
        not in rd("export", "--db", site, "--user", "root", stdin="root-password\n").stdout
    )


def test_wrong_password_changes_nothing(site: Path) -> None:
    r = rd("import", "--db", site, "--user", "cora", example("stopped-without-response"), stdin="wrong\n")
    assert r.returncode == 1
    assert "wrong user id or password" in r.stderr


def test_import_roster_reports_each_rejected_row(site: Path, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(
        "subject_id,tumor_type,setting,regimen,first_dose\nR-1,melanoma,advanced,monotherapy,2024-01-08\n"
        "R-2,melanoma,advanced,mono,2024-01-08\n",
        encoding="utf-8",
    )
    r = rd("import-roster", "--db", site, "--user", "cora", f, stdin="cora-password\n")
    assert r.returncode == 2
    assert "line 3: field 'regimen'" in r.stderr
    assert "R-1" not in rd("export", "--db", site, "--user", "root", stdin="root-password\n").stdout


def test_backup_restore_and_audit_verify(site: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved.sqlite3"
    assert rd("backup", "--db", site, saved, "--user", "root", stdin="root-password\n").returncode == 0
    copy = tmp_path / "copy.sqlite3"
    r = rd("restore", "--db", copy, "--user", "root", saved, stdin="root-password\n")
    assert r.returncode == 0, r.stderr
    assert rd("audit", "verify", "--db", copy, "--user", "root", stdin="root-password\n").returncode == 0
    r = rd("restore", "--db", copy, "--user", "cora", saved, stdin="cora-password\n")
    assert r.returncode == 1
    assert "administrator" in r.stderr
    with contextlib.closing(sqlite3.connect(copy)) as conn, conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET user = 'mallory' WHERE id = 3")
    r = rd("audit", "verify", "--db", copy, "--user", "root", stdin="root-password\n")
    assert r.returncode == 1
    assert "row 3" in r.stderr


def test_demo_command(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    r = rd("demo", "--db", db, stdin="demo-password\n")
    assert r.returncode == 0, r.stderr
    assert "subjects" in r.stdout
    results = json.loads(
        rd("classify", "--db", db, "--compact", "--user", "admin", stdin="demo-password\n").stdout
    )
    assert len({r["category"] for r in results}) >= 7
    r = rd("demo", "--db", db, stdin="demo-password\n")
    assert r.returncode == 1
    assert "already holds data" in r.stderr


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    r = rd("export", "--db", tmp_path / "none.sqlite3")
    assert r.returncode == 1
    assert "no database" in r.stderr
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.parametrize(
    "command",
    [("export",), ("classify",), ("user", "list"), ("study", "list"), ("audit", "log"), ("audit", "verify"),
     ("backup",)],
)  # fmt: skip
def test_commands_that_read_study_data_need_a_signed_in_user(site: Path, command: tuple[str, ...]) -> None:
    r = rd(*command, "--db", site)
    assert r.returncode == 2
    assert "--user" in r.stderr
    r = rd(*command, "--db", site, "--user", "nobody", stdin="a-guess\n")
    assert r.returncode == 1
    assert "wrong user id or password" in r.stderr
    assert r.stdout == ""


def test_a_coordinator_cannot_add_a_study_and_overrides_are_range_checked(site: Path) -> None:
    r = rd("study", "add", "--db", site, "--user", "cora", "--protocol", "P-C", "--title", "Mine",
           stdin="cora-password\n")  # fmt: skip
    assert r.returncode == 1
    assert "only an administrator can add studies" in r.stderr
    r = rd("study", "add", "--db", site, "--user", "root", "--protocol", "P-X", "--title", "Long",
           "--param", "benefit_days=99999999999", stdin="root-password\n")  # fmt: skip
    assert r.returncode == 2
    assert "benefit_days" in r.stderr
    assert "between" in r.stderr
    r = rd("classify", "--param", "benefit_days=99999999999", example("primary-confirmed"))
    assert r.returncode == 2
    assert "benefit_days" in r.stderr


def test_damaged_empty_and_foreign_files_are_refused_by_every_command(tmp_path: Path) -> None:
    db = tmp_path / "site.sqlite3"
    made = rd("init", "--db", db, "--admin", "root", "--name", "R", "--custodian", "pia", "--custodian-name", "P",
              stdin="root-password\npia-password-1\nca-passphrase-77\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    r = rd("backup", "--db", db, "--user", "root", stdin="root-password\n")  # no backups folder yet
    assert r.returncode == 0, r.stderr
    good = Path(r.stdout.split(" (audit trail")[0].strip())
    assert good.parent == tmp_path / "backups"
    assert good.parent.is_dir()
    assert "audit trail at row" in r.stdout
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    data[4096 : 4096 + 512] = b"\xff" * 512
    db.write_bytes(bytes(data))
    before = db.read_bytes()
    for command in (("user", "list"), ("audit", "verify"), ("export",), ("backup",), ("study", "list")):
        r = rd(*command, "--db", db, "--user", "root", stdin="root-password\n")
        assert r.returncode == 1, (command, r.stderr)
        assert "Traceback" not in r.stderr
        assert "damaged" in r.stderr
        assert str(good) in r.stderr
        assert "resistdesk restore" in r.stderr
    assert db.read_bytes() == before
    for name, content in (("empty.sqlite3", b""), ("notes.sqlite3", b"not a database at all" * 50)):
        other = tmp_path / name
        other.write_bytes(content)
        for command in (("user", "list"), ("audit", "verify")):
            r = rd(*command, "--db", other, "--user", "root", stdin="root-password\n")
            assert r.returncode != 0
            assert "Traceback" not in r.stderr
            assert other.read_bytes() == content  # never turned into a database


def test_damage_met_while_reading_names_the_backup_not_a_traceback(tmp_path: Path) -> None:
    import argparse
    import io

    from core.cli.common import guard

    (tmp_path / "backups").mkdir()
    good = tmp_path / "backups" / "daily-2026-01-01.sqlite3"
    with contextlib.closing(sqlite3.connect(good)) as conn, conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("INSERT INTO alembic_version VALUES ('0005')")

    def reads_a_damaged_page(_args: argparse.Namespace, _out: object, _err: object) -> int:
        raise sqlite3.DatabaseError("database disk image is malformed")

    err = io.StringIO()
    code = guard(reads_a_damaged_page)(argparse.Namespace(db=tmp_path / "site.sqlite3"), io.StringIO(), err)  # type: ignore[arg-type]
    assert code == 1
    assert "damaged" in err.getvalue()
    assert str(good) in err.getvalue()
    assert "resistdesk restore" in err.getvalue()


def test_a_read_only_study_file_reads_and_refuses_writes_saying_read_only(site: Path, tmp_path: Path) -> None:
    ro = tmp_path / "ro.sqlite3"
    with contextlib.closing(sqlite3.connect(site)) as src, contextlib.closing(sqlite3.connect(ro)) as dst:
        src.backup(dst)
    os.chmod(ro, 0o444)
    try:
        r = rd("export", "--db", ro, "--user", "cora", stdin="cora-password\n")
        assert r.returncode == 0, r.stderr
        assert "read-only" in r.stderr  # the export is not recorded: said, not hidden
        assert json.loads(r.stdout) is not None
        r = rd("import", "--db", ro, "--user", "cora", example("pseudoprogression"), stdin="cora-password\n")
        assert r.returncode == 1
        assert "read-only" in r.stderr
        assert "migration failed" not in r.stderr
    finally:
        os.chmod(ro, 0o600)


def test_the_global_db_option_names_the_file_every_subcommand_works_on(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`resistdesk --db FILE restore ...` (the option before the subcommand, as for the
    window) used to be overwritten by the subcommand's default: the command went to the
    default database of the user's data folder, not to FILE."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    before = rd("user", "list", "--user", "root", stdin="root-password\n")
    assert before.returncode != 0  # no default database here
    r = rd("--db", site, "user", "list", "--user", "root", stdin="root-password\n")
    assert r.returncode == 0, r.stderr
    assert "cora" in r.stdout
    assert not list((tmp_path / "data").rglob("*.sqlite3"))
    # given after the subcommand too, that one wins
    r = rd(
        "--db",
        tmp_path / "none.sqlite3",
        "user",
        "list",
        "--db",
        site,
        "--user",
        "root",
        stdin="root-password\n",
    )
    assert r.returncode == 0, r.stderr


def test_init_refuses_a_ca_passphrase_equal_to_the_administrators_password(tmp_path: Path) -> None:
    """With the same secret, the administrator's password alone would issue certificates: the
    CA passphrase is a secret no ordinary sign-in gives, kept by a custodian who is not the
    administrator."""
    db = tmp_path / "same.sqlite3"
    base = ("init", "--db", db, "--admin", "root", "--name", "Rita Root", "--custodian", "pia")
    for name, stdin, field in (
        ("Dr. Pia Principal", "root-password-9\npia-password-1\nroot-password-9\n", "ca_passphrase"),
        ("Dr. Pia Principal", "root-password-9\npia-password-1\npia-password-1\n", "ca_passphrase"),
        ("Dr. Pia Principal", "root-password-9\nroot-password-9\nca-passphrase-77\n", "custodian_password"),
        ("  rita   ROOT ", "root-password-9\npia-password-1\nca-passphrase-77\n", "custodian_full_name"),
    ):
        r = rd(*base, "--custodian-name", name, stdin=stdin)
        assert r.returncode == 2, r.stdout
        assert field in r.stderr
        assert "Traceback" not in r.stderr
        # nothing was created: the corrected command still works on the same file
        assert "root" not in rd("user", "list", "--db", db, "--user", "root", stdin="x\n").stdout
    r = rd("init", "--db", db, "--admin", "root", "--name", "Rita Root", "--custodian", "root",
           "--custodian-name", "Dr. Pia", stdin="root-password-9\npia-password-1\nca-passphrase-77\n")  # fmt: skip
    assert r.returncode == 2
    assert "custodian_username" in r.stderr
    # `ca init` goes through create_site_ca: never by an administrator, and never under an
    # administrator's password
    from core.store import Role, Store
    from core.store.errors import AuthError
    from core.store.site_keys import create_site_ca, has_site_ca

    with Store.open(tmp_path / "core.sqlite3") as store:
        admin = store.create_user(None, "root", "Rita Root", Role.ADMINISTRATOR, "root-password-9")
        with pytest.raises(AuthError, match="never an administrator"):
            create_site_ca(store, admin, "a-separate-ca-secret-4")
        store.create_user(admin, "pia", "Dr. Pia Principal", Role.INVESTIGATOR, "one-time-pass-4711")
        pia = store.change_password("pia", "one-time-pass-4711", "pia-password-1")
        for same in ("root-password-9", "pia-password-1"):
            with pytest.raises(InputError, match="differ") as caught:
                create_site_ca(store, pia, same)
            assert caught.value.field == "ca_passphrase"
        assert not has_site_ca(store)
        create_site_ca(store, pia, "a-separate-ca-secret-4")
        assert has_site_ca(store)


def test_after_a_reset_user_passwd_shows_what_the_account_did_before(site: Path, tmp_path: Path) -> None:
    from tests.core.store.conftest import copy_db

    db = copy_db(site, tmp_path / "copy.sqlite3")
    r = rd(
        "user",
        "reset",
        "--db",
        db,
        "--user",
        "root",
        "cora",
        "--reason",
        "forgotten",
        stdin="root-password\n",
    )
    assert r.returncode == 0, r.stderr
    temporary = r.stdout.split("one-time password for cora: ")[1].split()[0]
    r = rd("user", "passwd", "--db", db, "--user", "cora", stdin=f"{temporary}\ncora-new-password-2\n")
    assert r.returncode == 0, r.stderr
    assert "Your password was reset by root" in r.stdout
    assert "no worksheet was signed in your name" in r.stdout
    # `ca status` shows the custodian who waits for what (cora is no investigator: nothing)
    r = rd("ca", "status", "--db", db)
    assert r.returncode == 0, r.stderr
    assert "certificates awaiting the CA passphrase: none" in r.stdout
