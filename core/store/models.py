"""SQLModel tables of the study database.

Schema changes happen only through the Alembic migrations in
``core/store/migrations``; a test checks that the migrated schema matches
these tables. Sizes in millimetres are stored as decimal text so that
exactly what the coordinator typed comes back (no binary floats).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

# Tables whose every insert, update and delete is audited, by entity name.
AUDITED = (
    "study",
    "subject",
    "course",
    "assessment",
    "baseline_lesion",
    "measurement",
    "new_lesion",
    "user_account",
    "worksheet",
    "signature",
    "certificate",
)


class Study(SQLModel, table=True):
    __tablename__ = "study"

    id: int | None = Field(default=None, primary_key=True)
    protocol_id: str = Field(index=True, unique=True)
    title: str
    sponsor: str = ""
    site: str = ""
    criteria: str = "RECIST 1.1"  # or "iRECIST"
    rule_overrides: str = "{}"  # JSON object of SITC-2020 parameter overrides
    ici_chemo_overrides: str = "{}"  # JSON object of SITC-2023-ICI-chemo parameter overrides
    enrolled_regimens: str = (
        "[]"  # JSON list of regimens the protocol enrolls (monotherapy, ici_chemotherapy)
    )
    enrolled_categories: str = "[]"  # JSON list of categories the protocol enrolls
    paper_size: str = "A4"  # worksheet paper: A4 or Letter
    is_demo: bool = False


class Subject(SQLModel, table=True):
    __tablename__ = "subject"
    __table_args__ = (UniqueConstraint("study_id", "subject_code", name="uq_subject_study_code"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True)
    subject_code: str = Field(index=True)  # pseudonymous study subject id
    tumor_type: str
    indolent: bool = False
    setting: str  # advanced, adjuvant, neoadjuvant
    status: str = "active"  # active, off_study, screen_failed


class Course(SQLModel, table=True):
    """The PD-(L)1 treatment course of a subject (one per subject)."""

    __tablename__ = "course"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="subject.id", index=True, unique=True)
    agent: str | None = None
    regimen: str = "monotherapy"
    first_dose: dt.date
    last_dose: dt.date | None = None
    discontinuation_reason: str | None = None
    intercurrent_therapy: bool = False
    surgery_date: dt.date | None = None
    major_pathological_response: bool | None = None
    adjuvant_after_neoadjuvant: bool = False
    baseline_date: dt.date | None = None
    dosing_interval_days: int | None = None  # cycle length, 7-84 days (rules v2, C7)


class Assessment(SQLModel, table=True):
    __tablename__ = "assessment"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="subject.id", index=True)
    date: dt.date
    modality: str = "CT"  # CT, MRI, PET-CT, X-ray, physical examination, other
    response: str | None = None  # recorded overall response; None when only measured
    ecog: int | None = None
    clinical_progression: bool = False
    symptomatic: bool = False
    nodal_only: bool = False
    multiple_metastases: bool = False
    progressing_sites: int | None = None
    biopsy_confirms_progression: bool | None = None
    rapid_progression: bool = False  # rapidly progressing disease (SITC-2023-ICI-chemo)
    new_lesions: str | None = None  # none, equivocal, unequivocal (when measured)
    notes: str = ""


class BaselineLesion(SQLModel, table=True):
    __tablename__ = "baseline_lesion"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="subject.id", index=True)
    code: str  # T1, NT1, ...
    kind: str  # target, non_target
    organ: str = ""
    nodal: bool = False
    mm: str | None = None  # decimal text, targets only


class Measurement(SQLModel, table=True):
    """One baseline lesion at one assessment: a size (targets) or a status."""

    __tablename__ = "measurement"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    lesion_code: str
    value: str | None = None  # decimal mm, "TSTM", or None (not evaluated); non-targets: status


class NewLesion(SQLModel, table=True):
    __tablename__ = "new_lesion"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    code: str
    organ: str = ""
    mm: str | None = None
    measurable: bool = False


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True)
    full_name: str
    role: str  # coordinator, investigator, administrator
    password_hash: str
    failed_attempts: int = 0
    locked_until: dt.datetime | None = None
    active: bool = True
    certificate_pem: str | None = None  # the current certificate, issued by the site CA
    private_key_pem: str | None = None  # sealed under the user's own password (core.worksheet.pki)
    public_key_pem: str | None = None  # its public half, awaiting or holding a certificate
    must_change_password: bool = False  # set by an administrator: choose a new one at sign-in


class Worksheet(SQLModel, table=True):
    __tablename__ = "worksheet"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="subject.id", index=True)
    document_id: str = Field(index=True, unique=True)
    prepared_by: int | None = Field(default=None, foreign_key="user_account.id")
    prepared_by_label: str = ""
    prepared_at: dt.datetime
    as_of: dt.date
    case_sha256: str
    category: str
    rule: str | None = None
    pdf_sha256: str | None = None
    settings_sha256: str = ""  # the study settings the draft was prepared under
    status: str = "draft"  # draft, signed
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class CategoryRecord(SQLModel, table=True):
    """Per subject: the category last shown or signed, with the rule-set version it was made under.

    When a new rule-set version is first applied to a study, each subject's category is compared
    with this record (re-classified as of the recorded date); a difference is kept in
    ``changed_from``/``changed_from_version`` so the roster can mark it.
    """

    __tablename__ = "category_record"

    subject_id: int = Field(foreign_key="subject.id", primary_key=True)
    category: str
    ruleset_version: int
    as_of: dt.date  # the date the recorded category was computed for
    source: str = "shown"  # shown, prepared (draft worksheet), signed (signed worksheet)
    changed_from: str | None = None
    changed_from_version: int | None = None
    changed_to: str | None = None  # the category the new version gave, as of the recorded date


class Signature(SQLModel, table=True):
    __tablename__ = "signature"

    id: int | None = Field(default=None, primary_key=True)
    worksheet_id: int = Field(foreign_key="worksheet.id", index=True)
    user_id: int = Field(foreign_key="user_account.id")
    printed_name: str
    role: str
    meaning: str
    signed_at: dt.datetime


class Certificate(SQLModel, table=True):
    """Every certificate the site CA issued; a revoked one is on the CRL from then on."""

    __tablename__ = "certificate"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    serial: str = Field(index=True, unique=True)  # hexadecimal
    certificate_pem: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revocation_reason: str = ""


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained audit trail (triggers forbid UPDATE and DELETE)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at_utc: str  # ISO 8601 UTC with microseconds
    user: str  # username, or "system"
    action: str  # insert, update, delete, login, login_failed, export, sign, ...
    entity: str = ""
    entity_id: int | None = None
    field: str = ""
    old_value: str | None = None
    new_value: str | None = None
    reason: str = ""
    prev_hash: str
    hash: str


class Meta(SQLModel, table=True):
    """Key/value facts about the database (for example the audit chain head)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str
