"""Worksheets in the study database: prepare a draft, sign it, list them.

Preparing records what the worksheet was computed from (the case's
SHA-256, the category, the rule). Signing is refused to anyone but an
investigator, with a wrong password, or when the subject's data changed
since preparation (the coordinator re-prepares). Every step is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from core.casefile import parse_case
from core.errors import InputError
from core.rules import classify
from core.store import models as m
from core.store.casemap import case_from_rows
from core.store.errors import AuthError, NotFoundError
from core.store.permissions import require
from core.store.site_keys import give_user_a_key, site_certificate_pem
from core.store.users import Role, verify_password
from core.worksheet.document import (
    DEFAULT_MEANING,
    SignatureBlock,
    StudyInfo,
    WorksheetContent,
    case_sha256,
    render_worksheet,
)
from core.worksheet.pdfsign import attach_evidence, sign_pdf
from core.worksheet.pki import decrypt_key

if TYPE_CHECKING:
    from core.store.store import Actor, Store


@dataclass(frozen=True, slots=True)
class WorksheetRow:
    worksheet_id: int
    document_id: str
    subject_id: str
    prepared_at: dt.datetime
    prepared_by: str
    as_of: dt.date
    category: str
    rule: str | None
    status: str  # draft, signed
    signed_by: str | None
    signed_at: dt.datetime | None
    superseded: bool  # the subject's data, or study settings it states, changed after this worksheet


# ---------------------------------------------------------------------------
# Prepare and sign


def _content(
    store: Store,
    subject_pk: int,
    as_of: dt.date,
    document_id: str,
    prepared_by: str,
    generated_at: dt.datetime,
    signature: SignatureBlock | None = None,
) -> WorksheetContent:
    rows = store.subject_rows(subject_pk)
    study = store.study(rows.subject.study_id)
    case = case_from_rows(rows, study.criteria)
    result = classify(parse_case(case), as_of, store.rules(study))
    info = StudyInfo(
        protocol_id=study.protocol_id,
        title=study.title,
        site=study.site,
        sponsor=study.sponsor,
        enrolled_categories=tuple(json.loads(study.enrolled_categories)),
        enrolled_regimens=tuple(json.loads(study.enrolled_regimens)),
        paper_size=study.paper_size,
        is_demo=study.is_demo,
    )
    return WorksheetContent(info, case, result, document_id, generated_at, prepared_by, signature)


def _pdf(content: WorksheetContent) -> bytes:
    return attach_evidence(render_worksheet(content), content.case, content.result.to_json())


def prepare_worksheet(
    store: Store, actor: Actor | None, subject_pk: int, as_of: dt.date, *, label: str = ""
) -> tuple[int, bytes]:
    """A draft worksheet (DRAFT on every page), recorded and audited: (worksheet id, PDF)."""
    from core.store.store import Actor as _Actor

    now = store.now()
    document_id = f"RD-{now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"
    who = actor.full_name or actor.username if actor else label
    content = _content(store, subject_pk, as_of, document_id, who, now)
    pdf = _pdf(content)
    acting = actor or _Actor(label or "os:unknown", Role.COORDINATOR)
    with store.writing(acting, "worksheet.prepare") as tx:
        row = tx.insert(
            m.Worksheet(
                subject_id=subject_pk,
                document_id=document_id,
                prepared_by=actor.user_id if actor else None,
                prepared_by_label="" if actor else label,
                prepared_at=now,
                as_of=as_of,
                case_sha256=content.case_sha256,
                category=content.result.category.value,
                rule=content.result.rule.value if content.result.rule else None,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                status="draft",
                pdf=pdf,
            ),
            reason="worksheet prepared",
        )
        assert row.id is not None
        return row.id, pdf


def sign_worksheet(
    store: Store, actor: Actor, worksheet_id: int, password: str, meaning: str = DEFAULT_MEANING
) -> bytes:
    """Sign a prepared worksheet: an investigator, re-entering the password, on unchanged data."""
    require(actor.role, "worksheet.sign")
    if not meaning.strip():
        raise InputError("meaning", "state what the signature means")
    now = store.now()
    with store.reading() as s:
        ws = s.get(m.Worksheet, worksheet_id)
        user = s.exec(select(m.UserAccount).where(m.UserAccount.username == actor.username)).first()
    if ws is None:
        raise NotFoundError(f"no worksheet {worksheet_id}")
    if user is None or not user.active:
        raise AuthError("this account cannot sign")
    if ws.status == "signed":
        raise InputError("worksheet", f"worksheet {ws.document_id} is already signed; prepare a new one")
    if not verify_password(password, user.password_hash):
        store.log_event(
            actor, "sign_failed", entity="worksheet", entity_id=worksheet_id, reason="wrong password"
        )
        raise AuthError("wrong password: the worksheet was not signed")
    if case_sha256(store.case(ws.subject_id)) != ws.case_sha256:
        raise InputError(
            "worksheet",
            "the subject's data changed since this worksheet was prepared; prepare it again before signing",
        )
    why = settings_superseded(store, ws, store.study(store.subject_rows(ws.subject_id).subject.study_id))
    if why is not None:
        raise InputError("worksheet", f"{why}; prepare it again before signing")
    if user.private_key_pem is None or user.certificate_pem is None:
        with store.writing(actor, "worksheet.sign") as tx:
            fresh = tx.session.get(m.UserAccount, user.id)
            assert fresh is not None
            give_user_a_key(tx, fresh, password, now)
        with store.reading() as s:
            user = s.get(m.UserAccount, user.id)
        assert user is not None
        assert user.private_key_pem is not None
        assert user.certificate_pem is not None
    key = decrypt_key(user.private_key_pem, password)
    block = SignatureBlock(user.full_name, user.username, user.role, meaning.strip(), now)
    content = _content(
        store,
        ws.subject_id,
        ws.as_of,
        ws.document_id,
        ws.prepared_by_label or _name(store, ws.prepared_by),
        ws.prepared_at,
        block,
    )
    study = store.study(store.subject_rows(ws.subject_id).subject.study_id)
    pdf = sign_pdf(
        _pdf(content),
        certificate_pem=user.certificate_pem,
        private_key=key,
        ca_certificate_pem=site_certificate_pem(store),
        printed_name=user.full_name,
        meaning=meaning.strip(),
        location=study.site,
    )
    with store.writing(actor, "worksheet.sign") as tx:
        row = tx.session.get(m.Worksheet, worksheet_id)
        assert row is not None
        tx.update(
            row,
            {"status": "signed", "pdf": pdf, "pdf_sha256": hashlib.sha256(pdf).hexdigest()},
            reason="signed by the investigator",
        )
        tx.insert(
            m.Signature(
                worksheet_id=worksheet_id,
                user_id=user.id or 0,
                printed_name=user.full_name,
                role=user.role,
                meaning=meaning.strip(),
                signed_at=now,
            ),
            reason="electronic signature",
        )
        tx.log("sign", entity="worksheet", entity_id=worksheet_id, new=ws.document_id, reason=meaning.strip())
    return pdf


SETTINGS_THAT_MATTER = ("protocol_id", "enrolled_categories", "rule_overrides", "criteria")
"""Study settings a worksheet's classification or eligibility statement is made from."""


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def settings_superseded(store: Store, ws: m.Worksheet, study: m.Study) -> str | None:
    """Why the study settings changed since ``ws`` was prepared make it out of date, or None.

    A change of the enrolled categories or of the protocol id alters the eligibility
    statement; a change of the rule parameters or the criteria supersedes only when it
    changes the classification the worksheet states.
    """
    with store.reading() as s:
        events = list(
            s.exec(
                select(m.AuditEvent).where(
                    m.AuditEvent.entity == "study",
                    m.AuditEvent.entity_id == study.id,
                    m.AuditEvent.action == "update",
                    col(m.AuditEvent.field).in_(SETTINGS_THAT_MATTER),
                )
            )
        )
    prepared = _naive_utc(ws.prepared_at)
    later = [e for e in events if _naive_utc(dt.datetime.fromisoformat(e.at_utc)) > prepared]
    if not later:
        return None
    fields = {e.field for e in later}
    if "enrolled_categories" in fields or "protocol_id" in fields:
        return "the categories the protocol enrolls changed since it was prepared"
    case = store.case(ws.subject_id)
    result = classify(parse_case(case), ws.as_of, store.ruleset(study))
    if (result.category.value, result.rule.value if result.rule else None) != (ws.category, ws.rule):
        return "the study's rule settings changed its classification since it was prepared"
    return None


def _name(store: Store, user_id: int | None) -> str:
    if user_id is None:
        return ""
    with store.reading() as s:
        user = s.get(m.UserAccount, user_id)
    return user.full_name if user else ""


def worksheets(
    store: Store, subject_pk: int | None = None, study_id: int | None = None
) -> list[WorksheetRow]:
    """Every worksheet (of a subject, or of a study), newest first, marking the superseded ones."""
    with store.reading() as s:
        q = select(m.Worksheet, m.Subject).where(m.Worksheet.subject_id == m.Subject.id)
        if subject_pk is not None:
            q = q.where(m.Worksheet.subject_id == subject_pk)
        if study_id is not None:
            q = q.where(m.Subject.study_id == study_id)
        pairs = list(s.exec(q.order_by(col(m.Worksheet.prepared_at).desc())))
        signatures = {sig.worksheet_id: sig for sig in s.exec(select(m.Signature))}
        users = {u.id: u.full_name for u in s.exec(select(m.UserAccount))}
    current: dict[int, str] = {}
    studies: dict[int, m.Study] = {}
    out = []
    for ws, subject in pairs:
        if ws.subject_id not in current:
            current[ws.subject_id] = case_sha256(store.case(ws.subject_id))
        if subject.study_id not in studies:
            studies[subject.study_id] = store.study(subject.study_id)
        superseded = current[ws.subject_id] != ws.case_sha256 or (
            ws.status == "draft" and settings_superseded(store, ws, studies[subject.study_id]) is not None
        )
        sig = signatures.get(ws.id or 0)
        out.append(
            WorksheetRow(
                worksheet_id=ws.id or 0,
                document_id=ws.document_id,
                subject_id=subject.subject_code,
                prepared_at=ws.prepared_at,
                prepared_by=ws.prepared_by_label or users.get(ws.prepared_by, ""),
                as_of=ws.as_of,
                category=ws.category,
                rule=ws.rule,
                status=ws.status,
                signed_by=sig.printed_name if sig else None,
                signed_at=sig.signed_at if sig else None,
                superseded=superseded,
            )
        )
    return out


def worksheet_pdf(store: Store, worksheet_id: int) -> bytes:
    with store.reading() as s:
        ws = s.get(m.Worksheet, worksheet_id)
    if ws is None or ws.pdf is None:
        raise NotFoundError(f"no worksheet {worksheet_id}")
    return ws.pdf
