"""The first run of a new study database: the study, its administrator and the
site certificate authority are created in one transaction, so a refused value
leaves nothing behind (and no one locked out of a database that has an account
but no study)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.errors import InputError
from core.limits import MAX_NAME_CHARS, check_text
from core.store import models as m
from core.store.users import Role, check_password_policy, check_username, hash_password

if TYPE_CHECKING:
    from core.store.store import Store


def create_study_with_administrator(
    store: Store,
    *,
    username: str,
    full_name: str,
    password: str,
    protocol_id: str,
    title: str,
    enrolled_categories: Sequence[str] = (),
    sponsor: str = "",
    site: str = "",
    criteria: str = "RECIST 1.1",
    ca_passphrase: str | None = None,
) -> m.Study:
    """An empty database's first administrator, first study and (given its passphrase)
    site certificate authority: all together, or none at all.

    Every value is checked before anything is written; the inserts (and the
    administrator's own key pair) share one transaction, refused inside it if
    the database has accounts by then.
    """
    from core.store.base import BOOTSTRAP, Actor
    from core.store.passwords import give_own_key
    from core.store.site_keys import CA_CERT_KEY, CA_SEALED_KEY, _set_meta
    from core.store.studies import _study_values
    from core.worksheet import pki

    name = check_username(username)
    if not full_name.strip():
        raise InputError("full_name", "the printed name is required (it appears on signatures)")
    check_text(full_name, "full_name", MAX_NAME_CHARS, formula=False)
    check_password_policy(password, name, full_name)
    values = _study_values(
        protocol_id=protocol_id,
        title=title,
        sponsor=sponsor,
        site=site,
        criteria=criteria,
        rule_overrides={},
        enrolled_categories=enrolled_categories,
        paper_size="A4",
    )
    ca = None
    if ca_passphrase is not None:
        if ca_passphrase == password:
            raise InputError("ca_passphrase", "must differ from the administrator's password")
        try:
            check_password_policy(ca_passphrase, name)
        except InputError as exc:
            raise InputError("ca_passphrase", exc.message) from None
        ca = pki.create_site_ca(values["site"], values["protocol_id"], ca_passphrase, store.now())
    actor = Actor(name, Role.ADMINISTRATOR, full_name.strip())
    with store.writing(actor, BOOTSTRAP) as tx:  # refused inside the transaction if accounts exist
        user = tx.insert(
            m.UserAccount(
                username=name,
                full_name=full_name.strip(),
                role=Role.ADMINISTRATOR.value,
                password_hash=hash_password(password),
                must_change_password=False,
            ),
            reason="first administrator",
        )
        give_own_key(tx, user, password)
        study = tx.insert(m.Study(**values, is_demo=False), reason="first study")
        if ca is not None:
            _set_meta(tx, CA_CERT_KEY, ca.certificate_pem)
            _set_meta(tx, CA_SEALED_KEY, ca.sealed_key)
            tx.log(
                "site_ca_created",
                new=pki.fingerprint(ca.certificate_pem),
                reason="site CA under a passphrase",
            )
        return study
