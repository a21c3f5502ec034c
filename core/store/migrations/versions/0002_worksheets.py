"""Worksheets and signatures; paper size per study.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("study", sa.Column("paper_size", sa.String(), nullable=False, server_default="A4"))

    op.create_table(
        "worksheet",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subject.id"), nullable=False),
        sa.Column("document_id", sa.String(), nullable=False),
        sa.Column("prepared_by", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("prepared_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("case_sha256", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=True),
        sa.Column("pdf_sha256", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
    )
    op.create_index("ix_worksheet_subject_id", "worksheet", ["subject_id"])
    op.create_index("ix_worksheet_document_id", "worksheet", ["document_id"], unique=True)

    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("worksheet_id", sa.Integer(), sa.ForeignKey("worksheet.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("printed_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("meaning", sa.String(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_signature_worksheet_id", "signature", ["worksheet_id"])


def downgrade() -> None:
    raise NotImplementedError("ResistDesk databases are never downgraded; restore a backup instead")
