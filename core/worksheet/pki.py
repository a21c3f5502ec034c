"""The site certificate authority, users' signing keys, and the CRL.

Design (the README's security section states the threat model):

- Every private key is stored *sealed*: AES-256-GCM under a key derived
  from a secret with scrypt (``KDF_N``/``KDF_R``/``KDF_P`` below: 32 MiB and
  twice the memory and work of the login hash; a test keeps the order). The sealed blob names what it holds
  (the "purpose", authenticated as GCM associated data), so a blob moved to
  another user or to the CA does not open.
- The site CA key is sealed under a *CA passphrase* that an administrator
  types only to issue or revoke certificates. No sign-in gives it, and it is
  never stored: reading the database or a backup is not enough to issue a
  certificate.
- A user's key pair is generated when *that user* chooses a password, and
  sealed under it. Its certificate is issued later, by an administrator
  entering the CA passphrase. An administrator's reset discards the key (it
  cannot be opened without the old password) and revokes its certificate.
- The role is carried in the certificate (subject title and
  organisational unit), so ``verify`` can tell an investigator's signature
  from a coordinator's.
- Each installation's CA has a unique name: site, study and a random id.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import NameOID

from core.errors import InputError

CA_YEARS, USER_YEARS = 30, 10
CRL_DAYS = 366  # a CRL stays current for a year; every issue or revocation publishes a new one
# scrypt for sealing keys: N=2^15, r=8 -> 128 * r * N = 32 MiB per derivation, twice the login
# hash's N=2^14 (users.SCRYPT_N). Measured on the shared 2-core development machine (median of 7):
# 218 ms, against 86 ms for the login hash.
KDF_N, KDF_R, KDF_P = 2**15, 8, 1
SEAL_SCHEME = "rdseal1"
ROLE_UNIT = "ResistDesk {role}"  # the subject's organisational unit names the role too
SITE_CA_PURPOSE = "site-ca"


def user_key_purpose(username: str) -> str:
    return f"user-key:{username}"


# ---------------------------------------------------------------------------
# Sealing a private key under a secret


def _derive(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret.encode("utf-8"))


def seal(data: bytes, secret: str, purpose: str) -> str:
    """``data`` encrypted (AES-256-GCM) under a scrypt key from ``secret``, bound to ``purpose``."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = _derive(secret, salt, KDF_N, KDF_R, KDF_P)
    sealed = AESGCM(key).encrypt(nonce, data, purpose.encode())
    b64 = base64.b64encode
    return "$".join(
        (SEAL_SCHEME, str(KDF_N), str(KDF_R), str(KDF_P), b64(salt).decode(), b64(nonce).decode(),
         b64(sealed).decode())
    )  # fmt: skip


def is_sealed(blob: str | None) -> bool:
    return bool(blob) and str(blob).startswith(SEAL_SCHEME + "$")


def unseal(blob: str, secret: str, purpose: str, *, field: str = "password") -> bytes:
    try:
        scheme, n, r, p, salt, nonce, sealed = blob.split("$")
        if scheme != SEAL_SCHEME:
            raise ValueError(scheme)
        key = _derive(secret, base64.b64decode(salt), int(n), int(r), int(p))
        return AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(sealed), purpose.encode())
    except (InvalidTag, ValueError, TypeError):
        raise InputError(field, "does not open this key") from None


def _der(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(der: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def seal_key(key: ec.EllipticCurvePrivateKey, secret: str, purpose: str) -> str:
    return seal(_der(key), secret, purpose)


def unseal_key(
    blob: str, secret: str, purpose: str, *, field: str = "password"
) -> ec.EllipticCurvePrivateKey:
    return _load_key(unseal(blob, secret, purpose, field=field))


def reseal(blob: str, old_secret: str, new_secret: str, purpose: str) -> str:
    return seal(unseal(blob, old_secret, purpose), new_secret, purpose)


# ---------------------------------------------------------------------------
# Certificates


@dataclass(frozen=True, slots=True)
class SiteCA:
    certificate_pem: str
    sealed_key: str  # under the CA passphrase


@dataclass(frozen=True, slots=True)
class UserKey:
    public_key_pem: str
    sealed_key: str  # under the user's own password


def _validity(now: dt.datetime, years: int) -> tuple[dt.datetime, dt.datetime]:
    return now - dt.timedelta(minutes=5), now + dt.timedelta(days=365 * years)


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def ca_name(site: str, study: str, install_id: str) -> x509.Name:
    site_text = site.strip() or "unnamed site"
    study_text = study.strip() or "no study"
    return x509.Name(
        [
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"ResistDesk CA {site_text} {study_text} {install_id}"[:64]
            ),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, site_text[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"study {study_text}"[:64]),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, install_id),
        ]
    )


def create_site_ca(site: str, study: str, passphrase: str, now: dt.datetime) -> SiteCA:
    """A new site CA, uniquely named (site, study, random id), its key sealed under ``passphrase``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = ca_name(site, study, secrets.token_hex(8))
    start, end = _validity(now, CA_YEARS)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return SiteCA(
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        seal_key(key, passphrase, SITE_CA_PURPOSE),
    )


def open_site_ca(ca: SiteCA, passphrase: str) -> ec.EllipticCurvePrivateKey:
    """The CA key, or InputError("ca_passphrase") when the passphrase is wrong."""
    return unseal_key(ca.sealed_key, passphrase, SITE_CA_PURPOSE, field="ca_passphrase")


def new_user_key(username: str, password: str) -> UserKey:
    """A key pair generated for ``username``, sealed under that user's own password."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return UserKey(public.decode(), seal_key(key, password, user_key_purpose(username)))


def open_user_key(sealed: str, password: str, username: str) -> ec.EllipticCurvePrivateKey:
    try:
        return unseal_key(sealed, password, user_key_purpose(username))
    except InputError:
        raise InputError("password", "the password does not open this user's signing key") from None


def issue_certificate(
    ca_certificate_pem: str,
    ca_key: ec.EllipticCurvePrivateKey,
    public_key_pem: str,
    *,
    username: str,
    full_name: str,
    role: str,
    now: dt.datetime,
    days: int | None = None,
) -> str:
    """A certificate for a user's public key; the role is carried in the subject."""
    ca_cert = x509.load_pem_x509_certificate(ca_certificate_pem.encode())
    public = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, full_name),
            x509.NameAttribute(NameOID.USER_ID, username),
            x509.NameAttribute(NameOID.TITLE, role),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ROLE_UNIT.format(role=role)),
        ]
    )
    start, end = _validity(now, USER_YEARS)
    if days is not None:
        end = now + dt.timedelta(days=days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(min(end, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True, slots=True)
class Revoked:
    serial: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags = x509.ReasonFlags.cessation_of_operation


def make_crl(
    ca_certificate_pem: str, ca_key: ec.EllipticCurvePrivateKey, revoked: Sequence[Revoked], now: dt.datetime
) -> str:
    """The CA's certificate revocation list, signed now, current for ``CRL_DAYS``."""
    ca_cert = x509.load_pem_x509_certificate(ca_certificate_pem.encode())
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + dt.timedelta(days=CRL_DAYS))
        .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    for item in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(item.serial)
            # CRL times have whole seconds: round up, so a revocation never predates its cause.
            .revocation_date(item.revoked_at.replace(microsecond=0) + dt.timedelta(seconds=1))
            .add_extension(x509.CRLReason(item.reason), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca_key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM).decode()


def certificate_serial(certificate_pem: str) -> int:
    return x509.load_pem_x509_certificate(certificate_pem.encode()).serial_number


def fingerprint(certificate_pem: str) -> str:
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    return cert.fingerprint(hashes.SHA256()).hex()
