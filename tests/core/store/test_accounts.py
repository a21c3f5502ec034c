"""Users own their passwords: NIST SP 800-63B rules, forced change, reset, unlock, lockout
at every place a password is checked, and the upgrade of a v1 database."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import InputError
from core.store import Actor, AuthError, Store
from core.store.errors import PasswordChangeRequired
from core.store.migrate import migrate
from core.store.site_keys import has_site_ca, retired_certificate_pem
from core.store.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_password_policy
from tests.core.store.conftest import FIRST_PASSWORD, PASSWORD, fixed_clock
from tests.core.test_cli import EXE


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pass1", "at least 12"),
        ("password1234", "common or breached"),
        ("qwertyuiop123", "common or breached"),
        ("Password123456!", "common or breached"),  # a breached word lengthened with digits
        ("zero\u200bwidth-secret", "invisible or control"),
        ("tab\tinside-secret", "invisible or control"),
        ("bidi\u202emark-secret", "invisible or control"),
        ("aaaaaaaaaaaaaaa", "repeated or sequential"),
        ("123456789012", "repeated or sequential"),
        ("x" * (MAX_PASSWORD_LENGTH + 1), "at most"),
    ],
)
def test_passwords_nist_refuses(password: str, why: str) -> None:
    with pytest.raises(InputError, match=why) as exc:
        check_password_policy(password, "ines", "Ines Investigator")
    assert exc.value.field == "password"
    assert password not in exc.value.message  # the message never repeats the password


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # a phrase with spaces, no capitals or digits: fine
        "ünïcödé-pässwörd",
        ("a long pass phrase of many words " * 4)[:128],  # at least 128 characters allowed
        "12 chars ok!",
    ],
)
def test_passwords_nist_accepts_without_composition_rules(password: str) -> None:
    assert len(password) >= MIN_PASSWORD_LENGTH
    check_password_policy(password, "ines", "Ines Investigator")


def test_the_name_of_the_account_is_refused() -> None:
    with pytest.raises(InputError, match="user id, the name"):
        check_password_policy("investigator2024", "investigator", "Ines Investigator")


def test_an_account_made_by_an_administrator_must_choose_its_password_first(
    store: Store, admin: Actor
) -> None:
    store.create_user(admin, "nurse", "Nina Nurse", "coordinator", FIRST_PASSWORD)
    with pytest.raises(PasswordChangeRequired):
        store.authenticate("nurse", FIRST_PASSWORD)
    with pytest.raises(InputError, match="must differ"):
        store.change_password("nurse", FIRST_PASSWORD, FIRST_PASSWORD)
    actor = store.change_password("nurse", FIRST_PASSWORD, "nina-chose-this-one")
    assert actor.username == "nurse"
    assert store.authenticate("nurse", "nina-chose-this-one").username == "nurse"
    with pytest.raises(AuthError):
        store.authenticate("nurse", FIRST_PASSWORD)  # the administrator's password is gone


def test_every_user_can_change_their_password_and_the_key_is_resealed(store: Store) -> None:
    inv = store.authenticate("inv", PASSWORD)
    before = next(u for u in store.users() if u.username == "inv")
    store.change_password(inv, PASSWORD, "ida-new-phrase-77")
    after = next(u for u in store.users() if u.username == "inv")
    assert after.public_key_pem == before.public_key_pem  # the same key...
    assert after.private_key_pem != before.private_key_pem  # ...sealed anew
    assert after.certificate_pem == before.certificate_pem


def test_reset_gives_a_one_time_password_and_unlock_clears_a_lock(store: Store, admin: Actor) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            store.authenticate("coord", "not-the-password")
    with pytest.raises(AuthError, match="locked"):
        store.authenticate("coord", PASSWORD)
    coord = Actor("coord", admin.role.COORDINATOR, "Cory Coordinator", 2)
    with pytest.raises(AuthError, match="only an administrator"):
        store.unlock_user(coord, "coord", reason="me")
    store.unlock_user(admin, "coord", reason="called the help desk")
    assert store.authenticate("coord", PASSWORD).username == "coord"
    temporary = store.reset_password(admin, "coord", reason="forgotten")
    assert temporary != PASSWORD
    with pytest.raises(PasswordChangeRequired):
        store.authenticate("coord", temporary)
    with pytest.raises(AuthError):
        store.authenticate("coord", PASSWORD)


def test_a_wrong_ca_passphrase_counts_towards_the_lockout(store: Store, coord: Actor) -> None:
    from core.store.site_keys import publish_crl

    for _ in range(5):  # the coordinator keeps the template's CA
        with pytest.raises(InputError, match="wrong CA passphrase"):
            publish_crl(store, coord, "not-the-ca-passphrase")
    with pytest.raises(AuthError, match="locked"):
        store.authenticate("coord", PASSWORD)


def test_the_unlock_screen_counts_failures_too(store: Store) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            store.authenticate("inv", "wrong-at-unlock", purpose="unlock")
    with pytest.raises(AuthError, match="locked"):
        store.authenticate("inv", PASSWORD, purpose="unlock")


def test_restore_checks_the_password_where_failures_count(db_path: Path, tmp_path: Path) -> None:
    backup = tmp_path / "saved.sqlite3"
    r = subprocess.run([EXE, "backup", "--db", str(db_path), str(backup), "--user", "admin"], input=PASSWORD + "\n",
                       capture_output=True, text=True, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    for _ in range(5):
        r = subprocess.run([EXE, "restore", "--db", str(db_path), "--user", "admin", str(backup)],
                           input="not-the-password\n", capture_output=True, text=True, check=False)  # fmt: skip
        assert r.returncode == 1
    r = subprocess.run([EXE, "restore", "--db", str(db_path), "--user", "admin", str(backup)],
                       input=PASSWORD + "\n", capture_output=True, text=True, check=False)  # fmt: skip
    assert r.returncode == 1
    assert "locked" in r.stderr


def test_cli_passwd_changes_the_one_time_password(db_path: Path) -> None:
    with Store.open(db_path, clock=fixed_clock, backup_daily=False) as store:
        admin = store.authenticate("admin", PASSWORD)
        store.create_user(admin, "nurse", "Nina Nurse", "coordinator", FIRST_PASSWORD)
    r = subprocess.run([EXE, "user", "list", "--db", str(db_path), "--user", "nurse"], input=FIRST_PASSWORD + "\n",
                       capture_output=True, text=True, check=False)  # fmt: skip
    assert r.returncode == 1
    assert "user passwd" in r.stderr
    r = subprocess.run([EXE, "user", "passwd", "--db", str(db_path), "--user", "nurse"],
                       input=f"{FIRST_PASSWORD}\nnina-own-phrase-1\n", capture_output=True, text=True, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = subprocess.run([EXE, "user", "list", "--db", str(db_path), "--user", "nurse"], input="nina-own-phrase-1\n",
                       capture_output=True, text=True, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr


def test_a_v1_database_upgrades_its_clear_ca_key_away(tmp_path: Path) -> None:
    db = tmp_path / "v1.sqlite3"
    migrate(db, target="0003")
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('site_ca_certificate', '-----BEGIN CERTIFICATE-----x')"
        )
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('site_ca_private_key', '-----BEGIN PRIVATE KEY-----x')"
        )
        conn.execute(
            "INSERT INTO user_account (username, full_name, role, password_hash, failed_attempts, active, "
            "private_key_pem, certificate_pem) VALUES ('ines', 'Dr. Ines', 'investigator', 'h', 0, 1, "
            "'-----BEGIN ENCRYPTED PRIVATE KEY-----x', '-----BEGIN CERTIFICATE-----y')"
        )
    with Store.open(db, backup_daily=False) as store:
        assert not has_site_ca(store)  # an administrator creates the new one under a passphrase
        assert retired_certificate_pem(store) == "-----BEGIN CERTIFICATE-----x"
        user = store.users()[0]
    assert user.must_change_password  # its password was set by an administrator in v1
    assert user.private_key_pem is None
    with contextlib.closing(sqlite3.connect(db)) as conn:
        keys = conn.execute("SELECT count(*) FROM meta WHERE value LIKE '%PRIVATE KEY%'").fetchone()[0]
    assert keys == 0


def test_a_sign_in_costs_one_password_hash_whether_or_not_the_account_exists(db_path: Path) -> None:
    """In a fresh process, as at a start: the time tells nothing of which user ids exist, and
    the first sign-in is not slowed by a second scrypt (a decoy made with ``hash_password``
    cost one more, on the way to the roster)."""
    script = f"""
import hashlib, pathlib
from core.store import Store, AuthError
real, calls = hashlib.scrypt, []
def counted(*a, **k):
    calls.append(k["n"])
    return real(*a, **k)
hashlib.scrypt = counted
with Store.open(pathlib.Path({str(db_path)!r}), backup_daily=False) as store:
    store.authenticate("coord", {PASSWORD!r})
    known = list(calls)
    calls.clear()
    try:
        store.authenticate("nobody-here", {PASSWORD!r})
    except AuthError:
        pass
print(known, calls)
"""
    from core.store.users import SCRYPT_N

    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[3],
    )
    assert out.stdout.split() == [f"[{SCRYPT_N}]", f"[{SCRYPT_N}]"]


def test_no_password_opens_the_decoy_hash() -> None:
    from core.store.users import SCRYPT_N, SCRYPT_P, SCRYPT_R, decoy_hash, verify_password

    first, second = decoy_hash(), decoy_hash()
    assert first != second
    assert first.split("$")[:4] == ["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P)]
    assert not any(verify_password(p, first) for p in ("", PASSWORD, "x" * 12))
