"""Builders for case files in tests: every date is a day offset from START."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.casefile import parse_case
from core.rules import DEFAULT_RULESET, Classification, classify

START = dt.date(2024, 1, 8)


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def iso(n: int) -> str:
    return day(n).isoformat()


def visit(n: int, response: str, **flags: Any) -> dict[str, Any]:
    return {"date": iso(n), "response": response, **flags}


def case(
    *visits: dict[str, Any],
    setting: str = "advanced",
    tumor: str = "melanoma",
    agent: str | None = "pembrolizumab",
    regimen: str = "monotherapy",
    last: int | None = None,
    reason: str | None = None,
    surgery: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A resistdesk-case/1 object starting on START."""
    return {
        "format": "resistdesk-case/1",
        "subject_id": "TEST-001",
        "tumor_type": tumor,
        "setting": setting,
        "regimen": regimen,
        "agent": agent,
        "first_dose": iso(0),
        "last_dose": None if last is None else iso(last),
        "discontinuation_reason": reason,
        "surgery_date": None if surgery is None else iso(surgery),
        "assessments": list(visits),
        **extra,
    }


def run(obj: dict[str, Any], as_of: int, **params: Any) -> Classification:
    """Parse and classify a case object as of day ``as_of``."""
    ruleset = DEFAULT_RULESET.with_overrides(params) if params else DEFAULT_RULESET
    return classify(parse_case(obj), day(as_of), ruleset)


def codes(result: Classification) -> set[str]:
    return {c.value for c in result.caveat_codes}
