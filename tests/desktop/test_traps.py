"""The coordinator's day without traps (issue 16): one test, or more, per trap,
each driven through the real window and failing on the code before the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.desktop.conftest import Desk


def open_code(desk: Desk, code: str) -> int:
    w = desk.window
    assert w.roster_screen.select_subject(code)
    pk = w.roster_screen.current_subject_pk()
    assert pk is not None
    w.open_subject(pk)
    return pk


def roster_row(desk: Desk, code: str):  # type: ignore[no-untyped-def]
    return next(r for r in desk.window.rows if r.subject_id == code)


def ics_events(text: str) -> list[dict[str, str]]:
    """The events of an .ics file, unfolded (RFC 5545 3.1), property name to value;
    a VALARM inside an event is recorded as the key "VALARM"."""
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n")), "a line is not folded"
    lines = text.replace("\r\n ", "").split("\r\n")
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            if line == "BEGIN:VALARM":
                current["VALARM"] = "yes"
            name, _, value = line.partition(":")
            current.setdefault(name.split(";")[0], value)
    return events


# ---------------------------------------------------------------------------
# 7. Reminders name what is due, with dates that are right everywhere


def test_reminders_say_biopsy_when_only_the_biopsy_is_pending(demo_desk: Desk, tmp_path: Path) -> None:
    w = demo_desk.window
    row = roster_row(demo_desk, "RCC-023")  # scan confirmed, the biopsy result still awaited
    reminder = next(m for m in w.reminders_screen.confirmations.rows() if m.subject_id == "RCC-023")
    assert "biopsy" in reminder.what.lower()
    assert "scan" not in reminder.what.lower()
    assert (reminder.opens, reminder.closes) == (None, None)  # no scan window shown for a biopsy
    assert row.next_due is not None
    assert "biopsy" in row.next_due.what
    assert "scan" not in row.next_due.what
    today = demo_desk.store.today()
    for r in w.rows:  # the roster's next due: never a past date unless it says overdue
        if r.next_due is not None and r.next_due.date < today:
            assert r.next_due.urgency == "overdue", r
            assert "overdue" in r.next_due.what, r

    path = w.flows.export_ics(w.rows, tmp_path / "due.ics")
    assert path is not None
    events = ics_events(path.read_bytes().decode("utf-8"))
    rcc = [e for e in events if e["SUMMARY"].startswith("RCC-023")]
    assert len(rcc) == 1
    assert "biopsy" in rcc[0]["SUMMARY"]
    assert "scan" not in rcc[0]["SUMMARY"]
    for e in events:  # single days, never a block across the window
        start, end = dt.date.fromisoformat(e["DTSTART"]), dt.date.fromisoformat(e["DTEND"])
        assert end - start == dt.timedelta(days=1), e
    scans = [m for m in w.reminders_screen.confirmations.rows() if m.opens and m.closes]
    assert scans
    for m in scans:  # the opening day, and the due day with an alarm
        mine = {e["DTSTART"]: e for e in events if e["SUMMARY"].startswith(f"{m.subject_id}:")}
        assert f"{m.opens:%Y%m%d}" in mine
        assert f"{m.closes:%Y%m%d}" in mine
        assert mine[f"{m.closes:%Y%m%d}"].get("VALARM") == "yes"


def test_ics_folds_long_lines_without_splitting_characters() -> None:
    from core.reminders import Reminder, to_ics

    long = Reminder(1, "MÉL-" + "é" * 60, "confirmation", "open", "Confirmatory biopsy result needed",
                    dt.date(2025, 9, 1), category="primary resistance", needs="biopsy")  # fmt: skip
    text = to_ics([long], protocol="P-1", stamp=dt.datetime(2025, 9, 1, tzinfo=dt.UTC))
    raw = text.encode("utf-8")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert "MÉL-" + "é" * 60 in text.replace("\r\n ", "")
