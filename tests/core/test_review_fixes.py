"""Fixes from the independent review (tests/core/test_review_cases.py): the
confirmation window after a backdated PD (C13), the C12 abbreviations, the C16
wording, and SITC-2023-ICI-chemo following SITC-2020 where its spec is silent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from core.casefile import parse_case
from core.rules.classifier import classify
from tests.core.test_review_cases import FD, D, _m, case

_BASE = {
    "date": D(-7),
    "targets": [{"id": "T1", "organ": "liver", "nodal": False, "mm": 40}],
    "non_targets": [],
}


def run(obj: dict[str, Any], as_of: int) -> dict[str, Any]:
    course = parse_case(json.loads(json.dumps(obj)))
    out: dict[str, Any] = classify(course, FD + dt.timedelta(days=as_of)).to_json()
    return out


# ---------------------------------------------------------------------- C13 window


@pytest.mark.parametrize(
    ("unequivocal_day", "as_of", "opens", "due"),
    [
        # seen as unequivocal on day 98: a scan must be later than it, so the window opens on day 99
        (98, 98, 99, "not_yet_open"),
        (98, 99, 99, "open"),
        # seen on day 70: d1 (56) + 28 = day 84 is later than it and governs
        (70, 75, 84, "not_yet_open"),
        (70, 84, 84, "open"),
    ],
)
def test_c13_window_opens_after_the_lesion_was_seen_as_unequivocal(
    unequivocal_day: int, as_of: int, opens: int, due: str
) -> None:
    out = run(case([_m(56, 38, "equivocal"), _m(unequivocal_day, 38, "unequivocal")], baseline=_BASE), as_of)
    assert out["category"] == "pending_confirmation"
    assert out["progression_date"] == D(56)
    assert out["confirmation"]["opens"] == D(opens)
    assert out["confirmation"]["closes"] == D(56 + 84)
    assert out["confirmation"]["due_status"] == due
    assert out["key_dates"]["opens"] == D(opens)
    window = next(t for t in out["rationale"] if t.startswith("No confirmatory scan yet"))
    assert (f"after {D(unequivocal_day)}, when the new lesion was first seen as unequivocal" in window) == (
        opens == unequivocal_day + 1
    )
