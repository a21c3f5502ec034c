"""Evidence attachments, the PAdES signature (pyHanko), and verification.

Verification answers a monitor's questions with the PDF and the site
certificate alone: who signed and when; is the document intact and does
the signature cover all of it; does the signer's certificate chain to the
site authority; is the attached case the one the signed document was
computed from; and does re-classifying it with the recorded rule set still
give the printed result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core.casefile import parse_case
from core.errors import ResistDeskError
from core.rules import classify, ruleset_from_json
from core.worksheet.document import canonical_case_json

CASE_ATTACHMENT = "case.json"
RESULT_ATTACHMENT = "classification.json"
SIGNATURE_FIELD = "InvestigatorSignature"


class WorksheetError(ResistDeskError):
    """A worksheet could not be signed or read."""


def _cert(pem: str) -> asn1_x509.Certificate:
    _, _, der = asn1_pem.unarmor(pem.encode())
    return asn1_x509.Certificate.load(der)


def attach_evidence(pdf: bytes, case: dict[str, Any], result_json: dict[str, Any]) -> bytes:
    """Embed the case file and the classification as PDF attachments."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for name, data, description in (
        (
            CASE_ATTACHMENT,
            canonical_case_json(case),
            "The resistdesk-case/1 file the result was computed from",
        ),
        (
            RESULT_ATTACHMENT,
            json.dumps(result_json, sort_keys=True, ensure_ascii=False).encode(),
            "The classification",
        ),
    ):
        obj = embed.EmbeddedFileObject.from_file_data(writer, data=data, mime_type="application/json")
        embed.embed_file(
            writer,
            embed.FileSpec(file_spec_string=name, file_name=name, embedded_data=obj, description=description),
        )
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def sign_pdf(
    pdf: bytes,
    *,
    certificate_pem: str,
    private_key: ec.EllipticCurvePrivateKey,
    ca_certificate_pem: str,
    printed_name: str,
    meaning: str,
    location: str = "",
) -> bytes:
    """A PAdES (B-B) signature over the whole document, made with the user's key."""
    key_info = asn1_keys.PrivateKeyInfo.load(
        private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=_cert(certificate_pem),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([_cert(ca_certificate_pem)]),  # type: ignore[no-untyped-call]
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        reason=meaning,
        name=printed_name,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    try:
        out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer)
    except SigningError as exc:
        raise WorksheetError(f"the PDF could not be signed: {exc}") from exc
    return bytes(out.getvalue())


# ---------------------------------------------------------------------------
# Verification


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerificationReport:
    checks: list[Check] = field(default_factory=list)
    signer: str | None = None
    signer_user_id: str | None = None
    signing_time: dt.datetime | None = None
    document_id: str | None = None
    category: str | None = None
    rule: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def describe(self) -> str:
        lines = []
        if self.signer:
            when = f" on {self.signing_time:%Y-%m-%d %H:%M:%S %Z}" if self.signing_time else ""
            lines.append(f"Signed by {self.signer} ({self.signer_user_id}){when}")
        if self.category:
            lines.append(f"Printed result: {self.category}" + (f" ({self.rule})" if self.rule else ""))
        lines += [f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in self.checks]
        lines.append("VERIFIED: everything holds" if self.ok else "NOT VERIFIED: see the failed checks above")
        return "\n".join(lines)


def _attachments(reader: PdfFileReader) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return out
    for k in range(0, len(names), 2):
        spec = names[k + 1].get_object()
        out[str(names[k])] = spec["/EF"]["/F"].get_object().data
    return out


def _essence(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("category", "provisional_category", "rule", "progression_date", "confirmation", "reason")
    out = {k: result.get(k) for k in keys}
    out["caveats"] = sorted(c["code"] for c in result.get("caveats", []))
    return out


def verify_pdf(pdf: bytes, trust_pem: str) -> VerificationReport:
    """Check a worksheet PDF against the site certificate (``trust_pem``)."""
    report = VerificationReport()
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # the report says it; no tracebacks on stderr
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_signatures
    except Exception as exc:
        report.add("PDF", False, f"not a readable PDF ({exc})")
        return report
    if not signatures:
        report.add("signature", False, "the document is not signed (a draft)")
    else:
        sig = signatures[-1]
        cert = sig.signer_cert
        report.signer = cert.subject.native.get("common_name")
        report.signer_user_id = cert.subject.native.get("user_id")
        try:
            trust = _cert(trust_pem)
        except Exception:
            report.add("site certificate", False, "the trusted certificate is not a PEM certificate")
            return report
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=[trust]))
        report.signing_time = status.signer_reported_dt
        report.add(
            "integrity",
            bool(status.intact and status.valid),
            "the signed bytes are unchanged"
            if status.intact and status.valid
            else "the document was altered after signing (the digest does not match)",
        )
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        report.add(
            "coverage",
            whole,
            "the signature covers the whole file"
            if whole
            else "content was added after the signature (an incremental update)",
        )
        report.add(
            "certificate",
            bool(status.trusted),
            "the signer's certificate chains to the site authority"
            if status.trusted
            else "the signer's certificate does not chain to the given site certificate",
        )
    files = _attachments(reader)
    case_bytes, result_bytes = files.get(CASE_ATTACHMENT), files.get(RESULT_ATTACHMENT)
    if case_bytes is None or result_bytes is None:
        report.add("evidence", False, "the case file or the classification is not attached")
        return report
    # TrailerDictionary has no .get(); hence the explicit test.
    info = reader.trailer["/Info"] if "/Info" in reader.trailer else {}  # noqa: SIM401
    recorded_hash = str(info.get("/Subject", "")).removeprefix("case-sha256:")
    report.document_id = str(info.get("/Keywords", "")).removeprefix("document-id:") or None
    actual = hashlib.sha256(case_bytes).hexdigest()
    report.add(
        "evidence",
        actual == recorded_hash,
        f"the attached case matches the hash printed on every page ({actual[:16]}…)"
        if actual == recorded_hash
        else "the attached case does not match the hash printed on the worksheet",
    )
    try:
        recorded = json.loads(result_bytes)
        case = json.loads(case_bytes)
        ruleset = ruleset_from_json(recorded["ruleset"])
        again = classify(parse_case(case), dt.date.fromisoformat(recorded["as_of"]), ruleset).to_json()
    except (ResistDeskError, KeyError, ValueError) as exc:
        report.add("re-classification", False, f"the attached case could not be re-classified ({exc})")
        return report
    report.category, report.rule = recorded.get("category"), recorded.get("rule")
    same = _essence(again) == _essence(recorded)
    report.add(
        "re-classification",
        same,
        f"re-classifying the attached case as of {recorded['as_of']} with rule set "
        f"{ruleset.name} v{ruleset.version} gives the printed result"
        if same
        else f"re-classifying gives {again['category']}, not the printed {recorded.get('category')}",
    )
    return report
