"""Roster rows and what is due: built from courses and their classifications.

Pure functions (no database, no clock): the store feeds them, the GUI and
the reminders show them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.rules import Category, Classification, Course
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


def next_due(result: Classification, as_of: dt.date) -> Due | None:
    """A pending confirmation first (overdue, open, or opening); else the next threshold date."""
    c = result.confirmation
    if c.status == "pending":
        if c.opens and c.closes:
            if c.due_status == "overdue":
                return Due(c.closes, "confirmatory scan overdue", "overdue")
            if c.due_status == "open":
                return Due(c.closes, "confirmatory scan due by", "open")
            return Due(c.opens, "confirmatory scan window opens", "upcoming")
        return Due(as_of, "confirmatory biopsy result needed", "open")
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
