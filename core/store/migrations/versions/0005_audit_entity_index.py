"""An index of the audit trail by entity: the replay in ``audit verify`` streams each
table's events in row order, and the audit log's subject filter looks them up.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_entity", "audit_event", ["entity", "entity_id", "id"])


def downgrade() -> None:
    raise NotImplementedError("ResistDesk databases are never downgraded; restore a backup instead")
