"""RECIST 1.1 / iRECIST from lesion measurements (``recist.md``)."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.casefile import parse_baseline, parse_case, parse_lesions
from core.errors import CaseFormatError
from core.rules import Category, Response, classify
from core.rules.lesions import Criteria
from core.rules.recist import RecistParameters, RecistResult, evaluate
from tests.core.helpers import START, case, day, iso
from tests.core.test_cli import EXE


def T(lid: str, mm: float, organ: str = "liver", nodal: bool = False) -> dict[str, Any]:
    return {"id": lid, "organ": organ, "nodal": nodal, "mm": mm}


def base(*targets: dict[str, Any], non_targets: tuple[str, ...] = (), date: int = -5) -> dict[str, Any]:
    return {
        "date": iso(date),
        "targets": list(targets),
        "non_targets": [{"id": n, "organ": "bone"} for n in non_targets],
    }


def tp(n: int, targets: dict[str, Any], non_targets: dict[str, str] | None = None, new: Any = "none") -> dict:
    return {
        "date": iso(n),
        "lesions": {"targets": targets, "non_targets": non_targets or {}, "new_lesions": new},
    }


def evaluate_raw(
    baseline: dict[str, Any],
    points: list[dict[str, Any]],
    criteria: Criteria = Criteria.RECIST,
    params: RecistParameters = RecistParameters(),  # noqa: B008
) -> RecistResult:
    b = parse_baseline(baseline)
    measured = [(dt.date.fromisoformat(p["date"]), parse_lesions(p["lesions"], b, "lesions")) for p in points]
    return evaluate(b, measured, criteria=criteria, first_dose=START, params=params)


def overall(baseline: dict[str, Any], *points: dict[str, Any]) -> list[str]:
    return [t.overall.value for t in evaluate_raw(baseline, list(points)).timepoints]


TWO = base(T("T1", 30), T("T2", 20), non_targets=("NT1",))


# ---------------------------------------------------------------------------
# Overall timepoint response, with target disease (RECIST 1.1 Table 1)


@pytest.mark.parametrize(
    ("targets", "nt", "new", "expected"),
    [
        ({"T1": 0, "T2": 0}, "absent", "none", "CR"),
        ({"T1": 0, "T2": 0}, "present", "none", "PR"),
        ({"T1": 0, "T2": 0}, "not_evaluated", "none", "PR"),
        ({"T1": 20, "T2": 10}, "present", "none", "PR"),
        ({"T1": 20, "T2": 10}, "not_evaluated", "none", "PR"),
        ({"T1": 30, "T2": 15}, "present", "none", "SD"),
        ({"T1": 30, "T2": 15}, "not_evaluated", "none", "SD"),
        ({"T1": None, "T2": 15}, "present", "none", "NE"),
        ({"T1": 40, "T2": 25}, "present", "none", "PD"),
        ({"T1": 30, "T2": 15}, "unequivocal_progression", "none", "PD"),
        ({"T1": 0, "T2": 0}, "absent", "unequivocal", "PD"),
        ({"T1": 30, "T2": 15}, "present", "equivocal", "SD"),
    ],
)
def test_overall_table_with_targets(targets: dict, nt: str, new: str, expected: str) -> None:
    assert overall(TWO, tp(56, targets, {"NT1": nt}, new)) == [expected]


def test_target_cr_without_non_targets_at_baseline() -> None:
    assert overall(base(T("T1", 30)), tp(56, {"T1": 0})) == ["CR"]


# Non-target-only disease (RECIST 1.1 Table 2)


@pytest.mark.parametrize(
    ("statuses", "new", "expected"),
    [
        ({"NT1": "absent", "NT2": "absent"}, "none", "CR"),
        ({"NT1": "absent", "NT2": "present"}, "none", "NON_CR_NON_PD"),
        ({"NT1": "present", "NT2": "not_evaluated"}, "none", "NE"),
        ({"NT1": "unequivocal_progression", "NT2": "not_evaluated"}, "none", "PD"),
        ({"NT1": "present", "NT2": "present"}, "unequivocal", "PD"),
    ],
)
def test_overall_table_non_target_only(statuses: dict[str, str], new: str, expected: str) -> None:
    b = base(non_targets=("NT1", "NT2"))
    result = evaluate_raw(b, [tp(56, {}, statuses, new)])
    assert result.timepoints[0].target is None
    assert result.timepoints[0].overall.value == expected


# ---------------------------------------------------------------------------
# Target response rules and exact arithmetic


def test_exactly_minus_30_percent_is_pr() -> None:
    result = evaluate_raw(base(T("T1", 30), T("T2", 20)), [tp(56, {"T1": 21, "T2": 14})])
    point = result.timepoints[0]
    assert point.target is Response.PR
    assert point.change_from_baseline_pct == Decimal(-30)
    assert overall(base(T("T1", 30), T("T2", 20)), tp(56, {"T1": 21.1, "T2": 14})) == ["SD"]


def test_exactly_plus_20_percent_and_5_mm_is_pd() -> None:
    b = base(T("T1", 25))
    assert overall(b, tp(56, {"T1": 30})) == ["PD"]
    assert overall(b, tp(56, {"T1": 29.9})) == ["SD"]


def test_float_trap_nadir_3_2_then_8_2_is_pd() -> None:
    # 8.2 - 3.2 is 4.999999999999999 in binary floating point; exactly 5.0 here.
    result = evaluate_raw(base(T("T1", 10)), [tp(56, {"T1": 3.2}), tp(112, {"T1": 8.2})])
    assert [t.target for t in result.timepoints] == [Response.PR, Response.PD]
    assert result.timepoints[1].change_from_nadir_mm == Decimal("5.0")


def test_twenty_percent_without_five_mm_is_not_pd() -> None:
    assert overall(base(T("T1", 20)), tp(56, {"T1": 10}), tp(112, {"T1": 14})) == ["PR", "PR"]


def test_five_mm_without_twenty_percent_is_not_pd() -> None:
    assert overall(base(T("T1", 50)), tp(56, {"T1": 55})) == ["SD"]


def test_pr_is_maintained_until_pd_or_cr() -> None:
    # The working group's example: 100 -> 70 -> 80 mm is PR, PR.
    b = base(T("T1", 50), T("T2", 50, organ="lung"))
    assert overall(b, tp(56, {"T1": 35, "T2": 35}), tp(112, {"T1": 40, "T2": 40})) == ["PR", "PR"]


def test_nodal_cr_with_sum_above_zero() -> None:
    b = base(T("T1", 20), T("N1", 18, organ="lymph node", nodal=True), T("N2", 16, organ="node", nodal=True))
    result = evaluate_raw(b, [tp(56, {"T1": 0, "N1": 8, "N2": 9.9})])
    assert result.timepoints[0].target is Response.CR
    assert result.timepoints[0].sum_mm == Decimal("17.9")


def test_too_small_to_measure_counts_5_mm() -> None:
    result = evaluate_raw(base(T("T1", 20)), [tp(56, {"T1": "TSTM"})])
    assert result.timepoints[0].sum_mm == Decimal(5)
    assert result.timepoints[0].target is Response.PR  # not CR: a non-nodal lesion is still there


def test_missing_target_with_and_without_pd_from_partial_sum() -> None:
    assert overall(TWO, tp(56, {"T1": None, "T2": 15}, {"NT1": "present"})) == ["NE"]
    assert overall(TWO, tp(56, {"T1": None, "T2": 80}, {"NT1": "present"})) == ["PD"]


def test_ne_timepoint_never_becomes_the_nadir() -> None:
    b = base(T("T1", 30), T("T2", 20))
    result = evaluate_raw(b, [tp(56, {"T1": 10, "T2": None}), tp(112, {"T1": 20, "T2": 20})])
    assert [t.overall for t in result.timepoints] == [Response.NE, Response.SD]
    assert result.timepoints[1].nadir_mm == Decimal(50)


def test_nadir_is_the_smallest_complete_sum() -> None:
    b = base(T("T1", 50))
    result = evaluate_raw(b, [tp(56, {"T1": 30}), tp(112, {"T1": 40}), tp(168, {"T1": 36})])
    assert [t.nadir_mm for t in result.timepoints] == [Decimal(50), Decimal(30), Decimal(30)]
    assert result.timepoints[1].overall is Response.PD  # +10 mm, +33 %


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("absent", "CR"),
        ("present", "PR"),
        ("not_evaluated", "PR"),
        ("unequivocal_progression", "PD"),
    ],
)
def test_each_non_target_status(status: str, expected: str) -> None:
    assert overall(TWO, tp(56, {"T1": 0, "T2": 0}, {"NT1": status})) == [expected]


def test_equivocal_new_lesion_then_unequivocal_backdates_pd() -> None:
    points = [
        tp(56, {"T1": 25, "T2": 15}, {"NT1": "present"}, "equivocal"),
        tp(112, {"T1": 25, "T2": 15}, {"NT1": "present"}, "unequivocal"),
    ]
    result = evaluate_raw(TWO, points)
    assert [t.overall for t in result.timepoints] == [Response.PD, Response.PD]
    assert "PD_BACKDATED_EQUIVOCAL_NEW_LESION" in result.timepoints[0].notes[0]
    alone = evaluate_raw(TWO, points[:1])
    assert alone.timepoints[0].overall is Response.SD


# ---------------------------------------------------------------------------
# Best overall response


def test_best_response_sd_needs_minimum_interval() -> None:
    b = base(T("T1", 50))
    early = evaluate_raw(b, [tp(30, {"T1": 48}), tp(90, {"T1": 70})])
    assert early.best_overall_response is Response.PD
    later = evaluate_raw(b, [tp(42, {"T1": 48}), tp(90, {"T1": 70})])
    assert later.best_overall_response is Response.SD
    longer = evaluate_raw(b, [tp(42, {"T1": 48})], params=RecistParameters(sd_min_days=56))
    assert longer.best_overall_response is Response.NE


def test_best_response_with_confirmation_required() -> None:
    b = base(T("T1", 50))
    confirm = RecistParameters(confirm_response=True)
    once = evaluate_raw(b, [tp(56, {"T1": 30}), tp(70, {"T1": 30})], params=confirm)
    assert once.best_overall_response is Response.SD
    twice = evaluate_raw(b, [tp(56, {"T1": 30}), tp(84, {"T1": 30})], params=confirm)
    assert twice.best_overall_response is Response.PR
    assert evaluate_raw(b, [tp(56, {"T1": 30})]).best_overall_response is Response.PR


# ---------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("baseline", "where", "fragment"),
    [
        (base(T("T1", 9.9)), "baseline target T1.mm", "≥ 10 mm"),
        (base(T("N1", 14, nodal=True)), "baseline target N1.mm", "≥ 15 mm"),
        (base(T("T1", -3)), "baseline target T1.mm", "0 mm or more"),
        (base(*(T(f"T{k}", 20, organ=f"organ{k}") for k in range(6))), "baseline target T5", "more than 5"),
        (base(T("T1", 20), T("T2", 20), T("T3", 20)), "baseline target T3", "more than 2"),
        (
            base(T("N1", 20, "neck", True), T("N2", 20, "axilla", True), T("N3", 20, "groin", True)),
            "baseline target N3",
            "lymph nodes",
        ),
        (base(T("T1", 20), T("T1", 30, organ="lung")), "baseline.targets[1].id", "used twice"),
        (base(), "baseline", "no target"),
    ],
)
def test_baseline_rules(baseline: dict[str, Any], where: str, fragment: str) -> None:
    with pytest.raises(CaseFormatError) as info:
        parse_baseline(baseline)
    assert info.value.field == where
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("lesions", "where"),
    [
        ({"targets": {"T1": 20, "T2": 10, "T9": 4}, "non_targets": {"NT1": "present"}}, "lesions.targets.T9"),
        ({"targets": {"T1": 20}, "non_targets": {"NT1": "present"}}, "lesions.targets.T2"),
        ({"targets": {"T1": 20, "T2": -1}, "non_targets": {"NT1": "present"}}, "lesions.targets.T2"),
        ({"targets": {"T1": 20, "T2": 1}, "non_targets": {"NT7": "present"}}, "lesions.non_targets.NT7"),
        ({"targets": {"T1": 20, "T2": 1}, "non_targets": {"NT1": "bigger"}}, "lesions.non_targets.NT1"),
        (
            {"targets": {"T1": 20, "T2": 1}, "non_targets": {"NT1": "present"}, "new_lesions": "maybe"},
            "lesions.new_lesions",
        ),
    ],
)  # fmt: skip
def test_follow_up_errors_name_the_lesion(lesions: dict[str, Any], where: str) -> None:
    with pytest.raises(CaseFormatError) as info:
        parse_lesions(lesions, parse_baseline(TWO), "lesions")
    assert info.value.field == where


def test_baseline_older_than_four_weeks_warns() -> None:
    result = evaluate_raw(base(T("T1", 20), date=-29), [])
    assert any("BASELINE_OLDER_THAN_4_WEEKS" in w for w in result.warnings)
    assert not evaluate_raw(base(T("T1", 20), date=-28), []).warnings


# ---------------------------------------------------------------------------
# iRECIST


def irecist(b: dict[str, Any], *points: dict[str, Any]) -> list[str]:
    result = evaluate_raw(b, list(points), criteria=Criteria.IRECIST)
    return [t.irecist.value if t.irecist else "-" for t in result.timepoints]


ONE = base(T("T1", 50))


def test_irecist_confirmation_by_target_growth() -> None:
    assert irecist(ONE, tp(56, {"T1": 40}), tp(112, {"T1": 50}), tp(147, {"T1": 55})) == [
        "iSD",
        "iUPD",
        "iCPD",
    ]


def test_irecist_stays_iupd_without_further_increase() -> None:
    assert irecist(ONE, tp(56, {"T1": 40}), tp(112, {"T1": 50}), tp(147, {"T1": 52})) == [
        "iSD",
        "iUPD",
        "iUPD",
    ]


def test_irecist_increases_accumulate() -> None:
    points = [tp(56, {"T1": 40}), tp(112, {"T1": 50}), tp(147, {"T1": 53}), tp(189, {"T1": 55})]
    assert irecist(ONE, *points) == ["iSD", "iUPD", "iUPD", "iCPD"]


def test_irecist_reset_then_fresh_iupd() -> None:
    points = [
        tp(56, {"T1": 40}),
        tp(112, {"T1": 50}),
        tp(147, {"T1": 41}),
        tp(203, {"T1": 52}),
        tp(217, {"T1": 60}),
    ]
    # the reset timepoint (41 mm) is iSD; the later progression is a fresh iUPD that the early scan
    # (14 days later) neither confirms nor resets
    assert irecist(ONE, *points) == ["iSD", "iUPD", "iSD", "iUPD", "iUPD"]


def test_irecist_early_scan_neither_confirms_nor_resets() -> None:
    assert irecist(ONE, tp(56, {"T1": 40}), tp(112, {"T1": 50}), tp(126, {"T1": 70})) == [
        "iSD",
        "iUPD",
        "iUPD",
    ]
    assert irecist(ONE, tp(56, {"T1": 40}), tp(112, {"T1": 50}), tp(126, {"T1": 30})) == [
        "iSD",
        "iUPD",
        "iUPD",
    ]


def test_irecist_new_lesions() -> None:
    n1 = {"id": "N1", "organ": "lung", "mm": 10, "measurable": True}
    n1_grown = {**n1, "mm": 15}
    n2 = {"id": "N2", "organ": "skin", "mm": None, "measurable": False}
    first = tp(56, {"T1": 45}, new=[n1])
    assert irecist(ONE, first, tp(98, {"T1": 45}, new=[n1])) == ["iUPD", "iUPD"]
    assert irecist(ONE, first, tp(98, {"T1": 45}, new=[n1_grown])) == ["iUPD", "iCPD"]
    assert irecist(ONE, first, tp(98, {"T1": 45}, new=[n1, n2])) == ["iUPD", "iCPD"]


def test_irecist_further_non_target_increase() -> None:
    b = base(T("T1", 50), non_targets=("NT1",))
    first = tp(56, {"T1": 45}, {"NT1": "unequivocal_progression"})
    assert irecist(b, first, tp(98, {"T1": 45}, {"NT1": "unequivocal_progression"})) == ["iUPD", "iUPD"]
    assert irecist(b, first, tp(98, {"T1": 45}, {"NT1": "further_increase"})) == ["iUPD", "iCPD"]


def test_too_many_measurable_new_lesions_is_an_error() -> None:
    lesions = [{"id": f"N{k}", "organ": "lung", "mm": 12, "measurable": True} for k in range(3)]
    with pytest.raises(CaseFormatError) as info:
        parse_lesions({"targets": {"T1": 40}, "new_lesions": lesions}, parse_baseline(ONE), "lesions")
    assert info.value.field == "new lesion N2"


# ---------------------------------------------------------------------------
# Integration with the classifier


def lesion_case(*points: dict[str, Any], criteria: str = "RECIST 1.1", **extra: Any) -> dict[str, Any]:
    return case(*points, baseline=ONE, criteria=criteria, **extra)


def test_classify_uses_computed_responses() -> None:
    obj = lesion_case(tp(56, {"T1": 40}), tp(105, {"T1": 50}), tp(140, {"T1": 56}))
    r = classify(parse_case(obj), day(150))
    assert r.category is Category.PRIMARY_RESISTANCE
    assert r.progression_date == day(105)
    assert "RESPONSE_DIFFERS_FROM_MEASUREMENTS" not in {c.value for c in r.caveat_codes}


def test_recorded_response_governs_and_difference_is_flagged() -> None:
    pd = tp(105, {"T1": 50})
    pd["response"] = "SD"
    r = classify(parse_case(lesion_case(tp(56, {"T1": 40}), pd)), day(150))
    assert r.category is Category.NO_PROGRESSION
    assert "RESPONSE_DIFFERS_FROM_MEASUREMENTS" in {c.value for c in r.caveat_codes}


def test_classify_with_irecist_dates_progression_at_iupd() -> None:
    obj = lesion_case(tp(56, {"T1": 40}), tp(105, {"T1": 50}), tp(140, {"T1": 56}), criteria="iRECIST")
    r = classify(parse_case(obj), day(150))
    assert r.category is Category.PRIMARY_RESISTANCE
    assert r.progression_date == day(105)
    assert r.confirmation.date == day(140)


def test_backdated_pd_is_not_visible_before_the_unequivocal_scan() -> None:
    points = [tp(56, {"T1": 45}, new="equivocal"), tp(112, {"T1": 45}, new="unequivocal")]
    course = parse_case(lesion_case(*points))
    assert classify(course, day(100)).category is Category.NO_PROGRESSION
    later = classify(course, day(120))
    assert later.progression_date == day(56)


def test_spider_points_for_charts() -> None:
    result = evaluate_raw(ONE, [tp(56, {"T1": 40}), tp(112, {"T1": None})])
    assert result.spider_points() == [(day(56), -20.0)]


# ---------------------------------------------------------------------------
# Properties


@st.composite
def lesion_series(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    n = draw(st.integers(1, 5))
    targets = [
        T(f"T{k}", draw(st.integers(15, 80)), organ=f"o{k}", nodal=k < 2 and draw(st.booleans()))
        for k in range(n)
    ]
    size = st.one_of(st.integers(0, 120).map(lambda v: v / 2), st.just("TSTM"))
    points = []
    for k in range(draw(st.integers(1, 5))):
        values = {t["id"]: draw(size) for t in targets}
        points.append(tp(56 * (k + 1), values, new=draw(st.sampled_from(["none", "none", "equivocal"]))))
    return base(*targets), points


@settings(max_examples=150)
@given(lesion_series(), st.randoms())
def test_lesion_order_never_changes_a_result(series: tuple[dict, list[dict]], rnd: random.Random) -> None:
    b, points = series
    shuffled_b = {**b, "targets": rnd.sample(b["targets"], len(b["targets"]))}
    shuffled_points = []
    for p in points:
        items = list(p["lesions"]["targets"].items())
        rnd.shuffle(items)
        shuffled_points.append({**p, "lesions": {**p["lesions"], "targets": dict(items)}})
    assert evaluate_raw(b, points) == evaluate_raw(shuffled_b, shuffled_points)


@settings(max_examples=150)
@given(lesion_series())
def test_values_equal_to_the_nadir_timepoint_are_never_target_pd(series: tuple[dict, list[dict]]) -> None:
    b, points = series
    result = evaluate_raw(b, points)
    nadir_sum = min(
        [Decimal(sum(t["mm"] for t in b["targets"]))]
        + [t.sum_mm for t in result.timepoints if t.complete and t.sum_mm is not None]
    )
    candidates = [b["targets"], *list(points)]
    # Repeat the values of whichever timepoint holds the nadir (the baseline included).
    if nadir_sum == Decimal(sum(t["mm"] for t in b["targets"])):
        repeat = {t["id"]: t["mm"] for t in candidates[0]}
    else:
        k = next(k for k, t in enumerate(result.timepoints) if t.complete and t.sum_mm == nadir_sum)
        repeat = dict(points[k]["lesions"]["targets"])
    again = evaluate_raw(b, [*points, tp(56 * (len(points) + 1), repeat)])
    assert again.timepoints[-1].target is not Response.PD


@settings(max_examples=150)
@given(lesion_series(), st.data())
def test_shrinking_a_non_nodal_target_never_creates_target_pd(
    series: tuple[dict, list[dict]], data: Any
) -> None:
    b, points = series
    non_nodal = [t["id"] for t in b["targets"] if not t["nodal"]]
    if not non_nodal:
        return
    before = evaluate_raw(b, points)
    k = data.draw(st.integers(0, len(points) - 1))
    lid = data.draw(st.sampled_from(non_nodal))
    value = points[k]["lesions"]["targets"][lid]
    mm = 5 if value == "TSTM" else value
    smaller = data.draw(st.integers(0, int(mm * 2)).map(lambda v: v / 2))
    changed = [dict(p) for p in points]
    changed[k] = {
        **points[k],
        "lesions": {**points[k]["lesions"], "targets": {**points[k]["lesions"]["targets"], lid: smaller}},
    }
    after = evaluate_raw(b, changed)
    if before.timepoints[k].target is not Response.PD:
        assert after.timepoints[k].target is not Response.PD


# ---------------------------------------------------------------------------
# Command line


def test_recist_cli(tmp_path: Path) -> None:
    f = tmp_path / "lesions.json"
    f.write_text(json.dumps(lesion_case(tp(56, {"T1": 35}), tp(112, {"T1": 42}))), encoding="utf-8")
    r = subprocess.run([EXE, "recist", str(f)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["baseline_sum_mm"] == 50.0
    assert out["best_overall_response"] == "PR"
    first, second = out["timepoints"]
    assert (first["sum_mm"], first["change_from_baseline_pct"], first["overall"]) == (35.0, -30.0, "PR")
    assert (second["nadir_mm"], second["change_from_nadir_mm"], second["change_from_nadir_pct"]) == (
        35.0,
        7.0,
        20.0,
    )
    assert second["overall"] == "PD"


def test_recist_cli_rejects_unknown_lesion(tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(lesion_case(tp(56, {"T1": 35, "T7": 3}))), encoding="utf-8")
    r = subprocess.run([EXE, "recist", str(f)], capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "T7" in r.stderr
    assert r.stdout == ""


def test_recist_cli_study_parameters(tmp_path: Path) -> None:
    f = tmp_path / "lesions.json"
    f.write_text(json.dumps(lesion_case(tp(56, {"T1": 35}), tp(70, {"T1": 35}))), encoding="utf-8")
    plain = subprocess.run([EXE, "recist", str(f)], capture_output=True, text=True, check=False)
    assert json.loads(plain.stdout)["best_overall_response"] == "PR"
    confirm = subprocess.run(
        [EXE, "recist", "--confirm-response", str(f)], capture_output=True, text=True, check=False
    )
    assert json.loads(confirm.stdout)["best_overall_response"] == "SD"
    late = subprocess.run(
        [EXE, "recist", "--confirm-response", "--sd-min-days", "100", str(f)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(late.stdout)["best_overall_response"] == "NE"


@pytest.mark.parametrize("recorded", ["iUPD", "iCPD", "PD"])
def test_under_recist_1_1_a_recorded_iupd_or_icpd_agrees_with_a_measured_pd(recorded: str) -> None:
    """RECIST 1.1 measurements cannot tell iUPD from iCPD: a coordinator who records iUPD where
    the sizes give PD was told 'the recorded response differs' (on screen and worksheet)."""
    pd = tp(105, {"T1": 50})
    pd["response"] = recorded
    r = classify(parse_case(lesion_case(tp(56, {"T1": 40}), pd)), day(150))
    assert "RESPONSE_DIFFERS_FROM_MEASUREMENTS" not in {c.value for c in r.caveat_codes}
    sd = tp(105, {"T1": 40})
    sd["response"] = recorded  # the sizes give SD: a real disagreement
    r = classify(parse_case(lesion_case(tp(56, {"T1": 40}), sd)), day(150))
    assert "RESPONSE_DIFFERS_FROM_MEASUREMENTS" in {c.value for c in r.caveat_codes}


def test_under_irecist_a_recorded_icpd_differs_from_a_measured_iupd() -> None:
    """Under iRECIST the measurements do tell them apart: the codes must be equal."""
    from core.rules.model import Response, measured_alike

    assert not measured_alike(Response.ICPD, Response.IUPD)
    assert measured_alike(Response.IUPD, Response.IUPD)
    assert measured_alike(Response.IUPD, Response.PD)
    assert not measured_alike(Response.SD, Response.PD)
    assert not measured_alike(Response.PD, Response.IUPD)
