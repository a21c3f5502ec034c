"""Evidence attachments, the PAdES signature (pyHanko), and verification.

Signatures are PAdES baseline B-LT: the signer's certificate, the site CA
certificate and the CA's latest CRL are embedded (the document security
store, written in the signed revision), so a worksheet verifies long after
its certificates expire. Where a
time-stamping service is configured the signature also carries an RFC 3161
timestamp (B-T and up); otherwise the signing time is the workstation's
clock, and the verification report says so.

Verification answers a monitor's questions with the PDF and the site
certificate (and, for current revocation status, the site's CRL or
database), reporting each item separately:

- integrity: the signed bytes are unchanged, and nothing but validation
  data was added after the signature;
- the signer's certificate chains to the site CA (at the signing time);
- the certificate was not revoked at the signing time;
- the signer held the investigator role (carried in the certificate);
- the printed name is the certificate's;
- the attached case is the one the worksheet was computed from, and it
  re-classifies to the printed result under the rules it was signed with;
- whether the classification differs under today's rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko import stamp
from pyhanko.pdf_utils import content as pdf_content
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core.casefile import parse_case
from core.errors import ResistDeskError
from core.presentation import role_label
from core.rules import CATEGORY_LABELS, Category, RuleSet, classify, ruleset_from_json
from core.worksheet.document import StampPlace, canonical_case_json

CASE_ATTACHMENT = "case.json"
RESULT_ATTACHMENT = "classification.json"
SIGNATURE_ATTACHMENT = "signature.json"
SIGNATURE_FIELD = "InvestigatorSignature"
SIGNER_ROLE = "investigator"
WORKSTATION_CLOCK = (
    "the signing time is the workstation's clock as the signer's computer reported it (no trusted timestamp)"
)


class WorksheetError(ResistDeskError):
    """A worksheet could not be signed or read."""


def _cert(pem: str) -> asn1_x509.Certificate:
    _, _, der = asn1_pem.unarmor(pem.encode())
    return asn1_x509.Certificate.load(der)


def _crl(pem: str) -> asn1_crl.CertificateList:
    _, _, der = asn1_pem.unarmor(pem.encode())
    return asn1_crl.CertificateList.load(der)


def attach_evidence(
    pdf: bytes,
    case: dict[str, Any],
    result_json: dict[str, Any],
    signature_json: dict[str, Any] | None = None,
) -> bytes:
    """Embed the case file, the classification and (signed copies) the signer's manifestation."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    files = [
        (CASE_ATTACHMENT, canonical_case_json(case),
         "The resistdesk-case/1 file the result was computed from"),
        (RESULT_ATTACHMENT, json.dumps(result_json, sort_keys=True, ensure_ascii=False).encode(),
         "The classification"),
    ]  # fmt: skip
    if signature_json is not None:
        files.append(
            (SIGNATURE_ATTACHMENT, json.dumps(signature_json, sort_keys=True, ensure_ascii=False).encode(),
             "The signature manifestation printed on the worksheet")
        )  # fmt: skip
    for name, data, description in files:
        obj = embed.EmbeddedFileObject.from_file_data(writer, data=data, mime_type="application/json")
        embed.embed_file(
            writer,
            embed.FileSpec(file_spec_string=name, file_name=name, embedded_data=obj, description=description),
        )
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


class _PdfBytesPage(pdf_content.ImportedPdfPage):
    """pyHanko's imported page, read from bytes instead of a file."""

    def __init__(self, data: bytes) -> None:
        super().__init__("", 0)  # type: ignore[no-untyped-call]
        self._data = data

    def render(self) -> bytes:
        import binascii
        import uuid

        from pyhanko.pdf_utils.layout import BoxConstraints

        xobj = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self._data)), page_ix=0)
        name = b"/Import" + binascii.hexlify(uuid.uuid4().bytes)
        self.resources.xobject[name.decode("ascii")] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name + b" Do"


def sign_pdf(
    pdf: bytes,
    *,
    certificate_pem: str,
    private_key: ec.EllipticCurvePrivateKey,
    ca_certificate_pem: str,
    crl_pem: str | None,
    printed_name: str,
    meaning: str,
    location: str = "",
    place: StampPlace | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """A PAdES B-LT signature (B-LTA with a timestamper) over the whole document."""
    key_info = asn1_keys.PrivateKeyInfo.load(
        private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ca = _cert(ca_certificate_pem)
    signer = signers.SimpleSigner(
        signing_cert=_cert(certificate_pem),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([ca]),  # type: ignore[no-untyped-call]
    )
    context = ValidationContext(
        trust_roots=[ca],
        crls=[_crl(crl_pem)] if crl_pem else [],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        reason=meaning,
        name=printed_name,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        # With a time-stamping service: pyHanko adds the validation data after the signature and
        # a document timestamp (B-LTA). Offline, the same data (both certificates and the CRL) goes
        # into the document security store of the signed revision itself: B-LT with nothing after
        # the signature, so a verifier needs no analysis of later updates.
        embed_validation_info=timestamper is not None,
        validation_context=context,
        use_pades_lta=timestamper is not None,
    )
    spec = None
    style: stamp.BaseStampStyle | None = None
    if place is not None:
        x1, y1, x2, y2 = (round(v) for v in place.box)
        spec = fields.SigFieldSpec(SIGNATURE_FIELD, on_page=place.page, box=(x1, y1, x2, y2))
        if place.appearance_pdf:
            style = stamp.StaticStampStyle(background=_PdfBytesPage(place.appearance_pdf), border_width=0)
        else:  # the page prints the signature (fonts embedded); the field frames it
            style = stamp.StaticStampStyle(background=None, border_width=1, border_color=(0.12, 0.52, 0.29))
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    try:
        pdf_signer = signers.PdfSigner(
            meta, signer=signer, timestamper=timestamper, stamp_style=style, new_field_spec=spec
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        if timestamper is None:
            DocumentSecurityStore.supply_dss_in_writer(
                writer, None, certs=[_cert(certificate_pem), ca], crls=[_crl(crl_pem)] if crl_pem else []
            )
        out = pdf_signer.sign_pdf(writer)
    except SigningError as exc:
        raise WorksheetError(f"the PDF could not be signed: {exc}") from exc
    return bytes(out.getvalue())


# ---------------------------------------------------------------------------
# Verification

EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_CLASSIFICATION_CHANGED = 0, 1, 3


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    technical: str = ""  # e.g. the CA's full distinguished name: in --json and the details only


@dataclass
class VerificationReport:
    checks: list[Check] = field(default_factory=list)
    signer: str | None = None
    signer_user_id: str | None = None
    signer_role: str | None = None
    signing_time: dt.datetime | None = None
    time_source: str = ""
    document_id: str | None = None
    category: str | None = None
    rule: str | None = None
    category_today: str | None = None  # set when today's rules classify differently
    rule_today: str | None = None
    revocation_source: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @staticmethod
    def result_words(category: str | None, rule: str | None) -> str:
        """A result as a monitor reads it: "Secondary resistance (SITC-2020 Table 1 secondary)"."""
        try:
            words = CATEGORY_LABELS[Category(str(category))]
        except ValueError:
            words = str(category)
        if category == Category.SECONDARY_RESISTANCE and rule and rule.startswith("SITC-2023"):
            words = "Secondary or late resistance"
        return words + (f" ({rule})" if rule else "")

    @property
    def classification_changed(self) -> bool:
        return self.category_today is not None

    @property
    def verdict(self) -> str:
        if not self.ok:
            return "NOT VERIFIED: see the failed checks above"
        if self.classification_changed:
            return (
                "SIGNATURE VALID, CLASSIFICATION CHANGED SINCE SIGNING: signed as "
                f"{self.result_words(self.category, self.rule)}; today's rules give "
                f"{self.result_words(self.category_today, self.rule_today)}"
            )
        return "VERIFIED: everything holds"

    @property
    def exit_code(self) -> int:
        if not self.ok:
            return EXIT_NOT_VERIFIED
        return EXIT_CLASSIFICATION_CHANGED if self.classification_changed else EXIT_VERIFIED

    def add(self, name: str, ok: bool, detail: str, technical: str = "") -> None:
        self.checks.append(Check(name, ok, detail, technical))

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def describe(self) -> str:
        lines = []
        if self.signer:
            when = f" on {self.signing_time:%Y-%m-%d %H:%M:%S %Z}" if self.signing_time else ""
            role = role_label(self.signer_role) if self.signer_role else "none"
            who = f"user id {self.signer_user_id}, role {role}"
            lines.append(f"Signed by {self.signer} ({who}){when}")
        if self.time_source:
            lines.append(f"Signing time: {self.time_source}")
        if self.revocation_source:
            lines.append(f"Revocation data: {self.revocation_source}")
        if self.category:
            lines.append(f"Printed result: {self.result_words(self.category, self.rule)}")
        lines += [f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in self.checks]
        lines.append(self.verdict)
        return "\n".join(lines)

    def technical_details(self) -> str:
        """What the plain account leaves out (the CA's full distinguished name), one line a check."""
        return "\n".join(f"{c.name}: {c.technical}" for c in self.checks if c.technical)

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.ok,
            "classification_changed": self.classification_changed,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "signer": self.signer,
            "signer_user_id": self.signer_user_id,
            "signer_role": self.signer_role,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "signing_time_source": self.time_source,
            "revocation_data": self.revocation_source,
            "document_id": self.document_id,
            "printed_category": self.category,
            "printed_rule": self.rule,
            "category_today": self.category_today,
            "rule_today": self.rule_today,
            "checks": [asdict(c) for c in self.checks],
        }


def _common_name(name: x509.Name) -> str:
    """A certificate name as people read it: its common name (CN), else the full DN."""
    cns = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else name.rfc4514_string()


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


def _embedded_crls(reader: PdfFileReader) -> list[x509.CertificateRevocationList]:
    try:
        store = DocumentSecurityStore.read_dss(reader)
    except Exception:
        return []
    out = []
    for ref in store.crls:
        try:
            out.append(x509.load_der_x509_crl(ref.get_object().data))
        except ValueError:
            continue
    return out


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def verify_pdf(
    pdf: bytes,
    trust_pem: str,
    *,
    crl_pem: str | None = None,
    recorded_before: Callable[[str, dt.datetime], bool] | None = None,
    rules_today: RuleSet | None = None,
    site_record: Callable[[str, str], tuple[bool, str]] | None = None,
) -> VerificationReport:
    """Check a worksheet PDF against the site certificate (``trust_pem``).

    ``crl_pem``: the site's current CRL (else the CRL embedded at signing is used).
    ``recorded_before(document_id, moment)``: whether the site's database recorded this
    worksheet as signed before ``moment`` (corroborates a signature made before a revocation).
    ``rules_today``: the rule set to compare with (default: this program's, with the study's
    recorded overrides).
    ``site_record(document_id, case_sha256)``: (ok, detail) from the site's database: the worksheet
    is recorded as signed there, and the subject's data has not changed since (not replayed).
    """
    report = VerificationReport()
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # the report says it; no tracebacks on stderr
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        # Document timestamps (B-LTA) are not signatures of a person.
        signatures = [s for s in reader.embedded_signatures if s.sig_object_type == "/Sig"]
    except Exception as exc:
        report.add("PDF", False, f"not a readable PDF ({exc})")
        return report
    # TrailerDictionary has no .get(); hence the explicit test.
    info = reader.trailer["/Info"] if "/Info" in reader.trailer else {}  # noqa: SIM401
    report.document_id = str(info.get("/Keywords", "")).removeprefix("document-id:") or None
    try:
        trust = _cert(trust_pem)
        trust_x509 = x509.load_pem_x509_certificate(trust_pem.encode())
    except Exception:
        report.add("site certificate", False, "the trusted certificate is not a PEM certificate")
        return report
    files = _attachments(reader)
    if not signatures:
        report.add("signature", False, "the document is not signed (a draft)")
    else:
        _check_signature(report, reader, signatures, trust, trust_x509, crl_pem, recorded_before, files)
    _check_evidence(report, info, files, rules_today)
    if site_record is not None:
        case_bytes = files.get(CASE_ATTACHMENT, b"")
        ok, detail = site_record(report.document_id or "", hashlib.sha256(case_bytes).hexdigest())
        report.add("site record", ok, detail)
    return report


def _check_signature(
    report: VerificationReport,
    reader: PdfFileReader,
    signatures: Any,
    trust: asn1_x509.Certificate,
    trust_x509: x509.Certificate,
    crl_pem: str | None,
    recorded_before: Callable[[str, dt.datetime], bool] | None,
    files: dict[str, bytes],
) -> None:
    if len(signatures) != 1:
        report.add("signature", False, f"the worksheet carries {len(signatures)} signatures, expected one")
    sig = signatures[-1]
    cert = sig.signer_cert
    subject = cert.subject.native
    report.signer = subject.get("common_name")
    report.signer_user_id = subject.get("user_id")
    report.signer_role = subject.get("title")
    claimed = sig.self_reported_timestamp
    moment = _utc(claimed) if claimed else dt.datetime.now(dt.UTC)
    crls = _embedded_crls(reader)
    current = None
    if crl_pem:
        try:
            current = x509.load_pem_x509_crl(crl_pem.encode())
        except ValueError:
            report.add("revocation", False, "the given CRL is not a PEM certificate revocation list")
            return
    context = ValidationContext(
        trust_roots=[trust],
        crls=[
            c.public_bytes(serialization.Encoding.DER)
            for c in ([current] if current is not None else []) + crls
        ],
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
        retroactive_revinfo=True,
    )
    status = validate_pdf_signature(sig, context)
    report.signing_time = status.signer_reported_dt
    stamped = status.timestamp_validity is not None and status.timestamp_validity.trusted
    if stamped:
        assert status.timestamp_validity is not None
        report.signing_time = status.timestamp_validity.timestamp
        report.time_source = "attested by the time-stamping authority (RFC 3161)"
    else:
        report.time_source = WORKSTATION_CLOCK
    intact = bool(status.intact and status.valid)
    report.add(
        "integrity",
        intact,
        "the signed bytes are unchanged"
        if intact
        else "the document was altered after signing (the digest does not match)",
    )
    whole = bool(status.coverage == SignatureCoverageLevel.ENTIRE_FILE) or bool(
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level is not None
        and status.modification_level <= ModificationLevel.LTA_UPDATES
        and status.docmdp_ok
    )
    report.add(
        "changes after signing",
        whole,
        "none: the signature covers the document (later updates hold validation data only)"
        if whole
        else "content was added after the signature (an incremental update)",
    )
    report.add(
        "chain to the site CA",
        bool(status.trusted),
        f"the signer's certificate was issued by {_common_name(trust_x509.subject)}"
        if status.trusted
        else "the signer's certificate does not chain to the given site certificate",
        technical=f"site CA: {trust_x509.subject.rfc4514_string()}",
    )
    if not status.trusted:
        return
    _check_revocation(report, cert.serial_number, trust_x509, current, crls, stamped, recorded_before)
    role_ok = report.signer_role == SIGNER_ROLE and subject.get("organizational_unit_name") == (
        f"ResistDesk {SIGNER_ROLE}"
    )
    report.add(
        "signer role",
        role_ok,
        "the certificate says the signer is an investigator"
        if role_ok
        else f"the certificate gives the role {report.signer_role or 'none'!r}: only an investigator signs",
    )
    manifest: dict[str, Any] = {}
    if SIGNATURE_ATTACHMENT in files:
        try:
            manifest = json.loads(files[SIGNATURE_ATTACHMENT])
        except ValueError:
            manifest = {}
    printed, printed_id = manifest.get("printed_name"), manifest.get("user_id")
    dict_name = sig.sig_object.get("/Name")
    names_ok = bool(
        printed == report.signer
        and printed_id == report.signer_user_id
        and (dict_name is None or str(dict_name) == report.signer)
    )
    report.add(
        "printed name",
        names_ok,
        f"the worksheet prints {printed!r}, the certificate's name"
        if names_ok
        else f"the worksheet prints {printed!r} ({printed_id}); the certificate names "
        f"{report.signer!r} ({report.signer_user_id})",
    )


def _check_revocation(
    report: VerificationReport,
    serial: int,
    ca: x509.Certificate,
    current: x509.CertificateRevocationList | None,
    embedded: list[x509.CertificateRevocationList],
    stamped: bool,
    recorded_before: Callable[[str, dt.datetime], bool] | None,
) -> None:
    public = ca.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    lists = [c for c in ([current] if current is not None else []) + embedded if c.issuer == ca.subject]
    genuine = [c for c in lists if c.is_signature_valid(public)]
    if current is not None and current not in genuine:
        report.add("not revoked", False, "the given CRL is not signed by the site CA")
        return
    if not genuine:
        report.revocation_source = "none (no CRL embedded or given)"
        report.add("not revoked", False, "no revocation list from the site CA: revocation cannot be checked")
        return
    newest = max(genuine, key=lambda c: c.last_update_utc)
    report.revocation_source = (
        f"{'the site CRL given' if newest is current else 'the CRL embedded at signing'}, "
        f"issued {newest.last_update_utc:%Y-%m-%d %H:%M} UTC"
    )
    revoked = newest.get_revoked_certificate_by_serial_number(serial)
    if revoked is None and current is None and not stamped:
        # Only the CRL the signer embedded, at a time the signer's clock gave: someone revoked
        # since, signing with a copy of the database kept from before, embeds an old CRL.
        report.add(
            "not revoked",
            False,
            f"only the CRL embedded by the signer (issued {newest.last_update_utc:%Y-%m-%d %H:%M} UTC) was "
            "available, and the signing time is the signer's clock: it cannot show the certificate was not "
            "revoked since; give the site's current CRL (--crl) or the study database (--db)",
        )
        return
    if revoked is None:
        report.add("not revoked", True, "the certificate is not on the site's revocation list")
        return
    when = revoked.revocation_date_utc
    signed = report.signing_time or dt.datetime.now(dt.UTC)
    if signed >= when:
        report.add("not revoked", False, f"the certificate was revoked on {when:%Y-%m-%d %H:%M} UTC, before "
                   f"the signing time {signed:%Y-%m-%d %H:%M} UTC")  # fmt: skip
        return
    if stamped:
        report.add("not revoked", True, f"revoked later ({when:%Y-%m-%d}); the timestamp proves the "
                   "signature was made before")  # fmt: skip
        return
    if recorded_before is not None and report.document_id and recorded_before(report.document_id, when):
        report.add("not revoked", True, f"revoked later ({when:%Y-%m-%d}); the site database recorded this "
                   "signature before the revocation")  # fmt: skip
        return
    report.add(
        "not revoked",
        False,
        f"the certificate was revoked on {when:%Y-%m-%d %H:%M} UTC; the signature claims an earlier time, "
        "but that is only the signer's clock and nothing (no timestamp, no site record) shows it predates "
        "the revocation",
    )


def _check_evidence(
    report: VerificationReport, info: Any, files: dict[str, bytes], rules_today: RuleSet | None
) -> None:
    case_bytes, result_bytes = files.get(CASE_ATTACHMENT), files.get(RESULT_ATTACHMENT)
    if case_bytes is None or result_bytes is None:
        report.add("evidence", False, "the case file or the classification is not attached")
        return
    recorded_hash = str(info.get("/Subject", "")).removeprefix("case-sha256:")
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
        course = parse_case(json.loads(case_bytes))
        as_of = dt.date.fromisoformat(recorded["as_of"])
        signed_version = recorded["ruleset"].get("version")
        ruleset = ruleset_from_json(recorded["ruleset"])
        again = classify(course, as_of, ruleset).to_json()
    except (ResistDeskError, KeyError, ValueError, TypeError, AttributeError) as exc:
        report.add("re-classification", False, f"the attached case could not be re-classified ({exc})")
        return
    report.category, report.rule = recorded.get("category"), recorded.get("rule")
    same = _essence(again) == _essence(recorded)
    older = signed_version != ruleset.version  # only the current version's rules exist in the code
    if same or not older:
        report.add(
            "re-classification",
            same,
            f"re-classifying the attached case as of {recorded['as_of']} with rule set "
            f"{ruleset.name} v{ruleset.version} gives the printed result"
            if same
            else f"re-classifying gives {again['category']}, not the printed {recorded.get('category')}",
        )
    else:
        report.add(
            "re-classification",
            True,
            f"signed under {ruleset.name} v{signed_version}, which this program no longer has; "
            f"v{ruleset.version} with the same settings gives {again['category']}",
        )
        report.category_today, report.rule_today = again["category"], again.get("rule")
        return
    if rules_today is None:
        return
    today = classify(course, as_of, rules_today).to_json()
    if same and (today["category"], today.get("rule")) != (recorded.get("category"), recorded.get("rule")):
        report.category_today, report.rule_today = today["category"], today.get("rule")
