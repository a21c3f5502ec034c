"""The site certificate authority and each user's signing key.

The site CA is created once per database. Each user gets an EC P-256 key
pair and a certificate issued by the site CA; the private key is stored
encrypted under the user's own password (PKCS#8), so only that user,
re-entering the password, can sign. A monitor verifies signatures with the
exported site certificate alone.

Threat model, stated plainly: the site CA's private key is kept in the
database. It protects signed PDFs against anyone outside the site; a person
with write access to the database file could issue certificates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.errors import InputError

CA_YEARS, USER_YEARS = 20, 10


@dataclass(frozen=True, slots=True)
class KeyPair:
    certificate_pem: str
    private_key_pem: str  # PKCS#8; encrypted for users


def _validity(now: dt.datetime, years: int) -> tuple[dt.datetime, dt.datetime]:
    return now - dt.timedelta(days=1), now + dt.timedelta(days=365 * years)


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


def create_site_ca(site: str, now: dt.datetime) -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"ResistDesk site CA ({site or 'site'})"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, site or "ResistDesk site"),
        ]
    )
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
    return KeyPair(
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def issue_user_key(
    ca: KeyPair, username: str, full_name: str, role: str, password: str, now: dt.datetime
) -> KeyPair:
    """A new key pair for a user, certified by the site CA, the key encrypted under the password."""
    ca_cert = x509.load_pem_x509_certificate(ca.certificate_pem.encode())
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.encode(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, full_name),
            x509.NameAttribute(NameOID.USER_ID, username),
            x509.NameAttribute(NameOID.TITLE, role),
        ]
    )
    start, end = _validity(now, USER_YEARS)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM).decode(), encrypt_key(key, password))


def encrypt_key(key: ec.EllipticCurvePrivateKey, password: str) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    ).decode()


def decrypt_key(private_key_pem: str, password: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=password.encode())
    except (ValueError, TypeError):
        raise InputError("password", "the password does not open this user's signing key") from None
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def reencrypt_key(private_key_pem: str, old_password: str, new_password: str) -> str:
    return encrypt_key(decrypt_key(private_key_pem, old_password), new_password)


def fingerprint(certificate_pem: str) -> str:
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    return cert.fingerprint(hashes.SHA256()).hex()
