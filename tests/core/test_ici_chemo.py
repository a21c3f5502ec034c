"""Rule set SITC-2023-ICI-chemo (``ici-chemo-rules.md``; Rizvi et al., JITC 2023, Table 3).

One test per row and footnote of Table 3 and per sentence of the spec's
procedure, with both sides of every threshold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.casefile import course_to_case, parse_case, parse_document
from core.errors import CaseFormatError, InputError
from core.paths import resource
from core.rules import (
    DEFAULT_ICI_CHEMO_RULESET,
    DEFAULT_RULESET,
    Assessment,
    Category,
    Classification,
    Course,
    IciChemoRule,
    IciChemoRuleSet,
    Regimen,
    Response,
    Setting,
    StopReason,
    StudyRules,
    classify,
    ruleset_from_json,
)
from core.rules.ici_chemo import category_label, is_ici_chemo_course
from tests.core.helpers import case, codes, day, iso, visit

CHEMO = "pembrolizumab + carboplatin + pemetrexed"
PRIMARY, SECONDARY = Category.PRIMARY_RESISTANCE, Category.SECONDARY_RESISTANCE
T3_PRIMARY = "SITC-2023 ICI-chemo Table 3 primary"
T3_SECONDARY = "SITC-2023 ICI-chemo Table 3 secondary or late"
EXPOSURE = "SITC-2023 ICI-chemo exposure"


def chemo(*visits: dict[str, Any], **kw: Any) -> dict[str, Any]:
    kw.setdefault("agent", CHEMO)
    kw.setdefault("regimen", "ici_chemotherapy")
    kw.setdefault("tumor", "non-small cell lung cancer")
    return case(*visits, **kw)


def run(obj: dict[str, Any], as_of: int, **params: Any) -> Classification:
    rules = StudyRules(DEFAULT_RULESET, DEFAULT_ICI_CHEMO_RULESET.with_overrides(params))
    return classify(parse_case(obj), day(as_of), rules)


def pd_at(
    n: int, as_of: int | None = None, *, flags: dict[str, Any] | None = None, **params: Any
) -> Classification:
    """A chemo course with SD at day 28 and the first PD at day ``n``, under ``params``."""
    visits = [visit(28, "SD")] if n > 28 else []
    return run(
        chemo(*visits, visit(n, "PD", **(flags or {}))), as_of if as_of is not None else n + 1, **params
    )


# ---------------------------------------------------------------------------
# Output: the rule set recorded, the rule names, the label


def test_every_result_records_the_ici_chemo_ruleset_with_its_parameters() -> None:
    out = pd_at(90).to_json()
    assert out["ruleset"]["name"] == "SITC-2023-ICI-chemo"
    assert out["ruleset"]["version"] == 1
    assert out["ruleset"]["parameters"] == {
        "min_exposure_days": 42,
        "benefit_days": 182,
        "boundary_margin_days": 7,
    }
    assert out["confirmation"]["required"] == "none"
    assert out["confirmation"]["status"] == "not_required"
    rebuilt = ruleset_from_json(out["ruleset"])
    assert rebuilt == DEFAULT_ICI_CHEMO_RULESET


def test_monotherapy_results_still_record_sitc_2020() -> None:
    r = run(case(visit(90, "PD")), 100)
    assert r.ruleset.name == "SITC-2020"


def test_rule_names_are_the_spec_strings() -> None:
    assert [r.value for r in IciChemoRule][:3] == [T3_PRIMARY, T3_SECONDARY, EXPOSURE]


def test_secondary_is_shown_as_secondary_or_late() -> None:
    r = pd_at(200)
    assert r.category is SECONDARY
    assert category_label(r) == "Secondary or late resistance"
    assert category_label(run(case(visit(60, "SD"), visit(200, "PD"), visit(240, "PD")), 250)) == (
        "Secondary resistance"
    )


def test_rationale_cites_table_3_of_the_2023_paper_and_each_step() -> None:
    text = "\n".join(pd_at(90).rationale)
    assert "Rizvi et al., J Immunother Cancer 2023;11:e005920, Table 3" in text
    assert "Step 1" in text
    assert "Step 2" in text
    assert "Step 4" in text
    assert "90 days" in text


# ---------------------------------------------------------------------------
# Table 3, row "primary resistance"


def test_primary_row_exposure_and_timing() -> None:
    r = pd_at(90)
    assert (r.category, r.rule) == (PRIMARY, IciChemoRule.T3_PRIMARY)
    assert r.progression_date == day(90)
    assert r.confirmation.required == "none"


@pytest.mark.parametrize(("n", "category"), [(41, Category.INSUFFICIENT_EXPOSURE), (42, PRIMARY)])
def test_minimum_exposure_42_days_both_sides(n: int, category: Category) -> None:
    r = pd_at(n)
    assert r.category is category
    assert r.rule == (T3_PRIMARY if category is PRIMARY else EXPOSURE)
    assert "BOUNDARY_DATE" in codes(r)


@pytest.mark.parametrize(("n", "category"), [(55, Category.INSUFFICIENT_EXPOSURE), (56, PRIMARY)])
def test_study_minimum_exposure_56_days_both_sides(n: int, category: Category) -> None:
    r = pd_at(n, min_exposure_days=56)
    assert r.category is category
    assert r.ruleset.overrides == {"min_exposure_days": 56}


@pytest.mark.parametrize(("n", "caveat"), [(42, True), (55, True), (56, False), (90, False)])
def test_exposure_within_6_to_8_weeks_caveat(n: int, caveat: bool) -> None:
    r = pd_at(n)
    assert r.category is PRIMARY
    assert ("EXPOSURE_WITHIN_6_TO_8_WEEKS" in codes(r)) is caveat


def test_rapid_progression_any_exposure_is_adequate() -> None:
    r = pd_at(14, flags={"rapid_progression": True})
    assert (r.category, r.rule) == (PRIMARY, IciChemoRule.T3_PRIMARY)
    assert "RAPID_PROGRESSION_ANY_EXPOSURE" in codes(r)
    # The same progression without the flag: too little exposure.
    assert pd_at(14).category is Category.INSUFFICIENT_EXPOSURE


def test_rapid_progression_must_be_recorded_on_the_pd_assessment() -> None:
    r = run(chemo(visit(14, "SD", rapid_progression=True), visit(21, "PD")), 30)
    assert r.category is Category.INSUFFICIENT_EXPOSURE
    assert "RAPID_PROGRESSION_ANY_EXPOSURE" not in codes(r)


def test_rapid_progression_flag_only_decides_when_exposure_is_short() -> None:
    r = pd_at(90, flags={"rapid_progression": True})
    assert r.category is PRIMARY
    assert "RAPID_PROGRESSION_ANY_EXPOSURE" not in codes(r)


@pytest.mark.parametrize(("n", "category"), [(182, PRIMARY), (183, SECONDARY)])
def test_progression_at_182_and_183_days(n: int, category: Category) -> None:
    r = pd_at(n)
    assert r.category is category
    assert "BOUNDARY_DATE" in codes(r)


def test_timing_regardless_of_best_response() -> None:
    """Table 3: timing of progression regardless of best response (no gray zone, no SD rule)."""
    after_pr = run(chemo(visit(42, "PR"), visit(84, "CR"), visit(150, "PD")), 160)
    assert after_pr.category is PRIMARY
    assert "GRAY_ZONE_RESPONSE_THEN_EARLY_PD" not in codes(after_pr)
    no_benefit = run(chemo(visit(300, "PD")), 310)
    assert no_benefit.category is SECONDARY  # SITC 2020 would need documented benefit


# ---------------------------------------------------------------------------
# Table 3, row "secondary or late resistance"


def test_secondary_row() -> None:
    r = pd_at(400)
    assert (r.category, r.rule) == (SECONDARY, IciChemoRule.T3_SECONDARY_OR_LATE)
    assert r.confirmation.status == "not_required"


@pytest.mark.parametrize(("last", "category"), [(182, Category.INDETERMINATE), (183, SECONDARY)])
def test_secondary_needs_more_than_6_months_of_exposure(last: int, category: Category) -> None:
    r = run(
        chemo(visit(100, "SD"), visit(300, "PD"), last=last, reason="toxicity"),
        310,
    )
    assert r.category is category
    if category is Category.INDETERMINATE:
        assert r.rule is None
        assert "not defined by Table 3" in (r.reason or "")


def test_benefit_days_override() -> None:
    assert pd_at(250, benefit_days=270).category is PRIMARY
    assert pd_at(250).category is SECONDARY


# ---------------------------------------------------------------------------
# Footnote: after stopping for reasons other than toxicity


@pytest.mark.parametrize("reason", ["maximal_benefit", "completed", "patient_choice", "other", None])
def test_stopped_for_other_reasons_is_indeterminate_quoting_the_footnote(reason: str | None) -> None:
    r = run(chemo(visit(60, "PR"), visit(150, "PD"), last=100, reason=reason), 160)
    assert r.category is Category.INDETERMINATE
    assert r.rule is None
    assert "could describe no uniform definition" in (r.reason or "")


def test_stopped_for_toxicity_continues() -> None:
    r = run(chemo(visit(60, "PR"), visit(150, "PD"), last=100, reason="toxicity"), 160)
    assert r.category is PRIMARY


def test_stopped_for_progression_counts_as_on_therapy() -> None:
    r = run(chemo(visit(150, "PD"), last=140, reason="progression"), 160)
    assert r.category is PRIMARY


def test_last_dose_on_or_after_progression_is_on_therapy() -> None:
    r = run(chemo(visit(150, "PD"), last=150, reason="completed"), 160)
    assert r.category is PRIMARY


# ---------------------------------------------------------------------------
# Procedure step 1: d1, no confirmation


def test_no_pd_is_no_progression() -> None:
    r = run(chemo(visit(60, "SD"), visit(120, "PR")), 130)
    assert (r.category, r.rule) == (Category.NO_PROGRESSION, None)


@pytest.mark.parametrize("code", ["iUPD", "iCPD", "PD"])
def test_irecist_progression_codes_are_pd(code: str) -> None:
    assert run(chemo(visit(60, code)), 61).category is PRIMARY


def test_later_response_does_not_refute_but_is_said() -> None:
    r = run(chemo(visit(60, "PD"), visit(100, "SD")), 110)
    assert r.category is PRIMARY
    assert r.progression_date == day(60)
    assert "LATER_RESPONSE_AFTER_PD" in codes(r)
    assert "PSEUDOPROGRESSION_REFUTED" not in codes(r)


def test_later_ne_is_not_a_response() -> None:
    r = run(chemo(visit(60, "PD"), visit(100, "NE")), 110)
    assert "LATER_RESPONSE_AFTER_PD" not in codes(r)


def test_no_pending_state_and_no_reminder() -> None:
    """A single PD is final at once: nothing to confirm, so nothing to remind."""
    r = run(chemo(visit(60, "PD")), 61)
    assert r.category is PRIMARY
    assert r.provisional_category is None
    assert r.key_dates.opens is None
    assert r.key_dates.closes is None


def test_assessments_after_as_of_are_not_considered() -> None:
    assert run(chemo(visit(60, "SD"), visit(90, "PD")), 80).category is Category.NO_PROGRESSION


def test_progression_before_the_first_dose_is_indeterminate() -> None:
    """C4: a progression before the first dose is not resistance."""
    course = parse_case(chemo(visit(60, "SD")))
    early = Assessment(date=course.first_dose - dt.timedelta(days=5), response=Response.PD)
    course = dataclasses.replace(course, assessments=(early, *course.assessments))
    r = classify(course, day(70))
    assert r.category is Category.INDETERMINATE
    assert (r.reason or "").startswith("Progression recorded before the first dose")
    assert r.progression_date == early.date
    biopsy = dataclasses.replace(early, response=Response.SD, biopsy_confirms_progression=True)
    r = classify(dataclasses.replace(course, assessments=(biopsy, *course.assessments[1:])), day(70))
    assert r.category is Category.INDETERMINATE


def test_same_date_worst_response_governs() -> None:
    """C11: PD and SD on one date: the PD counts, whatever the file order."""
    a = run(chemo(visit(60, "SD"), visit(60, "PD")), 70)
    b = run(chemo(visit(60, "PD"), visit(60, "SD")), 70)
    assert a.category is b.category is PRIMARY
    assert a.progression_date == b.progression_date == day(60)


def test_same_date_flags_are_combined() -> None:
    a = run(chemo(visit(20, "PD"), visit(20, "PD", rapid_progression=True)), 30)
    b = run(chemo(visit(20, "PD", rapid_progression=True), visit(20, "PD")), 30)
    assert a.category is b.category is PRIMARY


# ---------------------------------------------------------------------------
# Procedure step 2: exposure after stopping (C7)


@pytest.mark.parametrize(
    ("last", "interval", "category"), [(20, 21, PRIMARY), (20, 21 - 1, Category.INSUFFICIENT_EXPOSURE)]
)
def test_exposure_after_stopping_counts_the_dosing_interval(
    last: int, interval: int, category: Category
) -> None:
    """Two 3-weekly doses (day 0 and 21) are 42 days of exposure with the interval."""
    r = run(chemo(visit(80, "PD"), last=last + 1, reason="toxicity", dosing_interval_days=interval), 90)
    assert r.category is category
    assert "EXPOSURE_FROM_DOSE_DATES" not in codes(r)


def test_exposure_after_stopping_without_interval_is_dose_dates_with_caveat() -> None:
    r = run(chemo(visit(80, "PD"), last=21, reason="toxicity"), 90)
    assert r.category is Category.INSUFFICIENT_EXPOSURE
    assert r.rule == EXPOSURE
    assert "EXPOSURE_FROM_DOSE_DATES" in codes(r)
    with_interval = run(chemo(visit(80, "PD"), last=21, reason="toxicity", dosing_interval_days=21), 90)
    assert with_interval.category is PRIMARY


@pytest.mark.parametrize(("last", "category"), [(41, Category.INSUFFICIENT_EXPOSURE), (42, PRIMARY)])
def test_exposure_after_stopping_without_interval_both_sides(last: int, category: Category) -> None:
    assert run(chemo(visit(80, "PD"), last=last, reason="toxicity"), 90).category is category


def test_exposure_on_therapy_ignores_the_interval() -> None:
    r = run(chemo(visit(41, "PD"), dosing_interval_days=21), 50)
    assert r.category is Category.INSUFFICIENT_EXPOSURE


# ---------------------------------------------------------------------------
# Which rule set: routing of agent texts and regimens


@pytest.mark.parametrize(
    ("agent", "regimen", "ici_chemo"),
    [
        ("pembrolizumab + carboplatin + pemetrexed", "ici_chemotherapy", True),
        ("pembrolizumab + carboplatin + pemetrexed", "combination", True),
        ("Keytruda 200 mg q3w / carboplatin AUC 5 / pemetrexed", "monotherapy", True),
        ("atezolizumab, carboplatin and etoposide", "combination", True),
        ("pembrolizumab", "ici_chemotherapy", True),
        (None, "ici_chemotherapy", True),
        ("pembrolizumab", "monotherapy", False),
        ("atezolizumab + bevacizumab + carboplatin + paclitaxel", "combination", False),
        ("nivolumab + ipilimumab", "combination", False),
        ("pembrolizumab + lenvatinib", "combination", False),
        ("pembrolizumab + carboplatin + foobarinib", "combination", False),
        ("nivolumab + relatlimab", "combination", False),
        ("pembrolizumab + enfortumab vedotin", "combination", False),
    ],
)
def test_routing(agent: str | None, regimen: str, ici_chemo: bool) -> None:
    course = parse_case(chemo(agent=agent, regimen=regimen))
    assert is_ici_chemo_course(course) is ici_chemo


def test_chemo_only_is_classified_under_the_2023_rules() -> None:
    r = run(chemo(visit(90, "PD"), regimen="combination"), 100)
    assert (r.ruleset.name, r.category) == ("SITC-2023-ICI-chemo", PRIMARY)
    assert "REGIMEN_CONTRADICTS_AGENT" not in codes(r)


def test_monotherapy_regimen_with_chemotherapy_named_has_the_caveat() -> None:
    r = run(chemo(visit(90, "PD"), regimen="monotherapy"), 100)
    assert (r.ruleset.name, r.category) == ("SITC-2023-ICI-chemo", PRIMARY)
    assert "REGIMEN_CONTRADICTS_AGENT" in codes(r)


@pytest.mark.parametrize("regimen", ["combination", "ici_chemotherapy", "monotherapy"])
def test_chemo_plus_bevacizumab_is_not_applicable_naming_the_papers(regimen: str) -> None:
    r = run(
        chemo(
            visit(90, "PD"), agent="atezolizumab + bevacizumab + carboplatin + paclitaxel", regimen=regimen
        ),
        100,
    )
    assert r.category is Category.NOT_APPLICABLE
    assert "Kluger et al., JITC 2023;11:e005921" in (r.reason or "")
    assert "Atkins et al., JITC 2023;11:e005923" in (r.reason or "")
    if regimen == "ici_chemotherapy":
        assert "bevacizumab" in (r.reason or "")


@pytest.mark.parametrize(
    "agent", ["nivolumab + ipilimumab", "pembrolizumab + lenvatinib", "pembrolizumab + axitinib"]
)
def test_ici_ici_and_ici_tki_are_not_applicable_naming_the_papers(agent: str) -> None:
    r = run(chemo(visit(90, "PD"), agent=agent, regimen="combination"), 100)
    assert r.category is Category.NOT_APPLICABLE
    assert "e005921" in (r.reason or "")
    assert "e005923" in (r.reason or "")
    assert r.ruleset.name == "SITC-2020"


@pytest.mark.parametrize("regimen", ["ici_chemotherapy", "combination", "monotherapy"])
def test_unknown_partner_is_not_applicable(regimen: str) -> None:
    r = run(chemo(visit(90, "PD"), agent="pembrolizumab + carboplatin + foobarinib", regimen=regimen), 100)
    assert r.category is Category.NOT_APPLICABLE
    assert "foobarinib" in (r.reason or "")
    assert "e005921" in (r.reason or "")


def test_intercurrent_therapy_is_said() -> None:
    r = run(chemo(visit(150, "PD"), last=100, reason="toxicity", intercurrent_therapy=True), 160)
    assert r.category is PRIMARY
    assert "INTERCURRENT_THERAPY" in codes(r)


def test_unrecognised_pd1_with_chemo_regimen_is_classified_with_caveat() -> None:
    r = run(chemo(visit(90, "PD"), agent="newmab + carboplatin"), 100)
    assert r.category is PRIMARY
    assert "UNRECOGNISED_AGENT" in codes(r)


def test_chemotherapy_without_a_pd1_inhibitor_is_not_applicable() -> None:
    r = run(chemo(visit(90, "PD"), agent="carboplatin + pemetrexed"), 100)
    assert r.category is Category.NOT_APPLICABLE


@pytest.mark.parametrize("setting", ["adjuvant", "neoadjuvant"])
def test_non_advanced_settings_are_not_applicable(setting: str) -> None:
    r = run(chemo(visit(90, "PD"), setting=setting), 100)
    assert r.category is Category.NOT_APPLICABLE
    assert r.ruleset.name == "SITC-2023-ICI-chemo"
    assert "advanced" in (r.reason or "")


# ---------------------------------------------------------------------------
# Parameters, overridable separately


def test_parameters_are_separate_from_sitc_2020() -> None:
    rules = StudyRules.with_overrides({"benefit_days": 365}, {"benefit_days": 200})
    mono = classify(parse_case(case(visit(60, "SD"), visit(190, "PD"))), day(300), rules)
    both = classify(parse_case(chemo(visit(190, "PD"))), day(300), rules)
    assert mono.ruleset.parameters.benefit_days == 365
    assert both.ruleset.parameters.benefit_days == 200
    assert both.category is PRIMARY


@pytest.mark.parametrize(
    ("name", "value"),
    [("min_exposure_days", 57), ("min_exposure_days", 41), ("benefit_days", "x"), ("confirm_min_days", 28)],
)
def test_bad_overrides_name_the_field(name: str, value: Any) -> None:
    with pytest.raises(InputError) as info:
        StudyRules.with_overrides({}, {name: value})
    assert info.value.field == f"ici_chemo_overrides.{name}"


def test_rapid_progression_must_be_a_boolean() -> None:
    with pytest.raises(CaseFormatError) as info:
        parse_case(chemo(visit(60, "PD", rapid_progression="yes")))
    assert info.value.field == "assessments[0].rapid_progression"


def test_case_file_round_trip_keeps_regimen_and_flag() -> None:
    course = parse_case(chemo(visit(30, "PD", rapid_progression=True)))
    assert course.regimen is Regimen.ICI_CHEMOTHERAPY
    assert course.assessments[0].rapid_progression
    assert parse_case(course_to_case(course)) == course


def test_ruleset_json_round_trip_with_overrides() -> None:
    rs = IciChemoRuleSet().with_overrides({"min_exposure_days": 50})
    assert ruleset_from_json(rs.to_json()) == rs


# ---------------------------------------------------------------------------
# Properties: file order, same-date order and drug order never change the result

RESPONSES = [r for r in Response if r is not Response.NED]
CHEMO_DRUGS = ["carboplatin", "pemetrexed", "paclitaxel", "cisplatin", "etoposide"]


@st.composite
def chemo_courses(draw: st.DrawFn) -> Course:
    first = dt.date(2023, 1, 2) + dt.timedelta(days=draw(st.integers(0, 300)))
    offsets = draw(st.lists(st.integers(0, 500), max_size=8))
    visits = tuple(
        Assessment(
            date=first + dt.timedelta(days=off),
            response=draw(st.sampled_from(RESPONSES)),
            rapid_progression=draw(st.booleans()),
        )
        for off in offsets
    )
    last = draw(st.none() | st.integers(0, 500))
    drugs = draw(st.lists(st.sampled_from(CHEMO_DRUGS), min_size=0, max_size=3, unique=True))
    return Course(
        subject_id="C-1",
        tumor_type="NSCLC",
        setting=Setting.ADVANCED,
        regimen=draw(st.sampled_from([Regimen.ICI_CHEMOTHERAPY, Regimen.COMBINATION]))
        if drugs
        else Regimen.ICI_CHEMOTHERAPY,
        first_dose=first,
        agent=" + ".join(["pembrolizumab", *drugs]),
        last_dose=None if last is None else first + dt.timedelta(days=last),
        discontinuation_reason=draw(st.none() | st.sampled_from(list(StopReason))),
        assessments=visits,
    )


def essence(r: Classification) -> tuple[object, ...]:
    return (r.category, r.rule, r.progression_date, r.reason, r.caveat_codes, r.ruleset.name)


@settings(max_examples=300)
@given(chemo_courses(), st.integers(0, 600), st.randoms(use_true_random=False))
def test_file_order_and_same_date_order_never_change_the_result(
    course: Course, offset: int, rnd: Any
) -> None:
    as_of = course.first_dose + dt.timedelta(days=offset)
    shuffled = list(course.assessments)
    rnd.shuffle(shuffled)
    again = dataclasses.replace(course, assessments=tuple(shuffled))
    assert essence(classify(again, as_of)) == essence(classify(course, as_of))


@settings(max_examples=200)
@given(chemo_courses(), st.integers(0, 600), st.randoms(use_true_random=False))
def test_drug_order_never_changes_the_result(course: Course, offset: int, rnd: Any) -> None:
    as_of = course.first_dose + dt.timedelta(days=offset)
    drugs = (course.agent or "").split(" + ")
    rnd.shuffle(drugs)
    again = dataclasses.replace(course, agent=" / ".join(drugs))
    a, b = classify(course, as_of), classify(again, as_of)
    assert (a.category, a.rule, a.caveat_codes, a.ruleset.name) == (
        b.category,
        b.rule,
        b.caveat_codes,
        b.ruleset.name,
    )


@settings(max_examples=300)
@given(chemo_courses(), st.integers(0, 600))
def test_every_chemo_result_is_complete_and_never_pending(course: Course, offset: int) -> None:
    r = classify(course, course.first_dose + dt.timedelta(days=offset))
    assert r.ruleset.name == "SITC-2023-ICI-chemo"
    assert r.category is not Category.PENDING_CONFIRMATION
    assert r.confirmation.required == "none"
    if r.category in (Category.NO_PROGRESSION, Category.INDETERMINATE):
        assert r.rule is None
    else:
        assert r.rule is not None
    assert (r.category is Category.INDETERMINATE) <= (r.reason is not None)
    assert r.rationale
    r.to_json()


# ---------------------------------------------------------------------------
# The bundled worked examples of the new rule set

EXPECTED: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "data" / "ici_chemo_expected.json").read_text(encoding="utf-8")
)


def test_every_ici_chemo_example_has_an_expected_answer() -> None:
    shipped = {f.name.removesuffix(".json") for f in resource("examples", "ici-chemo").iterdir()}
    assert shipped == set(EXPECTED)
    assert len(shipped) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ici_chemo_example(name: str) -> None:
    data = json.loads(resource("examples", "ici-chemo", f"{name}.json").read_text(encoding="utf-8"))
    courses, _, errors = parse_document(data, source=name)
    assert not errors
    expect = EXPECTED[name]["expect"]
    result = classify(courses[0], dt.date.fromisoformat(EXPECTED[name]["as_of"])).to_json()
    assert result["category"] == expect["category"]
    if "rule" in expect:
        assert result["rule"] == expect["rule"]
    got = [c["code"] for c in result["caveats"]]
    for code in expect.get("caveat_codes", []):
        assert code in got
    assert result["ruleset"]["name"] == "SITC-2023-ICI-chemo"
    assert result["confirmation"]["required"] == "none"


def test_help_explains_the_2023_definitions_and_what_they_do_not_cover() -> None:
    text = " ".join(resource("help", "rules.md").read_text(encoding="utf-8").split())
    for needle in (
        "SITC-2023-ICI-chemo",
        "J Immunother Cancer 2023;11:e005920",
        "Table 3",
        "Rapidly progressing disease",
        "Secondary or late resistance",
        "no confirmatory scan",
        "nothing to remind",
        "other than toxicity",
        "2023;11:e005921",
        "2023;11:e005923",
        "advanced disease only",
    ):
        assert needle in text, needle


# ---------------------------------------------------------------------------
# The worksheet's eligibility statement knows which regimens the protocol enrolls


def test_eligibility_names_the_regimen_the_protocol_does_not_enroll() -> None:
    from core.worksheet.document import StudyInfo, eligibility_statement

    chemo_primary = pd_at(90)
    mono_primary = run(case(visit(60, "SD"), visit(100, "PD"), visit(140, "PD")), 150)
    assert mono_primary.category is PRIMARY
    both = StudyInfo("P-1", "t", enrolled_categories=("primary_resistance",))
    assert eligibility_statement(both, chemo_primary)[0]
    mono_only = dataclasses.replace(both, enrolled_regimens=("monotherapy",))
    ok, text = eligibility_statement(mono_only, chemo_primary)
    assert not ok
    assert "PD-(L)1 + chemotherapy" in text
    assert eligibility_statement(mono_only, mono_primary)[0]
    chemo_only = dataclasses.replace(both, enrolled_regimens=("ici_chemotherapy",))
    assert eligibility_statement(chemo_only, chemo_primary)[0]
    assert not eligibility_statement(chemo_only, mono_primary)[0]


# ---------------------------------------------------------------------------
# Command line: the second rule set's parameters are overridden separately


def test_cli_classifies_chemo_case_and_overrides_its_parameters_separately(tmp_path: Path) -> None:
    from tests.core.test_cli import cli, write

    f = write(tmp_path, "c.json", chemo(visit(28, "SD"), visit(49, "PD")))
    plain = cli("classify", "--as-of", iso(60), f)
    assert plain.returncode == 0, plain.stderr
    out = json.loads(plain.stdout)
    assert (out["category"], out["ruleset"]["name"]) == ("primary_resistance", "SITC-2023-ICI-chemo")
    # A SITC-2020 override does not touch the chemo rule set ...
    mono = json.loads(cli("classify", "--as-of", iso(60), "--param", "min_exposure_days=56", f).stdout)
    assert mono["category"] == "primary_resistance"
    # ... its own does.
    own = json.loads(
        cli("classify", "--as-of", iso(60), "--ici-chemo-param", "min_exposure_days=56", f).stdout
    )
    assert own["category"] == "insufficient_exposure"
    assert own["ruleset"]["overrides"] == {"min_exposure_days": 56}
    bad = cli("classify", "--as-of", iso(60), "--ici-chemo-param", "min_exposure_days=70", f)
    assert bad.returncode == 2
    assert "min_exposure_days" in bad.stderr
    assert not bad.stdout


def test_responses_computed_from_lesions_are_read_under_the_2023_rules() -> None:
    baseline = {"date": iso(-5), "targets": [{"id": "T1", "organ": "lung", "mm": 40}], "non_targets": []}

    def measured(n: int, mm: int) -> dict[str, Any]:
        return {"date": iso(n), "lesions": {"targets": {"T1": mm}, "non_targets": {}, "new_lesions": "none"}}

    obj = chemo(measured(42, 26), measured(84, 40), baseline=baseline)  # -35 %, then +54 % from the nadir
    r = run(obj, 90)
    assert (r.category, r.progression_date) == (PRIMARY, day(84))
    assert [resp.value for _, resp, _ in r.visit_responses] == ["PR", "PD"]


@settings(max_examples=200)
@given(chemo_courses(), st.integers(0, 600), st.integers(-2000, 2000))
def test_shifting_every_date_changes_nothing(course: Course, offset: int, shift: int) -> None:
    delta = dt.timedelta(days=shift)
    moved = dataclasses.replace(
        course,
        first_dose=course.first_dose + delta,
        last_dose=None if course.last_dose is None else course.last_dose + delta,
        assessments=tuple(dataclasses.replace(a, date=a.date + delta) for a in course.assessments),
    )
    as_of = course.first_dose + dt.timedelta(days=offset)
    a, b = classify(course, as_of), classify(moved, as_of + delta)
    assert (a.category, a.rule, a.caveat_codes) == (b.category, b.rule, b.caveat_codes)


@settings(max_examples=200)
@given(chemo_courses(), st.integers(0, 600), st.integers(1, 300), st.sampled_from(RESPONSES))
def test_assessments_after_as_of_change_nothing(
    course: Course, offset: int, later: int, response: Response
) -> None:
    as_of = course.first_dose + dt.timedelta(days=offset)
    extra = Assessment(date=as_of + dt.timedelta(days=later), response=response, rapid_progression=True)
    before = classify(course, as_of).to_json()
    after = classify(dataclasses.replace(course, assessments=(*course.assessments, extra)), as_of).to_json()
    assert after == before
