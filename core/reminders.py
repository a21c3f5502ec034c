"""What a coordinator has to do, across the roster: pending confirmations by
urgency, and threshold dates coming up. Plus an iCalendar export for the
coordinator's calendar program. Pure functions over roster rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.roster import RosterRow, pending_parts

URGENCY_ORDER = {"overdue": 0, "open": 1, "not_yet_open": 2}


@dataclass(frozen=True, slots=True)
class Reminder:
    subject_pk: int
    subject_id: str
    kind: str  # confirmation, threshold
    urgency: str  # overdue, open, not_yet_open (confirmations); upcoming (thresholds)
    what: str
    date: dt.date  # the date to act by (window close), or the event date
    opens: dt.date | None = None
    closes: dt.date | None = None
    category: str = ""
    needs: str = ""  # confirmations: what is awaited (scan, biopsy, scan+biopsy)


def pending_confirmations(rows: Iterable[RosterRow]) -> list[Reminder]:
    """Every pending confirmation, most urgent first (overdue, open, opening soon)."""
    out = []
    for r in rows:
        c = r.result.confirmation
        if c.status != "pending":
            continue
        provisional = r.result.provisional_category or r.result.category
        label = provisional.value.replace("_", " ")
        scan, biopsy = pending_parts(r.result)
        needs = "scan+biopsy" if scan and biopsy else ("scan" if scan else "biopsy")
        also = "; biopsy result also needed" if scan and biopsy else ""
        if scan and c.opens and c.closes:
            due = c.due_status or "open"
            what = {
                "overdue": f"Confirmatory scan overdue (window closed {c.closes}){also}",
                "open": f"Confirmatory scan due by {c.closes}{also}",
                "not_yet_open": f"Confirmatory scan window opens {c.opens}{also}",
            }[due]
            date = c.opens if due == "not_yet_open" else c.closes
            opens, closes = c.opens, c.closes
        else:
            due, what, date = "open", "Confirmatory biopsy result needed", r.result.as_of
            opens, closes = None, None
        out.append(
            Reminder(r.subject_pk, r.subject_id, "confirmation", due, what, date, opens, closes, label, needs)
        )
    return sorted(out, key=lambda m: (URGENCY_ORDER[m.urgency], m.date, m.subject_id))


def without_confirmations(rows: Iterable[RosterRow]) -> list[RosterRow]:
    """Rows classified under a rule set that never asks for a confirmation
    (SITC-2023-ICI-chemo: Table 3 requires no confirmatory scan), so never reminded of one."""
    from core.rules.ici_chemo_ruleset import ICI_CHEMO_NAME

    return [r for r in rows if r.result.ruleset.name == ICI_CHEMO_NAME]


def upcoming_thresholds(rows: Iterable[RosterRow], as_of: dt.date, days: int) -> list[Reminder]:
    """Threshold dates (6 weeks, 6 months, 12 weeks after the last dose) within ``days``."""
    horizon = as_of + dt.timedelta(days=days)
    out = []
    for r in rows:
        if r.status != "active":
            continue
        k = r.result.key_dates
        marks = [
            (k.min_exposure_reached, "6 weeks of exposure reached"),
            (k.benefit_threshold, "6 months from first dose"),
            (k.off_treatment_threshold, "12 weeks after the last dose"),
        ]
        for date, what in marks:
            if date is not None and as_of < date <= horizon:
                out.append(Reminder(r.subject_pk, r.subject_id, "threshold", "upcoming", what, date))
    return sorted(out, key=lambda m: (m.date, m.subject_id))


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded as RFC 5545 3.1 asks: at most 75 octets a line, never
    splitting a UTF-8 character; continuation lines start with a space."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _event(uid: str, stamp: str, day: dt.date, summary: str, description: str, alarm: bool) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_ics_text(uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_ics_text(summary)}",
        f"DESCRIPTION:{_ics_text(description)}",
        "TRANSP:TRANSPARENT",
    ]
    if alarm:  # the morning of the day before (all-day events start at midnight)
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_ics_text(summary)}",
            "TRIGGER;RELATED=START:-PT15H",
            "END:VALARM",
        ]
    return [*lines, "END:VEVENT"]


def to_ics(reminders: Sequence[Reminder], *, protocol: str, stamp: dt.datetime) -> str:
    """An iCalendar file (RFC 5545): one-day events, never a block over a whole window.

    A confirmatory scan gives two events: the day its window opens, and the day it
    is due (the window's last day) with an alarm. A biopsy result, or a threshold,
    is one day with an alarm. Subject ids are pseudonymous, so nothing
    identifying leaves the program.
    """
    utc = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ResistDesk//Reminders//EN", "CALSCALE:GREGORIAN"]
    for m in reminders:
        base = f"{protocol}-{m.subject_id}-{m.kind}"
        about = f"{protocol} subject {m.subject_id}. {m.what}."
        if m.kind == "confirmation" and m.opens and m.closes:
            also = " and biopsy result" if m.needs == "scan+biopsy" else ""
            # Each event tells its own day: the due day used to repeat "window opens <date>".
            scan = f"Confirmatory scan{also} window {m.opens} to {m.closes}"
            window = f"{protocol} subject {m.subject_id}. {scan}"
            would = f"; if it confirms the progression, the subject has {m.category}" if m.category else ""
            lines += _event(
                f"{base}-opens-{m.opens:%Y%m%d}@resistdesk",
                utc,
                m.opens,
                f"{m.subject_id}: confirmatory scan window opens{also}",
                f"{window}: it opens today{would}.",
                False,
            )
            lines += _event(
                f"{base}-due-{m.closes:%Y%m%d}@resistdesk",
                utc,
                m.closes,
                f"{m.subject_id}: confirmatory scan{also} due (last day)",
                f"{window}: today is its last day{would}.",
                True,
            )
        else:
            lines += _event(f"{base}-{m.date:%Y%m%d}@resistdesk", utc, m.date,
                            f"{m.subject_id}: {m.what}", about, True)  # fmt: skip
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
