"""How results look wherever they are shown (screens and printed worksheets):
category and response colours with enough contrast for white text, and how
a rule parameter's value is written."""

from __future__ import annotations

import contextlib
import json
import re
from typing import TYPE_CHECKING, Any

from core.rules import (
    CATEGORY_LABELS,
    ICI_CHEMO_PARAMETER_HELP,
    PARAMETER_HELP,
    RULESET_SOURCES,
    Category,
    Classification,
    IciChemoRuleSet,
    RuleSet,
)
from core.rules.caveats import Caveat
from core.rules.ici_chemo import category_label as _ruleset_category_label
from core.rules.model import RESPONSE_LABELS, Response
from core.rules.parameters import PARAMETER_LABELS

if TYPE_CHECKING:
    from core.store.audit_log import AuditRow

CATEGORY_HEX: dict[Category, str] = {
    Category.PRIMARY_RESISTANCE: "#c0392b",
    Category.SECONDARY_RESISTANCE: "#d35400",
    Category.LATE_PROGRESSION: "#8e44ad",
    Category.LATE_RELAPSE: "#8e44ad",
    Category.PENDING_CONFIRMATION: "#9a7d0a",
    Category.INSUFFICIENT_EXPOSURE: "#5d6d7e",
    Category.NO_PROGRESSION: "#1e8449",
    Category.NOT_APPLICABLE: "#7f8c8d",
    Category.INDETERMINATE: "#2c3e50",
}

RESPONSE_HEX: dict[str, str] = {
    "CR": "#1e8449",
    "PR": "#52be80",
    "SD": "#2e86c1",
    "NON_CR_NON_PD": "#5dade2",
    "PD": "#c0392b",
    "NE": "#95a5a6",
    "NED": "#17a589",
}

IRECIST_BASE = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "iUPD": "PD", "iCPD": "PD"}


def response_hex(code: str) -> str:
    return RESPONSE_HEX.get(IRECIST_BASE.get(code, code), "#95a5a6")


def parameter_text(value: Any) -> str:
    """A rule parameter's value as people read it (lists joined, booleans yes or no: the
    subject screen and the worksheet read "needs a confirmatory scan: true")."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# ---------------------------------------------------------------------------
# Words a coordinator uses, in place of the case file's internal names

NON_TARGET_LABELS: dict[str, str] = {
    "absent": "absent",
    "present": "present",
    "unequivocal_progression": "unequivocal progression",
    "further_increase": "further increase (iRECIST)",
    "not_evaluated": "not evaluated",
}
NEW_LESION_LABELS: dict[str, str] = {"none": "none", "equivocal": "equivocal", "unequivocal": "unequivocal"}
CONFIRMATION_REQUIRED: dict[str, str] = {
    "none": "none required",
    "scan": "confirmatory scan",
    "biopsy": "confirmatory biopsy",
    "scan+biopsy": "confirmatory scan and biopsy",
}
CONFIRMATION_STATUS: dict[str, str] = {
    "confirmed": "confirmed",
    "pending": "pending",
    "waived": "waived (clinical progression)",
    "refuted": "refuted",
    "not_required": "not required",
}
FIELD_LABELS: dict[str, str] = {
    "protocol_id": "Protocol id",
    "title": "Study title",
    "sponsor": "Sponsor",
    "site": "Site",
    "criteria": "Response criteria",
    "paper_size": "Worksheet paper",
    "enrolled_categories": "Categories enrolled",
    "username": "User id",
    "full_name": "Printed name",
    "password": "Password",
    "new_password": "New password",
    "new_repeat": "Repeat new password",
    "role": "Role",
    "subject_id": "Subject id",
    "tumor_type": "Tumor type",
    "setting": "Setting",
    "agent": "Agent",
    "regimen": "Regimen",
    "first_dose": "First dose",
    "last_dose": "Last dose",
    "discontinuation_reason": "Reason for stopping",
    "surgery_date": "Surgery date",
    "major_pathological_response": "Major pathological response",
    "date": "Date",
    "response": "Overall response",
    "ecog": "ECOG",
    "progressing_sites": "Progressing sites",
    "biopsy_confirms_progression": "Biopsy",
    "notes": "Notes",
    "modality": "Modality",
    "status": "Status",
    "meaning": "Meaning of the signature",
    "ca_passphrase": "CA passphrase",
    "custodian_username": "Custodian's user id",
    "custodian_full_name": "Custodian's printed name",
    "custodian_password": "Custodian's password",
    "custodian_role": "Custodian's role",
    "baseline": "Baseline lesions",
    "baseline.date": "Baseline scan date",
    "lesions.new_lesions": "New lesions",
    "mm": "Size (mm)",
    "enrolled_regimens": "Regimens enrolled",
    "rule_overrides": "SITC 2020 parameters changed",
    "ici_chemo_overrides": "SITC 2023 ICI-chemo parameters changed",
    "is_demo": "Demo study",
}


def response_label(code: str | None) -> str:
    """A response code as a coordinator reads it, empty for none (a table cell)."""
    if not code or code == "—":
        return code or ""
    return response_text(code)


def confirmation_text(required: str, status: str, date: object = None) -> str:
    """ "Confirmatory scan: pending", "Not required", "Confirmatory biopsy: confirmed on 2025-09-01"."""
    if required == "none" or status == "not_required":
        return "Not required"
    text = f"{CONFIRMATION_REQUIRED.get(required, required)}: {CONFIRMATION_STATUS.get(status, status)}"
    return text[0].upper() + text[1:] + (f" on {date}" if date else "")


def field_label(field: str | None) -> str:
    """A field's dotted path as the form names it: ``protocol_id`` is "Protocol id",
    ``lesions.targets.T1`` is "Target lesion T1"."""
    if not field:
        return ""
    if re.match(r"^\w*overrides\.", field) and field.split(".", 1)[1] in PARAMETER_LABELS:
        return PARAMETER_LABELS[field.split(".", 1)[1]]  # a rule parameter, as Study settings names it
    path = re.sub(r"^(assessments\[\d+\]\.|rule_overrides\.)", "", field)
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    m = re.match(r"^(?:baseline\.)?(targets|non_targets)(?:\[(\d+)\])?(?:\.(\w+))?(?:\.(\w+))?$", path)
    if m is None:
        m = re.match(r"^baseline (target|non-target) ([^.]+)\.(\w+)$", path)
    if m is None:
        m = re.match(r"^lesions\.(targets|non_targets)\.([\w-]+)$", path)
    new = re.match(r"^(?:lesions\.new_lesions\[(\d+)\]|new lesion ([^.]+))(?:\.(\w+))?$", path)
    if new is not None:  # a new lesion recorded one by one: by its row, or by its id
        which = str(int(new.group(1)) + 1) if new.group(1) is not None else new.group(2)
        part = {"mm": "size (mm)", "id": "id", "organ": "organ", "measurable": "measurable"}.get(
            new.group(3) or ""
        )
        return f"New lesion {which}" + (f", {part}" if part else "")
    if m is not None:
        kind = "Target lesion" if m.group(1) in ("targets", "target") else "Non-target lesion"
        groups = [g for g in m.groups()[1:] if g]
        if groups and groups[0].isdigit():  # a row of the list, counted from 1
            groups[0] = str(int(groups[0]) + 1)
        parts = [{"mm": "size (mm)", "nodal": "lymph node"}.get(g, g.replace("_", " ")) for g in groups]
        if not parts:
            return kind
        return f"{kind} {parts[0]}" + (f", {' '.join(parts[1:])}" if len(parts) > 1 else "")
    words = path.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def plain_message(message: str) -> str:
    """A check's message with the internal field names it mentions in words
    ("before first_dose" is "before the first dose")."""

    def words(m: re.Match[str]) -> str:
        name = m.group(0)
        label = FIELD_LABELS.get(name)
        return f"the {label.lower()}" if label else name.replace("_", " ")

    return re.sub(r"\b[a-z]+(?:_[a-z]+)+\b", words, message)


def category_label(result: Classification) -> str:
    """The category as people read it, under the rule set that decided it
    (SITC 2023 ICI-chemo calls secondary resistance "Secondary or late resistance")."""
    return _ruleset_category_label(result)


def provisional_label(result: Classification) -> str | None:
    p = result.provisional_category
    return None if p is None else CATEGORY_LABELS[p]


def ruleset_citation(result: Classification) -> str:
    """The table(s) the rule set follows, with the paper."""
    return RULESET_SOURCES.get(result.ruleset.name, result.ruleset.name)


REGIMEN_TEXT = {
    "monotherapy": "PD-(L)1 monotherapy",
    "ici_chemotherapy": "PD-(L)1 + chemotherapy",
    "combination": "another combination (not covered)",
}


def regimen_text(code: str) -> str:
    """A regimen code as people read it ("PD-(L)1 + chemotherapy" for ici_chemotherapy)."""
    return REGIMEN_TEXT.get(code, code)


def ruleset_short(name: str) -> str:
    """The rule set's short human name (roster column and filter)."""
    return {"SITC-2020": "SITC 2020", "SITC-2023-ICI-chemo": "SITC 2023 ICI-chemo"}.get(name, name)


def parameter_help(result: Classification, name: str) -> str:
    if isinstance(result.ruleset, IciChemoRuleSet):
        return ICI_CHEMO_PARAMETER_HELP.get(name, "")
    return PARAMETER_HELP.get(name, "")


# ---------------------------------------------------------------------------
# Human labels: codes stay in JSON, people read these (C16).


def response_text(code: object) -> str:
    """A response code as people read it: "Non-CR/non-PD" for NON_CR_NON_PD."""
    if code is None or code == "":
        return "—"
    try:
        return RESPONSE_LABELS[Response(str(code))]
    except ValueError:
        return str(code)


def caveat_text(code: object) -> str:
    """A caveat's human label ("Negative biopsy" for BIOPSY_NEGATIVE)."""
    try:
        return Caveat(str(code)).label
    except ValueError:
        return str(code).replace("_", " ").capitalize()


def parameter_label(name: str) -> str:
    """A rule parameter's human name ("Minimum exposure (days)" for min_exposure_days)."""
    return PARAMETER_LABELS.get(name, name.replace("_", " ").capitalize())


def ruleset_label(ruleset: RuleSet | IciChemoRuleSet) -> str:
    """The rule set as every classification names it: "SITC-2020 v2", "SITC-2023-ICI-chemo v1"."""
    return ruleset.label


def classification_text(result: Classification) -> str:
    """A classification as plain text for people (the CLI's ``--text``): every code as its label."""
    lines = [f"{result.subject_id}: {category_label(result)} ({ruleset_label(result.ruleset)})"]
    if result.provisional_category:
        lines[0] += f", provisionally {CATEGORY_LABELS[result.provisional_category].lower()}"
    lines.append(f"  As of: {result.as_of}")
    if result.rule:
        lines.append(f"  Rule: {result.rule.value}")
    if result.reason:
        lines.append(f"  Reason: {result.reason}")
    if result.progression_date:
        lines.append(f"  Progression date: {result.progression_date}")
    c = result.confirmation
    if c.required != "none" or c.status != "not_required":
        conf = f"  Confirmation: {c.required}, {c.status.replace('_', ' ')}"
        if c.date:
            conf += f" on {c.date}"
        if c.opens and c.closes and c.status == "pending":
            conf += f"; window {c.opens} to {c.closes}"
            if c.due_status:
                conf += f" ({c.due_status.replace('_', ' ')})"
        lines.append(conf)
    if result.caveats:
        lines.append("  Caveats:")
        lines += [f"    - {cv.code.label}: {cv.text}" for cv in result.caveats]
    lines.append("  Rationale:")
    lines += [f"    {k}. {step}" for k, step in enumerate(result.rationale, 1)]
    if result.interpretations:
        lines.append("  Interpretations applied: " + ", ".join(result.interpretations))
    rs = result.ruleset
    lines.append(f"  Rule set {ruleset_label(rs)} ({ruleset_citation(result)}):")
    overrides = rs.overrides
    for name, value in rs.parameters.to_json().items():
        mark = " (study override)" if name in overrides else ""
        lines.append(f"    {parameter_label(name)}: {parameter_text(value)}{mark}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Account roles as people say them (the code stays the stored value)

ROLE_LABELS: dict[str, str] = {
    "coordinator": "Coordinator",
    "investigator": "Investigator",
    "administrator": "Administrator",
    "monitor": "Monitor",
}


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, code.replace("_", " ").capitalize())


# ---------------------------------------------------------------------------
# Audit actions in words (the code stays in the database and in CSV/JSON exports)

AUDIT_PURPOSES: dict[str, str] = {
    "login": "Sign-in",
    "unlock": "Unlock",
    "sign": "Signing",
    "restore": "Restore",
    "password_change": "Password change",
}
"""The places a password is checked (``check_password(purpose=...)``): each writes
``<purpose>``, ``<purpose>_failed`` and ``<purpose>_refused``."""

AUDIT_ACTION_LABELS: dict[str, str] = {
    "insert": "Added",
    "update": "Changed",
    "delete": "Deleted",
    "import": "Imported",
    "export": "Exported",
    "print": "Printed",
    "sign": "Signed",
    "restore": "Restored from backup",
    "setting": "Setting changed",
    "crl_published": "Revocation list published",
    "site_ca_created": "Site certificate authority created",
    "study_file_id_created": "Study file identity created",
    "rules_upgrade": "Re-classified under new rules",
    "wrong_failed": "Wrong CA passphrase",
}
for _code, _words in AUDIT_PURPOSES.items():
    AUDIT_ACTION_LABELS.setdefault(_code, _words)
    AUDIT_ACTION_LABELS[f"{_code}_failed"] = f"{_words} failed"
    AUDIT_ACTION_LABELS[f"{_code}_refused"] = f"{_words} refused (new password needed)"
AUDIT_ACTION_LABELS["login"] = "Signed in"
AUDIT_ACTION_LABELS["sign"] = "Signed"


def action_label(code: str | None) -> str:
    """An audit action as people say it: ``login_failed`` is "Sign-in failed"."""
    if not code:
        return ""
    return AUDIT_ACTION_LABELS.get(code, code.replace("_", " ").capitalize())


# Coded values in the audit trail's changes, by the field that holds them (the last part
# of its path): "Kind = non-target", not "kind=non_target". Other values are shown as stored.
REGIMEN_WORDS = {
    "monotherapy": "monotherapy",
    "combination": "combination",
    "ici_chemotherapy": "ICI + chemotherapy",
}
CODED_VALUE_WORDS: dict[str, dict[str, str]] = {
    "kind": {"target": "target", "non_target": "non-target"},
    "value": NON_TARGET_LABELS,
    "status": {**NON_TARGET_LABELS, **CONFIRMATION_STATUS},
    "new_lesions": NEW_LESION_LABELS,
    "confirmation_required": CONFIRMATION_REQUIRED,
    "confirmation_status": CONFIRMATION_STATUS,
    "regimen": REGIMEN_WORDS,
    "enrolled_regimens": REGIMEN_WORDS,
    "discontinuation_reason": {"maximal_benefit": "maximal benefit"},
    "role": ROLE_LABELS,
    "category": {c.value: label for c, label in CATEGORY_LABELS.items()},
    "enrolled_categories": {c.value: label for c, label in CATEGORY_LABELS.items()},
    "response": {r.value: label for r, label in RESPONSE_LABELS.items()},
}


def coded_value_text(field: str | None, value: object) -> str:
    """A stored value as words when its field holds codes (lists, also as JSON text, word by word)."""
    if isinstance(value, str) and value.startswith("["):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    words = CODED_VALUE_WORDS.get(re.split(r"[.\]]", field or "")[-1])
    if isinstance(value, list | tuple):
        return ", ".join(coded_value_text(field, v) for v in value)
    text = str(value)
    if words is None:
        name = re.split(r"[.\]]", field or "")[-1]
        return text if name in FREE_TEXT_FIELDS else YES_NO.get(text, text)
    return words.get(text, text.replace("_", " ") if re.fullmatch(r"[a-z]+(_[a-z]+)+", text) else text)


YES_NO = {"true": "yes", "false": "no"}  # a stored flag, as a coordinator says it
FREE_TEXT_FIELDS = frozenset({"notes", "title", "full_name", "reason", "sponsor", "site", "tumor_type",
                              "agent", "meaning", "printed_name", "subject_code", "protocol_id"})  # fmt: skip


AUDIT_FIELD_LABELS: dict[str, str] = {
    # links between records: a number of the database, not the subject id people type
    "subject_id": "Subject record",
    "study_id": "Study record",
    "assessment_id": "Visit record",
    "worksheet_id": "Worksheet record",
    "user_id": "User record",
    "prepared_by": "Prepared by (user record)",
    "subject_code": "Subject id",
    "code": "Lesion",
    "lesion_code": "Lesion",
    "password_hash": "Password (hashed)",
    "private_key_pem": "Private signing key",
    "public_key_pem": "Public signing key",
    "certificate_pem": "Certificate",
    "failed_attempts": "Failed sign-ins",
    "must_change_password": "Must choose a new password",
    "document_id": "Document id",
    "pdf": "PDF",
    "pdf_sha256": "PDF SHA-256",
    "case_sha256": "Case SHA-256",
    "settings_sha256": "Settings SHA-256",
}
"""Stored columns as the audit trail names them, where the form's word would mislead (a course's
``subject_id`` is the subject's record number: "Subject id = 1" beside MEL-001)."""


def audit_field_label(field: str) -> str:
    return AUDIT_FIELD_LABELS.get(field) or field_label(field)


def audit_change_text(row: AuditRow) -> str:
    """An audit row's change as the audit screen and its PDF report show it: field names and
    coded values in words ("Overall response: Non-CR/non-PD → PD", "Regimen = ICI +
    chemotherapy"), escaped. The CSV keeps what is stored."""
    return row.change(audit_field_label, coded_value_text, " = ")
