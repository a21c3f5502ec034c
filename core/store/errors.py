"""Errors of the study database (all rooted in ``ResistDeskError``).

ResistDeskError
├── InputError              bad input, names the field (core.errors)
└── StoreError              the database cannot do what was asked
    ├── StoreBusyError      another program holds the write lock too long
    ├── SchemaError         newer, unknown or corrupt schema; failed migration
    ├── NotFoundError       no such study, subject, assessment or user
    └── AuthError           wrong password, locked or inactive account, no permission
"""

from __future__ import annotations

from core.errors import ResistDeskError


class StoreError(ResistDeskError):
    """The database cannot do what was asked."""


class StoreBusyError(StoreError):
    """The database stayed locked by another program for longer than the busy timeout."""


class SchemaError(StoreError):
    """The database schema is newer than this program, unknown, corrupt, or failed to migrate."""


class NotFoundError(StoreError):
    """No such record."""


class AuthError(StoreError):
    """Authentication or permission failure."""


class Cancelled(StoreError):
    """The user cancelled a long operation; nothing was changed."""


class PasswordChangeRequired(AuthError):
    """The password was right, but it was set by an administrator: the user must choose a new one."""
