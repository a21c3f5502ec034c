"""Worksheets in the study database: prepare a draft, sign it, list them.

Preparing records what the worksheet was computed from (the case's
SHA-256, the study settings' SHA-256, the category, the rule), and needs a
signed-in user. Signing is refused to anyone but an active investigator
holding a current certificate that names them, with a wrong password (which
counts towards the lockout), on a locked account, or when the subject's data
or the study settings changed since preparation (the draft is superseded;
the coordinator prepares it again). Every step is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from core.casefile import parse_stored_case
from core.errors import InputError
from core.rules import classify
from core.store import models as m
from core.store.casemap import case_from_rows
from core.store.categories import record_category
from core.store.errors import AuthError, NotFoundError
from core.store.permissions import require
from core.store.users import Role
from core.worksheet.document import (
    DEFAULT_MEANING,
    SignatureBlock,
    StudyInfo,
    WorksheetContent,
    case_sha256,
    render_worksheet,
)

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
    superseded: bool  # the subject's data or the study settings changed after this worksheet


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
    result = classify(parse_stored_case(case), as_of, store.rules(study))
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


def settings_sha256(study: m.Study) -> str:
    """The study settings a worksheet depends on (its statement, rules, paper), hashed."""
    from core.rules import DEFAULT_RULESET

    values = {
        k: getattr(study, k)
        for k in ("protocol_id", "title", "sponsor", "site", "criteria", "rule_overrides",
                  "enrolled_categories", "paper_size", "is_demo")
    }  # fmt: skip
    values["ruleset"] = [DEFAULT_RULESET.name, DEFAULT_RULESET.version]
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _pdf(content: WorksheetContent) -> bytes:
    from core.worksheet.pdfsign import attach_evidence

    return attach_evidence(render_worksheet(content), content.case, content.result.to_json())


def prepare_worksheet(
    store: Store, actor: Actor | None, subject_pk: int, as_of: dt.date, *, label: str = ""
) -> tuple[int, bytes]:
    """A draft worksheet (DRAFT on every page), recorded and audited: (worksheet id, PDF).

    Needs a signed-in user; ``label`` (an operating-system user name) is recorded beside it."""
    if actor is None:
        raise AuthError("sign in to prepare a worksheet: a draft needs a signed-in user")
    now = store.now()
    document_id = f"RD-{now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"
    who = actor.full_name or actor.username
    content = _content(store, subject_pk, as_of, document_id, who, now)
    pdf = _pdf(content)
    study = store.study(store.subject_rows(subject_pk).subject.study_id)
    with store.writing(actor, "worksheet.prepare") as tx:
        row = tx.insert(
            m.Worksheet(
                subject_id=subject_pk,
                document_id=document_id,
                prepared_by=actor.user_id,
                prepared_by_label="" if actor.user_id else who,
                prepared_at=now,
                as_of=as_of,
                case_sha256=content.case_sha256,
                settings_sha256=settings_sha256(study),
                category=content.result.category.value,
                rule=content.result.rule.value if content.result.rule else None,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                status="draft",
                pdf=pdf,
            ),
            reason="worksheet prepared",
        )
        record_category(tx, subject_pk, content.result.category.value, as_of, "prepared")
        assert row.id is not None
        return row.id, pdf


def sign_worksheet(
    store: Store,
    actor: Actor,
    worksheet_id: int,
    password: str,
    meaning: str = DEFAULT_MEANING,
    *,
    timestamper: Any = None,
) -> bytes:
    """Sign a prepared worksheet: an investigator, re-entering the password, on unchanged data.

    The account is re-read (role, active, lock, certificate), not taken from the session."""
    from core.store.passwords import check_password
    from core.store.site_keys import (
        certificate_matches,
        certificate_revoked,
        site_certificate_pem,
        site_crl_pem,
        tsa_url,
    )
    from core.worksheet.pdfsign import sign_pdf
    from core.worksheet.pki import is_sealed, open_user_key

    require(actor.role, "worksheet.sign")
    if not meaning.strip():
        raise InputError("meaning", "state what the signature means")
    with store.reading() as s:
        ws = s.get(m.Worksheet, worksheet_id)
    if ws is None:
        raise NotFoundError(f"no worksheet {worksheet_id}")
    if ws.status == "signed":
        raise InputError("worksheet", f"worksheet {ws.document_id} is already signed; prepare a new one")
    try:
        user = check_password(store, actor.username, password, purpose="sign")
    except AuthError as exc:
        raise AuthError(f"{exc}: the worksheet was not signed") from None
    if user.role != Role.INVESTIGATOR.value:
        raise AuthError("only an investigator can sign a worksheet; a coordinator prepares it")
    rows = store.subject_rows(ws.subject_id)
    study = store.study(rows.subject.study_id)
    if case_sha256(store.case(ws.subject_id)) != ws.case_sha256:
        raise InputError(
            "worksheet",
            "the subject's data changed since this worksheet was prepared; prepare it again before signing",
        )
    if settings_sha256(study) != ws.settings_sha256:
        raise InputError(
            "worksheet",
            "the study settings changed since this worksheet was prepared (its statement or rules may "
            "differ from what you reviewed); prepare it again before signing",
        )
    if not is_sealed(user.private_key_pem) or user.certificate_pem is None:
        raise AuthError(
            "you have no current signing certificate: the site CA's custodian certifies your key with "
            "the CA passphrase (after you chose your own password)"
        )
    if not certificate_matches(user, user.certificate_pem):
        raise AuthError(
            "your certificate does not match your account (name, user id, role or key changed): "
            "an administrator must issue a new one"
        )
    if certificate_revoked(store, user.certificate_pem) is not None:
        raise AuthError("your certificate was revoked: an administrator must issue a new one")
    assert user.private_key_pem is not None
    key = open_user_key(user.private_key_pem, password, user.username)
    now = store.now()
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
    # The audit trail's head as the investigator signs: recorded in the signed PDF, outside the
    # study file, so `audit verify --anchor WORKSHEET.pdf` can tell later if the history was rewritten.
    anchor = store.audit_anchor().to_json()
    if timestamper is None and tsa_url(store):
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(tsa_url(store))
    pdf = sign_signed_content(
        content,
        certificate_pem=user.certificate_pem,
        key=key,
        ca_certificate_pem=site_certificate_pem(store),
        crl_pem=site_crl_pem(store),
        location=study.site,
        timestamper=timestamper,
        sign=sign_pdf,
        audit_anchor=anchor,
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
        record_category(tx, ws.subject_id, ws.category, ws.as_of, "signed")
    return pdf


def sign_signed_content(
    content: WorksheetContent,
    *,
    certificate_pem: str,
    key: Any,
    ca_certificate_pem: str,
    crl_pem: str | None,
    location: str,
    timestamper: Any,
    sign: Any,
    audit_anchor: dict[str, Any] | None = None,
) -> bytes:
    """Render the signed copy (manifestation printed), attach the evidence, and sign it."""
    from core.worksheet.document import render_worksheet_placed
    from core.worksheet.pdfsign import attach_evidence

    sig = content.signature
    assert sig is not None
    rendered, place = render_worksheet_placed(content)
    manifest: dict[str, Any] = {
        "printed_name": sig.printed_name,
        "user_id": sig.user_id,
        "role": sig.role,
        "meaning": sig.meaning,
        "signed_at": sig.signed_at.isoformat(),
    }
    if audit_anchor is not None:
        manifest["audit_anchor"] = audit_anchor
    pdf = attach_evidence(rendered, content.case, content.result.to_json(), manifest)
    result: bytes = sign(
        pdf,
        certificate_pem=certificate_pem,
        private_key=key,
        ca_certificate_pem=ca_certificate_pem,
        crl_pem=crl_pem,
        printed_name=sig.printed_name,
        meaning=sig.meaning,
        location=location,
        place=place,
        timestamper=timestamper,
    )
    return result


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
    settings = {study.id: settings_sha256(study) for study in store.studies()}
    out = []
    for ws, subject in pairs:
        if ws.subject_id not in current:
            current[ws.subject_id] = case_sha256(store.case(ws.subject_id))
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
                superseded=current[ws.subject_id] != ws.case_sha256
                or settings.get(subject.study_id) != ws.settings_sha256,
            )
        )
    return out


def worksheet_pdf(store: Store, worksheet_id: int) -> bytes:
    with store.reading() as s:
        ws = s.get(m.Worksheet, worksheet_id)
    if ws is None or ws.pdf is None:
        raise NotFoundError(f"no worksheet {worksheet_id}")
    return ws.pdf


def review(store: Store, worksheet_id: int) -> tuple[bytes, bool, str]:
    """What the investigator reads before signing: the draft PDF and its eligibility statement."""
    from core.worksheet.document import eligibility_statement

    with store.reading() as s:
        ws = s.get(m.Worksheet, worksheet_id)
    if ws is None or ws.pdf is None:
        raise NotFoundError(f"no worksheet {worksheet_id}")
    content = _content(store, ws.subject_id, ws.as_of, ws.document_id, "", ws.prepared_at)
    eligible, statement = eligibility_statement(content.study, content.result)
    return ws.pdf, eligible, statement
