"""What a coordinator has to do, across the roster: pending confirmations by
urgency, and threshold dates coming up. Plus an iCalendar export for the
coordinator's calendar program. Pure functions over roster rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.roster import RosterRow

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


def pending_confirmations(rows: Iterable[RosterRow]) -> list[Reminder]:
    """Every pending confirmation, most urgent first (overdue, open, opening soon)."""
    out = []
    for r in rows:
        c = r.result.confirmation
        if c.status != "pending":
            continue
        provisional = r.result.provisional_category or r.result.category
        label = provisional.value.replace("_", " ")
        if c.opens and c.closes:
            due = c.due_status or "open"
            what = {
                "overdue": f"Confirmatory scan overdue (window closed {c.closes})",
                "open": f"Confirmatory scan due by {c.closes}",
                "not_yet_open": f"Confirmatory scan window opens {c.opens}",
            }[due]
            date = c.opens if due == "not_yet_open" else c.closes
        else:
            due, what, date = "open", "Confirmatory biopsy result needed", r.result.as_of
        out.append(
            Reminder(r.subject_pk, r.subject_id, "confirmation", due, what, date, c.opens, c.closes, label)
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


def to_ics(reminders: Sequence[Reminder], *, protocol: str, stamp: dt.datetime) -> str:
    """An iCalendar file (RFC 5545) with one all-day event per reminder.

    Confirmation windows span their whole window; thresholds are single days.
    Subject ids are pseudonymous, so nothing identifying leaves the program.
    """
    utc = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ResistDesk//Reminders//EN", "CALSCALE:GREGORIAN"]
    for m in reminders:
        start = m.opens if m.kind == "confirmation" and m.opens else m.date
        end = (m.closes if m.kind == "confirmation" and m.closes else m.date) + dt.timedelta(days=1)
        uid = f"{protocol}-{m.subject_id}-{m.kind}-{start:%Y%m%d}@resistdesk"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_ics_text(uid)}",
            f"DTSTAMP:{utc}",
            f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{end:%Y%m%d}",
            f"SUMMARY:{_ics_text(f'{m.subject_id}: {m.what}')}",
            f"DESCRIPTION:{_ics_text(f'{protocol} subject {m.subject_id}. {m.what}.')}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
