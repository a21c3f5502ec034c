"""Subjects, their treatment course, baseline lesions and visits: every change
validated as a whole case file and audited in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import SQLModel, select

from core.casefile import future_dates, parse_case
from core.errors import CaseFormatError, InputError
from core.rules import Course
from core.store import casemap
from core.store import models as m
from core.store.base import Actor, Tx, _get, _require_reason
from core.store.errors import Cancelled
from core.store.reading import Reading, subject_rows_without

if TYPE_CHECKING:
    from core.store.store import Store

MODALITIES = ("CT", "MRI", "PET-CT", "X-ray", "ultrasound", "physical examination", "other")
SUBJECT_STATUSES = ("active", "off_study", "screen_failed")


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int
    rejected: tuple[RejectedRow, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.rejected


class Subjects(Reading):
    """Subjects, courses, baselines and visits."""

    def add_subject(
        self, actor: Actor, study_id: int, fields: Mapping[str, Any], status: str = "active"
    ) -> int:
        """Add a subject from case-file fields (subject_id, tumor_type, setting, first_dose, ...)."""
        case = {"format": "resistdesk-case/1", "assessments": [], **fields}
        with self.writing(actor, "subject.add") as tx:
            study = _get(tx.session, m.Study, study_id)
            course = self._validate(case, study)
            return self._insert_course(tx, study, course, _status(status))

    def import_cases(
        self,
        actor: Actor,
        study_id: int,
        courses: Sequence[Course],
        reason: str = "import",
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> int:
        """Insert whole courses (with assessments and lesions); all or nothing.
        A cancel rolls everything back (``Cancelled``)."""
        with self.writing(actor, "subject.import") as tx:
            study = _get(tx.session, m.Study, study_id)
            for k, course in enumerate(courses):
                if cancelled is not None and cancelled():
                    raise Cancelled("import cancelled; nothing was imported")
                try:
                    self._check_future(course, "")
                    self._insert_course(tx, study, course, "active", reason)
                except InputError as exc:
                    raise InputError(exc.field, f"subject {course.subject_id}: {exc.message}") from None
                if progress is not None and k % 25 == 0:
                    progress(k, len(courses))
            tx.log("import", entity="study", entity_id=study_id, new=str(len(courses)), reason=reason)
        return len(courses)

    def _insert_course(self, tx: Tx, study: m.Study, course: Course, status: str, reason: str = "") -> int:
        existing = tx.session.exec(
            select(m.Subject).where(
                m.Subject.study_id == study.id, m.Subject.subject_code == course.subject_id
            )
        ).first()
        if existing is not None:
            raise InputError("subject_id", f"subject {course.subject_id!r} already exists in this study")
        assert study.id is not None
        subject = tx.insert(casemap.subject_row(course, study.id, status), reason)
        assert subject.id is not None
        tx.insert(casemap.course_row(course, subject.id), reason)
        for lesion in casemap.lesion_rows(course, subject.id):
            tx.insert(lesion, reason)
        for a in course.assessments:
            row = tx.insert(casemap.assessment_row(a, subject.id), reason)
            assert row.id is not None
            meas, new = casemap.measurement_rows(a.lesions, row.id)
            for item in (*meas, *new):
                tx.insert(item, reason)
        return subject.id

    def update_subject(self, actor: Actor, subject_pk: int, changes: Mapping[str, Any], reason: str) -> None:
        """Change subject or course fields (case-file names); the whole course is revalidated."""
        reason = _require_reason(reason)
        allowed = {
            "subject_id", "tumor_type", "indolent", "setting", "regimen", "agent", "first_dose", "last_dose",
            "discontinuation_reason", "intercurrent_therapy", "surgery_date", "major_pathological_response",
            "adjuvant_after_neoadjuvant", "status", "dosing_interval_days",
        }  # fmt: skip
        unknown = set(changes) - allowed
        if unknown:
            raise InputError(sorted(unknown)[0], "not a subject or course field")
        with self.writing(actor, "subject.update") as tx:
            rows = self._subject_rows(tx.session, subject_pk)
            study = _get(tx.session, m.Study, rows.subject.study_id)
            case = casemap.case_from_rows(rows, study.criteria)
            status = _status(changes.get("status", rows.subject.status))
            case.update({k: v for k, v in changes.items() if k != "status"})
            course = self._validate(case, study)
            if course.subject_id != rows.subject.subject_code:
                clash = tx.session.exec(
                    select(m.Subject).where(
                        m.Subject.study_id == study.id, m.Subject.subject_code == course.subject_id
                    )
                ).first()
                if clash is not None:
                    raise InputError(
                        "subject_id", f"subject {course.subject_id!r} already exists in this study"
                    )
            new_subject = casemap.subject_row(course, study.id or 0, status)
            new_course = casemap.course_row(course, subject_pk)
            tx.update(
                rows.subject,
                _fields(new_subject, ("subject_code", "tumor_type", "indolent", "setting", "status")),
                reason,
            )
            tx.update(rows.course, _fields(new_course, _COURSE_FIELDS), reason)

    def delete_subject(self, actor: Actor, subject_pk: int, reason: str) -> None:
        reason = _require_reason(reason)
        with self.writing(actor, "subject.delete") as tx:
            rows = self._subject_rows(tx.session, subject_pk)
            if tx.session.exec(select(m.Worksheet).where(m.Worksheet.subject_id == subject_pk)).first():
                raise InputError(
                    "subject", "a subject with worksheets cannot be deleted; set its status instead"
                )
            for a in rows.assessments:
                self._delete_assessment_rows(tx, a, rows, reason)
            for lesion in rows.lesions:
                tx.delete(lesion, reason)
            tx.delete(rows.course, reason)
            record = tx.session.get(m.CategoryRecord, subject_pk)
            if record is not None:  # derived data (core.store.categories): goes with the subject
                tx.session.delete(record)
                tx.session.flush()
            tx.delete(rows.subject, reason)

    # ------------------------------------------------------------------
    # Baseline and assessments

    def set_baseline(
        self, actor: Actor, subject_pk: int, baseline: Mapping[str, Any] | None, reason: str = ""
    ) -> None:
        """Set (or replace, with a reason) the baseline lesions; measurements must still match."""
        with self.writing(actor, "baseline.set") as tx:
            rows = self._subject_rows(tx.session, subject_pk)
            if rows.course.baseline_date is not None or rows.lesions:
                reason = _require_reason(reason)
            study = _get(tx.session, m.Study, rows.subject.study_id)
            case = casemap.case_from_rows(rows, study.criteria)
            case.pop("baseline", None)
            if baseline is not None:
                case["baseline"] = dict(baseline)
                case["criteria"] = study.criteria
            course = self._validate(case, study)
            wanted = {x.code: x for x in casemap.lesion_rows(course, subject_pk)}
            for lesion in rows.lesions:
                if lesion.code not in wanted:
                    tx.delete(lesion, reason)
                else:
                    target = wanted.pop(lesion.code)
                    tx.update(lesion, _fields(target, ("kind", "organ", "nodal", "mm")), reason)
            for lesion in wanted.values():
                tx.insert(lesion, reason)
            tx.update(
                rows.course, {"baseline_date": course.baseline.date if course.baseline else None}, reason
            )

    def add_assessment(
        self, actor: Actor, subject_pk: int, fields: Mapping[str, Any], modality: str = "CT"
    ) -> int:
        """Add a visit (case-file assessment fields); errors name the field without a prefix."""
        with self.writing(actor, "visit.add") as tx:
            rows = self._subject_rows(tx.session, subject_pk)
            study = _get(tx.session, m.Study, rows.subject.study_id)
            case = casemap.case_from_rows(rows, study.criteria)
            case["assessments"] = [dict(fields), *case["assessments"]]
            course = self._validate(case, study, visit=0)
            row = tx.insert(casemap.assessment_row(course.assessments[0], subject_pk, _modality(modality)))
            assert row.id is not None
            meas, new = casemap.measurement_rows(course.assessments[0].lesions, row.id)
            for item in (*meas, *new):
                tx.insert(item)
            return row.id

    def update_assessment(
        self,
        actor: Actor,
        assessment_pk: int,
        fields: Mapping[str, Any],
        reason: str,
        modality: str | None = None,
    ) -> None:
        """Replace a saved visit's fields (the whole case-file assessment object)."""
        reason = _require_reason(reason)
        with self.writing(actor, "visit.update") as tx:
            a = _get(tx.session, m.Assessment, assessment_pk)
            rows = self._subject_rows(tx.session, a.subject_id)
            study = _get(tx.session, m.Study, rows.subject.study_id)
            others = subject_rows_without(rows, assessment_pk)
            case = casemap.case_from_rows(others, study.criteria)
            case["assessments"] = [dict(fields), *case["assessments"]]
            course = self._validate(case, study, visit=0)
            parsed = course.assessments[0]
            new_row = casemap.assessment_row(parsed, a.subject_id, _modality(modality or a.modality))
            tx.update(a, _fields(new_row, _ASSESSMENT_FIELDS), reason)
            meas, new = casemap.measurement_rows(parsed.lesions, assessment_pk)
            old_meas = {x.lesion_code: x for x in rows.measurements.get(assessment_pk, [])}
            for item in meas:
                if item.lesion_code in old_meas:
                    tx.update(old_meas.pop(item.lesion_code), {"value": item.value}, reason)
                else:
                    tx.insert(item, reason)
            for gone in old_meas.values():
                tx.delete(gone, reason)
            old_new = {x.code: x for x in rows.new_lesions.get(assessment_pk, [])}
            for new_item in new:
                if new_item.code in old_new:
                    tx.update(
                        old_new.pop(new_item.code), _fields(new_item, ("organ", "mm", "measurable")), reason
                    )
                else:
                    tx.insert(new_item, reason)
            for gone_new in old_new.values():
                tx.delete(gone_new, reason)

    def delete_assessment(self, actor: Actor, assessment_pk: int, reason: str) -> None:
        reason = _require_reason(reason)
        with self.writing(actor, "visit.delete") as tx:
            a = _get(tx.session, m.Assessment, assessment_pk)
            rows = self._subject_rows(tx.session, a.subject_id)
            self._delete_assessment_rows(tx, a, rows, reason)

    def _delete_assessment_rows(
        self, tx: Tx, a: m.Assessment, rows: casemap.SubjectRows, reason: str
    ) -> None:
        for item in rows.measurements.get(a.id or 0, []):
            tx.delete(item, reason)
        for new in rows.new_lesions.get(a.id or 0, []):
            tx.delete(new, reason)
        tx.delete(a, reason)

    # ------------------------------------------------------------------
    # Validation

    def _validate(self, case: dict[str, Any], study: m.Study, visit: int | None = None) -> Course:
        """Parse the candidate case with the case-file rules, plus 'no future dates'.

        ``visit``: index of the assessment being entered; its errors lose the
        ``assessments[N].`` prefix so a form can point at its own field.
        """
        if case.get("baseline") is not None:
            case["criteria"] = study.criteria
        try:
            course = parse_case(case)
        except CaseFormatError as exc:
            prefix = f"assessments[{visit}]."
            if visit is not None and exc.field.startswith(prefix):
                raise InputError(exc.field.removeprefix(prefix), exc.message) from None
            if visit is not None and exc.field.startswith(f"assessments[{visit}]"):
                raise InputError("visit", exc.message) from None
            raise InputError(exc.field, exc.message) from None
        self._check_future(course, "" if visit is None else "visit")
        return course

    def _check_future(self, course: Course, visit_prefix: str) -> None:
        today = self.today()
        for name, value in future_dates(course, today)[:1]:
            shown = "date" if visit_prefix and name == "assessments[0].date" else name
            raise InputError(shown, f"{value} is in the future (today is {today})")


_COURSE_FIELDS = (
    "agent", "regimen", "first_dose", "last_dose", "discontinuation_reason", "intercurrent_therapy",
    "surgery_date", "major_pathological_response", "adjuvant_after_neoadjuvant", "baseline_date",
    "dosing_interval_days",
)  # fmt: skip
_ASSESSMENT_FIELDS = (
    "date", "modality", "response", "ecog", "clinical_progression", "symptomatic", "nodal_only",
    "multiple_metastases", "progressing_sites", "biopsy_confirms_progression", "new_lesions", "notes",
    "rapid_progression",
)  # fmt: skip


def _fields(obj: SQLModel, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _status(status: str) -> str:
    if status not in SUBJECT_STATUSES:
        raise InputError("status", f"unknown value {status!r} (allowed: {', '.join(SUBJECT_STATUSES)})")
    return status


def _modality(modality: str) -> str:
    if modality not in MODALITIES:
        raise InputError("modality", f"unknown value {modality!r} (allowed: {', '.join(MODALITIES)})")
    return modality


def import_roster_csv(store: Store, actor: Actor, study_id: int, path: Path) -> ImportReport:
    """Validate every row of a roster CSV, then import all rows or none."""
    from core.store.csvimport import read_roster_csv

    existing = [s.subject.subject_code for s in store.all_rows(study_id)]
    try:
        courses, rejected = read_roster_csv(path, store.today(), existing)
    except InputError as exc:  # a problem with the whole file: name it
        raise InputError(f"{path.name}: {exc.field}", exc.message) from None
    if rejected:
        return ImportReport(0, tuple(RejectedRow(*r) for r in rejected))
    store.import_cases(actor, study_id, courses, reason=f"roster import from {path.name}")
    return ImportReport(len(courses))
