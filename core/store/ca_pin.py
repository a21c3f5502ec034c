"""The workstation's pin of a study's site CA, checked each time a study file opens.

Kept apart from ``core.store.site_keys`` so that opening a study file needs only the
standard library (``cryptography`` loads when a key or certificate is used, off the way to
the roster). The fingerprint is the SHA-256 of the certificate's DER bytes, as
``core.worksheet.pki.fingerprint`` gives it for a valid certificate (a test checks both).
"""

from __future__ import annotations

import contextlib
import hashlib
import ssl
from typing import TYPE_CHECKING

from core.store import models as m

if TYPE_CHECKING:
    from core.store.store import Store

CA_CERT_KEY = "site_ca_certificate"


def meta_value(store: Store, key: str) -> str | None:
    """A value of the study file's ``meta`` table, or None."""
    with store.reading() as s:
        row = s.get(m.Meta, key)
    return row.value if row is not None else None


def certificate_fingerprint(certificate_pem: str) -> str:
    """SHA-256 (hex) of a PEM certificate's DER bytes; ValueError if it is not one PEM certificate."""
    try:
        der = ssl.PEM_cert_to_DER_cert(certificate_pem.strip())
    except ValueError:  # no PEM certificate markers, or not base64 (binascii.Error)
        der = b""
    if not der.startswith(b"\x30"):  # an X.509 certificate is a DER SEQUENCE
        raise ValueError("not a certificate")
    return hashlib.sha256(der).hexdigest()


def pin_site_ca(store: Store, *, force: bool = False) -> None:
    """Have this workstation's anchor book remember the study's site CA fingerprint, the first
    time it sees one (``force``: a CA its custodian just created, with its passphrase)."""
    book, file_id, pem = store.anchor_book, store.study_file_id, meta_value(store, CA_CERT_KEY)
    if book is None or file_id is None or pem is None:
        return
    # an unreadable certificate is for verification to report; the book is a safeguard
    with contextlib.suppress(OSError, ValueError):
        book.pin_site_ca(
            file_id, certificate_fingerprint(pem), force=force, created_at=store.path if force else None
        )


def site_ca_problem(store: Store) -> str | None:
    """Why the site CA certificate in the file is not to be trusted on this workstation (it is
    not the one the workstation recorded for this study), or None."""
    book, file_id = store.anchor_book, store.study_file_id
    if book is None or file_id is None:
        return None
    pinned = book.site_ca(file_id)
    pem = meta_value(store, CA_CERT_KEY)
    if pem is None:
        return None
    replaced = book.study_replaced(store.path, file_id)
    if replaced is not None:
        return (
            f"this workstation knew another study file at {store.path.name} (study {replaced[0]}, its site "
            f"CA SHA-256 {replaced[1][:16]}…, recorded on {replaced[2][:10]}); this file is another one "
            f"(study {file_id}), so its site CA is not trusted here (a different study on purpose: open it "
            "from another path)"
        )
    if pinned is None:
        return None
    try:
        found = certificate_fingerprint(pem)
    except ValueError:
        found = "(not a certificate)"
    if found == pinned[0]:
        return None
    return (
        f"the CA certificate in this file is not the one this workstation recorded for study "
        f"{file_id} on {pinned[1][:10]} (recorded SHA-256 {pinned[0][:16]}…, in the file {found[:16]}…)"
    )
