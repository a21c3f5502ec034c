"""Accounts own their passwords: sign-in with lockout, password change, reset, unlock.

- Every place a password is checked (sign-in, unlock, signing, restore, the
  CA passphrase) counts failures on the account and refuses a locked one.
- An account an administrator created or reset must choose its own password
  at the next sign-in before anything else (``PasswordChangeRequired``).
- A user's signing key is generated when the user chooses a password and is
  sealed under it; a change re-seals it; an administrator's reset discards
  it (nobody can open it without the old password) and revokes its
  certificate.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from core.errors import InputError
from core.store import models as m
from core.store.base import SIGN_IN, Actor
from core.store.errors import AuthError, NotFoundError, PasswordChangeRequired
from core.store.users import (
    LOCKOUT_MINUTES,
    MAX_FAILED_ATTEMPTS,
    Role,
    check_password_policy,
    decoy_hash,
    hash_password,
    temporary_password,
    verify_password,
)

if TYPE_CHECKING:
    from core.store.base import Tx as _Tx
    from core.store.store import Store


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _find(tx: _Tx, username: str) -> m.UserAccount | None:
    return tx.session.exec(select(m.UserAccount).where(m.UserAccount.username == username)).first()


def _failure(tx: _Tx, user: m.UserAccount, now: dt.datetime, what: str) -> str:
    """Count a failed attempt (locking at the limit); the suffix to add to the message."""
    attempts = user.failed_attempts + 1
    changes: dict[str, Any] = {"failed_attempts": attempts}
    suffix = ""
    if attempts >= MAX_FAILED_ATTEMPTS:
        changes = {"failed_attempts": 0, "locked_until": now + dt.timedelta(minutes=LOCKOUT_MINUTES)}
        suffix = f": too many failed attempts, account locked for {LOCKOUT_MINUTES} minutes"
    tx.update(user, changes, reason=f"failed attempt ({what})")
    return suffix


def record_failure(store: Store, username: str, what: str) -> str:
    """Count a failed secret (for example the CA passphrase) against an account."""
    with store.writing(Actor(username, Role.COORDINATOR), SIGN_IN) as tx:
        user = _find(tx, username)
        if user is None:
            return ""
        suffix = _failure(tx, user, store.now(), what)
        tx.log(f"{what.split()[0]}_failed", entity="user_account", entity_id=user.id, reason=what)
    return suffix


def check_password(
    store: Store, username: str, password: str, *, purpose: str = "login", allow_change: bool = False
) -> m.UserAccount:
    """The account, if ``password`` opens it now; else AuthError (failures counted, lockout applied).

    ``purpose`` names the place (login, unlock, sign, restore) in the audit trail. Unless
    ``allow_change``, an account that must choose a new password raises PasswordChangeRequired.
    """
    from core.store.accounts import UNKNOWN_USER

    name = username.strip()
    now = store.now()
    failure = ""
    dummy = decoy_hash()
    if getattr(store, "readonly", False):
        return _check_read_only(store, name, password, dummy, allow_change)
    # Written as nobody in particular until the account is found: a password typed into the
    # user-id field never enters the audit trail.
    with store.writing(Actor(UNKNOWN_USER, Role.COORDINATOR), SIGN_IN) as tx:
        user = _find(tx, name)
        # Hashed whether or not the account exists or may sign in: the time tells nothing.
        password_ok = verify_password(password, user.password_hash if user is not None else dummy)
        if user is not None:
            tx.actor = Actor(user.username, Role.COORDINATOR)
        if user is None:
            tx.log(
                f"{purpose}_failed",
                entity="user_account",
                new=f"unknown user id ({len(name)} characters, not recorded)",
                reason="unknown user id",
            )
            failure = "wrong user id or password"
        elif not user.active:
            tx.log(f"{purpose}_failed", entity="user_account", entity_id=user.id, reason="account disabled")
            failure = "this account is disabled"
        elif user.locked_until is not None and _aware(user.locked_until) > now:
            tx.log(f"{purpose}_failed", entity="user_account", entity_id=user.id, reason="account locked")
            failure = f"account locked until {_aware(user.locked_until).astimezone():%H:%M}"
        elif not password_ok:
            suffix = _failure(tx, user, now, purpose)
            tx.log(f"{purpose}_failed", entity="user_account", entity_id=user.id, reason="wrong password")
            # Where the user id was typed, the message does not tell which of the two was wrong.
            typed_id = purpose in ("login", "restore", "password_change")
            failure = ("wrong user id or password" if typed_id else "wrong password") + suffix
        else:
            if user.failed_attempts or user.locked_until is not None:
                tx.update(user, {"failed_attempts": 0, "locked_until": None}, reason=f"successful {purpose}")
            if user.must_change_password and not allow_change:
                tx.log(f"{purpose}_refused", entity="user_account", entity_id=user.id,
                       reason="a new password must be chosen first")  # fmt: skip
                failure = "change"
            else:
                tx.log(purpose, entity="user_account", entity_id=user.id)
                tx.session.expunge(user)
                return user
    if failure == "change":
        _raise_change()
    raise AuthError(failure)


def _raise_change() -> None:
    raise PasswordChangeRequired(
        "your password was set by an administrator: choose a new password before anything else "
        "(in the application, or `resistdesk user passwd --user ID`)"
    )


def _check_read_only(store: Store, name: str, password: str, dummy: str, allow_change: bool) -> m.UserAccount:
    """A read-only file records nothing: the password is checked, nothing is counted."""
    with store.reading() as s:
        user = s.exec(select(m.UserAccount).where(m.UserAccount.username == name)).first()
    password_ok = verify_password(password, user.password_hash if user is not None else dummy)
    if user is None or not password_ok:
        raise AuthError("wrong user id or password")
    if not user.active:
        raise AuthError("this account is disabled")
    if user.locked_until is not None and _aware(user.locked_until) > store.now():
        raise AuthError(f"account locked until {_aware(user.locked_until).astimezone():%H:%M}")
    if user.must_change_password and not allow_change:
        _raise_change()
    return user


def authenticate(store: Store, username: str, password: str, *, purpose: str = "login") -> Actor:
    user = check_password(store, username, password, purpose=purpose)
    return Actor(user.username, Role(user.role), user.full_name, user.id)


def change_password(store: Store, username: str, old_password: str, new_password: str) -> Actor:
    """The user's own change (also the forced one after a reset); re-seals or makes the key."""
    from core.worksheet import pki  # keys only where they are made: a sign-in needs no cryptography

    user = check_password(store, username, old_password, purpose="password_change", allow_change=True)
    check_password_policy(new_password, user.username, user.full_name)
    if new_password == old_password:
        raise InputError("new_password", "must differ from the current password")
    actor = Actor(user.username, Role(user.role), user.full_name, user.id)
    key_changes: dict[str, Any] = {}
    if pki.is_sealed(user.private_key_pem):
        assert user.private_key_pem is not None
        try:
            key_changes["private_key_pem"] = pki.reseal(
                user.private_key_pem, old_password, new_password, pki.user_key_purpose(user.username)
            )
        except InputError:
            key_changes = {}
    if not key_changes:
        key = pki.new_user_key(user.username, new_password)
        key_changes = {"private_key_pem": key.sealed_key, "public_key_pem": key.public_key_pem}
    with store.writing(actor, "user.change_password") as tx:
        row = _find(tx, user.username)
        assert row is not None
        if "public_key_pem" in key_changes:
            from core.store.site_keys import revoke_certificates

            revoke_certificates(tx, row, "a new key pair replaced the old one", store.now())
        tx.update(
            row,
            {"password_hash": hash_password(new_password), "must_change_password": False, **key_changes},
            reason="password changed by its owner",
        )
    return actor


def reset_password(store: Store, actor: Actor, username: str, reason: str) -> str:
    """An administrator's reset: a one-time password to hand over; the key is discarded.

    The old key cannot be opened without the old password, so it is deleted and its
    certificate revoked; the user generates a new key when choosing the new password.
    """
    _admin(actor)
    if username == actor.username:
        raise InputError("username", "change your own password instead of resetting it")
    reason = _reason(reason)
    temporary = temporary_password()
    with store.writing(actor, "user.reset_password") as tx:
        user = _find(tx, username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        from core.store.site_keys import revoke_certificates

        revoke_certificates(tx, user, "password reset by an administrator", store.now())
        tx.update(
            user,
            {
                "password_hash": hash_password(temporary),
                "must_change_password": True,
                "failed_attempts": 0,
                "locked_until": None,
                "private_key_pem": None,
                "public_key_pem": None,
            },
            reason=f"{RESET_REASON}{reason}",
        )
    return temporary


def unlock(store: Store, actor: Actor, username: str, reason: str) -> None:
    _admin(actor)
    reason = _reason(reason)
    with store.writing(actor, "user.unlock") as tx:
        user = _find(tx, username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        tx.update(user, {"failed_attempts": 0, "locked_until": None}, reason=f"unlocked: {reason}")


def give_own_key(tx: _Tx, user: m.UserAccount, password: str) -> None:
    """A key pair for a user who chose ``password`` themselves (the first administrator, demo users)."""
    from core.worksheet import pki

    key = pki.new_user_key(user.username, password)
    tx.update(
        user,
        {"private_key_pem": key.sealed_key, "public_key_pem": key.public_key_pem},
        reason="signing key generated for its owner",
    )


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMINISTRATOR:
        raise AuthError("only an administrator can do this")


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InputError("reason", "a reason is required")
    return reason.strip()


REVIEW_LIST_LIMIT = 50
RESET_REASON = "password reset: "  # what an administrator's reset writes before their reason


def account_review(store: Store, username: str) -> str:
    """What the account did from its creation to its latest administrator reset, in words; ""
    if it was never reset.

    Shown to the user when they choose their password after a reset. Whoever reset a password
    could have completed the sign-in and acted in the user's name; the real user, locked out by
    that, comes back through another reset and reads here what was done in their name. It
    covers the account's whole history, not only the time since the reset before: whoever took
    the account over could reset it again, and choose a password again, to leave an empty
    period between the last two resets. Every worksheet signed is listed (the newest
    ``REVIEW_LIST_LIMIT``, and how many older ones; signing more to push one out of the list
    would show in the list itself).
    """
    from sqlmodel import col

    with store.reading() as s:
        user = s.exec(select(m.UserAccount).where(m.UserAccount.username == username)).first()
        if user is None:
            return ""
        rows = list(
            s.exec(
                select(m.AuditEvent)
                .where(m.AuditEvent.entity == "user_account", m.AuditEvent.entity_id == user.id)
                .order_by(col(m.AuditEvent.id))
            )
        )
        resets = [r for r in rows if is_reset(r, username)]
        if not resets:
            return ""
        latest = resets[-1]
        window = [r for r in rows if r.id is not None and latest.id is not None and r.id < latest.id]
        signed = list(
            s.exec(
                select(m.AuditEvent)
                .where(
                    m.AuditEvent.action == "sign",
                    m.AuditEvent.entity == "worksheet",
                    m.AuditEvent.user == username,
                    col(m.AuditEvent.id) < (latest.id or 0),
                )
                .order_by(col(m.AuditEvent.id))
            )
        )
    created = next((r for r in rows if r.action == "insert"), None)
    since = "since the account was created" + (f" on {created.at_utc[:10]}" if created is not None else "")
    lines = [f"Your password was reset by {latest.user} on {_when(latest)} UTC."]
    lines.append(f"What your account did before that reset ({since}):")
    sign_ins = [r for r in window if r.action == "login"]
    changes = [r for r in window if r.field == "password_hash" and r.user == username]
    certs = [r for r in window if is_certified(r)]
    lines.append(
        f"  sign-ins: {len(sign_ins)}" + (f", the last on {sign_ins[-1].at_utc[:10]}" if sign_ins else "")
    )
    events = [
        (r.id or 0, f"  password reset by {r.user} on {_when(r)} UTC ({reset_reason(r)})")
        for r in resets[:-1]
    ]
    events += [(r.id or 0, f"  password chosen on {_when(r)} UTC") for r in changes]
    events += [(r.id or 0, f"  signing certificate issued on {r.at_utc[:10]} (by {r.user})") for r in certs]
    lines += [line for _, line in sorted(events)[-REVIEW_LIST_LIMIT:]]
    if len(signed) > REVIEW_LIST_LIMIT:
        lines.append(
            f"  {len(signed) - REVIEW_LIST_LIMIT} older worksheets signed in your name: "
            f"`resistdesk audit log --filter-user {username}`"
        )
    for r in signed[-REVIEW_LIST_LIMIT:]:
        lines.append(f"  worksheet {r.new_value} signed on {_when(r)} UTC ({r.reason})")
    if not signed:
        lines.append("  no worksheet was signed in your name")
    lines.append(
        "If you did not do all of this yourself, tell the study's quality lead and monitor now: "
        "someone may have used your account."
    )
    return "\n".join(lines)


def _when(row: m.AuditEvent) -> str:
    return row.at_utc[:16].replace("T", " ")


def reset_reason(row: m.AuditEvent) -> str:
    """The reason an administrator gave for a reset, from its audit row."""
    return row.reason.removeprefix(RESET_REASON)


def is_reset(row: m.AuditEvent, username: str) -> bool:
    """Is this audit row another person's reset of ``username``'s password (or a one-time
    password they set)?"""
    return row.field == "must_change_password" and row.new_value == "true" and row.user != username


def is_certified(row: m.AuditEvent) -> bool:
    """Is this audit row the site CA issuing the account a certificate?"""
    from core.store.site_keys import CERTIFIED_REASON

    return row.field == "certificate_pem" and row.reason == CERTIFIED_REASON
