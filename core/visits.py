"""Visit entry support: validate a visit as it is typed and compute its RECIST
arithmetic live, with the same rules that will apply when it is saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.casefile import parse_case
from core.errors import CaseFormatError
from core.rules import Response
from core.rules.model import measured_alike
from core.rules.recist import Timepoint, computed_response, evaluate


@dataclass(frozen=True, slots=True)
class VisitPreview:
    error_field: str | None = None
    error: str | None = None
    timepoint: Timepoint | None = None
    computed: Response | None = None
    recorded: Response | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def differs(self) -> bool:
        return (
            self.recorded is not None
            and self.computed is not None
            and not measured_alike(self.recorded, self.computed)
        )


def preview_visit(case: Mapping[str, Any], visit: Mapping[str, Any], today: dt.date) -> VisitPreview:
    """Check ``visit`` against the subject's ``case`` (its other visits; without the
    one being edited) and compute its response from lesions, if measured."""
    candidate = {**case, "assessments": [dict(visit), *case.get("assessments", [])]}
    try:
        course = parse_case(candidate)
    except CaseFormatError as exc:
        field = exc.field.removeprefix("assessments[0].")
        return VisitPreview(field, exc.message)
    new = course.assessments[0]
    if new.date > today:
        return VisitPreview("date", f"{new.date} is in the future (today is {today})")
    if course.baseline is None or new.lesions is None:
        return VisitPreview(recorded=new.response)
    earlier = [a for a in course.assessments if a.lesions is not None and a.date <= new.date]
    measured = sorted(
        ((a.date, a.lesions, a is new) for a in earlier), key=lambda item: (item[0], not item[2])
    )
    result = evaluate(
        course.baseline,
        [(d, m) for d, m, _ in measured if m is not None],
        criteria=course.criteria,
        first_dose=course.first_dose,
    )
    index = next(k for k, item in enumerate(measured) if item[2])
    tp = result.timepoints[index]
    return VisitPreview(timepoint=tp, computed=computed_response(tp, course.criteria), recorded=new.response)
