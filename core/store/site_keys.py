"""The site certificate authority and users' signing keys, in the study database.

Kept apart from the worksheet code so that opening a database (which makes
sure the site CA exists) needs only ``cryptography``, not the PDF stack.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from core.store import models as m
from core.store.errors import NotFoundError
from core.worksheet.pki import KeyPair, create_site_ca, issue_user_key

if TYPE_CHECKING:
    from core.store.store import Store, _Tx

CA_CERT_KEY, CA_KEY_KEY = "site_ca_certificate", "site_ca_private_key"


def ensure_site_ca(tx: _Tx, site: str, now: dt.datetime) -> KeyPair:
    cert = tx.session.get(m.Meta, CA_CERT_KEY)
    key = tx.session.get(m.Meta, CA_KEY_KEY)
    if cert is not None and key is not None:
        return KeyPair(cert.value, key.value)
    pair = create_site_ca(site, now)
    tx.session.add(m.Meta(key=CA_CERT_KEY, value=pair.certificate_pem))
    tx.session.add(m.Meta(key=CA_KEY_KEY, value=pair.private_key_pem))
    tx.log("site_ca_created", reason="the site certificate authority for signatures")
    return pair


def give_user_a_key(tx: _Tx, user: m.UserAccount, password: str, now: dt.datetime) -> None:
    """Issue a key pair (encrypted under ``password``) to a user who has none."""
    if user.private_key_pem is not None:
        return
    ca = ensure_site_ca(tx, "", now)
    pair = issue_user_key(ca, user.username, user.full_name, user.role, password, now)
    tx.update(
        user,
        {"certificate_pem": pair.certificate_pem, "private_key_pem": pair.private_key_pem},
        reason="signing key issued by the site CA",
    )


def site_certificate_pem(store: Store) -> str:
    with store.reading() as s:
        cert = s.get(m.Meta, CA_CERT_KEY)
    if cert is None:
        raise NotFoundError("this database has no site certificate yet")
    return cert.value
