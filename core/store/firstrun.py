"""The first run of a new study database: the study and its administrator are
created in one transaction, so a refused value leaves neither behind (and no
one locked out of a database that has an account but no study)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.errors import InputError
from core.store import models as m
from core.store.errors import AuthError
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
) -> m.Study:
    """An empty database's first administrator and first study, together or not at all.

    Every value is checked before anything is written; the two inserts (and the
    administrator's signing key) share one transaction.
    """
    from core.store.base import BOOTSTRAP, Actor
    from core.store.site_keys import give_user_a_key
    from core.store.studies import _study_values

    if store.has_users():
        raise AuthError("this database already has accounts: an administrator signs in to add a study")
    name = check_username(username)
    if not full_name.strip():
        raise InputError("full_name", "the printed name is required (it appears on signatures)")
    check_password_policy(password, name)
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
    actor = Actor(name, Role.ADMINISTRATOR, full_name.strip())
    with store.writing(actor, BOOTSTRAP) as tx:  # refused inside the transaction if accounts exist
        user = tx.insert(
            m.UserAccount(
                username=name,
                full_name=full_name.strip(),
                role=Role.ADMINISTRATOR.value,
                password_hash=hash_password(password),
            ),
            reason="first administrator",
        )
        give_user_a_key(tx, user, password, store.now())
        return tx.insert(m.Study(**values, is_demo=False), reason="first study")
