"""Who may do what: ONE table naming, for every action of the store, the roles allowed.

The store checks it for the GUI and the command line alike (the GUI only
hides what the table would refuse). Reads of study data need a signed-in
user of any role; the audit trail is readable by every role, because
inspectors and monitors work through it.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.store.errors import AuthError
from core.store.users import Role

ADMIN, COORD, INV = Role.ADMINISTRATOR, Role.COORDINATOR, Role.INVESTIGATOR
EVERYONE = frozenset(Role)
DATA_ENTRY = frozenset({COORD, INV, ADMIN})

# action -> (roles allowed, what the action is, as a refusal names it)
PERMISSIONS: Mapping[str, tuple[frozenset[Role], str]] = {
    # accounts
    "user.create": (frozenset({ADMIN}), "create accounts"),
    "user.set_role": (frozenset({ADMIN}), "change roles"),
    "user.set_active": (frozenset({ADMIN}), "disable or enable accounts"),
    "user.change_password": (EVERYONE, "change their own password"),
    "user.reset_password": (frozenset({ADMIN}), "reset passwords"),
    "user.unlock": (frozenset({ADMIN}), "unlock accounts"),
    # the site certificate authority: its custodian, never an administrator (also needs the
    # CA passphrase), so that whoever resets passwords cannot also certify keys
    "ca.manage": (frozenset({COORD, INV}), "run the site certificate authority"),
    "site.tsa": (frozenset({ADMIN}), "set the time-stamping service"),
    "user.list": (EVERYONE, "list accounts"),
    # studies and their rule parameters
    "study.create": (frozenset({ADMIN}), "add studies"),
    "study.update": (frozenset({ADMIN}), "change study settings and rule parameters"),
    # study data
    "study.read": (EVERYONE, "read study data"),
    "study.export": (EVERYONE, "export study data"),
    "subject.add": (DATA_ENTRY, "add subjects"),
    "subject.import": (DATA_ENTRY, "import subjects"),
    "subject.update": (DATA_ENTRY, "change subjects"),
    "subject.delete": (DATA_ENTRY, "delete subjects"),
    "baseline.set": (DATA_ENTRY, "set baselines"),
    "visit.add": (DATA_ENTRY, "add visits"),
    "visit.update": (DATA_ENTRY, "change visits"),
    "visit.delete": (DATA_ENTRY, "delete visits"),
    # worksheets
    "worksheet.prepare": (DATA_ENTRY, "prepare worksheets"),
    "worksheet.sign": (frozenset({INV}), "sign worksheets"),
    # audit trail and the file
    "audit.read": (EVERYONE, "read the audit trail"),
    "audit.verify": (EVERYONE, "verify the audit trail"),
    "audit.note": (EVERYONE, "record exports, prints and verifications"),
    "backup.create": (EVERYONE, "make backups"),
    "backup.restore": (frozenset({ADMIN}), "restore backups"),
}


def allowed(role: Role, action: str) -> bool:
    try:
        roles, _ = PERMISSIONS[action]
    except KeyError:
        raise KeyError(f"no permission entry for store action {action!r}") from None
    return role in roles


def require(role: Role, action: str) -> None:
    """Raise ``AuthError`` naming the action and the roles allowed, unless ``role`` may do it."""
    if allowed(role, action):
        return
    roles, what = PERMISSIONS[action]
    names = " or ".join(sorted(r.value for r in roles))
    raise AuthError(f"only {'an' if names[0] in 'aeiou' else 'a'} {names} can {what} (you are {role.value})")
