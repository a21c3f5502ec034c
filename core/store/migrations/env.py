"""Alembic environment: runs on the connection ResistDesk hands over.

The caller (``core.store.migrate``) opens the connection with the driver's
implicit transactions disabled and begins the transaction itself, so every
migration of one upgrade runs in a single transaction: a failure rolls back
all of it, DDL included.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("ResistDesk migrations run through core.store.migrate(), not the alembic CLI")

context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
