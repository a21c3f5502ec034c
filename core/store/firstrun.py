"""The first run of a new study database: the study, its administrator and the
site certificate authority are created in one transaction, so a refused value
leaves nothing behind (and no one locked out of a database that has an account
but no study)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import InputError
from core.limits import MAX_NAME_CHARS, check_text
from core.store import models as m
from core.store.users import (
    Role,
    check_account,
    check_password_policy,
    check_printed_name_script,
    check_username,
    hash_password,
    same_printed_name,
)

if TYPE_CHECKING:
    from core.store.store import Store


@dataclass(frozen=True)
class Custodian:
    """The site CA's custodian at the first run: another person than the administrator (an
    investigator or a coordinator), typing their own password and the CA passphrase."""

    username: str
    full_name: str
    password: str
    ca_passphrase: str
    role: Role = Role.INVESTIGATOR


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
    custodian: Custodian | None = None,
) -> m.Study:
    """An empty database's first administrator, first study and (given a custodian) the site
    certificate authority with its custodian's account: all together, or none at all.

    Every value is checked before anything is written; the inserts (and each person's own key
    pair, and the custodian's certificate when an investigator) share one transaction, refused
    inside it if the database has accounts by then.
    """
    from core.store.studies import _study_values

    name = check_account(username, full_name, password)
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
    study = _first_run(
        store, name, full_name, password, custodian, values, values["site"], values["protocol_id"]
    )
    assert study is not None
    return study


def create_first_accounts(
    store: Store,
    *,
    username: str,
    full_name: str,
    password: str,
    custodian: Custodian | None = None,
    site: str = "",
    study: str = "",
) -> None:
    """``resistdesk init``: the first administrator and (given one) the CA's custodian and the
    site CA named for ``site`` and ``study``, in one transaction; studies are added later."""
    name = check_account(username, full_name, password)
    check_text(site, "site", MAX_NAME_CHARS, formula=False)
    check_text(study, "study", MAX_NAME_CHARS, formula=False)
    _first_run(store, name, full_name, password, custodian, None, site.strip(), study.strip())


def _first_run(
    store: Store,
    name: str,
    full_name: str,
    password: str,
    custodian: Custodian | None,
    values: dict[str, Any] | None,
    ca_site: str,
    ca_study: str,
) -> m.Study | None:
    from core.store.base import BOOTSTRAP, Actor
    from core.store.ca_pin import pin_site_ca
    from core.store.passwords import give_own_key
    from core.store.site_keys import _publish, certify, record_site_ca
    from core.worksheet import pki

    keeper = _check_custodian(custodian, name, full_name, password) if custodian is not None else None
    if keeper is not None:
        from core.store.site_keys import _refuse_replacement, has_site_ca

        if has_site_ca(store):
            raise InputError("ca_passphrase", "this database already has a site certificate authority")
        _refuse_replacement(store)  # a study this workstation knew with another CA
    ca = ca_key = None
    if keeper is not None:
        assert custodian is not None
        ca = pki.create_site_ca(ca_site, ca_study, custodian.ca_passphrase, store.now())
        ca_key = pki.open_site_ca(ca, custodian.ca_passphrase)
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
        study = tx.insert(m.Study(**values, is_demo=False), reason="first study") if values else None
        if keeper is not None and ca is not None and ca_key is not None and custodian is not None:
            own = tx.insert(
                m.UserAccount(
                    username=keeper,
                    full_name=custodian.full_name.strip(),
                    role=custodian.role.value,
                    password_hash=hash_password(custodian.password),
                    must_change_password=False,  # typed by the custodian, present at the first run
                ),
                reason="site CA custodian, at the first run",
            )
            give_own_key(tx, own, custodian.password)
            record_site_ca(tx, ca, keeper)
            now = store.now()
            if custodian.role is Role.INVESTIGATOR:
                certify(tx, own, ca.certificate_pem, ca_key, now)  # the creation's one self-certification
            _publish(tx, ca.certificate_pem, ca_key, now)
    if keeper is not None:
        pin_site_ca(store, force=True)  # this study's CA, from its creation
    return study


def _check_custodian(custodian: Custodian, admin: str, admin_name: str, admin_password: str) -> str:
    """The custodian's user id, once every value is checked against the administrator's."""
    keeper = check_username(custodian.username, field="custodian_username")
    if keeper == admin:
        raise InputError("custodian_username", "must be another account than the administrator's")
    if custodian.role not in (Role.INVESTIGATOR, Role.COORDINATOR):
        raise InputError("custodian_role", "must be an investigator or a coordinator, not an administrator")
    printed = custodian.full_name.strip()
    if not printed:
        raise InputError("custodian_full_name", "the custodian's printed name is required")
    check_text(printed, "custodian_full_name", MAX_NAME_CHARS, formula=False)
    check_printed_name_script(printed, "custodian_full_name")
    if same_printed_name(printed, admin_name):
        raise InputError("custodian_full_name", "the custodian must be another person than the administrator")
    _check_secret("custodian_password", custodian.password, keeper, printed,
                  {"administrator's": admin_password})  # fmt: skip
    _check_secret("ca_passphrase", custodian.ca_passphrase, keeper, printed,
                  {"administrator's": admin_password, "custodian's": custodian.password})  # fmt: skip
    return keeper


def _check_secret(field: str, secret: str, username: str, name: str, others: dict[str, str]) -> None:
    """The password rules for ``secret``, and no other person's secret reused, under ``field``."""
    try:
        check_password_policy(secret, username, name)
    except InputError as exc:
        raise InputError(field, exc.message) from None
    for whose, other in others.items():
        if secret == other:
            raise InputError(field, f"must differ from the {whose} password")
