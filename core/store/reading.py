"""Reading: a subject's rows, every subject of a study in bulk, the roster, exports."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session, col, select

from core.bulk import bulk
from core.casefile import parse_stored_case
from core.errors import CaseFormatError
from core.roster import RosterRow, roster_row
from core.rules import Assessment as RuleAssessment
from core.rules import Classification, Course, Regimen, Response, Setting, StopReason, StudyRules, classify
from core.store import casemap
from core.store import models as m
from core.store.base import _get
from core.store.categories import CategoryChange
from core.store.engine import VISIT_COLUMNS, visit_texts
from core.store.errors import NotFoundError, StoreError
from core.store.result_cache import RosterCache, digest
from core.store.studies import Studies


class Reading(Studies):
    """Reads of subjects, courses and the roster."""

    def _subject_rows(self, session: Session, subject_pk: int) -> casemap.SubjectRows:
        subject = _get(session, m.Subject, subject_pk)
        course = session.exec(select(m.Course).where(m.Course.subject_id == subject_pk)).first()
        if course is None:
            raise NotFoundError(f"subject {subject.subject_code} has no treatment course")
        assessments = list(session.exec(select(m.Assessment).where(m.Assessment.subject_id == subject_pk)))
        lesions = list(
            session.exec(
                select(m.BaselineLesion)
                .where(m.BaselineLesion.subject_id == subject_pk)
                .order_by(col(m.BaselineLesion.id))
            )
        )
        ids = [a.id for a in assessments]
        meas: dict[int, list[m.Measurement]] = defaultdict(list)
        new: dict[int, list[m.NewLesion]] = defaultdict(list)
        if ids:
            for x in session.exec(
                select(m.Measurement)
                .where(col(m.Measurement.assessment_id).in_(ids))
                .order_by(col(m.Measurement.id))
            ):
                meas[x.assessment_id].append(x)
            for y in session.exec(
                select(m.NewLesion)
                .where(col(m.NewLesion.assessment_id).in_(ids))
                .order_by(col(m.NewLesion.id))
            ):
                new[y.assessment_id].append(y)
        return casemap.SubjectRows(subject, course, assessments, lesions, dict(meas), dict(new))

    def subject_rows(self, subject_pk: int) -> casemap.SubjectRows:
        with self.reading() as s:
            return self._subject_rows(s, subject_pk)

    def case(self, subject_pk: int, *, without_assessment: int | None = None) -> dict[str, Any]:
        """The subject as a ``resistdesk-case/1`` object (optionally leaving one visit out,
        to check an edit of it against the others)."""
        with self.reading() as s:
            rows = self._subject_rows(s, subject_pk)
            if without_assessment is not None:
                rows = subject_rows_without(rows, without_assessment)
            study = _get(s, m.Study, rows.subject.study_id)
            return casemap.case_from_rows(rows, study.criteria)

    def course(self, subject_pk: int) -> Course:
        return parse_stored_case(self.case(subject_pk))

    def subject_pk(self, study_id: int, subject_code: str) -> int:
        with self.reading() as s:
            subject = s.exec(
                select(m.Subject).where(
                    m.Subject.study_id == study_id, m.Subject.subject_code == subject_code
                )
            ).first()
            if subject is None or subject.id is None:
                raise NotFoundError(f"no subject {subject_code!r} in this study")
            return subject.id

    def all_rows(self, study_id: int) -> list[casemap.SubjectRows]:
        """Every subject of a study with its course, visits and lesions, in a few queries."""
        with self.reading() as s:
            subjects = list(
                s.exec(
                    select(m.Subject)
                    .where(m.Subject.study_id == study_id)
                    .order_by(col(m.Subject.subject_code))
                )
            )
            sub_ids = select(m.Subject.id).where(m.Subject.study_id == study_id)
            courses = {
                c.subject_id: c for c in s.exec(select(m.Course).where(col(m.Course.subject_id).in_(sub_ids)))
            }
            visits: dict[int, list[m.Assessment]] = defaultdict(list)
            for a in s.exec(select(m.Assessment).where(col(m.Assessment.subject_id).in_(sub_ids))):
                visits[a.subject_id].append(a)
            lesions: dict[int, list[m.BaselineLesion]] = defaultdict(list)
            for lesion in s.exec(
                select(m.BaselineLesion)
                .where(col(m.BaselineLesion.subject_id).in_(sub_ids))
                .order_by(col(m.BaselineLesion.id))
            ):
                lesions[lesion.subject_id].append(lesion)
            visit_ids = select(m.Assessment.id).where(col(m.Assessment.subject_id).in_(sub_ids))
            meas: dict[int, list[m.Measurement]] = defaultdict(list)
            for x in s.exec(
                select(m.Measurement)
                .where(col(m.Measurement.assessment_id).in_(visit_ids))
                .order_by(col(m.Measurement.id))
            ):
                meas[x.assessment_id].append(x)
            new: dict[int, list[m.NewLesion]] = defaultdict(list)
            for y in s.exec(
                select(m.NewLesion)
                .where(col(m.NewLesion.assessment_id).in_(visit_ids))
                .order_by(col(m.NewLesion.id))
            ):
                new[y.assessment_id].append(y)
        out = []
        for subject in subjects:
            assert subject.id is not None
            visits_of = visits.get(subject.id, [])
            out.append(
                casemap.SubjectRows(
                    subject,
                    courses[subject.id],
                    visits_of,
                    lesions.get(subject.id, []),
                    {a.id: meas[a.id] for a in visits_of if a.id in meas},
                    {a.id: new[a.id] for a in visits_of if a.id in new},
                )
            )
        return out

    def courses(self, study_id: int) -> list[tuple[m.Subject, Course]]:
        study = self.study(study_id)
        return [
            (rows.subject, parse_stored_case(casemap.case_from_rows(rows, study.criteria)))
            for rows in self.all_rows(study_id)
        ]

    def read_courses(self, study_id: int) -> list[tuple[int, str, Course]]:
        """(subject pk, status, course) for every subject, read in two plain queries.

        The roster's fast path: it builds the classifier's values straight from
        rows, instead of ORM objects and a case file to re-validate (every row
        was validated when it was written). Subjects with lesion measurements
        take the validated path. A test checks both paths give equal courses.
        """
        with bulk():
            return self._read_courses(study_id)

    def _fetch_roster(
        self, study_id: int, cache: RosterCache | None = None
    ) -> tuple[list[tuple[Any, ...]], dict[int, list[tuple[Any, ...]]], list[bytes | None]]:
        """In one read transaction: every subject (with its course) of a study as plain tuples;
        the visits, as plain tuples grouped by subject pk in date order, of every subject the
        roster must classify (all of them without ``cache``; with it, those whose content key
        it lacks); and with ``cache``, each subject row's content key (``result_cache.digest``),
        in the order of the rows (a key per row, not per pk: a subject that another program
        gave a second course has two rows, two inputs).

        The keys come from each subject's visits as one text made by the database
        (``engine.visit_texts``): for the subjects whose rows are cached, no visit becomes
        Python values (10,000 subjects: 0.09 s instead of 0.2). Subjects with lesion
        measurements are read elsewhere (``course``): they have neither visits here nor a key."""
        with self._read.connect() as conn, conn.begin():
            driver = conn.connection.driver_connection
            assert driver is not None
            cursor = driver.cursor()  # plain tuples, no Row objects
            subjects = cursor.execute(_SUBJECTS_SQL, (study_id,)).fetchall()
            texts = visit_texts(conn, study_id) if cache is not None else None
            keys: list[bytes | None] = [None] * len(subjects)
            wanted: list[int] | None = None  # None: every subject's visits
            if texts is not None and cache is not None:
                wanted = []
                for at, subject in enumerate(subjects):
                    sid = subject[0]
                    if subject[15] is not None:  # lesion measurements: read by course()
                        continue
                    text = texts.get(sid, "")  # "": no visits
                    if text is None:  # values a text cannot tell apart: keyed on the values below
                        wanted.append(sid)
                        continue
                    key = keys[at] = digest(subject, text)
                    if key not in cache:
                        wanted.append(sid)
            visits: defaultdict[int, list[tuple[Any, ...]]] = defaultdict(list)
            if wanted is None or len(wanted) > len(subjects) // 2:
                rows = cursor.execute(_VISITS_SQL, (study_id,)).fetchall()
            else:
                rows = []
                wanted = list(dict.fromkeys(wanted))  # a pk twice (two course rows): its visits once
                for at in range(0, len(wanted), _IN_CHUNK):
                    chunk = wanted[at : at + _IN_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows += cursor.execute(_VISITS_OF_SQL.format(marks), chunk).fetchall()
            cursor.close()
        for visit in rows:
            visits[visit[0]].append(visit)
        for sid in (subject[0] for subject in subjects) if wanted is None else wanted:
            visits.setdefault(sid, [])  # read, and none: an entry all the same (see roster_rows)
        if cache is not None:
            for at, subject in enumerate(subjects):
                if subject[15] is None and keys[at] is None:
                    keys[at] = digest(subject, visits.get(subject[0], ()))
        return subjects, dict(visits), keys

    def _row_course(self, subject: tuple[Any, ...], visits: Sequence[tuple[Any, ...]]) -> tuple[Course, bool]:
        """The course from rows (``_course``), and True; where a visit holds lesion data or a
        value this program does not write (another program changed the file), the validated
        read's answer instead (the course, or an error naming the subject and the field), and
        False: it read other tables than the rows, so its result is not to be cached."""
        try:
            return _course(subject, visits), True
        except (KeyError, ValueError, TypeError):
            return self._stored_course(subject), False

    def _stored_course(self, subject: tuple[Any, ...]) -> Course:
        """The course by the validated read (``course``), its errors said of the subject."""
        try:
            return self.course(subject[0])
        except (CaseFormatError, ValueError, TypeError) as exc:
            what = (
                str(exc)
                if isinstance(exc, CaseFormatError)
                else f"a stored date or number cannot be read ({exc})"
            )
            raise StoreError(
                f"subject {subject[1]}: {what}. The study file holds a value ResistDesk does not write: "
                "it was changed outside the application. Run `resistdesk audit verify` and restore a "
                "backup if needed"
            ) from None

    def _read_courses(self, study_id: int) -> list[tuple[int, str, Course]]:
        subjects, visits, _keys = self._fetch_roster(study_id)
        out: list[tuple[int, str, Course]] = []
        for subject in subjects:
            sid, status, baseline = subject[0], subject[5], subject[15]
            if baseline is not None:
                course = self._stored_course(subject)
            else:
                course, _from_rows = self._row_course(subject, visits.get(sid, ()))
            out.append((sid, status, course))
        return out

    def roster_rows(
        self,
        study_id: int,
        as_of: dt.date,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[RosterRow]:
        """Every subject with its classification and what is due, as of a date.

        Rows of unchanged subjects come from this workstation's result cache
        (``core.store.result_cache``: keyed by the digest of each subject's stored input
        as read here, authenticated, bound to the rules, date and code); every other
        subject is classified."""
        study = self.study(study_id)
        ruleset = self.rules(study)
        with bulk():
            cache = self._roster_cache(study_id, as_of, (study.rule_overrides, study.ici_chemo_overrides))
            subjects, visits, keys = self._fetch_roster(study_id, cache)
            if cache is not None:
                cache.begin()
            out = []
            total = len(subjects)
            for k, subject in enumerate(subjects):
                if cancelled is not None and cancelled():
                    break
                sid, status, baseline = subject[0], subject[5], subject[15]
                if baseline is not None:  # lesion measurements: another table; never cached
                    course = self._stored_course(subject)
                    out.append(roster_row(sid, status, course, self._classified(course, as_of, ruleset)))
                else:
                    key = keys[k] or b""
                    row = cache.get(key) if cache is not None else None
                    if row is None:  # its visits were read (_fetch_roster): no entry would be a bug
                        course, from_rows = self._row_course(subject, visits[sid])
                        if cache is None or not from_rows:
                            row = roster_row(sid, status, course, self._classified(course, as_of, ruleset))
                        else:  # the cache remembers it (hashing the course for _results costs more)
                            row = roster_row(sid, status, course, classify(course, as_of, ruleset))
                            cache.put(key, row)
                    out.append(row)
                if progress is not None and k % 500 == 0:
                    progress(k, total)
        return out

    def prepare_roster(self, study_id: int, as_of: dt.date) -> None:
        """Open this workstation's result cache for the study's roster as of ``as_of`` (read the
        file, check its authentication), so that the roster read next only reads the study and
        compares digests. Reads no subject and shows nothing: the desktop calls it while the
        sign-in dialog waits."""
        study = self.study(study_id)
        self._roster_cache(study_id, as_of, (study.rule_overrides, study.ici_chemo_overrides))

    def _roster_cache(self, study_id: int, as_of: dt.date, rules: tuple[str, str]) -> RosterCache | None:
        """This workstation's cache for the study as of ``as_of`` under ``rules`` (opened once
        per store and header; None when no cache can be kept)."""
        header = (as_of.isoformat(), *rules)
        with self._roster_cache_lock:
            cache = self._roster_caches.get(study_id)
            if cache is None or cache.header[4:] != header:
                if cache is not None:
                    cache.save()  # the rows of the previous date or rules, for a later start
                cache = RosterCache.open(self.anchor_book, self.study_file_id, study_id, header)
                if cache is None:
                    self._roster_caches.pop(study_id, None)
                    return None
                self._roster_caches[study_id] = cache
            return cache

    def prepare_next_day(self, study_id: int) -> None:
        """Classify the roster as of tomorrow into this workstation's result cache (written on
        close), so that tomorrow's first start finds it: the desktop calls this after its last
        window has closed. A subject changed before then is classified again at that start."""
        self.roster_rows(study_id, self.today() + dt.timedelta(days=1))

    def save_roster_caches(self) -> None:
        """Write the result caches changed since they were opened (``close`` does)."""
        with self._roster_cache_lock:
            caches = list(self._roster_caches.values())
        for cache in caches:
            cache.save()

    def forget_results(self) -> None:
        """Drop every remembered result, in memory and this workstation's cache files of
        this store's studies (the next roster classifies everything)."""
        with self._roster_cache_lock:
            self._roster_caches.clear()
        if self.anchor_book is not None and self.study_file_id is not None:
            for study in self.studies():
                for path in RosterCache.files(self.anchor_book, self.study_file_id, study.id or 0):
                    with contextlib.suppress(OSError):
                        path.unlink()
        self._results.clear()

    RESULT_CACHE_LIMIT = 100_000

    def _classified(self, course: Course, as_of: dt.date, ruleset: StudyRules) -> Classification:
        """classify(), remembered by input: re-reading a roster re-classifies only what changed."""
        key = (course, as_of, ruleset)
        result = self._results.get(key)
        if result is None:
            if len(self._results) >= self.RESULT_CACHE_LIMIT:
                self._results.clear()
            result = self._results[key] = classify(course, as_of, ruleset)
        return result

    def classify_course(self, course: Course, as_of: dt.date, ruleset: StudyRules) -> Classification:
        """classify(), remembered by input (see _classified)."""
        return self._classified(course, as_of, ruleset)

    # Categories last shown or signed, and what a rule-set upgrade changed (core.store.categories)

    def category_records(self, study_id: int) -> dict[int, m.CategoryRecord]:
        from core.store.categories import category_records

        return category_records(self, study_id)

    def category_changes(self, study_id: int) -> dict[int, CategoryChange]:
        """Subjects whose category a newer rule-set version changed (by subject primary key)."""
        from core.store.categories import category_changes

        return category_changes(self, study_id)

    def track_categories(
        self, study_id: int, as_of: dt.date, shown: Sequence[RosterRow] | None = None
    ) -> dict[int, CategoryChange]:
        """Record the categories shown as of a date (``shown``: the roster rows just shown);
        on a study's first use of a newer rule-set version, mark and audit (once) the subjects
        it changed. Returns every marked subject."""
        from core.store.categories import track_categories

        return track_categories(self, study_id, as_of, shown)

    def classify_subject(self, subject_pk: int, as_of: dt.date) -> Classification:
        with self.reading() as s:
            subject = _get(s, m.Subject, subject_pk)
            study = _get(s, m.Study, subject.study_id)
        return classify(self.course(subject_pk), as_of, self.rules(study))

    def export_cases(self, study_id: int, subject_code: str | None = None) -> list[dict[str, Any]]:
        study = self.study(study_id)
        rows = self.all_rows(study_id)
        if subject_code is not None:
            rows = [r for r in rows if r.subject.subject_code == subject_code]
            if not rows:
                raise NotFoundError(f"no subject {subject_code!r} in study {study.protocol_id}")
        return [casemap.case_from_rows(r, study.criteria) for r in rows]


_RESPONSES = {r.value: r for r in Response}
_SETTINGS = {x.value: x for x in Setting}
_REGIMENS = {x.value: x for x in Regimen}
_REASONS = {x.value: x for x in StopReason}
_SUBJECTS_SQL = (
    "SELECT s.id, s.subject_code, s.tumor_type, s.indolent, s.setting, s.status, c.agent, c.regimen, "
    "c.first_dose, c.last_dose, c.discontinuation_reason, c.intercurrent_therapy, c.surgery_date, "
    "c.major_pathological_response, c.adjuvant_after_neoadjuvant, c.baseline_date, c.dosing_interval_days "
    "FROM subject s JOIN course c ON c.subject_id = s.id "
    "WHERE s.study_id = ? ORDER BY s.subject_code"
)
_IN_CHUNK = 500  # subject pks per "IN (...)" (SQLite allows 32,766 parameters; PostgreSQL more)
# The columns of a visit that _course reads, in its order: the same as the text the cache keys on
# (core.store.engine.visit_texts), so that the two cannot come to differ.
_VISIT_VALUES = ", ".join(f"a.{c}" for c in VISIT_COLUMNS)
_VISITS_OF_SQL = (
    f"SELECT a.subject_id, {_VISIT_VALUES} "
    "FROM assessment a WHERE a.subject_id IN ({}) ORDER BY a.subject_id, a.date, a.id"
)
_VISITS_SQL = (
    f"SELECT a.subject_id, {_VISIT_VALUES} "
    "FROM assessment a WHERE a.subject_id IN (SELECT id FROM subject WHERE study_id = ?) "
    "ORDER BY a.subject_id, a.date, a.id"  # IN, not a join: the index gives subject order, only dates sort
)


def _course(subject: tuple[Any, ...], visits: Sequence[tuple[Any, ...]]) -> Course:
    """The classifier's course from a subject row and its visit rows (validated when written), for
    a subject without lesion measurements (ValueError if a visit holds lesion data)."""
    (_sid, code, tumor, indolent, setting, _status, agent, regimen, first, last, reason, intercurrent,
     surgery, mpr, adj_after, _baseline, interval) = subject  # fmt: skip
    if any(visit[-1] is not None for visit in visits):  # only another program writes that here
        raise ValueError(f"subject {code}: a visit holds lesion data without a baseline")
    date, response = dt.date.fromisoformat, _RESPONSES.__getitem__  # dict lookups: Enum() is slow
    return Course(
        subject_id=code,
        tumor_type=tumor,
        setting=_SETTINGS[setting],
        regimen=_REGIMENS[regimen],
        first_dose=date(first),
        agent=agent or None,
        indolent=bool(indolent),
        last_dose=None if last is None else date(last),
        discontinuation_reason=None if reason is None else _REASONS[reason],
        intercurrent_therapy=bool(intercurrent),
        surgery_date=None if surgery is None else date(surgery),
        major_pathological_response=None if mpr is None else bool(mpr),
        adjuvant_after_neoadjuvant=bool(adj_after),
        assessments=tuple(
            [
                RuleAssessment(
                    date=date(day),
                    response=None if resp is None else response(resp),
                    clinical_progression=bool(clin),
                    symptomatic=bool(symp),
                    nodal_only=bool(nodal),
                    multiple_metastases=bool(multi),
                    progressing_sites=sites,
                    biopsy_confirms_progression=None if biopsy is None else bool(biopsy),
                    ecog=ecog,
                    notes=(notes,) if notes else (),
                    rapid_progression=bool(rapid),
                )
                for _, day, resp, clin, symp, nodal, multi, sites, biopsy, ecog, notes, rapid, _new in visits
            ]
        ),
        dosing_interval_days=interval,
    )


def subject_rows_without(rows: casemap.SubjectRows, assessment_pk: int) -> casemap.SubjectRows:
    return casemap.SubjectRows(
        rows.subject,
        rows.course,
        [a for a in rows.assessments if a.id != assessment_pk],
        rows.lesions,
        {k: v for k, v in rows.measurements.items() if k != assessment_pk},
        {k: v for k, v in rows.new_lesions.items() if k != assessment_pk},
    )
