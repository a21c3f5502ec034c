"""Workflows a coordinator runs on subjects and visits: each opens a dialog,
submits the write through the session (the writer thread), and on a refused
value shows the core's message in the dialog without losing what was typed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from core.casefile import json_number, parse_document, read_document
from core.errors import InputError
from core.reminders import pending_confirmations, to_ics
from core.roster import RosterRow
from core.store.casemap import assessment_to_case
from core.store.store import ImportReport, import_roster_csv
from desktop.dialogs.subject_dialog import SubjectDialog
from desktop.dialogs.visit_dialog import BaselineDialog, VisitDialog
from desktop.session import Session
from desktop.widgets.files import open_path, open_paths, save_path
from desktop.widgets.forms import ask_reason, confirm_same_date

D = TypeVar("D", bound=QDialog)


class _ErrorShowing(Protocol):
    def show_error(self, field: str | None, message: str) -> None: ...

    def accept(self) -> None: ...


def _handlers(
    dialog: _ErrorShowing, after: Callable[[Any], None] | None = None
) -> tuple[Callable[[Any], None], Callable[[BaseException], None]]:
    def done(result: Any) -> None:
        dialog.accept()
        if after is not None:
            after(result)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, InputError):
            dialog.show_error(exc.field, exc.message)
        else:
            dialog.show_error(None, str(exc))

    return done, failed


class SubjectFlows:
    """Add/edit/delete subjects, visits and baselines."""

    def __init__(
        self,
        session: Session,
        parent: QWidget,
        open_subject: Callable[[int], None],
        settings: QSettings | None = None,
        tell: Callable[[str], None] | None = None,
    ) -> None:
        self.session, self.parent, self.open_subject = session, parent, open_subject
        self.settings = settings or QSettings()
        self.saved = tell or (lambda _message: None)
        """Says what was saved (the window's status bar)."""
        self.last_dialog: Any = None  # the dialog currently open (tests drive it)
        self.last_progress: Any = None

    def add_subject(self) -> SubjectDialog:
        dialog = SubjectDialog(self.parent)
        s = self.session

        def save() -> None:
            if not dialog.precheck():
                return
            fields, status = dialog.fields(), dialog.status.currentText()

            def opened(pk: Any) -> None:
                self.open_subject(int(pk))
                self.saved(f"Subject {fields['subject_id']} saved.")

            done, failed = _handlers(dialog, opened)
            dialog.buttons.setEnabled(False)
            s.write(lambda: s.store.add_subject(s.actor, s.study_id, fields, status), done, failed)

        dialog.buttons.accepted.connect(save)
        return self._open(dialog)

    def edit_subject(self, subject_pk: int) -> SubjectDialog:
        s = self.session
        rows = s.store.subject_rows(subject_pk)
        dialog = SubjectDialog(self.parent, s.store.case(subject_pk), rows.subject.status)

        def save() -> None:
            if not dialog.precheck():
                return
            reason = ask_reason(dialog, f"is the course of {rows.subject.subject_code} changed")
            if reason is None:
                return
            fields = {**dialog.fields(), "status": dialog.status.currentText()}
            done, failed = _handlers(
                dialog, lambda _r: self.saved(f"Course of {fields['subject_id']} saved.")
            )
            s.write(
                lambda: s.store.update_subject(s.actor, subject_pk, fields, reason), done, failed, subject_pk
            )

        dialog.buttons.accepted.connect(save)
        return self._open(dialog)

    def delete_subject(self, subject_pk: int, after: Callable[[], None]) -> None:
        s = self.session
        code = s.store.subject_rows(subject_pk).subject.subject_code
        reason = ask_reason(self.parent, f"is subject {code} deleted")
        if reason is None:
            return

        def deleted(_result: object) -> None:
            after()
            self.saved(f"Subject {code} deleted.")

        s.write(lambda: s.store.delete_subject(s.actor, subject_pk, reason), deleted, self._report)

    def add_visit(self, subject_pk: int) -> VisitDialog:
        s = self.session
        dialog: VisitDialog

        case = s.store.case(subject_pk)

        def save(fields: dict[str, Any], modality: str) -> None:
            if not _same_date_ok(dialog, case, fields):
                return
            what = f"Visit of {dialog.case['subject_id']} on {fields['date']} saved."
            done, failed = _handlers(dialog, lambda _r: self.saved(what))
            s.write(
                lambda: s.store.add_assessment(s.actor, subject_pk, fields, modality),
                done,
                failed,
                subject_pk,
            )

        dialog = VisitDialog(self.parent, case, s.store.today(), save)
        return self._open(dialog)

    def edit_visit(self, subject_pk: int, assessment_pk: int) -> VisitDialog:
        s = self.session
        rows = s.store.subject_rows(subject_pk)
        saved = next(a for a in rows.assessments if a.id == assessment_pk)
        others = s.store.case(subject_pk, without_assessment=assessment_pk)
        visit = assessment_to_case(
            saved,
            rows.lesions,
            rows.measurements.get(assessment_pk, []),
            rows.new_lesions.get(assessment_pk, []),
        )
        dialog: VisitDialog

        def save(fields: dict[str, Any], modality: str) -> None:
            if not _same_date_ok(dialog, others, fields):
                return
            reason = ask_reason(dialog, f"is the visit of {saved.date} changed")
            if reason is None:
                dialog.show_error(None, "not saved: a reason is required to change a saved visit")
                return
            what = f"Visit of {rows.subject.subject_code} on {fields['date']} saved."
            done, failed = _handlers(dialog, lambda _r: self.saved(what))
            s.write(
                lambda: s.store.update_assessment(s.actor, assessment_pk, fields, reason, modality),
                done,
                failed,
                subject_pk,
            )

        dialog = VisitDialog(self.parent, others, s.store.today(), save, visit=visit, modality=saved.modality)
        return self._open(dialog)

    def delete_visit(self, subject_pk: int, assessment_pk: int) -> None:
        s = self.session
        saved = next(a for a in s.store.subject_rows(subject_pk).assessments if a.id == assessment_pk)
        reason = ask_reason(self.parent, f"is the visit of {saved.date} deleted")
        if reason is None:
            return
        s.write(
            lambda: s.store.delete_assessment(s.actor, assessment_pk, reason),
            lambda _r: self.saved(f"Visit of {saved.date} deleted."),
            self._report,
            subject_pk,
        )

    def edit_baseline(self, subject_pk: int) -> BaselineDialog:
        s = self.session
        case = s.store.case(subject_pk)
        had_baseline = case.get("baseline") is not None
        dialog: BaselineDialog

        def save(baseline: dict[str, Any]) -> None:
            reason = ""
            if had_baseline:
                reason = ask_reason(dialog, "are the baseline lesions changed") or ""
                if not reason:
                    dialog.show_error(None, "not saved: a reason is required to change saved lesions")
                    return
            done, failed = _handlers(
                dialog, lambda _r: self.saved(f"Baseline lesions of {case['subject_id']} saved.")
            )
            s.write(
                lambda: s.store.set_baseline(s.actor, subject_pk, baseline, reason), done, failed, subject_pk
            )

        first = dt.date.fromisoformat(case["first_dose"]) if case.get("first_dose") else None
        dialog = BaselineDialog(self.parent, case.get("baseline"), save, first)
        return self._open(dialog)

    def export_ics(self, rows: list[RosterRow], path: Path | None = None) -> Path | None:
        """Save the pending confirmations as an iCalendar file."""
        if path is None:
            name = f"{self.session.study.protocol_id}-reminders.ics"
            path = save_path(
                self.parent, self.settings, "calendar", "Export reminders", name, "Calendar (*.ics)"
            )
            if path is None:
                return None
        text = to_ics(
            pending_confirmations(rows),
            protocol=self.session.study.protocol_id,
            stamp=self.session.store.now(),
        )
        path.write_text(text, encoding="utf-8", newline="")
        s = self.session
        s.write(
            lambda: s.store.log_event(
                s.actor, "export", entity="study", entity_id=s.study_id, detail=f"reminders to {path.name}"
            ),
            None,
            self._report,
        )
        return path

    # ------------------------------------------------------------------
    # Import and export

    def import_cases(self, paths: list[Path] | None = None) -> None:
        """Import case files (all or nothing), with progress and cancel."""
        if paths is None:
            paths = open_paths(
                self.parent, self.settings, "cases", "Import case files", "Case files (*.json)"
            )
            if not paths:
                return
        s, files = self.session, list(paths)

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            courses = []
            for path in files:
                found, _many, errors = parse_document(read_document(path), source=path.name)
                if errors:
                    raise errors[0]
                courses.extend(found)
            reason = "import from " + ", ".join(p.name for p in files)
            return s.store.import_cases(
                s.actor, s.study_id, courses, reason, progress=progress, cancelled=cancelled
            )

        self.last_progress = s.write_with_progress(
            self.parent,
            "Importing case files…",
            work,
            lambda n: self._tell(f"Imported {n} subject(s)."),
            self._report,
        )

    def import_roster(self, path: Path | None = None) -> None:
        """Import a roster CSV: every row checked first, all rows or none."""
        if path is None:
            path = open_path(self.parent, self.settings, "roster", "Import roster", "Roster (*.csv)")
            if path is None:
                return
        s, csv_path = self.session, path

        def done(report: ImportReport) -> None:
            if report.ok:
                self._tell(f"Imported {report.imported} subject(s) from {csv_path.name}.")
                return
            lines = "\n".join(f"line {r.line}: {r.field}: {r.message}" for r in report.rejected[:30])
            more = f"\n… and {len(report.rejected) - 30} more" if len(report.rejected) > 30 else ""
            QMessageBox.warning(
                self.parent, "Nothing imported", f"{len(report.rejected)} row(s) rejected:\n{lines}{more}"
            )

        s.write(lambda: import_roster_csv(s.store, s.actor, s.study_id, csv_path), done, self._report)

    def export_cases(self, path: Path | None = None) -> Path | None:
        """Save every subject as case files (a JSON array), for the sponsor or another site."""
        if path is None:
            name = f"{self.session.study.protocol_id}-cases.json"
            path = save_path(
                self.parent, self.settings, "cases", "Export case files", name, "Case files (*.json)"
            )
            if path is None:
                return None
        s = self.session
        cases = s.store.export_cases(s.study_id)
        path.write_text(
            json.dumps(cases, indent=2, ensure_ascii=False, default=json_number) + "\n", encoding="utf-8"
        )
        detail = f"{len(cases)} case(s) to {path.name}"
        s.write(
            lambda: s.store.log_event(s.actor, "export", entity="study", entity_id=s.study_id, detail=detail),
            None,
            self._report,
        )
        return path

    def _tell(self, message: str) -> None:
        self.saved(message)
        QMessageBox.information(self.parent, "ResistDesk", message)

    def _open(self, dialog: D) -> D:
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def _report(self, exc: BaseException) -> None:
        QMessageBox.warning(self.parent, "Not saved", str(exc))


def _same_date_ok(dialog: VisitDialog, case: dict[str, Any], fields: dict[str, Any]) -> bool:
    """C11: a second visit on a date that already has one is saved only after a warning."""
    date = fields.get("date")
    count = sum(1 for a in case.get("assessments", []) if a.get("date") == date)
    if not count or confirm_same_date(dialog, str(date), count):
        return True
    dialog.show_error("date", f"not saved: a visit on {date} is already recorded")
    return False
