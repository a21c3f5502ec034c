"""Rules v2: the course's dosing interval; categories last shown or signed, per subject.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

``category_record`` is seeded from the worksheets: for each subject, the
category of its latest signed worksheet (else its latest draft) under rule
set version 1, as of the worksheet's date. Version 1 never stored the
categories it only showed on screen, so a subject without a worksheet has no
record until it is first shown under version 2.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("course", sa.Column("dosing_interval_days", sa.Integer(), nullable=True))
    record = op.create_table(
        "category_record",
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subject.id"), primary_key=True),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("ruleset_version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("changed_from", sa.String(), nullable=True),
        sa.Column("changed_from_version", sa.Integer(), nullable=True),
        sa.Column("changed_to", sa.String(), nullable=True),
    )
    worksheet = sa.table(
        "worksheet",
        sa.column("id", sa.Integer()),
        sa.column("subject_id", sa.Integer()),
        sa.column("as_of", sa.Date()),
        sa.column("category", sa.String()),
        sa.column("status", sa.String()),
    )
    rows = op.get_bind().execute(
        sa.select(
            worksheet.c.subject_id, worksheet.c.as_of, worksheet.c.category, worksheet.c.status
        ).order_by(worksheet.c.subject_id, worksheet.c.id)
    )
    latest: dict[int, tuple[int, object, str, str]] = {}
    for subject_id, as_of, category, status in rows:
        signed = 1 if status == "signed" else 0
        # A later signed worksheet wins; a draft never replaces a signed one.
        if subject_id not in latest or signed >= latest[subject_id][0]:
            latest[subject_id] = (signed, as_of, category, "signed" if signed else "prepared")
    if latest:
        op.bulk_insert(
            record,
            [
                {
                    "subject_id": sid,
                    "category": category,
                    "ruleset_version": 1,
                    "as_of": as_of,
                    "source": source,
                }
                for sid, (_, as_of, category, source) in sorted(latest.items())
            ],
        )


def downgrade() -> None:
    raise NotImplementedError("ResistDesk databases are never downgraded; restore a backup instead")
