"""PD-(L)1 + chemotherapy (SITC-2023-ICI-chemo): the rapid-progression flag of a visit,
the study's overrides of the second rule set, and the regimens the protocol enrolls.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "assessment",
        sa.Column("rapid_progression", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("study", sa.Column("ici_chemo_overrides", sa.String(), nullable=False, server_default="{}"))
    op.add_column("study", sa.Column("enrolled_regimens", sa.String(), nullable=False, server_default="[]"))


def downgrade() -> None:
    raise NotImplementedError("ResistDesk databases are never downgraded; restore a backup instead")
