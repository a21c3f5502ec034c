"""User accounts and sign-in: creating users, roles, disabling, authenticating."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import InputError
from core.store import models as m
from core.store.base import BOOTSTRAP, Actor, StoreCore, _require_reason
from core.store.errors import AuthError, NotFoundError
from core.store.users import (
    Role,
    check_account,
    hash_password,
    same_printed_name,
)

UNKNOWN_USER = "(unknown user id)"


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
        """Create an account. Administrators do this, with a one-time password the user must change
        at the first sign-in; the very first account needs no actor, must be an administrator, and
        keeps the password its owner typed (and gets its key pair at once)."""
        name = check_account(username, full_name, password)
        role = _role(role)
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
            for other in tx.session.exec(select(m.UserAccount)).all():
                if same_printed_name(other.full_name, full_name):
                    raise InputError(
                        "full_name",
                        f"account {other.username!r} already has the printed name {other.full_name!r}: a "
                        "signature shows the printed name, so two accounts cannot share one (add a middle "
                        "initial or a title)",
                    )
            row = tx.insert(
                m.UserAccount(
                    username=name,
                    full_name=full_name.strip(),
                    role=role.value,
                    password_hash=hash_password(password),
                    must_change_password=not first,
                ),
                reason="first administrator" if first else "",
            )
            if first:
                from core.store.passwords import give_own_key

                give_own_key(tx, row, password)
        return Actor(name, role, row.full_name, row.id)

    def authenticate(self, username: str, password: str, *, purpose: str = "login") -> Actor:
        """Check a password; lock the account after repeated failures. Audited. An account whose
        password an administrator set raises PasswordChangeRequired (see change_password)."""
        from core.store.passwords import authenticate

        return authenticate(self, username, password, purpose=purpose)  # type: ignore[arg-type]

    def change_password(self, actor: Actor | str, old_password: str, new_password: str) -> Actor:
        """The user's own password change (the actor, or the user id of a forced change)."""
        from core.store.passwords import change_password

        name = actor if isinstance(actor, str) else actor.username
        return change_password(self, name, old_password, new_password)  # type: ignore[arg-type]

    def reset_password(self, actor: Actor, username: str, reason: str) -> str:
        """An administrator's reset: returns a one-time password; the user's key is discarded."""
        from core.store.passwords import reset_password

        return reset_password(self, actor, username, reason)  # type: ignore[arg-type]

    def unlock_user(self, actor: Actor, username: str, reason: str) -> None:
        from core.store.passwords import unlock

        unlock(self, actor, username, reason)  # type: ignore[arg-type]

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
            if user.role != role.value:
                from core.store.site_keys import revoke_certificates

                revoke_certificates(tx, user, f"role changed to {role.value}", self.now())
            tx.update(user, {"role": role.value}, reason)

    def set_active(self, actor: Actor, username: str, active: bool, reason: str) -> None:
        with self.writing(actor, "user.set_active") as tx:
            user = self._user(tx.session, username)
            if not active and user.active:
                from core.store.site_keys import revoke_certificates

                revoke_certificates(tx, user, "account disabled", self.now())
            tx.update(user, {"active": active}, _require_reason(reason))

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
