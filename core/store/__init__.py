"""The study database: SQLModel tables, Alembic migrations, the audited store API,
backups and imports. Pure Python; no Qt.

Names are loaded on first use (PEP 562), so light modules such as
``core.store.users`` can be imported without pulling in SQLAlchemy, and the
command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Actor": "core.store.base",
    "ImportReport": "core.store.store",
    "RejectedRow": "core.store.store",
    "Store": "core.store.store",
    "Role": "core.store.users",
    "AuthError": "core.store.errors",
    "Cancelled": "core.store.errors",
    "NotFoundError": "core.store.errors",
    "SchemaError": "core.store.errors",
    "StoreBusyError": "core.store.errors",
    "StoreError": "core.store.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'core.store' has no attribute {name!r}")
