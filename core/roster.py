"""Roster rows and what is due: built from courses and their classifications.

Pure functions (no database, no clock): the store feeds them, the GUI and
the reminders show them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.rules import Category, Classification, Course, VisitRole
from core.rules.frozen import fast_init


@fast_init
@dataclass(frozen=True, slots=True)
class Due:
    """The next date a coordinator has to act on or watch for."""

    date: dt.date
    what: str
    urgency: str  # overdue, open, upcoming


@fast_init
@dataclass(frozen=True, slots=True)
class RosterRow:
    subject_pk: int
    subject_id: str
    tumor_type: str
    setting: str
    agent: str
    first_dose: dt.date
    latest_response: str
    latest_date: dt.date | None
    status: str
    result: Classification
    next_due: Due | None

    @property
    def category(self) -> Category:
        return self.result.category


def pending_parts(result: Classification) -> tuple[bool, bool]:
    """What a pending confirmation still waits for: (a scan, a biopsy result).

    A confirmation that needs both may have its scan done and only the biopsy
    left (or the reverse): the scan is pending while its window has a due
    status; the biopsy while no visit has recorded its result.
    """
    c = result.confirmation
    if c.status != "pending":
        return False, False
    scan = "scan" in c.required and c.due_status is not None
    biopsy = "biopsy" in c.required and all(role is not VisitRole.BIOPSY for _k, role in result.visit_roles)
    if not scan and not biopsy:  # pending without a part left: say the scan if one is required
        scan, biopsy = "scan" in c.required, "scan" not in c.required
    return scan, biopsy


def pending_what(scan: bool, biopsy: bool) -> str:
    """The words for what is awaited: "confirmatory scan", "confirmatory biopsy result", or both."""
    if scan and biopsy:
        return "confirmatory scan and biopsy result"
    return "confirmatory scan" if scan else "confirmatory biopsy result"


def next_due(result: Classification, as_of: dt.date) -> Due | None:
    """A pending confirmation first (overdue, open, or opening); else the next threshold date.

    The date is never in the past unless the urgency is "overdue" and the words say so.
    """
    c = result.confirmation
    if c.status == "pending":
        scan, biopsy = pending_parts(result)
        also = "; biopsy result needed too" if scan and biopsy else ""
        if scan and c.opens and c.closes:
            if c.due_status == "overdue":
                return Due(c.closes, f"confirmatory scan overdue (window closed){also}", "overdue")
            if c.due_status == "open":
                return Due(c.closes, f"confirmatory scan due by{also}", "open")
            return Due(c.opens, f"confirmatory scan window opens{also}", "upcoming")
        return Due(as_of, f"{pending_what(scan, biopsy)} needed", "open")
    if result.category in (Category.NOT_APPLICABLE,):
        return None
    k = result.key_dates
    marks = [
        (k.min_exposure_reached, "6 weeks of exposure reached"),
        (k.benefit_threshold, "6 months from first dose"),
    ]
    if k.off_treatment_threshold is not None:
        marks.append((k.off_treatment_threshold, "12 weeks after last dose"))
    future = sorted((d, what) for d, what in marks if d > as_of)
    if not future:
        return None
    return Due(future[0][0], future[0][1], "upcoming")


def latest_response(course: Course, result: Classification) -> tuple[str, dt.date | None]:
    """The governing response of the latest assessment on or before as_of."""
    if not result.visit_responses:
        return "—", None
    index, response, _ = result.visit_responses[-1]
    return response.value, course.assessments[index].date


def roster_row(subject_pk: int, status: str, course: Course, result: Classification) -> RosterRow:
    response, date = latest_response(course, result)
    return RosterRow(
        subject_pk=subject_pk,
        subject_id=course.subject_id,
        tumor_type=course.tumor_type,
        setting=course.setting.value,
        agent=course.agent or "",
        first_dose=course.first_dose,
        latest_response=response,
        latest_date=date,
        status=status,
        result=result,
        next_due=next_due(result, result.as_of),
    )
