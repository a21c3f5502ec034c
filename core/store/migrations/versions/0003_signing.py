"""Signing keys per user; worksheets keep their PDF and who prepared them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("user_account", sa.Column("certificate_pem", sa.String(), nullable=True))
    op.add_column("user_account", sa.Column("private_key_pem", sa.String(), nullable=True))
    # A draft may be prepared from the command line without an account (recorded by OS user name).
    with op.batch_alter_table("worksheet") as batch:
        batch.alter_column("prepared_by", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("prepared_by_label", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("ResistDesk databases are never downgraded; restore a backup instead")
