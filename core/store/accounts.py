"""User accounts and sign-in: creating users, roles, disabling, authenticating."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import InputError
from core.limits import MAX_NAME_CHARS, check_text
from core.store import models as m
from core.store.base import BOOTSTRAP, SIGN_IN, Actor, StoreCore, _aware, _require_reason
from core.store.errors import AuthError, NotFoundError
from core.store.users import (
    LOCKOUT_MINUTES,
    MAX_FAILED_ATTEMPTS,
    Role,
    check_password_policy,
    check_username,
    hash_password,
    verify_password,
)

UNKNOWN_USER = "(unknown user id)"
_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash made with the current password scheme, checked when the account does not exist."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(24)))
    return _DUMMY[0]


class Accounts(StoreCore):
    """Users and sign-in."""

    def has_users(self) -> bool:
        with self.reading() as s:
            return bool(s.exec(select(func.count()).select_from(m.UserAccount)).one())

    def users(self) -> list[m.UserAccount]:
        with self.reading() as s:
            return list(s.exec(select(m.UserAccount).order_by(col(m.UserAccount.username))))

    def create_user(
        self, actor: Actor | None, username: str, full_name: str, role: Role | str, password: str
    ) -> Actor:
        """Create an account. Administrators do this; the very first account needs no actor
        and must be an administrator."""
        name = check_username(username)
        role = _role(role)
        if not full_name.strip():
            raise InputError("full_name", "the printed name is required (it appears on signatures)")
        check_text(full_name, "full_name", MAX_NAME_CHARS, formula=False)
        check_password_policy(password, name)
        first = not self.has_users()
        if first:
            if role is not Role.ADMINISTRATOR:
                raise InputError("role", "the first account must be an administrator")
            actor = Actor(name, Role.ADMINISTRATOR, full_name.strip())
        elif actor is None:
            raise AuthError("only an administrator can create accounts")
        with self.writing(actor, BOOTSTRAP if first else "user.create") as tx:
            if tx.session.exec(select(m.UserAccount).where(m.UserAccount.username == name)).first():
                raise InputError("username", f"user id {name!r} already exists")
            row = tx.insert(
                m.UserAccount(
                    username=name,
                    full_name=full_name.strip(),
                    role=role.value,
                    password_hash=hash_password(password),
                ),
                reason="first administrator" if first else "",
            )
            from core.store.site_keys import give_user_a_key

            give_user_a_key(tx, row, password, self.now())
        return Actor(name, role, row.full_name, row.id)

    def authenticate(self, username: str, password: str) -> Actor:
        """Check a password; lock the account after repeated failures. Audited.

        Takes the same time whether or not the user id exists (an unknown, disabled or
        locked account is still hashed, against a dummy), and never records an unknown
        user id verbatim (it may be a password typed into the wrong field).
        """
        name = username.strip()
        now = self.now()
        dummy = _dummy_hash()
        if self.readonly:
            return self._authenticate_read_only(name, password, dummy)
        with self.writing(Actor(UNKNOWN_USER, Role.COORDINATOR), SIGN_IN) as tx:
            user = tx.session.exec(select(m.UserAccount).where(m.UserAccount.username == name)).first()
            password_ok = verify_password(password, user.password_hash if user is not None else dummy)
            if user is not None:
                tx.actor = Actor(user.username, Role.COORDINATOR)
            if user is None:
                tx.log(
                    "login_failed",
                    entity="user_account",
                    new=f"unknown user id ({len(name)} characters, not recorded)",
                    reason="unknown user id",
                )
                failure = "wrong user id or password"
            elif not user.active:
                tx.log("login_failed", entity="user_account", entity_id=user.id, reason="account disabled")
                failure = "this account is disabled"
            elif user.locked_until is not None and _aware(user.locked_until) > now:
                tx.log("login_failed", entity="user_account", entity_id=user.id, reason="account locked")
                failure = f"account locked until {_aware(user.locked_until).astimezone():%H:%M}"
            elif not password_ok:
                attempts = user.failed_attempts + 1
                changes: dict[str, Any] = {"failed_attempts": attempts}
                if attempts >= MAX_FAILED_ATTEMPTS:
                    changes = {
                        "failed_attempts": 0,
                        "locked_until": now + dt.timedelta(minutes=LOCKOUT_MINUTES),
                    }
                tx.update(user, changes, reason="failed login")
                tx.log("login_failed", entity="user_account", entity_id=user.id, reason="wrong password")
                failure = "wrong user id or password"
                if attempts >= MAX_FAILED_ATTEMPTS:
                    failure = f"too many failed attempts: account locked for {LOCKOUT_MINUTES} minutes"
            else:
                if user.failed_attempts or user.locked_until is not None:
                    tx.update(user, {"failed_attempts": 0, "locked_until": None}, reason="successful login")
                tx.log("login", entity="user_account", entity_id=user.id)
                if user.private_key_pem is None:  # an account from before signing keys existed
                    from core.store.site_keys import give_user_a_key

                    give_user_a_key(tx, user, password, now)
                return Actor(user.username, Role(user.role), user.full_name, user.id)
        raise AuthError(failure)

    def _authenticate_read_only(self, name: str, password: str, dummy: str) -> Actor:
        """A read-only file records nothing: the password is checked, nothing is counted."""
        with self.reading() as s:
            user = s.exec(select(m.UserAccount).where(m.UserAccount.username == name)).first()
        password_ok = verify_password(password, user.password_hash if user is not None else dummy)
        if user is None or not password_ok:
            raise AuthError("wrong user id or password")
        if not user.active:
            raise AuthError("this account is disabled")
        if user.locked_until is not None and _aware(user.locked_until) > self.now():
            raise AuthError(f"account locked until {_aware(user.locked_until).astimezone():%H:%M}")
        return Actor(user.username, Role(user.role), user.full_name, user.id)

    def change_password(self, actor: Actor, old_password: str, new_password: str) -> None:
        self.authenticate(actor.username, old_password)
        check_password_policy(new_password, actor.username)
        with self.writing(actor, "user.change_password") as tx:
            user = self._user(tx.session, actor.username)
            changes: dict[str, Any] = {"password_hash": hash_password(new_password)}
            if user.private_key_pem is not None:
                from core.worksheet.pki import reencrypt_key

                changes["private_key_pem"] = reencrypt_key(user.private_key_pem, old_password, new_password)
            tx.update(user, changes, reason="password change")

    def set_role(self, actor: Actor, username: str, role: Role | str, reason: str) -> None:
        role, reason = _role(role), _require_reason(reason)
        with self.writing(actor, "user.set_role") as tx:
            user = self._user(tx.session, username)
            if user.role == Role.ADMINISTRATOR and role is not Role.ADMINISTRATOR:
                admins = tx.session.exec(
                    select(func.count())
                    .select_from(m.UserAccount)
                    .where(m.UserAccount.role == Role.ADMINISTRATOR.value, col(m.UserAccount.active))
                ).one()
                if admins <= 1:
                    raise InputError("role", "the last administrator cannot lose the role")
            tx.update(user, {"role": role.value}, reason)

    def set_active(self, actor: Actor, username: str, active: bool, reason: str) -> None:
        with self.writing(actor, "user.set_active") as tx:
            tx.update(self._user(tx.session, username), {"active": active}, _require_reason(reason))

    def _user(self, session: Session, username: str) -> m.UserAccount:
        user = session.exec(select(m.UserAccount).where(m.UserAccount.username == username)).first()
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        return user


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(
            "role", f"unknown role {role!r} (allowed: {', '.join(r.value for r in Role)})"
        ) from None
