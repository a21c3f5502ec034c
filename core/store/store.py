"""The store API shared by the GUI and the command line.

Every change goes through one write transaction that validates the whole
subject (with the same rules as a case file), applies the rows, and writes
the audit trail in the same transaction: a change is committed with its
audit rows, or not at all. Reads build roster rows in bulk (a handful of
queries, whatever the number of subjects).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel, col, select

from core.bulk import bulk
from core.casefile import future_dates, parse_case
from core.errors import CaseFormatError, InputError
from core.roster import RosterRow, roster_row
from core.rules import Assessment as RuleAssessment
from core.rules import (
    Category,
    Classification,
    Course,
    Regimen,
    Response,
    RuleSet,
    Setting,
    StopReason,
    classify,
)
from core.rules.lesions import Criteria
from core.store import casemap
from core.store import models as m
from core.store.audit import REDACTED, AuditReport, AuditWriter, serialize, verify_audit
from core.store.backup import daily_backup
from core.store.engine import DEFAULT_BUSY_TIMEOUT_MS, default_db_path, make_engine
from core.store.errors import AuthError, Cancelled, NotFoundError, StoreBusyError, StoreError
from core.store.migrate import migrate, revisions
from core.store.users import (
    LOCKOUT_MINUTES,
    MAX_FAILED_ATTEMPTS,
    Role,
    check_password_policy,
    check_username,
    hash_password,
    verify_password,
)

T = TypeVar("T", bound=SQLModel)

MODALITIES = ("CT", "MRI", "PET-CT", "X-ray", "ultrasound", "physical examination", "other")
SUBJECT_STATUSES = ("active", "off_study", "screen_failed")
SYSTEM_USER = "system"
# Never written into the audit trail: password hashes and key material; a worksheet's PDF is
# identified by its SHA-256 instead.
SECRET_FIELDS = frozenset({"password_hash", "private_key_pem", "certificate_pem", "pdf"})


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated user on whose behalf a change is made."""

    username: str
    role: Role
    full_name: str = ""
    user_id: int | None = None


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


@dataclass
class _Tx:
    """One write transaction: audited inserts, updates and deletes."""

    session: Session
    audit: AuditWriter
    actor: Actor
    _touched: list[int] = field(default_factory=list)

    def log(self, action: str, **kw: Any) -> None:
        self.audit.append(self.actor.username, action, **kw)

    def insert(self, obj: T, reason: str = "") -> T:
        self.session.add(obj)
        self.session.flush()
        values = _audit_values(obj)
        self.log(
            "insert",
            entity=_entity(obj),
            entity_id=_pk(obj),
            field="*",
            new=json.dumps(values, sort_keys=True, ensure_ascii=False),
            reason=reason,
        )
        return obj

    def update(self, obj: SQLModel, changes: Mapping[str, Any], reason: str) -> dict[str, tuple[Any, Any]]:
        changed: dict[str, tuple[Any, Any]] = {}
        for name, value in changes.items():
            old = getattr(obj, name)
            if old == value and type(old) is type(value):
                continue
            setattr(obj, name, value)
            changed[name] = (old, value)
            shown_old, shown_new = serialize(old), serialize(value)
            if name in SECRET_FIELDS:
                shown_old, shown_new = (REDACTED if old is not None else None), REDACTED
            self.log(
                "update",
                entity=_entity(obj),
                entity_id=_pk(obj),
                field=name,
                old=shown_old,
                new=shown_new,
                reason=reason,
            )
        if changed:
            self.session.add(obj)
            self.session.flush()
        return changed

    def delete(self, obj: SQLModel, reason: str) -> None:
        values = _audit_values(obj)
        self.log(
            "delete",
            entity=_entity(obj),
            entity_id=_pk(obj),
            field="*",
            old=json.dumps(values, sort_keys=True, ensure_ascii=False),
            reason=reason,
        )
        self.session.delete(obj)
        self.session.flush()


def _audit_values(obj: SQLModel) -> dict[str, str | None]:
    """A row's fields as the audit trail records them, secrets redacted."""
    values = {k: serialize(v) for k, v in obj.model_dump().items() if k != "id" and v is not None}
    for secret in SECRET_FIELDS & set(values):
        values[secret] = REDACTED
    return values


def _entity(obj: SQLModel) -> str:
    return str(obj.__tablename__)


def _pk(obj: SQLModel) -> int | None:
    value = getattr(obj, "id", None)
    return value if isinstance(value, int) else None


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InputError("reason", "a reason is required to change or delete saved data")
    return reason.strip()


class Store:
    """The study database. Open with ``Store.open(path)``."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = path
        self._clock = clock
        self._read = make_engine(path, writer=False, busy_timeout_ms=busy_timeout_ms)
        self._write = make_engine(path, writer=True, busy_timeout_ms=busy_timeout_ms)
        # Called with the thread that writes; the GUI uses it to assert its writer thread.
        self.on_write: Callable[[threading.Thread], None] | None = None
        # Classifications keyed by their whole input (course, as_of, rule set): all immutable
        # values, so a changed subject is simply a different key. Bounded; see _classified().
        self._results: dict[tuple[Course, dt.date, RuleSet], Classification] = {}

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        backup_daily: bool = True,
    ) -> Store:
        """Open (creating or upgrading as needed) the database at ``path``."""
        db = path or default_db_path()
        existed = db.exists()
        migrate(db)
        if existed and backup_daily:
            daily_backup(db, clock().date())
        store = cls(db, clock=clock, busy_timeout_ms=busy_timeout_ms)
        store._ensure_site_ca()
        return store

    def _ensure_site_ca(self) -> None:
        """The site certificate authority is created the first time a database is opened."""
        from core.store.site_keys import CA_CERT_KEY, ensure_site_ca

        with self.reading() as s:
            if s.get(m.Meta, CA_CERT_KEY) is not None:
                return
        with self.writing(Actor(SYSTEM_USER, Role.ADMINISTRATOR)) as tx:
            ensure_site_ca(tx, "", self.now())

    def close(self) -> None:
        self._read.dispose()
        self._write.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------
    # Transactions

    def now(self) -> dt.datetime:
        return self._clock()

    def today(self) -> dt.date:
        return self._clock().astimezone().date()

    def _stamp(self) -> str:
        return self._clock().astimezone(dt.UTC).isoformat(timespec="microseconds")

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self._read) as session:
            yield session

    @contextlib.contextmanager
    def writing(self, actor: Actor) -> Iterator[_Tx]:
        """One audited write transaction (``BEGIN IMMEDIATE``)."""
        if self.on_write is not None:
            self.on_write(threading.current_thread())
        try:
            with Session(self._write, expire_on_commit=False) as session, session.begin():
                tx = _Tx(session, AuditWriter(session, self._stamp), actor)
                yield tx
                tx.audit.close()
        except OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise StoreBusyError(
                    "database busy: another ResistDesk program kept it locked too long; "
                    "nothing was saved, try again"
                ) from exc
            raise StoreError(f"database error, nothing was saved: {exc.orig}") from exc
        except IntegrityError as exc:
            raise StoreError(f"database refused the change, nothing was saved: {exc.orig}") from exc

    # ------------------------------------------------------------------
    # Users

    def has_users(self) -> bool:
        with self.reading() as s:
            return bool(s.exec(select(func.count()).select_from(m.UserAccount)).one())

    def users(self) -> list[m.UserAccount]:
        with self.reading() as s:
            return list(s.exec(select(m.UserAccount).order_by(col(m.UserAccount.username))))

    def create_user(
        self, actor: Actor | None, username: str, full_name: str, role: Role | str, password: str
    ) -> Actor:
        """Create an account. Administrators do this; the very first account needs no actor
        and must be an administrator."""
        name = check_username(username)
        role = _role(role)
        if not full_name.strip():
            raise InputError("full_name", "the printed name is required (it appears on signatures)")
        check_password_policy(password, name)
        first = not self.has_users()
        if first:
            if role is not Role.ADMINISTRATOR:
                raise InputError("role", "the first account must be an administrator")
            actor = Actor(name, Role.ADMINISTRATOR, full_name.strip())
        elif actor is None or actor.role is not Role.ADMINISTRATOR:
            raise AuthError("only an administrator can create accounts")
        with self.writing(actor) as tx:
            if tx.session.exec(select(m.UserAccount).where(m.UserAccount.username == name)).first():
                raise InputError("username", f"user id {name!r} already exists")
            row = tx.insert(
                m.UserAccount(
                    username=name,
                    full_name=full_name.strip(),
                    role=role.value,
                    password_hash=hash_password(password),
                ),
                reason="first administrator" if first else "",
            )
            from core.store.site_keys import give_user_a_key

            give_user_a_key(tx, row, password, self.now())
        return Actor(name, role, row.full_name, row.id)

    def authenticate(self, username: str, password: str) -> Actor:
        """Check a password; lock the account after repeated failures. Audited."""
        name = username.strip()
        now = self.now()
        anon = Actor(name or "?", Role.COORDINATOR)
        with self.writing(anon) as tx:
            user = tx.session.exec(select(m.UserAccount).where(m.UserAccount.username == name)).first()
            if user is None:
                tx.log("login_failed", entity="user_account", reason="unknown user id")
                failure = "wrong user id or password"
            elif not user.active:
                tx.log("login_failed", entity="user_account", entity_id=user.id, reason="account disabled")
                failure = "this account is disabled"
            elif user.locked_until is not None and _aware(user.locked_until) > now:
                tx.log("login_failed", entity="user_account", entity_id=user.id, reason="account locked")
                failure = f"account locked until {_aware(user.locked_until).astimezone():%H:%M}"
            elif not verify_password(password, user.password_hash):
                attempts = user.failed_attempts + 1
                changes: dict[str, Any] = {"failed_attempts": attempts}
                if attempts >= MAX_FAILED_ATTEMPTS:
                    changes = {
                        "failed_attempts": 0,
                        "locked_until": now + dt.timedelta(minutes=LOCKOUT_MINUTES),
                    }
                tx.update(user, changes, reason="failed login")
                tx.log("login_failed", entity="user_account", entity_id=user.id, reason="wrong password")
                failure = "wrong user id or password"
                if attempts >= MAX_FAILED_ATTEMPTS:
                    failure = f"too many failed attempts: account locked for {LOCKOUT_MINUTES} minutes"
            else:
                if user.failed_attempts or user.locked_until is not None:
                    tx.update(user, {"failed_attempts": 0, "locked_until": None}, reason="successful login")
                tx.log("login", entity="user_account", entity_id=user.id)
                if user.private_key_pem is None:  # an account from before signing keys existed
                    from core.store.site_keys import give_user_a_key

                    give_user_a_key(tx, user, password, now)
                return Actor(user.username, Role(user.role), user.full_name, user.id)
        raise AuthError(failure)

    def change_password(self, actor: Actor, old_password: str, new_password: str) -> None:
        self.authenticate(actor.username, old_password)
        check_password_policy(new_password, actor.username)
        with self.writing(actor) as tx:
            user = self._user(tx.session, actor.username)
            changes: dict[str, Any] = {"password_hash": hash_password(new_password)}
            if user.private_key_pem is not None:
                from core.worksheet.pki import reencrypt_key

                changes["private_key_pem"] = reencrypt_key(user.private_key_pem, old_password, new_password)
            tx.update(user, changes, reason="password change")

    def set_role(self, actor: Actor, username: str, role: Role | str, reason: str) -> None:
        _admin(actor)
        role, reason = _role(role), _require_reason(reason)
        with self.writing(actor) as tx:
            user = self._user(tx.session, username)
            if user.role == Role.ADMINISTRATOR and role is not Role.ADMINISTRATOR:
                admins = tx.session.exec(
                    select(func.count())
                    .select_from(m.UserAccount)
                    .where(m.UserAccount.role == Role.ADMINISTRATOR.value, col(m.UserAccount.active))
                ).one()
                if admins <= 1:
                    raise InputError("role", "the last administrator cannot lose the role")
            tx.update(user, {"role": role.value}, reason)

    def set_active(self, actor: Actor, username: str, active: bool, reason: str) -> None:
        _admin(actor)
        with self.writing(actor) as tx:
            tx.update(self._user(tx.session, username), {"active": active}, _require_reason(reason))

    def _user(self, session: Session, username: str) -> m.UserAccount:
        user = session.exec(select(m.UserAccount).where(m.UserAccount.username == username)).first()
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        return user

    # ------------------------------------------------------------------
    # Studies

    def create_study(
        self,
        actor: Actor,
        protocol_id: str,
        title: str,
        *,
        sponsor: str = "",
        site: str = "",
        criteria: str = "RECIST 1.1",
        rule_overrides: Mapping[str, Any] | None = None,
        enrolled_categories: Sequence[str] = (),
        paper_size: str = "A4",
        is_demo: bool = False,
    ) -> m.Study:
        values = _study_values(
            protocol_id=protocol_id,
            title=title,
            sponsor=sponsor,
            site=site,
            criteria=criteria,
            rule_overrides=rule_overrides or {},
            enrolled_categories=enrolled_categories,
            paper_size=paper_size,
        )
        with self.writing(actor) as tx:
            if tx.session.exec(select(m.Study).where(m.Study.protocol_id == values["protocol_id"])).first():
                raise InputError("protocol_id", f"a study {values['protocol_id']!r} already exists")
            return tx.insert(m.Study(**values, is_demo=is_demo))

    def update_study(self, actor: Actor, study_id: int, changes: Mapping[str, Any], reason: str) -> m.Study:
        reason = _require_reason(reason)
        with self.writing(actor) as tx:
            study = _get(tx.session, m.Study, study_id)
            current = {
                "protocol_id": study.protocol_id,
                "title": study.title,
                "sponsor": study.sponsor,
                "site": study.site,
                "criteria": study.criteria,
                "rule_overrides": json.loads(study.rule_overrides),
                "enrolled_categories": json.loads(study.enrolled_categories),
                "paper_size": study.paper_size,
            }
            unknown = set(changes) - set(current)
            if unknown:
                raise InputError(sorted(unknown)[0], "not a study setting")
            values = _study_values(**{**current, **changes})
            tx.update(study, values, reason)
            return study

    def studies(self) -> list[m.Study]:
        with self.reading() as s:
            return list(s.exec(select(m.Study).order_by(col(m.Study.id))))

    def study(self, study_id: int) -> m.Study:
        with self.reading() as s:
            return _get(s, m.Study, study_id)

    def study_by_protocol(self, protocol_id: str) -> m.Study:
        with self.reading() as s:
            study = s.exec(select(m.Study).where(m.Study.protocol_id == protocol_id)).first()
            if study is None:
                raise NotFoundError(f"no study {protocol_id!r}")
            return study

    @staticmethod
    def ruleset(study: m.Study) -> RuleSet:
        return RuleSet().with_overrides(json.loads(study.rule_overrides))

    # ------------------------------------------------------------------
    # Subjects

    def add_subject(
        self, actor: Actor, study_id: int, fields: Mapping[str, Any], status: str = "active"
    ) -> int:
        """Add a subject from case-file fields (subject_id, tumor_type, setting, first_dose, ...)."""
        case = {"format": "resistdesk-case/1", "assessments": [], **fields}
        with self.writing(actor) as tx:
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
        with self.writing(actor) as tx:
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

    def _insert_course(self, tx: _Tx, study: m.Study, course: Course, status: str, reason: str = "") -> int:
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
            "adjuvant_after_neoadjuvant", "status",
        }  # fmt: skip
        unknown = set(changes) - allowed
        if unknown:
            raise InputError(sorted(unknown)[0], "not a subject or course field")
        with self.writing(actor) as tx:
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
        with self.writing(actor) as tx:
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
            tx.delete(rows.subject, reason)

    # ------------------------------------------------------------------
    # Baseline and assessments

    def set_baseline(
        self, actor: Actor, subject_pk: int, baseline: Mapping[str, Any] | None, reason: str = ""
    ) -> None:
        """Set (or replace, with a reason) the baseline lesions; measurements must still match."""
        with self.writing(actor) as tx:
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
        with self.writing(actor) as tx:
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
        with self.writing(actor) as tx:
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
        with self.writing(actor) as tx:
            a = _get(tx.session, m.Assessment, assessment_pk)
            rows = self._subject_rows(tx.session, a.subject_id)
            self._delete_assessment_rows(tx, a, rows, reason)

    def _delete_assessment_rows(
        self, tx: _Tx, a: m.Assessment, rows: casemap.SubjectRows, reason: str
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

    # ------------------------------------------------------------------
    # Reads

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
        return parse_case(self.case(subject_pk))

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
            (rows.subject, parse_case(casemap.case_from_rows(rows, study.criteria)))
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

    def _read_courses(self, study_id: int) -> list[tuple[int, str, Course]]:
        with self._read.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            cursor = driver.cursor()  # plain tuples, no Row objects
            subjects = cursor.execute(_SUBJECTS_SQL, (study_id,)).fetchall()
            visits = cursor.execute(_VISITS_SQL, (study_id,)).fetchall()
            cursor.close()
        by_subject: dict[int, list[RuleAssessment]] = defaultdict(list)
        date, response = dt.date.fromisoformat, _RESPONSES.__getitem__  # dict lookups: Enum() is slow
        for sid, day, resp, clin, symp, nodal, multi, sites, biopsy, ecog, notes in visits:
            by_subject[sid].append(
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
                )
            )
        out: list[tuple[int, str, Course]] = []
        for (sid, code, tumor, indolent, setting, status, agent, regimen, first, last, reason, intercurrent,
             surgery, mpr, adj_after, baseline) in subjects:  # fmt: skip
            if baseline is not None:
                out.append((sid, status, self.course(sid)))
                continue
            out.append(
                (
                    sid,
                    status,
                    Course(
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
                        assessments=tuple(by_subject.get(sid, ())),
                    ),
                )
            )
        return out

    def roster_rows(
        self,
        study_id: int,
        as_of: dt.date,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[RosterRow]:
        """Every subject with its classification and what is due, as of a date."""
        ruleset = self.ruleset(self.study(study_id))
        with bulk():
            triples = self.read_courses(study_id)
            out = []
            for k, (subject_pk, status, course) in enumerate(triples):
                if cancelled is not None and cancelled():
                    break
                out.append(roster_row(subject_pk, status, course, self._classified(course, as_of, ruleset)))
                if progress is not None and k % 500 == 0:
                    progress(k, len(triples))
        return out

    RESULT_CACHE_LIMIT = 100_000

    def _classified(self, course: Course, as_of: dt.date, ruleset: RuleSet) -> Classification:
        """classify(), remembered by input: re-reading a roster re-classifies only what changed."""
        key = (course, as_of, ruleset)
        result = self._results.get(key)
        if result is None:
            if len(self._results) >= self.RESULT_CACHE_LIMIT:
                self._results.clear()
            result = self._results[key] = classify(course, as_of, ruleset)
        return result

    def classify_subject(self, subject_pk: int, as_of: dt.date) -> Classification:
        with self.reading() as s:
            subject = _get(s, m.Subject, subject_pk)
            study = _get(s, m.Study, subject.study_id)
        return classify(self.course(subject_pk), as_of, self.ruleset(study))

    def export_cases(self, study_id: int, subject_code: str | None = None) -> list[dict[str, Any]]:
        study = self.study(study_id)
        rows = self.all_rows(study_id)
        if subject_code is not None:
            rows = [r for r in rows if r.subject.subject_code == subject_code]
            if not rows:
                raise NotFoundError(f"no subject {subject_code!r} in study {study.protocol_id}")
        return [casemap.case_from_rows(r, study.criteria) for r in rows]

    # ------------------------------------------------------------------
    # Audit

    def log_event(
        self,
        actor: Actor,
        action: str,
        *,
        entity: str = "",
        entity_id: int | None = None,
        reason: str = "",
        detail: str | None = None,
    ) -> None:
        """Audit an event that changes no study data (an export, a print, a verification)."""
        with self.writing(actor) as tx:
            tx.log(action, entity=entity, entity_id=entity_id, new=detail, reason=reason)

    def audit_events(
        self,
        *,
        user: str | None = None,
        entity: str | None = None,
        entity_id: int | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        limit: int | None = None,
    ) -> list[m.AuditEvent]:
        with self.reading() as s:
            q = select(m.AuditEvent)
            if user:
                q = q.where(m.AuditEvent.user == user)
            if entity:
                q = q.where(m.AuditEvent.entity == entity)
            if entity_id is not None:
                q = q.where(m.AuditEvent.entity_id == entity_id)
            if since:
                q = q.where(m.AuditEvent.at_utc >= since.isoformat())
            if until:
                q = q.where(m.AuditEvent.at_utc < (until + dt.timedelta(days=1)).isoformat())
            q = q.order_by(col(m.AuditEvent.id).desc())
            if limit:
                q = q.limit(limit)
            return list(s.exec(q))

    def verify_audit(self) -> AuditReport:
        return verify_audit(self.path)


# ---------------------------------------------------------------------------
# Helpers

_RESPONSES = {r.value: r for r in Response}
_SETTINGS = {x.value: x for x in Setting}
_REGIMENS = {x.value: x for x in Regimen}
_REASONS = {x.value: x for x in StopReason}
_SUBJECTS_SQL = (
    "SELECT s.id, s.subject_code, s.tumor_type, s.indolent, s.setting, s.status, c.agent, c.regimen, "
    "c.first_dose, c.last_dose, c.discontinuation_reason, c.intercurrent_therapy, c.surgery_date, "
    "c.major_pathological_response, c.adjuvant_after_neoadjuvant, c.baseline_date "
    "FROM subject s JOIN course c ON c.subject_id = s.id "
    "WHERE s.study_id = ? ORDER BY s.subject_code"
)
_VISITS_SQL = (
    "SELECT a.subject_id, a.date, a.response, a.clinical_progression, a.symptomatic, a.nodal_only, "
    "a.multiple_metastases, a.progressing_sites, a.biopsy_confirms_progression, a.ecog, a.notes "
    "FROM assessment a JOIN subject s ON s.id = a.subject_id WHERE s.study_id = ? "
    "ORDER BY a.subject_id, a.date, a.id"
)

_COURSE_FIELDS = (
    "agent", "regimen", "first_dose", "last_dose", "discontinuation_reason", "intercurrent_therapy",
    "surgery_date", "major_pathological_response", "adjuvant_after_neoadjuvant", "baseline_date",
)  # fmt: skip
_ASSESSMENT_FIELDS = (
    "date", "modality", "response", "ecog", "clinical_progression", "symptomatic", "nodal_only",
    "multiple_metastases", "progressing_sites", "biopsy_confirms_progression", "new_lesions", "notes",
)  # fmt: skip


def subject_rows_without(rows: casemap.SubjectRows, assessment_pk: int) -> casemap.SubjectRows:
    return casemap.SubjectRows(
        rows.subject,
        rows.course,
        [a for a in rows.assessments if a.id != assessment_pk],
        rows.lesions,
        {k: v for k, v in rows.measurements.items() if k != assessment_pk},
        {k: v for k, v in rows.new_lesions.items() if k != assessment_pk},
    )


def _fields(obj: SQLModel, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _get(session: Session, model: type[T], pk: int) -> T:
    obj = session.get(model, pk)
    if obj is None:
        raise NotFoundError(f"no {model.__tablename__} with id {pk}")
    return obj


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(
            "role", f"unknown role {role!r} (allowed: {', '.join(r.value for r in Role)})"
        ) from None


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMINISTRATOR:
        raise AuthError("only an administrator can do this")


def _status(status: str) -> str:
    if status not in SUBJECT_STATUSES:
        raise InputError("status", f"unknown value {status!r} (allowed: {', '.join(SUBJECT_STATUSES)})")
    return status


def _modality(modality: str) -> str:
    if modality not in MODALITIES:
        raise InputError("modality", f"unknown value {modality!r} (allowed: {', '.join(MODALITIES)})")
    return modality


def _study_values(
    *,
    protocol_id: str,
    title: str,
    sponsor: str,
    site: str,
    criteria: str,
    rule_overrides: Mapping[str, Any],
    enrolled_categories: Sequence[str],
    paper_size: str,
) -> dict[str, Any]:
    if not protocol_id or not protocol_id.strip():
        raise InputError("protocol_id", "is required")
    if not title or not title.strip():
        raise InputError("title", "is required")
    try:
        Criteria(criteria)
    except ValueError:
        raise InputError("criteria", f"unknown value {criteria!r} (allowed: RECIST 1.1, iRECIST)") from None
    if paper_size not in ("A4", "Letter"):
        raise InputError("paper_size", "must be A4 or Letter")
    try:
        ruleset = RuleSet().with_overrides(dict(rule_overrides))
    except InputError as exc:
        raise InputError(f"rule_overrides.{exc.field}", exc.message) from None
    allowed = {c.value for c in Category}
    for cat in enrolled_categories:
        if cat not in allowed:
            raise InputError("enrolled_categories", f"unknown category {cat!r}")
    return {
        "protocol_id": protocol_id.strip(),
        "title": title.strip(),
        "sponsor": sponsor.strip(),
        "site": site.strip(),
        "criteria": criteria,
        "rule_overrides": json.dumps(ruleset.overrides, sort_keys=True),
        "enrolled_categories": json.dumps(sorted(set(enrolled_categories))),
        "paper_size": paper_size,
    }


def known_revision(revision: str) -> bool:
    return revision in revisions()


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
