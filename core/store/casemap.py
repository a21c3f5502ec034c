"""Between stored rows and case files (``resistdesk-case/1``).

A subject's rows become a case object, which ``core.casefile.parse_case``
validates and turns into the classifier's ``Course``: stored data and
imported files go through one and the same set of rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.rules import Course
from core.rules.lesions import TSTM, LesionMeasurement
from core.store import models as m

TARGET, NON_TARGET = "target", "non_target"


def _decimal(text: str | None) -> Decimal | str | None:
    if text is None or text == TSTM:
        return text
    return Decimal(text)


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


@dataclass(frozen=True, slots=True)
class SubjectRows:
    """Everything stored about one subject's course."""

    subject: m.Subject
    course: m.Course
    assessments: Sequence[m.Assessment]
    lesions: Sequence[m.BaselineLesion]
    measurements: dict[int, list[m.Measurement]]  # by assessment id
    new_lesions: dict[int, list[m.NewLesion]]  # by assessment id


def visit_order(assessments: Sequence[m.Assessment]) -> list[m.Assessment]:
    """Visits in case-file order (date, then entry): the order a classification's
    visit indices refer to."""
    return sorted(assessments, key=lambda a: (a.date, a.id or 0))


def assessment_to_case(
    a: m.Assessment,
    lesions: Sequence[m.BaselineLesion],
    measurements: Sequence[m.Measurement],
    new_lesions: Sequence[m.NewLesion],
) -> dict[str, Any]:
    item: dict[str, Any] = {"date": a.date.isoformat()}
    if a.response is not None:
        item["response"] = a.response
    for key in (
        "clinical_progression",
        "symptomatic",
        "nodal_only",
        "multiple_metastases",
        "rapid_progression",
    ):
        if getattr(a, key):
            item[key] = True
    for key in ("progressing_sites", "biopsy_confirms_progression", "ecog"):
        if getattr(a, key) is not None:
            item[key] = getattr(a, key)
    if a.notes:
        item["notes"] = a.notes
    if a.new_lesions is not None:
        kinds = {lesion.code: lesion.kind for lesion in lesions}
        values = {meas.lesion_code: meas.value for meas in measurements}
        new: Any = a.new_lesions
        if new_lesions:
            new = [
                {"id": n.code, "organ": n.organ, "mm": _decimal(n.mm), "measurable": n.measurable}
                for n in new_lesions
            ]
        item["lesions"] = {
            "targets": {c: _decimal(v) for c, v in values.items() if kinds.get(c) == TARGET},
            "non_targets": {c: v for c, v in values.items() if kinds.get(c) == NON_TARGET},
            "new_lesions": new,
        }
    return item


def case_from_rows(rows: SubjectRows, criteria: str) -> dict[str, Any]:
    s, c = rows.subject, rows.course
    case: dict[str, Any] = {
        "format": "resistdesk-case/1",
        "subject_id": s.subject_code,
        "tumor_type": s.tumor_type,
        "indolent": s.indolent,
        "setting": s.setting,
        "regimen": c.regimen,
        "agent": c.agent,
        "first_dose": c.first_dose.isoformat(),
        "last_dose": _iso(c.last_dose),
        "discontinuation_reason": c.discontinuation_reason,
        "intercurrent_therapy": c.intercurrent_therapy,
        "surgery_date": _iso(c.surgery_date),
        "major_pathological_response": c.major_pathological_response,
        "adjuvant_after_neoadjuvant": c.adjuvant_after_neoadjuvant,
        "assessments": [
            assessment_to_case(
                a, rows.lesions, rows.measurements.get(a.id or 0, []), rows.new_lesions.get(a.id or 0, [])
            )
            for a in visit_order(rows.assessments)
        ],
    }
    if c.dosing_interval_days is not None:
        case["dosing_interval_days"] = c.dosing_interval_days
    if c.baseline_date is not None:
        case["criteria"] = criteria
        case["baseline"] = {
            "date": c.baseline_date.isoformat(),
            "targets": [
                {"id": x.code, "organ": x.organ, "nodal": x.nodal, "mm": _decimal(x.mm)}
                for x in rows.lesions
                if x.kind == TARGET
            ],
            "non_targets": [{"id": x.code, "organ": x.organ} for x in rows.lesions if x.kind == NON_TARGET],
        }
    return case


# ---------------------------------------------------------------------------
# From a parsed course to rows (imports)


def subject_row(course: Course, study_id: int, status: str = "active") -> m.Subject:
    return m.Subject(
        study_id=study_id,
        subject_code=course.subject_id,
        tumor_type=course.tumor_type,
        indolent=course.indolent,
        setting=course.setting.value,
        status=status,
    )


def course_row(course: Course, subject_id: int) -> m.Course:
    return m.Course(
        subject_id=subject_id,
        agent=course.agent,
        regimen=course.regimen.value,
        first_dose=course.first_dose,
        last_dose=course.last_dose,
        discontinuation_reason=None
        if course.discontinuation_reason is None
        else course.discontinuation_reason.value,
        intercurrent_therapy=course.intercurrent_therapy,
        surgery_date=course.surgery_date,
        major_pathological_response=course.major_pathological_response,
        adjuvant_after_neoadjuvant=course.adjuvant_after_neoadjuvant,
        baseline_date=None if course.baseline is None else course.baseline.date,
        dosing_interval_days=course.dosing_interval_days,
    )


def lesion_rows(course: Course, subject_id: int) -> list[m.BaselineLesion]:
    if course.baseline is None:
        return []
    out = [
        m.BaselineLesion(
            subject_id=subject_id, code=t.id, kind=TARGET, organ=t.organ, nodal=t.nodal, mm=str(t.mm)
        )
        for t in course.baseline.targets
    ]
    out += [
        m.BaselineLesion(subject_id=subject_id, code=n.id, kind=NON_TARGET, organ=n.organ)
        for n in course.baseline.non_targets
    ]
    return out


def measurement_rows(
    lesions: LesionMeasurement | None, assessment_id: int
) -> tuple[list[m.Measurement], list[m.NewLesion]]:
    if lesions is None:
        return [], []
    meas = [
        m.Measurement(assessment_id=assessment_id, lesion_code=code, value=None if v is None else str(v))
        for code, v in lesions.targets
    ]
    meas += [
        m.Measurement(assessment_id=assessment_id, lesion_code=code, value=status.value)
        for code, status in lesions.non_targets
    ]
    new = [
        m.NewLesion(
            assessment_id=assessment_id,
            code=n.id,
            organ=n.organ,
            mm=None if n.mm is None else str(n.mm),
            measurable=n.measurable,
        )
        for n in lesions.new_lesion_list
    ]
    return meas, new


def assessment_row(a: Any, subject_id: int, modality: str = "CT") -> m.Assessment:
    """An assessment row from a parsed ``core.rules.Assessment``."""
    return m.Assessment(
        subject_id=subject_id,
        date=a.date,
        modality=modality,
        response=None if a.response is None else a.response.value,
        ecog=a.ecog,
        clinical_progression=a.clinical_progression,
        symptomatic=a.symptomatic,
        nodal_only=a.nodal_only,
        multiple_metastases=a.multiple_metastases,
        progressing_sites=a.progressing_sites,
        biopsy_confirms_progression=a.biopsy_confirms_progression,
        rapid_progression=a.rapid_progression,
        new_lesions=None if a.lesions is None else a.lesions.new_lesions.value,
        notes="\n".join(a.notes),
    )
