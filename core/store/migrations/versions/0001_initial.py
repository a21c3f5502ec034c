"""Initial schema: study, subjects, courses, assessments, lesions, users, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "study",
        _id(),
        sa.Column("protocol_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("sponsor", sa.String(), nullable=False),
        sa.Column("site", sa.String(), nullable=False),
        sa.Column("criteria", sa.String(), nullable=False),
        sa.Column("rule_overrides", sa.String(), nullable=False),
        sa.Column("enrolled_categories", sa.String(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_study_protocol_id", "study", ["protocol_id"], unique=True)

    op.create_table(
        "subject",
        _id(),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("study.id"), nullable=False),
        sa.Column("subject_code", sa.String(), nullable=False),
        sa.Column("tumor_type", sa.String(), nullable=False),
        sa.Column("indolent", sa.Boolean(), nullable=False),
        sa.Column("setting", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.UniqueConstraint("study_id", "subject_code", name="uq_subject_study_code"),
    )
    op.create_index("ix_subject_study_id", "subject", ["study_id"])
    op.create_index("ix_subject_subject_code", "subject", ["subject_code"])

    op.create_table(
        "course",
        _id(),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subject.id"), nullable=False),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("regimen", sa.String(), nullable=False),
        sa.Column("first_dose", sa.Date(), nullable=False),
        sa.Column("last_dose", sa.Date(), nullable=True),
        sa.Column("discontinuation_reason", sa.String(), nullable=True),
        sa.Column("intercurrent_therapy", sa.Boolean(), nullable=False),
        sa.Column("surgery_date", sa.Date(), nullable=True),
        sa.Column("major_pathological_response", sa.Boolean(), nullable=True),
        sa.Column("adjuvant_after_neoadjuvant", sa.Boolean(), nullable=False),
        sa.Column("baseline_date", sa.Date(), nullable=True),
    )
    op.create_index("ix_course_subject_id", "course", ["subject_id"], unique=True)

    op.create_table(
        "assessment",
        _id(),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subject.id"), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("modality", sa.String(), nullable=False),
        sa.Column("response", sa.String(), nullable=True),
        sa.Column("ecog", sa.Integer(), nullable=True),
        sa.Column("clinical_progression", sa.Boolean(), nullable=False),
        sa.Column("symptomatic", sa.Boolean(), nullable=False),
        sa.Column("nodal_only", sa.Boolean(), nullable=False),
        sa.Column("multiple_metastases", sa.Boolean(), nullable=False),
        sa.Column("progressing_sites", sa.Integer(), nullable=True),
        sa.Column("biopsy_confirms_progression", sa.Boolean(), nullable=True),
        sa.Column("new_lesions", sa.String(), nullable=True),
        sa.Column("notes", sa.String(), nullable=False),
    )
    op.create_index("ix_assessment_subject_id", "assessment", ["subject_id"])

    op.create_table(
        "baseline_lesion",
        _id(),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subject.id"), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("organ", sa.String(), nullable=False),
        sa.Column("nodal", sa.Boolean(), nullable=False),
        sa.Column("mm", sa.String(), nullable=True),
    )
    op.create_index("ix_baseline_lesion_subject_id", "baseline_lesion", ["subject_id"])

    op.create_table(
        "measurement",
        _id(),
        sa.Column("assessment_id", sa.Integer(), sa.ForeignKey("assessment.id"), nullable=False),
        sa.Column("lesion_code", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
    )
    op.create_index("ix_measurement_assessment_id", "measurement", ["assessment_id"])

    op.create_table(
        "new_lesion",
        _id(),
        sa.Column("assessment_id", sa.Integer(), sa.ForeignKey("assessment.id"), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("organ", sa.String(), nullable=False),
        sa.Column("mm", sa.String(), nullable=True),
        sa.Column("measurable", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_new_lesion_assessment_id", "new_lesion", ["assessment_id"])

    op.create_table(
        "user_account",
        _id(),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("full_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_user_account_username", "user_account", ["username"], unique=True)

    op.create_table(
        "audit_event",
        _id(),
        sa.Column("at_utc", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old_value", sa.String(), nullable=True),
        sa.Column("new_value", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
    )
    # The audit trail is append-only: the application can never change or remove a row.
    op.execute(
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    )

    op.create_table(
        "meta",
        sa.Column("key", sa.String(), primary_key=True, nullable=False),
        sa.Column("value", sa.String(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("ResistDesk databases are never downgraded; restore a backup instead")
