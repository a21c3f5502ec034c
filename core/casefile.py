"""Case files (``resistdesk-case/1``): strict parsing and writing.

A file holds one case object or a JSON array of them. Parsing is strict:
an unknown field, a date that is not ``YYYY-MM-DD``, an unknown code or a last
dose before the first dose raises ``CaseFormatError`` naming the field, because
a typo must never silently change a classification. An assessment dated before
the first dose is accepted in every setting (rules v2, C4/C10): it is a
baseline, and a progression there makes the case indeterminate.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from core import limits
from core.errors import CaseFormatError
from core.limits import field_key, show
from core.rules.lesions import (
    TSTM,
    Baseline,
    Criteria,
    LesionMeasurement,
    NewLesion,
    NewLesionStatus,
    NonTargetLesion,
    NonTargetStatus,
    TargetLesion,
    TargetValue,
)
from core.rules.model import Assessment, Course, Regimen, Response, Setting, StopReason

CASE_FORMAT = "resistdesk-case/1"

_E = TypeVar("_E", bound=StrEnum)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

CASE_FIELDS = frozenset(
    {
        "format", "subject_id", "tumor_type", "indolent", "setting", "regimen", "agent",
        "first_dose", "last_dose", "discontinuation_reason", "intercurrent_therapy",
        "surgery_date", "major_pathological_response", "adjuvant_after_neoadjuvant",
        "assessments", "criteria", "baseline", "dosing_interval_days",
    }
)  # fmt: skip
ASSESSMENT_FIELDS = frozenset(
    {
        "date", "response", "clinical_progression", "symptomatic", "nodal_only",
        "multiple_metastases", "progressing_sites", "biopsy_confirms_progression", "lesions",
        "ecog", "notes", "rapid_progression",
    }
)  # fmt: skip
BASELINE_FIELDS = frozenset({"date", "targets", "non_targets"})
TARGET_FIELDS = frozenset({"id", "organ", "nodal", "mm"})
NON_TARGET_FIELDS = frozenset({"id", "organ", "nodal"})
LESIONS_FIELDS = frozenset({"targets", "non_targets", "new_lesions"})
NEW_LESION_FIELDS = frozenset({"id", "organ", "mm", "measurable"})
MAX_TARGETS, MAX_PER_ORGAN = 5, 2
DOSING_INTERVAL_MIN, DOSING_INTERVAL_MAX = 7, 84  # days: weekly to 12-weekly cycles (C7)
NODAL_ORGAN = "lymph nodes"  # all lymph nodes together are one organ


# Data read back from the database was checked when it was written, perhaps under
# older, looser limits: it is parsed with the structure checked as always but the
# plausibility limits off (``parse_stored_case``), so a study never becomes unreadable.
_STORED: ContextVar[bool] = ContextVar("resistdesk_stored_case", default=False)


def _limited() -> bool:
    return not _STORED.get()


# ---------------------------------------------------------------------------
# Field readers: each raises CaseFormatError naming the field.


def parse_date(value: Any, name: str) -> dt.date:
    """A ``YYYY-MM-DD`` date between ``limits.MIN_DATE`` and ``limits.MAX_DATE``."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise CaseFormatError(name, f"{show(value)} is not a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CaseFormatError(name, f"{show(value)} is not a date (YYYY-MM-DD)") from None
    if _limited() and not limits.MIN_DATE <= day <= limits.MAX_DATE:
        raise CaseFormatError(
            name, f"{value} is outside the plausible dates {limits.MIN_DATE} to {limits.MAX_DATE}"
        )
    return day


def _opt_date(obj: Mapping[str, Any], key: str, name: str) -> dt.date | None:
    value = obj.get(key)
    return None if value is None else parse_date(value, name)


def _bool(obj: Mapping[str, Any], key: str, name: str, default: bool = False) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise CaseFormatError(name, f"must be true or false, not {show(value)}")
    return value


def _opt_bool(obj: Mapping[str, Any], key: str, name: str) -> bool | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        raise CaseFormatError(name, f"must be true, false or null, not {show(value)}")
    return value


def _text(
    obj: Mapping[str, Any], key: str, name: str, *, required: bool, max_chars: int = limits.MAX_NAME_CHARS
) -> str | None:
    """Text trimmed at both ends, within ``max_chars``, with no control character and
    not starting like a spreadsheet formula (``limits.text_problem``)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise CaseFormatError(name, "is required")
        return None
    if not isinstance(value, str):
        raise CaseFormatError(name, f"must be text, not {show(value)}")
    value = value.strip()
    if required and not value:
        raise CaseFormatError(name, "must not be empty")
    problem = limits.text_problem(value, max_chars) if _limited() else None
    if problem:
        raise CaseFormatError(name, problem)
    return value


def _notes(value: Any, name: str) -> tuple[str, ...]:
    """Notes (text or a list of text) as one text: the store keeps them as one."""
    notes = [value] if isinstance(value, str) else value
    if notes is None:
        return ()
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise CaseFormatError(name, "must be text or a list of text")
    if _limited() and len(notes) > limits.MAX_NOTES:
        raise CaseFormatError(name, f"{len(notes)} notes (at most {limits.MAX_NOTES})")
    text = "\n".join(kept for n in notes if (kept := n.strip()))
    problem = limits.text_problem(text, limits.MAX_NOTE_CHARS, multiline=True) if _limited() else None
    if problem:
        raise CaseFormatError(name, problem)
    return (text,) if text else ()


def _enum(enum: type[_E], obj: Mapping[str, Any], key: str, name: str, *, required: bool) -> _E | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise CaseFormatError(name, "is required")
        return None
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = ", ".join(e.value for e in enum)
        raise CaseFormatError(name, f"unknown value {show(value)} (allowed: {allowed})") from None


def _int(obj: Mapping[str, Any], key: str, name: str, low: int, high: int | None) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, _LongNumber) and high is not None:
        raise CaseFormatError(name, f"must be {low} to {high}, not {show(value)}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseFormatError(name, f"must be a whole number, not {show(value)}")
    if value < low or (high is not None and value > high):
        span = f"{low} to {high}" if high is not None else f"at least {low}"
        raise CaseFormatError(name, f"must be {span}, not {value}")
    return value


def _check_fields(obj: Any, allowed: frozenset[str], name: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise CaseFormatError(name, "must be a JSON object")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        key = field_key(unknown[0])
        where = f"{name}.{key}" if name else key
        raise CaseFormatError(where, "unknown field (check the spelling)")
    return obj


# ---------------------------------------------------------------------------
# Case parsing


def parse_case(obj: Any) -> Course:
    """Parse one case object into a ``Course`` (raises ``CaseFormatError``)."""
    case = _check_fields(obj, CASE_FIELDS, "")
    fmt = case.get("format", CASE_FORMAT)
    if fmt != CASE_FORMAT:
        raise CaseFormatError("format", f"expected {CASE_FORMAT!r}, not {show(fmt)}")
    subject_id = _text(case, "subject_id", "subject_id", required=True, max_chars=limits.MAX_ID_CHARS)
    tumor_type = _text(case, "tumor_type", "tumor_type", required=True)
    setting = _enum(Setting, case, "setting", "setting", required=True)
    regimen = _enum(Regimen, case, "regimen", "regimen", required=True)
    first_dose = parse_date(case.get("first_dose"), "first_dose") if "first_dose" in case else None
    if first_dose is None:
        raise CaseFormatError("first_dose", "is required")
    last_dose = _opt_date(case, "last_dose", "last_dose")
    if last_dose is not None and last_dose < first_dose:
        raise CaseFormatError("last_dose", f"{last_dose} is before first_dose {first_dose}")
    criteria = _enum(Criteria, case, "criteria", "criteria", required=False) or Criteria.RECIST
    baseline = None if case.get("baseline") is None else parse_baseline(case["baseline"])

    raw_assessments = case.get("assessments", [])
    if raw_assessments is None:
        raw_assessments = []
    if not isinstance(raw_assessments, list):
        raise CaseFormatError("assessments", "must be a list")
    if _limited() and len(raw_assessments) > limits.MAX_ASSESSMENTS:
        raise CaseFormatError(
            "assessments", f"{len(raw_assessments)} assessments (at most {limits.MAX_ASSESSMENTS})"
        )
    fields: list[dict[str, Any]] = []
    for k, raw in enumerate(raw_assessments):
        name = f"assessments[{k}]"
        a = _check_fields(raw, ASSESSMENT_FIELDS, name)
        if "date" not in a:
            raise CaseFormatError(f"{name}.date", "is required")
        date = parse_date(a["date"], f"{name}.date")
        response = _enum(Response, a, "response", f"{name}.response", required=False)
        lesions = None
        if a.get("lesions") is not None:
            if baseline is None:
                raise CaseFormatError(f"{name}.lesions", "measurements need a 'baseline' in the case")
            lesions = parse_lesions(a["lesions"], baseline, f"{name}.lesions")
        if response is None and lesions is None:
            raise CaseFormatError(f"{name}.response", "is required when no lesions are measured")
        notes = _notes(a.get("notes"), f"{name}.notes")
        fields.append(
            {
                "date": date,
                "response": response,
                "clinical_progression": _bool(a, "clinical_progression", f"{name}.clinical_progression"),
                "symptomatic": _bool(a, "symptomatic", f"{name}.symptomatic"),
                "nodal_only": _bool(a, "nodal_only", f"{name}.nodal_only"),
                "multiple_metastases": _bool(a, "multiple_metastases", f"{name}.multiple_metastases"),
                "progressing_sites": _int(
                    a,
                    "progressing_sites",
                    f"{name}.progressing_sites",
                    0,
                    limits.MAX_PROGRESSING_SITES if _limited() else None,
                ),
                "biopsy_confirms_progression": _opt_bool(
                    a, "biopsy_confirms_progression", f"{name}.biopsy_confirms_progression"
                ),
                "ecog": _int(a, "ecog", f"{name}.ecog", 0, 5),
                "lesions": lesions,
                "notes": notes,
                "rapid_progression": _bool(a, "rapid_progression", f"{name}.rapid_progression"),
            }
        )

    return Course(
        subject_id=subject_id or "",
        tumor_type=tumor_type or "",
        setting=setting,  # type: ignore[arg-type]  # required=True never returns None
        regimen=regimen,  # type: ignore[arg-type]
        first_dose=first_dose,
        agent=_text(case, "agent", "agent", required=False) or None,
        indolent=_bool(case, "indolent", "indolent"),
        last_dose=last_dose,
        discontinuation_reason=_enum(
            StopReason, case, "discontinuation_reason", "discontinuation_reason", required=False
        ),
        intercurrent_therapy=_bool(case, "intercurrent_therapy", "intercurrent_therapy"),
        surgery_date=_opt_date(case, "surgery_date", "surgery_date"),
        major_pathological_response=_opt_bool(
            case, "major_pathological_response", "major_pathological_response"
        ),
        adjuvant_after_neoadjuvant=_bool(case, "adjuvant_after_neoadjuvant", "adjuvant_after_neoadjuvant"),
        assessments=tuple(Assessment(**f) for f in fields),
        criteria=criteria,
        baseline=baseline,
        dosing_interval_days=_int(
            case, "dosing_interval_days", "dosing_interval_days", DOSING_INTERVAL_MIN, DOSING_INTERVAL_MAX
        ),
    )


# ---------------------------------------------------------------------------
# Lesions (recist.md)


def _mm(value: Any, name: str) -> Decimal:
    """A size in millimetres (0 to ``limits.MAX_MM``) as an exact Decimal (8.2 stays 8.2)."""
    if isinstance(value, _LongNumber):
        raise CaseFormatError(
            name, f"must be a size of 0 mm or more, at most {limits.MAX_MM} mm, not {show(value)}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise CaseFormatError(name, f"must be a size in mm, not {show(value)}")
    mm = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not mm.is_finite() or mm < 0 or (_limited() and mm > limits.MAX_MM):
        raise CaseFormatError(
            name, f"must be a size of 0 mm or more, at most {limits.MAX_MM} mm, not {show(value)}"
        )
    return mm


def _lesion_id(obj: Mapping[str, Any], name: str, seen: set[str]) -> str:
    lid = _text(obj, "id", f"{name}.id", required=True, max_chars=limits.MAX_ID_CHARS) or ""
    if lid in seen:
        raise CaseFormatError(f"{name}.id", f"lesion id {lid!r} is used twice")
    seen.add(lid)
    return lid


def parse_baseline(obj: Any) -> Baseline:
    """The baseline lesions, checked against the RECIST 1.1 selection rules."""
    b = _check_fields(obj, BASELINE_FIELDS, "baseline")
    date = parse_date(b.get("date"), "baseline.date")
    raw_targets = b.get("targets") or []
    raw_non_targets = b.get("non_targets") or []
    if not isinstance(raw_targets, list) or not isinstance(raw_non_targets, list):
        raise CaseFormatError("baseline", "targets and non_targets must be lists")
    if _limited() and len(raw_non_targets) > limits.MAX_NON_TARGETS:
        raise CaseFormatError(
            "baseline.non_targets",
            f"{len(raw_non_targets)} non-target lesions (at most {limits.MAX_NON_TARGETS})",
        )
    if len(raw_targets) > 10 * MAX_TARGETS:  # the count is refused below; do not parse thousands first
        raise CaseFormatError("baseline.targets", f"more than {MAX_TARGETS} target lesions")
    seen: set[str] = set()
    targets: list[TargetLesion] = []
    per_organ: dict[str, list[str]] = {}
    for k, raw in enumerate(raw_targets):
        name = f"baseline.targets[{k}]"
        t = _check_fields(raw, TARGET_FIELDS, name)
        lid = _lesion_id(t, name, seen)
        where = f"baseline target {lid}"
        organ = _text(t, "organ", f"{where}.organ", required=True) or ""
        nodal = _bool(t, "nodal", f"{where}.nodal")
        mm = _mm(t.get("mm"), f"{where}.mm")
        if nodal and mm < 15:
            raise CaseFormatError(f"{where}.mm", f"a nodal target needs a short axis ≥ 15 mm (got {mm})")
        if not nodal and mm < 10:
            raise CaseFormatError(
                f"{where}.mm", f"a non-nodal target needs a longest diameter ≥ 10 mm (got {mm})"
            )
        key = NODAL_ORGAN if nodal else organ.strip().lower()
        per_organ.setdefault(key, []).append(lid)
        if len(per_organ[key]) > MAX_PER_ORGAN:
            raise CaseFormatError(
                where, f"more than {MAX_PER_ORGAN} targets in {key} ({', '.join(per_organ[key])})"
            )
        targets.append(TargetLesion(lid, organ, nodal, mm))
    if len(targets) > MAX_TARGETS:
        raise CaseFormatError(
            f"baseline target {targets[MAX_TARGETS].id}", f"more than {MAX_TARGETS} target lesions"
        )
    non_targets: list[NonTargetLesion] = []
    for k, raw in enumerate(raw_non_targets):
        name = f"baseline.non_targets[{k}]"
        n = _check_fields(raw, NON_TARGET_FIELDS, name)
        lid = _lesion_id(n, name, seen)
        organ = _text(n, "organ", f"baseline non-target {lid}.organ", required=False) or ""
        non_targets.append(NonTargetLesion(lid, organ))
    if not targets and not non_targets:
        raise CaseFormatError("baseline", "no target and no non-target lesions")
    return Baseline(date, tuple(targets), tuple(non_targets))


def parse_lesions(obj: Any, baseline: Baseline, name: str) -> LesionMeasurement:
    """One timepoint's measurements, checked against the baseline lesion ids."""
    m = _check_fields(obj, LESIONS_FIELDS, name)
    raw_targets = m.get("targets") or {}
    raw_non_targets = m.get("non_targets") or {}
    if not isinstance(raw_targets, Mapping) or not isinstance(raw_non_targets, Mapping):
        raise CaseFormatError(name, "targets and non_targets must be objects keyed by lesion id")
    target_ids = {t.id: t for t in baseline.targets}
    for lid in raw_targets:
        if lid not in target_ids:
            raise CaseFormatError(f"{name}.targets.{field_key(lid)}", f"unknown target lesion id {show(lid)}")
    targets: list[tuple[str, TargetValue]] = []
    for t in baseline.targets:
        if t.id not in raw_targets:
            raise CaseFormatError(
                f"{name}.targets.{t.id}", f"target {t.id} is missing (use null if not evaluated)"
            )
        value = raw_targets[t.id]
        if value is None or value == TSTM:
            targets.append((t.id, value))
        else:
            targets.append((t.id, _mm(value, f"{name}.targets.{t.id}")))
    nt_ids = {n.id for n in baseline.non_targets}
    for lid in raw_non_targets:
        if lid not in nt_ids:
            raise CaseFormatError(
                f"{name}.non_targets.{field_key(lid)}", f"unknown non-target lesion id {show(lid)}"
            )
    non_targets: list[tuple[str, NonTargetStatus]] = []
    for n in baseline.non_targets:
        if n.id not in raw_non_targets:
            raise CaseFormatError(
                f"{name}.non_targets.{n.id}",
                f'non-target {n.id} is missing (use "not_evaluated" if it was not assessed)',
            )
        status = _enum(NonTargetStatus, raw_non_targets, n.id, f"{name}.non_targets.{n.id}", required=True)
        assert status is not None
        non_targets.append((n.id, status))
    raw_new = m.get("new_lesions", "none")
    new_list: list[NewLesion] = []
    if isinstance(raw_new, list):
        if _limited() and len(raw_new) > limits.MAX_NEW_LESIONS:
            raise CaseFormatError(
                f"{name}.new_lesions", f"{len(raw_new)} new lesions (at most {limits.MAX_NEW_LESIONS})"
            )
        seen = {t.id for t in baseline.targets} | nt_ids
        per_organ: dict[str, int] = {}
        for k, raw in enumerate(raw_new):
            where = f"{name}.new_lesions[{k}]"
            new = _check_fields(raw, NEW_LESION_FIELDS, where)
            lid = _lesion_id(new, where, seen)
            organ = _text(new, "organ", f"{where}.organ", required=False) or ""
            measurable = _bool(new, "measurable", f"{where}.measurable")
            mm = None if new.get("mm") is None else _mm(new.get("mm"), f"new lesion {lid}.mm")
            if measurable:
                if mm is None:
                    raise CaseFormatError(f"new lesion {lid}.mm", "a measurable new lesion needs its size")
                per_organ[organ.lower()] = per_organ.get(organ.lower(), 0) + 1
                if per_organ[organ.lower()] > MAX_PER_ORGAN or sum(per_organ.values()) > MAX_TARGETS:
                    raise CaseFormatError(
                        f"new lesion {lid}",
                        f"at most {MAX_TARGETS} measurable new lesions, {MAX_PER_ORGAN} per organ; "
                        'record the others with "measurable": false',
                    )
            new_list.append(NewLesion(lid, organ, mm, measurable))
        status_new = NewLesionStatus.UNEQUIVOCAL if new_list else NewLesionStatus.NONE
    else:
        parsed = _enum(NewLesionStatus, m, "new_lesions", f"{name}.new_lesions", required=False)
        status_new = parsed or NewLesionStatus.NONE
    return LesionMeasurement(tuple(targets), tuple(non_targets), status_new, tuple(new_list))


def parse_stored_case(obj: Any) -> Course:
    """Parse a case built from database rows: as ``parse_case``, but data stored under
    older, looser limits still reads (the structure is always checked; the plausibility
    limits and text rules are applied to what is entered, not to what is stored)."""
    try:
        return parse_case(obj)
    except CaseFormatError:
        token = _STORED.set(True)
        try:
            return parse_case(obj)
        finally:
            _STORED.reset(token)


def future_dates(course: Course, today: dt.date) -> list[tuple[str, dt.date]]:
    """Every date of the course later than ``today``, with its case-file field name."""
    dated: list[tuple[str, dt.date | None]] = [
        ("first_dose", course.first_dose),
        ("last_dose", course.last_dose),
        ("surgery_date", course.surgery_date),
        ("baseline.date", course.baseline.date if course.baseline else None),
    ]
    dated += [(f"assessments[{k}].date", a.date) for k, a in enumerate(course.assessments)]
    return [(name, value) for name, value in dated if value is not None and value > today]


def _case_label(index: int, obj: Any, many: bool) -> str:
    sid = obj.get("subject_id") if isinstance(obj, Mapping) else None
    label = f"case {index + 1}" if many else "case"
    return f"{label} ({field_key(sid.strip())})" if isinstance(sid, str) and sid.strip() else label


def parse_document(data: Any, *, source: str = "") -> tuple[list[Course], bool, list[CaseFormatError]]:
    """Parse a decoded case document: (courses, was_array, errors).

    Every case is checked; errors carry the source and the case label, and
    no course is returned for a case that has one.
    """
    many = isinstance(data, list)
    items = data if many else [data]
    if len(items) > limits.MAX_CASES:
        error = CaseFormatError("", f"{len(items)} cases (at most {limits.MAX_CASES} in one file)")
        return [], many, [error.located(source=source)]
    courses: list[Course] = []
    errors: list[CaseFormatError] = []
    for k, obj in enumerate(items):
        try:
            duplicate = _duplicate_key(obj, "")
            if duplicate is not None:
                raise CaseFormatError(duplicate, "appears twice in the same object (which one is meant?)")
            courses.append(parse_case(obj))
        except CaseFormatError as exc:
            errors.append(exc.located(source=source, case=_case_label(k, obj, many)))
    return courses, many, errors


# ---------------------------------------------------------------------------
# Reading JSON with explicit limits


class _DuplicateKeys(dict[str, Any]):
    """A JSON object in which a key appears more than once (``duplicate``: the first repeated key)."""

    duplicate: str = ""


class _LongNumber:
    """A JSON number literal longer than ``limits.MAX_NUMBER_DIGITS``: never converted (Python
    refuses integers of more than 4,300 digits); every field reader refuses it by name."""

    def __init__(self, literal: str) -> None:
        self.digits = len(literal)

    def __repr__(self) -> str:
        return f"a number of {self.digits} characters"


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    marked = _DuplicateKeys(obj)
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def _int_literal(literal: str) -> Any:
    return _LongNumber(literal) if len(literal) > limits.MAX_NUMBER_DIGITS else int(literal)


def _float_literal(literal: str) -> Any:
    return _LongNumber(literal) if len(literal) > limits.MAX_NUMBER_DIGITS else float(literal)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _duplicate_key(obj: Any, path: str) -> str | None:
    """The field path of the first key that appears twice in one object, if any."""
    if isinstance(obj, dict):
        if isinstance(obj, _DuplicateKeys):
            key = field_key(obj.duplicate)
            return f"{path}.{key}" if path else key
        for key, value in obj.items():
            if isinstance(value, dict | list):
                inner = f"{path}.{field_key(key)}" if path else field_key(key)
                found = _duplicate_key(value, inner)
                if found:
                    return found
    elif isinstance(obj, list):
        for k, value in enumerate(obj):
            if isinstance(value, dict | list):
                found = _duplicate_key(value, f"{path}[{k}]")
                if found:
                    return found
    return None


# A string (to the end of the text when unterminated: linear time on any input) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]++|\\[\s\S]?)*+(?:"|\Z)|[\[\]{}]')


def _nesting_problem(text: str) -> str | None:
    """Where the text nests arrays and objects deeper than ``limits.MAX_JSON_DEPTH``.

    A bounded scan before parsing: Python's own parser would recurse once per level
    and fail with RecursionError near 1,000 levels.
    """
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limits.MAX_JSON_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                return (
                    f"arrays and objects nested more than {limits.MAX_JSON_DEPTH} deep "
                    f"(line {line}); a case file needs at most 7"
                )
        elif token in "]}":
            depth -= 1
    return None


def loads_document(text: str, source: str = "") -> Any:
    """Decode the text of a case file with explicit limits (CaseFormatError naming ``source``):
    nesting depth, number length, no NaN/Infinity; duplicate keys are marked for ``parse_document``."""
    problem = _nesting_problem(text)
    if problem:
        raise CaseFormatError("", f"not accepted: {problem}", source=source)
    try:
        return json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_int_literal,
            parse_float=_float_literal,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        raise CaseFormatError(
            "", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=source
        ) from None
    except ValueError as exc:
        raise CaseFormatError("", f"not valid JSON: {exc}", source=source) from None
    except RecursionError:  # unreachable after the scan; kept so no input can give a traceback
        raise CaseFormatError("", "not accepted: nested too deep", source=source) from None


def read_document(path: Path) -> Any:
    """Read and decode a JSON file (UTF-8, with or without a byte-order mark), turning I/O,
    encoding, size and syntax errors into CaseFormatError naming the file."""
    source = str(path)
    try:
        with path.open("rb") as f:
            raw = f.read(limits.MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise CaseFormatError(
            "", f"cannot read file: {getattr(exc, 'strerror', None) or exc}", source=source
        ) from None
    if len(raw) > limits.MAX_FILE_BYTES:
        raise CaseFormatError(
            "",
            f"larger than {limits.MAX_FILE_BYTES:,} bytes (the size limit of a case file)",
            source=source,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseFormatError(
            "", f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8", source=source
        ) from None
    return loads_document(text, source)


# ---------------------------------------------------------------------------
# Writing


def course_to_case(course: Course) -> dict[str, Any]:
    """The ``resistdesk-case/1`` object for a course (inverse of ``parse_case``
    for courses without lesion measurements)."""

    def iso(d: dt.date | None) -> str | None:
        return None if d is None else d.isoformat()

    assessments = []
    for a in course.assessments:
        item: dict[str, Any] = {"date": a.date.isoformat()}
        if a.response is not None:
            item["response"] = a.response.value
        for key in ("clinical_progression", "symptomatic", "nodal_only", "multiple_metastases"):
            if getattr(a, key):
                item[key] = True
        if a.rapid_progression:
            item["rapid_progression"] = True
        for key in ("progressing_sites", "biopsy_confirms_progression", "ecog"):
            if getattr(a, key) is not None:
                item[key] = getattr(a, key)
        if a.lesions is not None:
            item["lesions"] = lesions_to_json(a.lesions)
        if a.notes:
            item["notes"] = list(a.notes)
        assessments.append(item)
    case: dict[str, Any] = {
        "format": CASE_FORMAT,
        "subject_id": course.subject_id,
        "tumor_type": course.tumor_type,
        "indolent": course.indolent,
        "setting": course.setting.value,
        "regimen": course.regimen.value,
        "agent": course.agent,
        "first_dose": course.first_dose.isoformat(),
        "last_dose": iso(course.last_dose),
        "discontinuation_reason": None
        if course.discontinuation_reason is None
        else course.discontinuation_reason.value,
        "intercurrent_therapy": course.intercurrent_therapy,
        "surgery_date": iso(course.surgery_date),
        "major_pathological_response": course.major_pathological_response,
        "adjuvant_after_neoadjuvant": course.adjuvant_after_neoadjuvant,
        "assessments": assessments,
    }
    if course.dosing_interval_days is not None:
        case["dosing_interval_days"] = course.dosing_interval_days
    if course.baseline is not None:
        case["criteria"] = course.criteria.value
        case["baseline"] = baseline_to_json(course.baseline)
    return case


def _mm_json(mm: Decimal) -> int | float:
    return int(mm) if mm == mm.to_integral_value() else float(mm)


def json_number(value: Any) -> Any:
    """``json.dumps(default=...)`` for case files: exact millimetres become JSON numbers."""
    if isinstance(value, Decimal):
        return _mm_json(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def baseline_to_json(b: Baseline) -> dict[str, Any]:
    return {
        "date": b.date.isoformat(),
        "targets": [
            {"id": t.id, "organ": t.organ, "nodal": t.nodal, "mm": _mm_json(t.mm)} for t in b.targets
        ],
        "non_targets": [{"id": n.id, "organ": n.organ} for n in b.non_targets],
    }


def lesions_to_json(m: LesionMeasurement) -> dict[str, Any]:
    targets: dict[str, Any] = {
        lid: value if value is None or isinstance(value, str) else _mm_json(value) for lid, value in m.targets
    }
    new: Any = m.new_lesions.value
    if m.new_lesion_list:
        new = [
            {
                "id": n.id,
                "organ": n.organ,
                "mm": None if n.mm is None else _mm_json(n.mm),
                "measurable": n.measurable,
            }
            for n in m.new_lesion_list
        ]
    return {"targets": targets, "non_targets": {lid: s.value for lid, s in m.non_targets}, "new_lesions": new}
