"""Separation of duties, attacked: an administrator (with write access to the file, but not the
CA passphrase) tries to get a certificate for a key of their own in someone else's name.

The demo database is the site: its CA custodian is the coordinator, whose CA passphrase is the
demo password (PASSWORD); the attacker's steps never use it, the custodian's do.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from core.errors import InputError
from core.store import Actor, AuthError, Role, Store
from core.store.anchors import AnchorBook
from core.store.demo import create_demo
from core.store.passwords import account_review
from core.store.site_keys import (
    certificate_queue,
    create_site_ca,
    issue_certificates,
    key_fingerprint,
)
from core.store.worksheets import prepare_worksheet, sign_worksheet, worksheets
from core.worksheet import pki
from tests.core.test_cli import EXE

PASSWORD = "sod-demo-password-1"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sod") / "demo.sqlite3"
    create_demo(path, PASSWORD).close()
    return path


@pytest.fixture
def store(demo: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "site.sqlite3"
    shutil.copy(demo, copy)
    return Store.open(copy, backup_daily=False)


def rd(*args: object, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *map(str, args)], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def _keeper(store: Store) -> Actor:
    return store.authenticate("coordinator", PASSWORD)


def _sock_puppet(store: Store, admin: Actor) -> Actor:
    """A coordinator account the administrator created and signed in to themselves."""
    store.create_user(admin, "mal", "Mal Sock", Role.COORDINATOR, "one-time-pass-4711")
    return store.change_password("mal", "one-time-pass-4711", "mal-own-password-9")


def _take_over(store: Store, admin: Actor, user: str = "investigator") -> str:
    """The administrator resets ``user`` and completes the first sign-in in their place."""
    temporary = store.reset_password(admin, user, reason="forgotten")
    store.change_password(user, temporary, "admins-choice-pass-2")
    return "admins-choice-pass-2"


def _sign(store: Store, user: str, password: str) -> None:
    sid = store.subject_pk(store.studies()[0].id or 0, "MEL-001")
    wid, _ = prepare_worksheet(store, _keeper(store), sid, store.today())
    sign_worksheet(store, store.authenticate(user, password), wid, password)


# ---------------------------------------------------------------------------
# The CA cannot be replaced


def test_a_ca_removed_from_the_file_cannot_be_recreated_by_an_administrators_own_account(
    store: Store,
) -> None:
    """With write access, the administrator deletes the CA from ``meta`` and creates a new one
    from a coordinator account of their own: they would hold a CA that this workstation trusts
    (the creation re-recorded it) and certify their own key in the investigator's name."""
    admin = store.authenticate("admin", PASSWORD)
    mal = _sock_puppet(store, admin)
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute(
            "DELETE FROM meta WHERE key IN ('site_ca_certificate', 'site_ca_sealed_key', 'site_ca_crl')"
        )
    with pytest.raises(InputError, match="is no longer in the file: it was removed outside ResistDesk"):
        create_site_ca(store, mal, "mals-own-ca-passphrase-1")
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'site_ca_certificate'").fetchone()[0] == 0


def test_a_ca_recorded_by_this_workstation_cannot_be_replaced_in_a_rewritten_file(tmp_path: Path) -> None:
    """The file's trail can be rewritten by whoever writes the file; this workstation's record of
    the study's CA cannot: a study it knew with a CA gets no new one."""
    with Store.open(tmp_path / "s.sqlite3", backup_daily=False) as store:
        admin = store.create_user(None, "admin", "Ada Admin", Role.ADMINISTRATOR, PASSWORD)
        mal = _sock_puppet(store, admin)
        assert store.study_file_id is not None
        before = pki.create_site_ca("Site 1", "P-1", "the-real-ca-secret-9", store.now())
        AnchorBook().pin_site_ca(store.study_file_id, pki.fingerprint(before.certificate_pem))
        with pytest.raises(InputError, match="no longer in the file"):
            create_site_ca(store, mal, "mals-own-ca-passphrase-1")


# ---------------------------------------------------------------------------
# The custodian certifies only what they were shown, and confirmed


def test_the_custodian_certifies_only_the_keys_shown(store: Store) -> None:
    """The custodian reads the queue (nobody waits), then types the passphrase; meanwhile the
    administrator resets the investigator and chooses the new key. It must not be certified
    unseen (before: every waiting key at the moment of the write was)."""
    shown = certificate_queue(store)
    assert shown == []
    admin = store.authenticate("admin", PASSWORD)
    _take_over(store, admin)
    assert issue_certificates(store, _keeper(store), PASSWORD, approved=shown) == []
    assert [e.username for e in certificate_queue(store) if e.pending] == ["investigator"]
    # nor a key swapped after it was shown
    seen = certificate_queue(store)
    temporary = store.reset_password(admin, "investigator", reason="again")
    store.change_password("investigator", temporary, "admins-second-pick-3")
    assert issue_certificates(store, _keeper(store), PASSWORD, approved=seen) == []
    # nor a key shown under one printed name and renamed (with another program) before the write
    seen = certificate_queue(store)
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("UPDATE user_account SET full_name = 'Dr. Ines Renamed' WHERE username = 'investigator'")
    assert issue_certificates(store, _keeper(store), PASSWORD, approved=seen) == []
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute(
            "UPDATE user_account SET full_name = 'Dr. Ines Investigator' WHERE username = 'investigator'"
        )
    assert issue_certificates(store, _keeper(store), PASSWORD, approved=certificate_queue(store)) == [
        "investigator"
    ]


def test_a_key_swapped_in_the_database_is_flagged(store: Store) -> None:
    """With write access, the administrator puts a key of their own in the investigator's row
    (no reset in the trail): the queue said nothing (before), so `ca issue` certified it."""
    key = pki.new_user_key("investigator", "admins-choice-pass-2")
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute(
            "UPDATE user_account SET private_key_pem = ?, public_key_pem = ? WHERE username = 'investigator'",
            (key.sealed_key, key.public_key_pem),
        )
    entry = {e.username: e for e in certificate_queue(store)}["investigator"]
    assert entry.pending
    assert "changed outside ResistDesk" in entry.reset
    assert entry.key_sha256 == key_fingerprint(key.public_key_pem)


def test_a_second_account_cannot_take_an_investigators_printed_name(store: Store) -> None:
    """A new account named like the investigator would sign as 'Dr. Ines Investigator'; the
    custodian saw no reset to question (before: created, certified, signed, verified)."""
    admin = store.authenticate("admin", PASSWORD)
    for name in ("Dr. Ines Investigator", "dr.  ines INVESTIGATOR ", "Ｄｒ. Ines Investigator"):
        with pytest.raises(
            InputError, match="full_name: account 'investigator' already has the printed name"
        ):
            store.create_user(admin, "ines2", name, Role.INVESTIGATOR, "one-time-pass-4711")
    # nor with one look-alike letter of another script (a Cyrillic "е")
    with pytest.raises(InputError, match="full_name: mixes letters of several writing systems"):
        store.create_user(
            admin, "ines2", "Dr. In\u0435s Investigator", Role.INVESTIGATOR, "one-time-pass-4711"
        )
    store.create_user(
        admin, "hana", "山田 はなこ", Role.COORDINATOR, "one-time-pass-4711"
    )  # one language's mix
    # written into the file with another program, the twin is named in the custodian's queue
    store.create_user(admin, "ines2", "Dr. Ines Other", Role.INVESTIGATOR, "one-time-pass-4711")
    store.change_password("ines2", "one-time-pass-4711", "admins-choice-pass-2")
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("UPDATE user_account SET full_name = 'Dr. Ines Investigator' WHERE username = 'ines2'")
    entry = {e.username: e for e in certificate_queue(store)}["ines2"]
    assert "the printed name is also account investigator's" in entry.reset


def test_every_key_that_follows_an_administrators_one_time_password_is_flagged(store: Store) -> None:
    """A new account's first key is chosen after a password an administrator handed over, as
    after a reset: whoever set it could have chosen the key (before: no flag)."""
    admin = store.authenticate("admin", PASSWORD)
    store.create_user(admin, "noor", "Dr. Noor New", Role.INVESTIGATOR, "one-time-pass-4711")
    store.change_password("noor", "one-time-pass-4711", "noor-own-password-8")
    assert {e.username: e for e in certificate_queue(store)}["noor"].reset.startswith(
        "new account created by admin on "
    )
    store.set_role(admin, "investigator", Role.COORDINATOR, reason="moved")
    store.set_role(admin, "investigator", Role.INVESTIGATOR, reason="back")
    assert {e.username: e for e in certificate_queue(store)}["investigator"].reset.startswith(
        "role changed to investigator by admin on "
    )
    # an administrator making their own account an investigator (another administrator remains)
    store.create_user(admin, "admin2", "Second Admin", Role.ADMINISTRATOR, "one-time-pass-4712")
    store.set_role(admin, "admin", Role.INVESTIGATOR, reason="now signs")
    assert {e.username: e for e in certificate_queue(store)}["admin"].reset.startswith(
        "role changed to investigator by the account itself on "
    )


# ---------------------------------------------------------------------------
# The command line


def test_ca_issue_certifies_a_flagged_key_only_as_confirmed_with_its_owner(store: Store) -> None:
    """`ca issue` certified every waiting key and only then printed "confirm with them"
    (before). Now a flagged key waits for `--confirm USER:KEY`, KEY being what the owner read
    when choosing their password, and a key that changed since is refused."""
    admin = store.authenticate("admin", PASSWORD)
    store.create_user(admin, "noor", "Dr. Noor New", Role.INVESTIGATOR, "one-time-pass-4711")
    store.close()
    db = store.path
    r = rd("user", "passwd", "--db", db, "--user", "noor", stdin="one-time-pass-4711\nnoor-own-password-8\n")
    assert r.returncode == 0, r.stderr
    found = re.search(r"your signing key: ([0-9a-f]{16})", r.stdout)
    assert found, r.stdout
    key = found.group(1)
    r = rd("ca", "status", "--db", db)
    assert (
        f"noor (Dr. Noor New): key awaiting a certificate (key {key}); new account created by admin"
        in r.stdout
    )
    r = rd("ca", "issue", "--db", db, "--user", "coordinator", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.returncode == 0, r.stderr
    assert "no certificate was issued" in r.stdout
    assert f"`resistdesk ca issue --confirm noor:{key}`" in r.stdout
    wrong = "0123456789abcdef" if key != "0123456789abcdef" else "fedcba9876543210"
    r = rd("ca", "issue", "--db", db, "--user", "coordinator", "--confirm", f"noor:{wrong}",
           stdin=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert r.returncode == 2
    assert f"noor's waiting key is {key}, not {wrong}" in r.stderr
    r = rd("ca", "issue", "--db", db, "--user", "coordinator", "--confirm", "noor:xyz", stdin=f"{PASSWORD}\n")
    assert r.returncode == 2
    assert "--confirm" in r.stderr
    r = rd("ca", "issue", "--db", db, "--user", "coordinator", "--confirm", f"noor:{key}",
           stdin=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "issued certificates to: noor" in r.stdout
    with Store.open(db, backup_daily=False) as again:
        assert certificate_queue(again) == []


# ---------------------------------------------------------------------------
# What the account's owner is shown


def test_an_extra_reset_does_not_hide_what_was_signed_in_the_users_name(store: Store) -> None:
    """The impostor signs, then resets the account again and chooses a password once more: the
    review covered only the time between the last two resets, and said "no worksheet was
    signed in your name" (before)."""
    admin = store.authenticate("admin", PASSWORD)
    password = _take_over(store, admin)
    issue_certificates(
        store, _keeper(store), PASSWORD, approved=certificate_queue(store)
    )  # the custodian, deceived
    _sign(store, "investigator", password)
    document = worksheets(store, store.subject_pk(store.studies()[0].id or 0, "MEL-001"))[0].document_id
    temporary = store.reset_password(admin, "investigator", reason="cover")
    store.change_password("investigator", temporary, "admins-padding-pass-5")
    temporary = store.reset_password(admin, "investigator", reason="locked out")  # the real user's
    store.change_password("investigator", temporary, "my-real-password-4")
    review = account_review(store, "investigator")
    assert f"worksheet {document} signed on" in review
    assert "no worksheet was signed in your name" not in review
    assert "password reset by admin on" in review
    assert "(cover)" in review
    assert "worksheet None" not in review  # the password check at signing is not a worksheet
    assert review.count(" signed on ") == 1


# ---------------------------------------------------------------------------
# The study file replaced whole


def _signed_elsewhere(tmp_path: Path) -> tuple[Path, bytes]:
    """A study file of the attacker's own making (another study file id, their own CA and
    investigator 'Dr. Ines Investigator'), with a worksheet signed in it."""
    mine = tmp_path / "elsewhere" / "mine.sqlite3"
    mine.parent.mkdir()
    create_demo(mine, "attackers-own-pass-1").close()
    with Store.open(mine, backup_daily=False) as other:
        sid = other.subject_pk(other.studies()[0].id or 0, "MEL-001")
        wid, _ = prepare_worksheet(
            other, other.authenticate("coordinator", "attackers-own-pass-1"), sid, other.today()
        )
        pdf = sign_worksheet(
            other, other.authenticate("investigator", "attackers-own-pass-1"), wid, "attackers-own-pass-1"
        )
    return mine, pdf


def test_a_study_file_replaced_whole_is_not_trusted_by_verify_db(store: Store, tmp_path: Path) -> None:
    """With write access to the folder (no password at all), the study file is replaced by one
    of the attacker's making: another study file id, so the CA this workstation recorded for the
    study did not apply, and `verify --db` said VERIFIED (before)."""
    _sign(store, "investigator", PASSWORD)  # this workstation works on the study
    path = store.path
    store.close()
    mine, pdf = _signed_elsewhere(tmp_path)
    shutil.copy(mine, path)
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdf)
    r = rd("verify", forged, "--db", path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "[FAIL] site CA: this workstation knew another study file at site.sqlite3" in r.stdout
    assert "[ok] chain to the site CA" in r.stdout  # the rest of the forgery holds


def test_a_forced_restore_of_an_administrators_own_study_file_is_not_trusted(
    store: Store, tmp_path: Path
) -> None:
    """The administrator restores, with --force, a study file they made (and are the CA's
    custodian of, through a second account): `verify --db` must not accept what it signed."""
    from core.store.restore import restore_study

    store.close()
    mine, pdf = _signed_elsewhere(tmp_path)
    restore_study(store.path, mine, "admin", PASSWORD, force=True)
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdf)
    r = rd("verify", forged, "--db", store.path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "[FAIL] site CA: this workstation knew another study file" in r.stdout


def test_a_new_study_created_in_the_place_of_an_old_one_is_trusted(tmp_path: Path) -> None:
    """Not a false alarm: the old file deleted, a new study created at the same path here."""
    from core.store.ca_pin import site_ca_problem
    from core.store.firstrun import Custodian, create_first_accounts

    path = tmp_path / "site.sqlite3"
    create_demo(path, PASSWORD).close()
    path.unlink()
    with Store.open(path, backup_daily=False) as store:
        create_first_accounts(
            store, username="root", full_name="Rita Root", password="root-password-1",
            custodian=Custodian("pia", "Dr. Pia Principal", "pia-password-1", "ca-passphrase-77"),
        )  # fmt: skip
        assert site_ca_problem(store) is None
    with Store.open(path, backup_daily=False) as store:
        assert not [w for w in store.warnings if "site CA" in w]


def test_the_first_run_cannot_be_run_again_on_a_study_whose_accounts_were_deleted(store: Store) -> None:
    """With write access only (no password), delete every account, and run `resistdesk init` on
    the study file: a new administrator, a custodian named like the investigator and a new site
    CA over the study, re-recorded by this workstation; `verify --db` said VERIFIED (before)."""
    path = store.path
    store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DELETE FROM certificate")
        conn.execute("DELETE FROM user_account")
    init = ("init", "--db", path, "--admin", "x", "--name", "X Admin", "--custodian", "y",
            "--custodian-name", "Dr. Ines Investigator")  # fmt: skip
    secrets = "x-password-long-1\ny-password-long-2\nca-passphrase-long-3\n"
    r = rd(*init, stdin=secrets)
    assert r.returncode == 2, r.stdout
    assert "already has a site certificate authority" in r.stderr
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "DELETE FROM meta WHERE key IN ('site_ca_certificate', 'site_ca_sealed_key', 'site_ca_crl')"
        )
    r = rd(*init, stdin=secrets)
    assert r.returncode != 0, r.stdout
    assert "no longer in the file" in r.stderr
    with Store.open(path, backup_daily=False) as again:  # nor the first account alone
        with pytest.raises(AuthError, match="removed outside ResistDesk"):
            again.create_user(None, "x", "X Admin", Role.ADMINISTRATOR, "x-password-long-1")
        assert not again.has_users()


def test_restoring_a_backup_from_before_the_ca_does_not_open_the_way_to_a_new_one(tmp_path: Path) -> None:
    """A v1 database upgraded has no CA until its custodian creates one; a backup from that time
    restored later (same study file, an administrator's right) must not let an account of the
    administrator's own create another CA: this workstation recorded the study's CA."""
    from core.store.backup import backup_database
    from core.store.restore import restore_study

    path = tmp_path / "site.sqlite3"
    with Store.open(path, backup_daily=False) as store:
        admin = store.create_user(None, "admin", "Ada Admin", Role.ADMINISTRATOR, PASSWORD)
        store.create_user(admin, "pi", "Dr. Pat Principal", Role.INVESTIGATOR, "one-time-pass-4711")
        pi = store.change_password("pi", "one-time-pass-4711", "pi-own-password-5")
        _sock_puppet(store, admin)
        before_ca = backup_database(path, tmp_path / "before-ca.sqlite3")
        create_site_ca(store, pi, "the-real-ca-secret-9")
    restore_study(path, before_ca, "admin", PASSWORD)
    with Store.open(path, backup_daily=False) as store:
        mal = store.authenticate("mal", "mal-own-password-9")
        with pytest.raises(InputError, match="no longer in the file"):
            create_site_ca(store, mal, "mals-own-ca-passphrase-1")
