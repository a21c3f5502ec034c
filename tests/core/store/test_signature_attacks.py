"""Issue 14's attacks on the signed worksheet, each tried as an attacker would.

The demo database is the site: its CA passphrase is the demo password (PASSWORD), known
here only to play the administrator; the attacker's tests never use it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from core.errors import InputError
from core.rules import CATEGORY_LABELS, Category, RuleSet
from core.store import Actor, AuthError, Role, Store
from core.store import models as m
from core.store.backup import backup_database
from core.store.demo import create_demo
from core.store.errors import PasswordChangeRequired
from core.store.site_keys import (
    _open_ca,
    certificate_queue,
    issue_certificates,
    publish_crl,
    recorded_before,
    site_certificate_pem,
    site_crl_pem,
    site_record,
)
from core.store.worksheets import prepare_worksheet, sign_signed_content, sign_worksheet, worksheets
from core.worksheet import pki
from core.worksheet.document import SignatureBlock
from core.worksheet.pdfsign import EXIT_CLASSIFICATION_CHANGED, sign_pdf, verify_pdf

PASSWORD = "attack-demo-pass-1"
NSS = shutil.which("certutil") and shutil.which("pdfsig")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("attacks") / "demo.sqlite3"
    create_demo(path, PASSWORD).close()
    return path


@pytest.fixture
def store(demo: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "site.sqlite3"
    shutil.copy(demo, copy)
    return Store.open(copy, backup_daily=False)


def _pk(store: Store, code: str = "MEL-001") -> int:
    return store.subject_pk(store.studies()[0].id or 0, code)


def _keeper(store: Store) -> Actor:
    """The demo's CA custodian: the coordinator (administrators never run the CA)."""
    return store.authenticate("coordinator", PASSWORD)


def _draft(store: Store, code: str = "MEL-001") -> int:
    wid, _ = prepare_worksheet(
        store, store.authenticate("coordinator", PASSWORD), _pk(store, code), store.today()
    )
    return wid


def _signed(store: Store, code: str = "MEL-001") -> bytes:
    return sign_worksheet(store, store.authenticate("investigator", PASSWORD), _draft(store, code), PASSWORD)


def _verify(store: Store, pdf: bytes) -> dict[str, bool]:
    report = verify_pdf(
        pdf,
        site_certificate_pem(store),
        crl_pem=site_crl_pem(store),
        recorded_before=lambda d, w: recorded_before(store, d, w),
        site_record=lambda d, h: site_record(store, d, h),
    )
    return {c.name: c.ok for c in report.checks} | {"VERIFIED": report.ok}


def _private_keys_in(db: Path) -> list[str]:
    """Every text value of every table that loads as a private key without a secret."""
    found = []
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, str) and "PRIVATE KEY" in value:
                        with contextlib.suppress(ValueError, TypeError):
                            serialization.load_pem_private_key(value.encode(), password=None)
                            found.append(f"{table}: {value[:40]}")
    return found


def _forge(
    store: Store, *, ca_key: ec.EllipticCurvePrivateKey, ca_pem: str, name: str, user_id: str, role: str,
    printed: str | None = None, code: str = "MEL-001", crl_pem: str | None = None, days: int | None = None,
    document_id: str = "RD-FORGED-1",
) -> bytes:  # fmt: skip
    """An attacker's worksheet: real content, a key and certificate of the attacker's making."""
    from core.store.worksheets import _content

    key = ec.generate_private_key(ec.SECP256R1())
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    cert = pki.issue_certificate(ca_pem, ca_key, public, username=user_id, full_name=name, role=role,
                                 now=dt.datetime.now(dt.UTC), days=days)  # fmt: skip
    block = SignatureBlock(printed or name, user_id, role, "I confirm.", dt.datetime.now(dt.UTC))
    content = _content(store, _pk(store, code), store.today(), document_id, "Mallory", store.now(), block)
    return sign_signed_content(content, certificate_pem=cert, key=key, ca_certificate_pem=ca_pem,
                               crl_pem=crl_pem, location="", timestamper=None, sign=sign_pdf)  # fmt: skip


# ---------------------------------------------------------------------------
# Keys


def test_no_private_key_in_the_database_or_a_backup_opens_without_a_secret(
    store: Store, tmp_path: Path
) -> None:
    _signed(store)
    backup = backup_database(store.path, tmp_path / "backup.sqlite3")
    assert _private_keys_in(store.path) == []
    assert _private_keys_in(backup) == []
    # Nor does any password a reader might know open the sealed CA key: only the CA passphrase.
    with contextlib.closing(sqlite3.connect(backup)) as conn:
        sealed = conn.execute("SELECT value FROM meta WHERE key = 'site_ca_sealed_key'").fetchone()[0]
        cert = conn.execute("SELECT value FROM meta WHERE key = 'site_ca_certificate'").fetchone()[0]
    for guess in ("", "investigator", "admin", "demo-password", "attack-demo-pass"):
        with pytest.raises(InputError, match="ca_passphrase"):
            pki.open_site_ca(pki.SiteCA(cert, sealed), guess)


def test_a_key_minted_from_a_copy_of_the_database_is_refused(store: Store) -> None:
    """The reader makes a CA of their own with the site CA's exact name and signs as the investigator."""
    site = x509.load_pem_x509_certificate(site_certificate_pem(store).encode())
    key = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives import hashes

    now = dt.datetime.now(dt.UTC)
    lookalike = (
        x509.CertificateBuilder().subject_name(site.subject).issuer_name(site.subject)
        .public_key(key.public_key()).serial_number(site.serial_number)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = lookalike.public_bytes(serialization.Encoding.PEM).decode()
    forged = _forge(store, ca_key=key, ca_pem=pem, name="Dr. Ines Investigator", user_id="investigator",
                    role="investigator")  # fmt: skip
    checks = _verify(store, forged)
    assert checks["integrity"]  # a well-made signature...
    assert not checks["chain to the site CA"]  # ...by a CA that is not the site's
    assert not checks["VERIFIED"]


def test_a_site_ca_swapped_in_the_database_is_reported_by_audit_verify(store: Store) -> None:
    """With write access, replacing the CA certificate (and sealed key) in ``meta`` by one of
    the attacker's makes `verify --db` trust the attacker's certificates; the trail records
    the fingerprint of the CA it created, and `audit verify` must see the swap."""
    from core.store.audit import verify_study_file

    store.close()
    assert verify_study_file(store.path).ok
    mine = pki.create_site_ca("Site 101", "DEMO-PD1-R", "attackers-own-passphrase", dt.datetime.now(dt.UTC))
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'site_ca_certificate'", (mine.certificate_pem,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'site_ca_sealed_key'", (mine.sealed_key,))
    report = verify_study_file(store.path)
    assert not report.ok
    assert "site_ca_certificate" in report.describe()
    assert pki.fingerprint(mine.certificate_pem) in report.describe()


def _plant_own_ca(store: Store) -> bytes:
    """The attack on `verify --db`: with write access to the file, put a CA of one's own (and
    its CRL) in ``meta``, mark a real draft row as signed, and sign its worksheet oneself."""
    wid = _draft(store)
    with store.reading() as s:
        document_id = s.get(m.Worksheet, wid).document_id  # type: ignore[union-attr]
    now = dt.datetime.now(dt.UTC)
    mine = pki.create_site_ca("Site 101", "DEMO-PD1-R", "attackers-own-passphrase", now)
    key = pki.open_site_ca(mine, "attackers-own-passphrase")
    crl = pki.make_crl(mine.certificate_pem, key, [], now)
    forged = _forge(store, ca_key=key, ca_pem=mine.certificate_pem, name="Dr. Ines Investigator",
                    user_id="investigator", role="investigator", crl_pem=crl,
                    document_id=document_id)  # fmt: skip
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'site_ca_certificate'", (mine.certificate_pem,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'site_ca_crl'", (crl,))
        conn.execute("UPDATE worksheet SET status = 'signed' WHERE id = ?", (wid,))
    return forged


def test_a_ca_of_ones_own_planted_in_the_file_is_refused_by_verify_db(store: Store, tmp_path: Path) -> None:
    """This workstation opened the study (and so recorded its CA): a CA planted in the file
    later, with worksheets signed under it, must not make `verify --db` say VERIFIED."""
    from tests.core.test_cli import EXE

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(_plant_own_ca(store))
    file_id = store.study_file_id
    store.close()
    r = subprocess.run([EXE, "verify", str(forged), "--db", str(store.path)], capture_output=True, text=True,
                       check=False)  # fmt: skip
    assert r.returncode == 1, r.stdout + r.stderr
    assert "[FAIL] site CA" in r.stdout
    assert f"not the one this workstation recorded for study {file_id} on " in r.stdout
    for other in ("integrity", "chain to the site CA", "not revoked", "site record"):  # the rest holds
        assert f"[ok] {other}" in r.stdout, r.stdout
    # opening the file says so as well
    again = Store.open(store.path, backup_daily=False)
    assert any("site CA: the CA certificate in this file is not the one" in w for w in again.warnings)
    again.close()


def test_a_legitimate_ca_init_updates_the_recorded_ca(tmp_path: Path) -> None:
    """The custodian's `ca init` (with the new passphrase) is the study's CA from then on, also
    where this workstation recorded the v1 CA that revision 0006 retired (any other recorded CA
    refuses it: see test_separation_of_duties)."""
    from core.store.anchors import AnchorBook
    from core.store.ca_pin import site_ca_problem
    from core.store.site_keys import RETIRED_CA_KEY, create_site_ca

    with Store.open(tmp_path / "s.sqlite3", backup_daily=False) as store:
        admin = store.create_user(None, "admin", "Ada Admin", Role.ADMINISTRATOR, PASSWORD)
        store.create_user(admin, "pi", "Dr. Pat Principal", Role.INVESTIGATOR, "one-time-pass-4711")
        keeper = store.change_password("pi", "one-time-pass-4711", "pi-own-password-5")
        assert store.study_file_id is not None
        retired = pki.create_site_ca("Site 1", "P-1", "the-v1-ca-secret-9", dt.datetime.now(dt.UTC))
        with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)", (RETIRED_CA_KEY, retired.certificate_pem)
            )
        # what the workstation recorded before the upgrade removed the v1 CA from the file
        AnchorBook().pin_site_ca(store.study_file_id, pki.fingerprint(retired.certificate_pem))
        with pytest.raises(AuthError, match="never an administrator"):
            create_site_ca(store, admin, "a-new-ca-passphrase-77")
        fingerprint = create_site_ca(store, keeper, "a-new-ca-passphrase-77")
        assert AnchorBook().site_ca(store.study_file_id)[0] == fingerprint  # type: ignore[index]
        assert site_ca_problem(store) is None
    with Store.open(tmp_path / "s.sqlite3", backup_daily=False) as store:
        assert not [w for w in store.warnings if "site CA" in w]


def test_every_installation_has_its_own_ca_name() -> None:
    now = dt.datetime.now(dt.UTC)
    a = pki.create_site_ca("Site 101", "P-1", "one-passphrase-here", now).certificate_pem
    b = pki.create_site_ca("Site 101", "P-1", "one-passphrase-here", now).certificate_pem
    name_a = x509.load_pem_x509_certificate(a.encode()).subject
    name_b = x509.load_pem_x509_certificate(b.encode()).subject
    assert name_a != name_b
    assert "Site 101" in name_a.rfc4514_string()
    assert "P-1" in name_a.rfc4514_string()


def test_key_sealing_costs_at_least_the_login_hash() -> None:
    from core.store import users

    assert pki.KDF_N * pki.KDF_R * pki.KDF_P >= users.SCRYPT_N * users.SCRYPT_R * users.SCRYPT_P
    sealed = pki.new_user_key("ines", "her-own-password-1").sealed_key
    assert sealed.startswith(f"rdseal1${pki.KDF_N}${pki.KDF_R}$")
    with pytest.raises(InputError):
        pki.open_user_key(sealed, "her-own-password-1", "mallory")  # bound to its owner
    assert pki.open_user_key(sealed, "her-own-password-1", "ines") is not None


# ---------------------------------------------------------------------------
# Who may sign


def test_a_coordinators_own_key_with_a_certificate_is_not_an_investigators_signature(store: Store) -> None:
    ca_pem, ca_key = _open_ca(
        store, _keeper(store), PASSWORD
    )  # as the old design gave every user a certificate
    forged = _forge(store, ca_key=ca_key, ca_pem=ca_pem, name="Casey Coordinator", user_id="coordinator",
                    role="coordinator", crl_pem=site_crl_pem(store))  # fmt: skip
    checks = _verify(store, forged)
    assert checks["chain to the site CA"]
    assert not checks["signer role"]
    assert not checks["VERIFIED"]
    coord = store.authenticate("coordinator", PASSWORD)
    with pytest.raises(AuthError, match="only an investigator"):
        sign_worksheet(store, coord, _draft(store), PASSWORD)


def test_a_disabled_signer_is_refused_and_their_key_is_revoked(store: Store) -> None:
    admin = store.authenticate("admin", PASSWORD)
    inv = store.authenticate("investigator", PASSWORD)
    wid = _draft(store)
    store.set_active(admin, "investigator", False, reason="left the site")
    publish_crl(store, _keeper(store), PASSWORD)
    with pytest.raises(AuthError, match="disabled"):
        sign_worksheet(store, inv, wid, PASSWORD)
    # Outside the application, with the (ex-)investigator's own key and password:
    forged = _sign_outside(store, "investigator", PASSWORD)
    checks = _verify(store, forged)
    assert checks["integrity"]
    assert not checks["not revoked"]


def test_demotion_from_investigator_revokes_the_certificate(store: Store) -> None:
    admin = store.authenticate("admin", PASSWORD)
    store.set_role(admin, "investigator", "coordinator", reason="changed job")
    publish_crl(store, _keeper(store), PASSWORD)
    crl = x509.load_pem_x509_crl((site_crl_pem(store) or "").encode())
    assert len(list(crl)) == 1


def _sign_outside(store: Store, username: str, password: str, *, at: dt.datetime | None = None) -> bytes:
    """What a signer with a copy of the database does with their own key, outside the app."""
    from core.store.worksheets import _content

    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        sealed, cert, name = conn.execute(
            "SELECT u.private_key_pem, c.certificate_pem, u.full_name FROM user_account u "
            "JOIN certificate c ON c.user_id = u.id WHERE u.username = ? ORDER BY c.id DESC",
            (username,),
        ).fetchone()
    key = pki.open_user_key(sealed, password, username)
    when = at or dt.datetime.now(dt.UTC)
    block = SignatureBlock(name, username, "investigator", "I confirm.", when)
    content = _content(store, _pk(store), store.today(), "RD-OUTSIDE-1", "Mallory", store.now(), block)
    return sign_signed_content(content, certificate_pem=cert, key=key, ca_certificate_pem=site_certificate_pem(store),
                               crl_pem=None, location="", timestamper=None, sign=sign_pdf)  # fmt: skip


def test_a_back_dated_signature_after_revocation_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = store.authenticate("admin", PASSWORD)
    store.set_active(admin, "investigator", False, reason="left the site")
    publish_crl(store, _keeper(store), PASSWORD)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(
        seconds=90
    )  # after the certificate, before the revocation

    import pyhanko.sign.signers.pdf_signer as pdf_signer

    class _Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> _Clock:  # the attacker's clock, set back
            return cls.fromtimestamp(earlier.timestamp(), tz)

    monkeypatch.setattr(pdf_signer, "datetime", _Clock)
    forged = _sign_outside(store, "investigator", PASSWORD, at=earlier)
    monkeypatch.undo()
    report = verify_pdf(forged, site_certificate_pem(store), crl_pem=site_crl_pem(store),
                        recorded_before=lambda d, w: recorded_before(store, d, w))  # fmt: skip
    assert report.signing_time is not None
    assert report.signing_time < dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)  # it claims the past
    check = report.check("not revoked")
    assert check is not None
    assert not check.ok, check.detail
    assert "only the signer's clock" in check.detail
    assert "workstation's clock" in report.describe()


def test_a_revoked_signer_with_an_old_copy_is_not_verified_without_the_current_crl(
    store: Store, tmp_path: Path
) -> None:
    """The signer kept a copy of the database from before the revocation: signed there, the
    worksheet embeds that copy's CRL (which does not list them). Checked against the site
    certificate alone, that CRL is the signer's choice and the time is the signer's clock:
    'not revoked' must not pass on it."""
    old = tmp_path / "signers-copy.sqlite3"
    store.close()
    shutil.copy(store.path, old)
    live = Store.open(store.path, backup_daily=False)
    admin = live.authenticate("admin", PASSWORD)
    live.set_active(admin, "investigator", False, reason="left the site")
    publish_crl(live, _keeper(live), PASSWORD)
    with Store.open(old, backup_daily=False) as copy:
        late = _signed(copy)  # signed after the revocation, on the copy
    report = verify_pdf(late, site_certificate_pem(live))
    check = report.check("not revoked")
    assert check is not None
    assert not check.ok, check.detail
    assert "--crl" in check.detail
    assert not report.ok
    assert report.exit_code == 1
    # with the site's current CRL it is refused as revoked, as before
    current = verify_pdf(late, site_certificate_pem(live), crl_pem=site_crl_pem(live))
    assert not current.ok
    assert "revoked on" in (current.check("not revoked") or check).detail
    live.close()


def test_a_signature_recorded_before_the_revocation_still_verifies_with_the_site_record(store: Store) -> None:
    pdf = _signed(store)
    admin = store.authenticate("admin", PASSWORD)
    store.set_active(admin, "investigator", False, reason="left the site")
    publish_crl(store, _keeper(store), PASSWORD)
    checks = _verify(store, pdf)
    assert checks["not revoked"]
    assert checks["VERIFIED"]


def test_a_locked_account_cannot_sign_and_wrong_signing_passwords_lock_it(store: Store) -> None:
    inv = store.authenticate("investigator", PASSWORD)
    wid = _draft(store)
    for _ in range(5):
        with pytest.raises(AuthError, match="wrong password"):
            sign_worksheet(store, inv, wid, "not-her-password-1")
    with pytest.raises(AuthError, match="locked"):
        sign_worksheet(store, inv, wid, PASSWORD)
    with pytest.raises(AuthError, match="locked"):
        store.authenticate("investigator", PASSWORD)
    assert worksheets(store, _pk(store))[0].status == "draft"


def test_an_administrators_reset_cannot_be_used_to_sign(store: Store) -> None:
    admin = store.authenticate("admin", PASSWORD)
    inv = store.authenticate("investigator", PASSWORD)
    wid = _draft(store)
    temporary = store.reset_password(admin, "investigator", reason="forgotten")
    # The administrator knows the one-time password; it opens nothing.
    with pytest.raises(PasswordChangeRequired):
        store.authenticate("investigator", temporary)
    with pytest.raises(AuthError):
        sign_worksheet(store, inv, wid, temporary)
    with pytest.raises(AuthError):
        sign_worksheet(store, inv, wid, PASSWORD)  # nor the old password
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        key, revoked = conn.execute(
            "SELECT u.private_key_pem, c.revoked_at FROM user_account u JOIN certificate c ON c.user_id = u.id "
            "WHERE u.username = 'investigator'"
        ).fetchone()
    assert key is None  # the old key is gone, not re-sealed: nobody can open it again
    assert revoked is not None
    # Choosing a new password gives a new key, but no certificate until the custodian certifies it.
    store.change_password("investigator", temporary, "my-own-new-pass-9")
    with pytest.raises(AuthError, match="no current signing certificate"):
        sign_worksheet(store, inv, wid, "my-own-new-pass-9")
    # The custodian is shown that this key follows an administrator's reset.
    queue = {e.username: e for e in certificate_queue(store)}
    assert queue["investigator"].pending
    assert queue["investigator"].reset.startswith("password reset by admin on ")
    assert issue_certificates(store, _keeper(store), PASSWORD, approved=certificate_queue(store)) == [
        "investigator"
    ]
    assert certificate_queue(store) == []
    pdf = sign_worksheet(store, inv, wid, "my-own-new-pass-9")
    assert _verify(store, pdf)["VERIFIED"]


def test_an_administrator_cannot_run_the_ca_even_with_the_passphrase(store: Store) -> None:
    """Separation of duties: whoever can reset passwords cannot certify keys. The administrator
    resets the investigator, completes the first sign-in in their place, and types the correct
    CA passphrase: every CA action is refused, and nothing is certified."""
    admin = store.authenticate("admin", PASSWORD)
    wid = _draft(store)
    temporary = store.reset_password(admin, "investigator", reason="takeover attempt")
    store.change_password("investigator", temporary, "admins-choice-pass-1")
    for act in (
        lambda: issue_certificates(store, admin, PASSWORD, approved=certificate_queue(store)),
        lambda: publish_crl(store, admin, PASSWORD),
        lambda: _open_ca(store, admin, PASSWORD),
    ):
        with pytest.raises(AuthError, match="never an administrator"):
            act()
    with pytest.raises(AuthError, match="no current signing certificate"):
        sign_worksheet(
            store, store.authenticate("investigator", "admins-choice-pass-1"), wid, "admins-choice-pass-1"
        )
    # Nor does an administrator's account presented with another role: the account is read.
    with pytest.raises(AuthError, match="never an administrator"):
        _open_ca(store, Actor("admin", Role.COORDINATOR, "Avery Admin"), PASSWORD)


def test_no_one_certifies_their_own_new_key(store: Store) -> None:
    """The investigator holding the CA passphrase cannot certify their own new key (say after
    an administrator's reset, completed in their place): a second holder must."""
    admin = store.authenticate("admin", PASSWORD)
    temporary = store.reset_password(admin, "investigator", reason="forgotten")
    inv = store.change_password("investigator", temporary, "inv-new-password-3")
    assert (
        issue_certificates(store, inv, PASSWORD, approved=certificate_queue(store)) == []
    )  # knows the passphrase; still refused for self
    assert [e.username for e in certificate_queue(store) if e.pending] == ["investigator"]
    with pytest.raises(AuthError, match="no current signing certificate"):
        sign_worksheet(store, inv, _draft(store), "inv-new-password-3")
    assert issue_certificates(store, _keeper(store), PASSWORD, approved=certificate_queue(store)) == [
        "investigator"
    ]


def test_an_accounts_waiting_for_the_first_sign_in_are_listed_for_the_custodian(store: Store) -> None:
    admin = store.authenticate("admin", PASSWORD)
    store.create_user(admin, "inv2", "Dr. Noor New", Role.INVESTIGATOR, "one-time-pass-4711")
    queue = {e.username: e for e in certificate_queue(store)}
    assert not queue["inv2"].pending
    assert "first sign-in" in queue["inv2"].state
    # a new account's one-time password: whoever set it could choose the key; the custodian confirms
    assert queue["inv2"].reset.startswith("new account created by admin on ")
    store.change_password("inv2", "one-time-pass-4711", "noor-own-password-8")
    assert {e.username: e for e in certificate_queue(store)}["inv2"].pending


# ---------------------------------------------------------------------------
# What is signed


def test_a_renamed_signer_in_the_database_is_refused_and_a_mismatched_name_is_reported(store: Store) -> None:
    inv = store.authenticate("investigator", PASSWORD)
    wid = _draft(store)
    with contextlib.closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute(
            "UPDATE user_account SET full_name = 'Dr. Somebody Else' WHERE username = 'investigator'"
        )
    with pytest.raises(AuthError, match="does not match"):
        sign_worksheet(store, inv, wid, PASSWORD)
    ca_pem, ca_key = _open_ca(store, _keeper(store), PASSWORD)
    forged = _forge(store, ca_key=ca_key, ca_pem=ca_pem, name="Dr. Ines Investigator", user_id="investigator",
                    role="investigator", printed="Dr. Somebody Else", crl_pem=site_crl_pem(store))  # fmt: skip
    checks = _verify(store, forged)
    assert checks["chain to the site CA"]
    assert not checks["printed name"]


def test_settings_changed_between_draft_and_signing_are_refused(store: Store) -> None:
    admin = store.authenticate("admin", PASSWORD)
    inv = store.authenticate("investigator", PASSWORD)
    wid = _draft(store)
    study = store.studies()[0]
    store.update_study(
        admin, study.id or 0, {"enrolled_categories": ["secondary_resistance"]}, reason="amendment"
    )
    assert worksheets(store, _pk(store))[0].superseded
    with pytest.raises(InputError, match="study settings changed"):
        sign_worksheet(store, inv, wid, PASSWORD)


def test_a_replayed_worksheet_after_the_data_changed_is_reported(store: Store) -> None:
    pdf = _signed(store)
    inv = store.authenticate("investigator", PASSWORD)
    pk = _pk(store)
    visit = store.subject_rows(pk).assessments[-1]
    store.update_assessment(
        inv, visit.id or 0, {"date": visit.date.isoformat(), "response": "SD"}, reason="re-read"
    )
    checks = _verify(store, pdf)
    assert checks["integrity"]
    assert not checks["site record"]
    assert not checks["VERIFIED"]
    wid = _draft(store)
    store.update_assessment(
        inv, visit.id or 0, {"date": visit.date.isoformat(), "response": "PD"}, reason="again"
    )
    with pytest.raises(InputError, match="prepare it again"):
        sign_worksheet(store, inv, wid, PASSWORD)


def test_a_draft_needs_a_signed_in_user(store: Store) -> None:
    with pytest.raises(AuthError, match="signed-in user"):
        prepare_worksheet(store, None, _pk(store), store.today(), label="os:mallory")


# ---------------------------------------------------------------------------
# Verification over time, and by independent validators


def test_a_worksheet_verifies_after_its_certificate_expired(store: Store) -> None:
    ca_pem, ca_key = _open_ca(store, _keeper(store), PASSWORD)
    pdf = _forge(store, ca_key=ca_key, ca_pem=ca_pem, name="Dr. Ines Investigator", user_id="investigator",
                 role="investigator", crl_pem=site_crl_pem(store), days=1)  # a certificate for one day  # fmt: skip
    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    root = _asn1(site_certificate_pem(store))
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[root], moment=later))
    assert not status.trusted  # judged at a later time, the certificate has expired...
    report = verify_pdf(pdf, site_certificate_pem(store), crl_pem=site_crl_pem(store))
    assert report.check("chain to the site CA").ok  # ...but B-LT verifies at the signing time
    assert report.check("not revoked").ok


def _asn1(pem: str):  # type: ignore[no-untyped-def]
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(asn1_pem.unarmor(pem.encode())[2])


def test_classification_changed_since_signing_is_reported_with_both_results(store: Store) -> None:
    pdf = _signed(store, "MEL-001")
    report = verify_pdf(pdf, site_certificate_pem(store), crl_pem=site_crl_pem(store),
                        rules_today=RuleSet().with_overrides({"benefit_days": 30}))  # fmt: skip
    assert report.ok
    assert report.classification_changed
    assert report.exit_code == EXIT_CLASSIFICATION_CHANGED
    text = report.describe()
    assert "CLASSIFICATION CHANGED SINCE SIGNING" in text
    # Both results in words a monitor reads, not the JSON codes.
    assert f"signed as {CATEGORY_LABELS[Category(report.category)]} (" in text
    assert f"today's rules give {CATEGORY_LABELS[Category(report.category_today)]}" in text
    assert "_resistance" not in text
    assert "no_progression" not in text
    assert report.category
    assert report.category_today
    assert report.category != report.category_today
    as_json = report.to_json()
    assert as_json["printed_category"] == report.category
    assert as_json["category_today"] == report.category_today


def test_pyhanko_validator_accepts_a_genuine_worksheet_and_sees_added_content(store: Store) -> None:
    pdf = _signed(store)
    root = _asn1(site_certificate_pem(store))
    status = validate_pdf_signature(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0],
                                    ValidationContext(trust_roots=[root]))  # fmt: skip
    assert status.bottom_line, status.pretty_print_details()
    tampered = _add_content(pdf)
    status = validate_pdf_signature(PdfFileReader(io.BytesIO(tampered)).embedded_signatures[0],
                                    ValidationContext(trust_roots=[root]))  # fmt: skip
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert not status.bottom_line  # content added after the signature is not "maintenance"


def _add_content(pdf: bytes) -> bytes:
    """An incremental update that draws on the first page (an unsigned change of content)."""
    from pyhanko.pdf_utils import generic

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (ELIGIBLE) Tj ET")
    contents = page["/Contents"]
    items = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*items, writer.add_object(stream)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.skipif(not NSS, reason="poppler's pdfsig and NSS certutil (libnss3-tools) are not installed")
def test_poppler_pdfsig_accepts_a_genuine_worksheet_and_sees_added_content(
    store: Store, tmp_path: Path
) -> None:
    nss = tmp_path / "nss"
    nss.mkdir()
    ca = tmp_path / "ca.pem"
    ca.write_text(site_certificate_pem(store))
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True
    )
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "site-ca", "-t", "C,C,C", "-i", str(ca)],
                   check=True, capture_output=True)  # fmt: skip
    genuine, tampered = tmp_path / "genuine.pdf", tmp_path / "tampered.pdf"
    pdf = _signed(store)
    genuine.write_bytes(pdf)
    tampered.write_bytes(_add_content(pdf))

    def pdfsig(path: Path) -> str:
        # Our certificates name no OCSP responder (no AIA), so pdfsig contacts nothing.
        return subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(path)],
                              capture_output=True, text=True, check=False).stdout  # fmt: skip

    out = pdfsig(genuine)
    assert "Signature is Valid" in out, out
    assert "Certificate is Trusted" in out, out
    out = pdfsig(tampered)
    assert "Not total document signed" in out
    assert "Signature is Valid" in out  # the signed bytes are intact; the update is outside them
    # poppler reports the signed ranges; the added content lies beyond the last one.
    ranges = next(line for line in out.splitlines() if "Signed Ranges" in line)
    last = int(ranges.rsplit("-", 1)[1].strip(" ]"))
    assert last < len(_add_content(pdf)) - 100


def test_verify_json_and_exit_codes_on_the_command_line(store: Store, tmp_path: Path) -> None:
    import json

    from tests.core.test_cli import EXE

    pdf = _signed(store)
    signed = tmp_path / "s.pdf"
    signed.write_bytes(pdf)
    r = subprocess.run([EXE, "verify", str(signed), "--db", str(store.path), "--json"], capture_output=True, text=True,
                       check=False)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    names = [c["name"] for c in data["checks"]]
    for name in ("integrity", "chain to the site CA", "not revoked", "signer role", "printed name",
                 "re-classification", "site record"):  # fmt: skip
        assert name in names
    assert "workstation" in data["signing_time_source"]
    chain = next(c for c in data["checks"] if c["name"] == "chain to the site CA")
    assert "CN=ResistDesk CA" in chain["technical"]  # the full DN stays in --json...
    assert "CN=" not in chain["detail"]  # ...the plain words name the CA by its common name
    assert "issued by ResistDesk CA" in chain["detail"]
    text = subprocess.run([EXE, "verify", str(signed), "--db", str(store.path)], capture_output=True, text=True,
                          check=False).stdout  # fmt: skip
    assert "issued by ResistDesk CA" in text
    assert "CN=" not in text
    tampered = tmp_path / "t.pdf"
    tampered.write_bytes(_add_content(pdf))
    r = subprocess.run([EXE, "verify", str(tampered), "--db", str(store.path)], capture_output=True, text=True,
                       check=False)  # fmt: skip
    assert r.returncode == 1
    assert "[FAIL] changes after signing" in r.stdout


def test_with_a_time_stamping_service_the_signing_time_is_attested(store: Store) -> None:
    """B-T/B-LTA with an RFC 3161 service (a local one here: no network in tests)."""
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import hashes
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    ca_pem, ca_key = _open_ca(store, _keeper(store), PASSWORD)
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    from cryptography.hazmat.primitives.asymmetric import rsa

    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA is RSA
    now = dt.datetime.now(dt.UTC)
    tsa = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Site TSA")]))
        .issuer_name(ca.subject).public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    tsa_pem = tsa.public_bytes(serialization.Encoding.PEM).decode()
    key_info = asn1_keys.PrivateKeyInfo.load(
        tsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    )  # fmt: skip
    stamper = DummyTimeStamper(_asn1(tsa_pem), key_info, SimpleCertificateStore.from_certs([_asn1(ca_pem)]))
    inv = store.authenticate("investigator", PASSWORD)
    pdf = sign_worksheet(store, inv, _draft(store), PASSWORD, timestamper=stamper)
    report = verify_pdf(pdf, site_certificate_pem(store), crl_pem=site_crl_pem(store))
    assert report.ok, report.describe()
    assert "time-stamping authority" in report.time_source
    assert "workstation" not in report.describe()


def test_the_real_investigator_reads_what_was_signed_in_their_name_after_a_takeover(store: Store) -> None:
    """The two-secret attack (an administrator's password and the CA passphrase) is not unseen:
    the real investigator, locked out by it, comes back through a reset and is shown every
    worksheet signed in their name before that reset."""
    from core.store.passwords import account_review

    assert account_review(store, "investigator") == ""  # never reset: nothing to review
    admin = store.authenticate("admin", PASSWORD)
    wid = _draft(store)
    temporary = store.reset_password(admin, "investigator", reason="takeover")
    impostor = store.change_password("investigator", temporary, "impostors-pass-77")
    issue_certificates(
        store, _keeper(store), PASSWORD, approved=certificate_queue(store)
    )  # the second secret
    sign_worksheet(store, impostor, wid, "impostors-pass-77")
    document = worksheets(store, _pk(store))[0].document_id
    # The real investigator cannot sign in any more; the administrator resets again.
    with pytest.raises(AuthError):
        store.authenticate("investigator", PASSWORD)
    temporary = store.reset_password(admin, "investigator", reason="locked out")
    store.change_password("investigator", temporary, "my-real-password-4")
    review = account_review(store, "investigator")
    assert "Your password was reset by admin" in review
    assert f"worksheet {document} signed on" in review
    assert "password chosen on" in review
    assert "signing certificate issued on" in review
    assert "(by coordinator)" in review
    assert "tell the study's quality lead and monitor" in review


def test_a_first_reset_reviews_the_account_since_its_creation(store: Store) -> None:
    from core.store.passwords import account_review

    admin = store.authenticate("admin", PASSWORD)
    temporary = store.reset_password(admin, "coordinator", reason="forgotten")
    review = account_review(store, "coordinator")
    assert "since the account was created" in review
    assert "no worksheet was signed in your name" in review
    assert account_review(store, temporary) == ""  # not an account: nothing, no error


def test_the_pin_checked_at_open_is_the_certificates_fingerprint(store: Store) -> None:
    """Opening a file checks the pin without ``cryptography`` (core.store.ca_pin): its
    fingerprint must be the one verification computes, and a PEM that is not a certificate
    is not given one (an altered certificate is 'not the one recorded', never equal)."""
    from core.store.ca_pin import certificate_fingerprint

    pem = site_certificate_pem(store)
    assert pem is not None
    assert certificate_fingerprint(pem) == pki.fingerprint(pem)
    body = pem.strip().splitlines()
    line = body[3]  # a byte inside the certificate's body
    flipped = "\n".join(
        [*body[:3], ("B" if line[10] == "A" else "A").join((line[:10], line[11:])), *body[4:]]
    )
    assert certificate_fingerprint(flipped) != certificate_fingerprint(pem)
    key_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for not_a_certificate in (
        key_pem.decode(),
        "",
        "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----",
    ):
        with pytest.raises(ValueError, match="not a certificate"):
            certificate_fingerprint(not_a_certificate)
