"""RECIST 1.1 and iRECIST timepoint responses from lesion measurements.

Pure functions over ``core.rules.lesions`` values (``recist.md``). All
arithmetic is exact (``Decimal``); results are rounded to one decimal for
display only. ``evaluate`` returns every timepoint with its arithmetic and the
table row that produced its response, so screens and worksheets can show the
working and draw a spider plot without recomputing anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.rules.lesions import (
    TSTM,
    TSTM_MM,
    Baseline,
    Criteria,
    LesionMeasurement,
    NewLesionStatus,
    NonTargetStatus,
    TargetValue,
)
from core.rules.model import Assessment, Course, Response, days, measured_alike

PD_ABSOLUTE_MM = Decimal(5)
ICPD_INCREASE_MM = Decimal(5)
IRECIST_CONFIRM_DAYS = 28
RESPONSE_CONFIRM_DAYS = 28

NOTE_BACKDATED = "PD_BACKDATED_EQUIVOCAL_NEW_LESION"
WARN_BASELINE_OLD = "BASELINE_OLDER_THAN_4_WEEKS"


@dataclass(frozen=True, slots=True)
class RecistParameters:
    """Study parameters of the response engine."""

    sd_min_days: int = 42
    confirm_response: bool = False


@dataclass(frozen=True, slots=True)
class Timepoint:
    """One follow-up timepoint with its arithmetic and responses."""

    date: dt.date
    sum_mm: Decimal | None  # sum of evaluated targets (partial when one is missing)
    complete: bool  # every target evaluated
    nadir_mm: Decimal | None  # the nadir this timepoint was compared with
    change_from_baseline_pct: Decimal | None
    change_from_nadir_mm: Decimal | None
    change_from_nadir_pct: Decimal | None
    target: Response | None  # None: non-target-only disease
    non_target: Response | None  # None: no non-target lesions at baseline
    new_lesions: NewLesionStatus
    overall: Response
    irecist: Response | None
    row: str  # the table row that produced ``overall``
    notes: tuple[str, ...] = ()
    new_lesion_sum_mm: Decimal | None = None
    # PD dated back to an equivocal new lesion: the date it was seen as unequivocal (C13).
    unequivocal_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class RecistResult:
    criteria: Criteria
    baseline_sum_mm: Decimal | None
    timepoints: tuple[Timepoint, ...]
    best_overall_response: Response | None
    warnings: tuple[str, ...] = ()

    def spider_points(self) -> list[tuple[dt.date, float]]:
        """(date, % change from baseline) per timepoint with a complete sum, for charts."""
        return [
            (tp.date, float(tp.change_from_baseline_pct))
            for tp in self.timepoints
            if tp.complete and tp.change_from_baseline_pct is not None
        ]


# ---------------------------------------------------------------------------
# Helpers


def target_mm(value: TargetValue) -> Decimal | None:
    if value is None:
        return None
    if value == TSTM:
        return TSTM_MM
    assert isinstance(value, Decimal)
    return value


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else (part - whole) * 100 / whole


def _is_pd(total: Decimal, nadir: Decimal) -> bool:
    """RECIST 1.1 target PD: +20 % over the nadir and at least +5 mm absolute."""
    return total - nadir >= PD_ABSOLUTE_MM and total * 5 >= nadir * 6


def display(value: Decimal | None) -> float | None:
    """One decimal, half up, for display only."""
    if value is None:
        return None
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


_IRECIST = {
    Response.CR: Response.ICR,
    Response.PR: Response.IPR,
    Response.SD: Response.ISD,
}


# ---------------------------------------------------------------------------
# The engine


def _target_response(
    baseline: Baseline,
    values: dict[str, TargetValue],
    nadir: Decimal,
    base_sum: Decimal,
    reached_response: bool,
) -> tuple[Response, str]:
    evaluated = [target_mm(values.get(t.id)) for t in baseline.targets]
    total = sum((v for v in evaluated if v is not None), Decimal(0))
    if any(v is None for v in evaluated):
        if _is_pd(total, nadir):
            return Response.PD, "target PD from the evaluated targets alone"
        return Response.NE, "a target was not evaluated"
    if _is_pd(total, nadir):
        return Response.PD, "target sum ≥ 20 % and ≥ 5 mm above the nadir"
    complete_response = all(
        (mm < 10) if t.nodal else (mm == 0)
        for t, mm in zip(baseline.targets, evaluated, strict=True)
        if mm is not None
    )
    if complete_response:
        return Response.CR, "every non-nodal target gone, every nodal target < 10 mm"
    if total * 10 <= base_sum * 7:
        return Response.PR, "target sum ≥ 30 % below baseline"
    if reached_response:
        return Response.PR, "PR maintained (not PD, not CR after an earlier response)"
    return Response.SD, "neither PR nor PD"


def _non_target_response(statuses: dict[str, NonTargetStatus]) -> Response | None:
    if not statuses:
        return None
    values = set(statuses.values())
    if values & {NonTargetStatus.UNEQUIVOCAL_PROGRESSION, NonTargetStatus.FURTHER_INCREASE}:
        return Response.PD
    if values == {NonTargetStatus.ABSENT}:
        return Response.CR
    if NonTargetStatus.NOT_EVALUATED in values:
        return Response.NE
    return Response.NON_CR_NON_PD


def _overall(
    target: Response | None, non_target: Response | None, new: NewLesionStatus
) -> tuple[Response, str]:
    """RECIST 1.1 Tables 1 and 2 (with and without target disease)."""
    if new is NewLesionStatus.UNEQUIVOCAL:
        return Response.PD, "unequivocal new lesion"
    if target is Response.PD:
        return Response.PD, "target PD"
    if non_target is Response.PD:
        return Response.PD, "non-target PD"
    if target is None:  # non-target-only disease (Table 2)
        assert non_target is not None
        return non_target, f"non-target disease only: {non_target.value}"
    if target is Response.CR:
        if non_target in (None, Response.CR):
            return Response.CR, "target CR, non-target CR or none"
        return Response.PR, f"target CR, non-target {non_target.value}"
    if target is Response.PR:
        return Response.PR, "target PR, non-target not PD"
    if target is Response.SD:
        return Response.SD, "target SD, non-target not PD"
    return Response.NE, "target NE, non-target not PD"


def evaluate(
    baseline: Baseline,
    measurements: Sequence[tuple[dt.date, LesionMeasurement]],
    *,
    criteria: Criteria = Criteria.RECIST,
    first_dose: dt.date | None = None,
    params: RecistParameters = RecistParameters(),
) -> RecistResult:
    """Every timepoint's responses, in date order, from the baseline on."""
    ordered = sorted(measurements, key=lambda m: m[0])
    base_sum = sum((t.mm for t in baseline.targets), Decimal(0)) if baseline.targets else None
    nadir = base_sum
    reached_response = False
    points: list[Timepoint] = []
    for date, m in ordered:
        values = dict(m.targets)
        statuses = dict(m.non_targets)
        target = row_target = None
        total = change_base = change_nadir = change_nadir_pct = None
        complete = False
        compared_nadir = nadir
        if base_sum is not None and nadir is not None:
            evaluated = [target_mm(values.get(t.id)) for t in baseline.targets]
            complete = all(v is not None for v in evaluated)
            total = sum((v for v in evaluated if v is not None), Decimal(0))
            target, row_target = _target_response(baseline, values, nadir, base_sum, reached_response)
            if complete:
                change_base = _pct(total, base_sum)
                change_nadir = total - nadir
                change_nadir_pct = _pct(total, nadir)
            if target in (Response.CR, Response.PR):
                reached_response = True
        non_target = _non_target_response(statuses)
        overall, row = _overall(target, non_target, m.new_lesions)
        if row_target and row.startswith("target"):
            row = f"{row} ({row_target})"
        nlt = sum((n.mm for n in m.new_lesion_list if n.measurable and n.mm is not None), Decimal(0))
        points.append(
            Timepoint(
                date=date,
                sum_mm=total,
                complete=complete,
                nadir_mm=compared_nadir,
                change_from_baseline_pct=change_base,
                change_from_nadir_mm=change_nadir,
                change_from_nadir_pct=change_nadir_pct,
                target=target,
                non_target=non_target,
                new_lesions=m.new_lesions,
                overall=overall,
                irecist=None,
                row=row,
                new_lesion_sum_mm=nlt if m.new_lesion_list else None,
            )
        )
        if complete and total is not None and nadir is not None and total < nadir:
            nadir = total

    points = _backdate_equivocal(points)
    if criteria is Criteria.IRECIST:
        points = _irecist(points, [m for _, m in ordered])
    warnings: list[str] = []
    if first_dose is not None and days(baseline.date, first_dose) > 28:
        warnings.append(
            f"{WARN_BASELINE_OLD}: baseline on {baseline.date} is "
            f"{days(baseline.date, first_dose)} days before the first dose ({first_dose})."
        )
    return RecistResult(
        criteria=criteria,
        baseline_sum_mm=base_sum,
        timepoints=tuple(points),
        best_overall_response=best_overall_response(points, first_dose, params),
        warnings=tuple(warnings),
    )


def _backdate_equivocal(points: list[Timepoint]) -> list[Timepoint]:
    """An equivocal new lesion later seen as unequivocal: PD from its first sighting."""
    out = list(points)
    for k, tp in enumerate(points):
        if tp.new_lesions is not NewLesionStatus.UNEQUIVOCAL:
            continue
        start = k
        while start > 0 and points[start - 1].new_lesions is NewLesionStatus.EQUIVOCAL:
            start -= 1
        for j in range(start, k):
            out[j] = dataclasses.replace(
                out[j],
                overall=Response.PD,
                unequivocal_on=tp.date,
                row="new lesion first seen as equivocal, unequivocal later",
                notes=(
                    *out[j].notes,
                    f"{NOTE_BACKDATED}: the new lesion seen as equivocal here was unequivocal "
                    f"on {tp.date}; PD is dated from {points[start].date}.",
                ),
            )
    return out


def _irecist(points: list[Timepoint], measurements: list[LesionMeasurement]) -> list[Timepoint]:
    """iUPD at the first RECIST PD; iCPD on further increase ≥ 28 days later."""
    out: list[Timepoint] = []
    ref: int | None = None  # index of the iUPD timepoint of the open episode
    confirmed = False
    for k, tp in enumerate(points):
        if confirmed:
            value = Response.ICPD if tp.overall is Response.PD else _IRECIST.get(tp.overall, tp.overall)
            out.append(dataclasses.replace(tp, irecist=value))
            continue
        if ref is None:
            if tp.overall is Response.PD:
                ref = k
                out.append(dataclasses.replace(tp, irecist=Response.IUPD))
            else:
                out.append(dataclasses.replace(tp, irecist=_IRECIST.get(tp.overall, tp.overall)))
            continue
        gap = days(points[ref].date, tp.date)
        if gap < IRECIST_CONFIRM_DAYS:
            note = f"less than {IRECIST_CONFIRM_DAYS} days after the iUPD: neither confirms nor resets"
            out.append(dataclasses.replace(tp, irecist=Response.IUPD, notes=(*tp.notes, note)))
            continue
        why = _further_increase(points[ref], tp, measurements[ref], measurements[k])
        if why:
            confirmed = True
            note = f"iCPD: {why} since the iUPD on {points[ref].date}"
            out.append(dataclasses.replace(tp, irecist=Response.ICPD, notes=(*tp.notes, note)))
        elif tp.overall in (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD):
            note = (
                f"meets {_IRECIST.get(tp.overall, tp.overall).value}: the iUPD of {points[ref].date} is reset"
            )
            ref = None
            out.append(
                dataclasses.replace(tp, irecist=_IRECIST.get(tp.overall, tp.overall), notes=(*tp.notes, note))
            )
        else:
            out.append(dataclasses.replace(tp, irecist=Response.IUPD))
    return out


def _further_increase(
    ref: Timepoint, tp: Timepoint, ref_m: LesionMeasurement, m: LesionMeasurement
) -> str | None:
    if ref.sum_mm is not None and tp.sum_mm is not None and tp.sum_mm - ref.sum_mm >= ICPD_INCREASE_MM:
        return f"target sum +{display(tp.sum_mm - ref.sum_mm)} mm"
    if NonTargetStatus.FURTHER_INCREASE in dict(m.non_targets).values():
        return "further non-target progression"
    ref_nlt = ref.new_lesion_sum_mm or Decimal(0)
    nlt = tp.new_lesion_sum_mm or Decimal(0)
    if nlt - ref_nlt >= ICPD_INCREASE_MM:
        return f"new-lesion sum +{display(nlt - ref_nlt)} mm"
    before = {n.id: n for n in ref_m.new_lesion_list}
    for n in m.new_lesion_list:
        old = before.get(n.id)
        if not n.measurable and old is not None and n.mm is not None and old.mm is not None and n.mm > old.mm:
            return f"non-measurable new lesion {n.id} grew"
    if set(before) < {n.id for n in m.new_lesion_list} or (
        not ref_m.new_lesion_list
        and ref_m.new_lesions is not NewLesionStatus.UNEQUIVOCAL
        and m.new_lesions is NewLesionStatus.UNEQUIVOCAL
    ):
        return "more new lesions"
    return None


_BOR_RANK = {
    Response.CR: 4,
    Response.PR: 3,
    Response.SD: 2,
    Response.NON_CR_NON_PD: 2,
    Response.PD: 1,
    Response.NE: 0,
}


def best_overall_response(
    points: Sequence[Timepoint], first_dose: dt.date | None, params: RecistParameters
) -> Response | None:
    """Best response before the first PD (RECIST 1.1, with minimum SD interval)."""
    if not points:
        return None
    first_pd = next((k for k, tp in enumerate(points) if tp.overall is Response.PD), len(points))
    best: Response | None = None

    def better(a: Response | None, b: Response) -> Response:
        return b if a is None or _BOR_RANK[b] > _BOR_RANK[a] else a

    for k in range(first_pd):
        r = points[k].overall
        if r in (Response.CR, Response.PR) and params.confirm_response:
            # RECIST 1.1 Table 3 (C2): a response counts when the same or a better one is
            # seen again at least 28 days later; CR then PR gives PR; otherwise SD (if SD
            # meets its minimum interval below), else NE or PD.
            later = [
                tp.overall
                for tp in points[k + 1 : first_pd]
                if days(points[k].date, tp.date) >= RESPONSE_CONFIRM_DAYS
            ]
            if any(_BOR_RANK[x] >= _BOR_RANK[r] for x in later):
                pass
            elif r is Response.CR and Response.PR in later:
                r = Response.PR
            else:
                r = Response.SD
        if r in (Response.SD, Response.NON_CR_NON_PD) and (
            first_dose is not None and days(first_dose, points[k].date) < params.sd_min_days
        ):
            continue
        if r in _BOR_RANK and r is not Response.PD:
            best = better(best, r)
    if best is not None and best is not Response.NE:
        return best
    if first_pd < len(points):
        return Response.PD
    return Response.NE


# ---------------------------------------------------------------------------
# Integration with the classifier and the CLI


def computed_response(tp: Timepoint, criteria: Criteria) -> Response:
    if criteria is Criteria.IRECIST and tp.irecist is not None:
        return tp.irecist
    return tp.overall


def with_computed_responses(
    course: Course, visible: tuple[tuple[int, Assessment], ...], as_of: dt.date
) -> tuple[tuple[int, Assessment], ...]:
    """Fill ``computed_response`` from the measurements known on ``as_of``."""
    if course.baseline is None:
        return visible
    measured = [(a.date, a.lesions) for _, a in visible if a.lesions is not None and a.date <= as_of]
    result = evaluate(course.baseline, measured, criteria=course.criteria, first_dose=course.first_dose)
    by_date = iter(result.timepoints)
    out: list[tuple[int, Assessment]] = []
    for k, a in visible:
        if a.lesions is None:
            out.append((k, a))
            continue
        tp = next(by_date)
        computed = computed_response(tp, course.criteria)
        seen = tp.unequivocal_on if computed.is_progression else None
        out.append((k, dataclasses.replace(a, computed_response=computed, unequivocal_on=seen)))
    return tuple(out)


def timepoint_json(tp: Timepoint, recorded: Response | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "date": tp.date.isoformat(),
        "sum_mm": display(tp.sum_mm),
        "nadir_mm": display(tp.nadir_mm),
        "change_from_baseline_pct": display(tp.change_from_baseline_pct),
        "change_from_nadir_mm": display(tp.change_from_nadir_mm),
        "change_from_nadir_pct": display(tp.change_from_nadir_pct),
        "target": None if tp.target is None else tp.target.value,
        "non_target": None if tp.non_target is None else tp.non_target.value,
        "new_lesions": tp.new_lesions.value,
        "overall": tp.overall.value,
        "irecist": None if tp.irecist is None else tp.irecist.value,
        "rule_row": tp.row,
        "notes": list(tp.notes),
    }
    if tp.new_lesion_sum_mm is not None:
        out["new_lesion_sum_mm"] = display(tp.new_lesion_sum_mm)
    if not tp.complete and tp.sum_mm is not None:
        out["notes"].append("sum_mm is a partial sum: a target was not evaluated")
    if recorded is not None:
        out["recorded_response"] = recorded.value
        # under RECIST 1.1 a recorded iUPD or iCPD agrees with a measured PD (measured_alike)
        if recorded not in (tp.overall, tp.irecist) and not (
            tp.irecist is None and measured_alike(recorded, tp.overall)
        ):
            out["notes"].append(
                f"RESPONSE_DIFFERS_FROM_MEASUREMENTS: recorded {recorded.value}, computed "
                f"{(tp.irecist or tp.overall).value}; the recorded response governs"
            )
    return out


def course_report(
    course: Course, as_of: dt.date | None = None, params: RecistParameters = RecistParameters()
) -> dict[str, Any]:
    """The ``resistdesk recist`` JSON for one course with a baseline."""
    assert course.baseline is not None
    measured = [
        a
        for a in sorted(course.assessments, key=lambda a: a.date)
        if a.lesions is not None and (as_of is None or a.date <= as_of)
    ]
    result = evaluate(
        course.baseline,
        [(a.date, a.lesions) for a in measured if a.lesions is not None],
        criteria=course.criteria,
        first_dose=course.first_dose,
        params=params,
    )
    bor = result.best_overall_response
    return {
        "format": "resistdesk-recist/1",
        "subject_id": course.subject_id,
        "criteria": course.criteria.value,
        "baseline_date": course.baseline.date.isoformat(),
        "baseline_sum_mm": display(result.baseline_sum_mm),
        "timepoints": [
            timepoint_json(tp, a.response) for tp, a in zip(result.timepoints, measured, strict=True)
        ],
        "best_overall_response": None if bor is None else bor.value,
        "warnings": list(result.warnings),
    }
