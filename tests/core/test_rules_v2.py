"""Rule set SITC-2020 version 2: one group of tests per change C1-C16
(``resistance-rules.md``, last section). Each test fails on the version 1
behaviour. Dates are day offsets from the first dose (``tests.core.helpers``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from core.casefile import course_to_case, parse_case
from core.errors import CaseFormatError
from core.rules import DEFAULT_RULESET, Category, Response, Rule, VisitRole, classify
from core.rules.parameters import RuleSet
from tests.core.helpers import case, codes, day, run, visit
from tests.core.test_recist import T, base, evaluate_raw, tp

PRIMARY = Category.PRIMARY_RESISTANCE
SECONDARY = Category.SECONDARY_RESISTANCE
PENDING = Category.PENDING_CONFIRMATION
INSUFFICIENT = Category.INSUFFICIENT_EXPOSURE
NONE = Category.NO_PROGRESSION


def text(r: Any) -> str:
    return "\n".join(r.rationale)


def test_ruleset_is_version_2_with_sd_min_days() -> None:
    assert DEFAULT_RULESET.version == 2
    assert DEFAULT_RULESET.label == "SITC-2020 v2"
    assert DEFAULT_RULESET.parameters.sd_min_days == 42
    out = run(case(visit(63, "PD")), 70).to_json()
    assert out["ruleset"]["version"] == 2
    assert out["ruleset"]["parameters"]["sd_min_days"] == 42


def test_a_version_1_recorded_ruleset_is_read_with_its_parameters_under_version_2() -> None:
    recorded = {"name": "SITC-2020", "version": 1, "parameters": {"benefit_days": 180}}
    rs = RuleSet.from_json(recorded)
    assert (rs.version, rs.parameters.benefit_days, rs.parameters.sd_min_days) == (2, 180, 42)
    for bad in (0, 3, "2", True, None):
        with pytest.raises(Exception, match="unsupported rule set"):
            RuleSet.from_json({"name": "SITC-2020", "version": bad})


# ---------------------------------------------------------------------------
# C1: neoadjuvant progression before surgery follows Table 1


def neo(*visits: dict[str, Any], last: int | None, surgery: int | None = 120, **extra: Any) -> dict[str, Any]:
    return case(*visits, setting="neoadjuvant", last=last, reason="completed", surgery=surgery, **extra)


def test_c1_two_dose_neoadjuvant_course_progressing_before_surgery_is_primary() -> None:
    # Two 3-weekly doses (days 0 and 21); PD on day 50 before surgery, confirmed on day 80.
    r = run(neo(visit(50, "PD"), visit(80, "PD"), last=21), 90)
    assert r.category is PRIMARY
    assert r.rule is Rule.T1_PRIMARY
    assert r.confirmation.status == "confirmed"


def test_c1_neoadjuvant_pd_before_surgery_needs_its_confirmatory_scan() -> None:
    r = run(neo(visit(60, "PD"), last=42), 65)
    assert r.category is PENDING
    assert r.provisional_category is PRIMARY
    assert r.confirmation.required == "scan"


def test_c1_neoadjuvant_early_pr_then_pd_is_primary_gray_zone_not_secondary() -> None:
    r = run(neo(visit(35, "PR"), visit(70, "PD"), visit(100, "PD"), last=42), 110)
    assert r.category is PRIMARY
    assert r.rule is Rule.T1_PRIMARY
    assert "GRAY_ZONE_RESPONSE_THEN_EARLY_PD" in codes(r)


def test_c1_neoadjuvant_exposure_is_checked_when_resistance_is_established() -> None:
    # PD on day 30 confirmed on day 58: established after 58 days, I-1.
    r = run(neo(visit(30, "PD"), visit(58, "PD"), last=21, surgery=None), 60)
    assert r.category is PRIMARY
    assert "INITIAL_PD_BEFORE_MIN_EXPOSURE" in codes(r)
    # Established on day 41: not classifiable.
    r = run(neo(visit(13, "PD"), visit(41, "PD"), last=21, surgery=None), 60)
    assert r.category is INSUFFICIENT


def test_c1_rationale_names_the_neoadjuvant_phase() -> None:
    r = run(neo(visit(50, "PD"), visit(80, "PD"), last=21), 90)
    assert "neoadjuvant phase" in text(r)
    assert "Table 4" not in text(r)


# ---------------------------------------------------------------------------
# C2: confirmed best response follows RECIST 1.1 Table 3


B2 = base(T("T1", 50), non_targets=("NT1",))


def cr(n: int) -> dict[str, Any]:
    return tp(n, {"T1": 0}, {"NT1": "absent"})


def pr(n: int, mm: float = 30) -> dict[str, Any]:
    return tp(n, {"T1": mm}, {"NT1": "present"})


def bor(*points: dict[str, Any]) -> Response | None:
    from core.rules.recist import RecistParameters

    return evaluate_raw(
        B2, list(points), params=RecistParameters(confirm_response=True)
    ).best_overall_response


def test_c2_confirmed_cr_followed_by_pr_is_pr() -> None:
    # Target CR with a non-target still present is PR (RECIST 1.1 Table 1).
    points = [cr(56), tp(112, {"T1": 0}, {"NT1": "present"})]
    assert [t.overall for t in evaluate_raw(B2, points).timepoints] == [Response.CR, Response.PR]
    assert bor(*points) is Response.PR


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([cr(56), cr(84)], Response.CR),
        ([pr(56), cr(84)], Response.PR),
        ([pr(56), pr(84, 25)], Response.PR),
        ([pr(56), pr(84, 40)], Response.SD),  # PR then PD: SD, its minimum met on day 56
        ([pr(35), pr(70, 40)], Response.PD),  # PR then PD, SD minimum not met
        ([pr(56), tp(84, {"T1": None}, {"NT1": "present"})], Response.SD),  # PR then NE
        ([pr(35), tp(70, {"T1": None}, {"NT1": "present"})], Response.NE),
        ([cr(56), tp(70, {"T1": 0}, {"NT1": "present"})], Response.SD),  # PR too soon to confirm the CR
    ],
)
def test_c2_rows_of_recist_table_3(points: list[dict[str, Any]], expected: Response) -> None:
    assert bor(*points) is expected


# ---------------------------------------------------------------------------
# C3: the agent text decides whether the course is a combination


@pytest.mark.parametrize(
    ("agent", "named", "label"),
    [
        ("pembrolizumab + lenvatinib", "lenvatinib", "targeted therapy"),
        # PD-(L)1 + chemotherapy only now goes to SITC-2023-ICI-chemo (issue 17; test_ici_chemo.py);
        # with a non-chemotherapy partner it stays not applicable here.
        ("carboplatin/pemetrexed/pembrolizumab + bevacizumab", "bevacizumab", "anti-angiogenic antibody"),
        ("Keytruda 200 mg q3w with Padcev", "enfortumab vedotin", "antibody-drug conjugate"),
        ("atezolizumab and bevacizumab", "bevacizumab", "anti-angiogenic antibody"),
        ("nivolumab (Opdivo) & relatlimab", "relatlimab", "anti-LAG-3 antibody"),
    ],
)
def test_c3_partner_drug_in_agent_makes_a_monotherapy_entry_not_applicable(
    agent: str, named: str, label: str
) -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), agent=agent), 110)
    assert r.category is Category.NOT_APPLICABLE
    assert r.rule is Rule.APPLICABILITY
    assert r.reason
    assert named in r.reason
    assert label in r.reason
    assert "REGIMEN_CONTRADICTS_AGENT" in codes(r)


def test_c3_combination_regimen_names_the_partner_without_the_contradiction_caveat() -> None:
    r = run(case(visit(63, "PD"), agent="pembrolizumab + axitinib", regimen="combination"), 110)
    assert r.category is Category.NOT_APPLICABLE
    assert r.reason
    assert "axitinib (targeted therapy)" in r.reason
    assert "REGIMEN_CONTRADICTS_AGENT" not in codes(r)


def test_c3_unknown_name_beside_a_pd1_inhibitor_is_flagged() -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), agent="pembrolizumab + Zorbalimab"), 110)
    assert r.category is PRIMARY
    assert "UNRECOGNISED_AGENT" in codes(r)


def test_c3_brand_name_and_doses_are_monotherapy() -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), agent="Keytruda (pembrolizumab) 200 mg q3w"), 110)
    assert r.category is PRIMARY
    assert "UNRECOGNISED_AGENT" not in codes(r)
    assert "REGIMEN_CONTRADICTS_AGENT" not in codes(r)


# ---------------------------------------------------------------------------
# C4: progression before the first dose is not resistance


@pytest.mark.parametrize(
    "pre",
    [
        visit(-10, "PD"),
        visit(-10, "iUPD"),
        visit(-10, "NED", biopsy_confirms_progression=True),
    ],
)
@pytest.mark.parametrize("setting", ["adjuvant", "neoadjuvant"])
def test_c4_progression_before_first_dose_is_indeterminate(pre: dict[str, Any], setting: str) -> None:
    r = run(case(pre, visit(100, "PD", biopsy_confirms_progression=True), setting=setting, surgery=60), 120)
    assert r.category is Category.INDETERMINATE
    assert r.reason == "Progression recorded before the first dose."
    assert r.rule is None


def test_c4_progression_on_the_first_dose_day_is_not_before_it() -> None:
    r = run(case(visit(0, "PD", biopsy_confirms_progression=True), setting="adjuvant"), 10)
    assert r.category is not Category.INDETERMINATE


# ---------------------------------------------------------------------------
# C5: iRECIST confirmation


def test_c5_iupd_then_iupd_stays_pending() -> None:
    r = run(case(visit(60, "iUPD"), visit(95, "iUPD")), 100)
    assert r.category is PENDING
    assert r.provisional_category is PRIMARY
    assert r.confirmation.status == "pending"
    assert (r.confirmation.opens, r.confirmation.closes) == (day(88), day(144))
    assert r.confirmation.due_status == "open"
    assert "IUPD_AWAITING_ICPD" in codes(r)
    assert r.progression_date == day(60)


def test_c5_iupd_awaiting_icpd_becomes_overdue() -> None:
    r = run(case(visit(60, "iUPD"), visit(95, "iUPD")), 150)
    assert r.confirmation.due_status == "overdue"


def test_c5_iupd_then_icpd_is_confirmed() -> None:
    r = run(case(visit(60, "iUPD"), visit(95, "iUPD"), visit(120, "iCPD")), 130)
    assert r.category is PRIMARY
    assert (r.confirmation.status, r.confirmation.date) == ("confirmed", day(120))
    assert "IUPD_AWAITING_ICPD" not in codes(r)
    r = run(case(visit(60, "iUPD"), visit(95, "iCPD")), 100)
    assert (r.category, r.confirmation.date) == (PRIMARY, day(95))


def test_c5_iupd_then_isd_is_a_reset() -> None:
    r = run(case(visit(60, "iUPD"), visit(95, "iSD")), 100)
    assert r.category is NONE
    assert "PSEUDOPROGRESSION_REFUTED" in codes(r)


def test_c5_icpd_without_iupd_is_the_initial_progression() -> None:
    r = run(case(visit(60, "iCPD")), 70)
    assert r.category is PENDING
    assert r.progression_date == day(60)
    assert "ICPD_WITHOUT_IUPD" in codes(r)
    r = run(case(visit(60, "iUPD"), visit(95, "iCPD")), 100)
    assert "ICPD_WITHOUT_IUPD" not in codes(r)


# ---------------------------------------------------------------------------
# C6: a confirmatory scan wins over the waiver; a waiver establishes on its day


def test_c6_confirmatory_scan_on_file_wins_over_an_earlier_clinical_progression_flag() -> None:
    r = run(case(visit(60, "PD"), visit(70, "PD", clinical_progression=True), visit(95, "PD")), 100)
    assert r.category is PRIMARY
    assert (r.confirmation.status, r.confirmation.date) == ("confirmed", day(95))
    assert "CONFIRMATION_WAIVED_CLINICAL_PROGRESSION" not in codes(r)


def test_c6_waiver_still_applies_without_a_confirmatory_scan() -> None:
    r = run(case(visit(60, "PD"), visit(70, "PD", clinical_progression=True)), 80)
    assert r.category is PRIMARY
    assert (r.confirmation.status, r.confirmation.date) == ("waived", day(70))
    assert "CONFIRMATION_WAIVED_CLINICAL_PROGRESSION" in codes(r)


@pytest.mark.parametrize(("flag_day", "expected"), [(41, INSUFFICIENT), (42, PRIMARY)])
def test_c6_waiver_establishes_resistance_on_the_day_it_is_recorded(
    flag_day: int, expected: Category
) -> None:
    r = run(case(visit(30, "PD"), visit(flag_day, "PD", clinical_progression=True)), 50)
    assert r.category is expected
    assert r.confirmation.status == "waived"
    if expected is PRIMARY:
        assert "INITIAL_PD_BEFORE_MIN_EXPOSURE" in codes(r)


# ---------------------------------------------------------------------------
# C7: exposure on stopping counts the last cycle


def stopped(interval: int | None, last: int, *visits: dict[str, Any]) -> dict[str, Any]:
    extra = {} if interval is None else {"dosing_interval_days": interval}
    return case(*(visits or (visit(80, "PD"),)), last=last, reason="toxicity", **extra)


@pytest.mark.parametrize(
    ("last", "interval", "expected"),
    [(21, 20, INSUFFICIENT), (21, 21, PRIMARY), (20, 21, INSUFFICIENT), (14, 28, PRIMARY)],
)
def test_c7_two_doses_and_the_last_cycle(last: int, interval: int, expected: Category) -> None:
    r = run(stopped(interval, last), 90)
    assert r.category is expected
    assert "EXPOSURE_FROM_DOSE_DATES" not in codes(r)


def test_c7_without_the_interval_exposure_is_dose_dates_with_a_caveat() -> None:
    r = run(stopped(None, 21), 90)
    assert r.category is INSUFFICIENT
    assert "EXPOSURE_FROM_DOSE_DATES" in codes(r)
    assert "EARLY_TOXICITY_DISCONTINUATION" in codes(r)
    # The caveat only when it decided the category.
    assert "EXPOSURE_FROM_DOSE_DATES" not in codes(run(stopped(None, 60), 90))


@pytest.mark.parametrize("value", [6, 85, 0, "21", 21.0, True])
def test_c7_dosing_interval_is_validated(value: Any) -> None:
    with pytest.raises(CaseFormatError) as err:
        parse_case(case(dosing_interval_days=value))
    assert err.value.field == "dosing_interval_days"


@pytest.mark.parametrize("value", [7, 21, 84])
def test_c7_dosing_interval_round_trips_through_a_case_file(value: int) -> None:
    course = parse_case(case(visit(80, "PD"), dosing_interval_days=value))
    assert course.dosing_interval_days == value
    assert course_to_case(course)["dosing_interval_days"] == value
    assert parse_case(course_to_case(course)) == course
    assert "dosing_interval_days" not in course_to_case(parse_case(case()))


# ---------------------------------------------------------------------------
# C8: a negative biopsy refutes a nodal-only progression on every path


def test_c8_negative_biopsy_refutes_primary_nodal_only_progression() -> None:
    r = run(
        case(
            visit(60, "PD", nodal_only=True),
            visit(65, "PD", biopsy_confirms_progression=False),
            visit(95, "PD"),
        ),
        100,
    )
    assert r.category is NONE
    assert "BIOPSY_NEGATIVE" in codes(r)
    assert "PSEUDOPROGRESSION_REFUTED" not in codes(r)


def test_c8_confirmatory_scan_of_the_refuted_episode_is_not_a_new_progression() -> None:
    # Biopsy after the confirmatory scan: the walk goes on after the biopsy.
    visits = [
        visit(60, "PD", nodal_only=True),
        visit(95, "PD"),
        visit(100, "SD", biopsy_confirms_progression=False),
    ]
    assert run(case(*visits), 110).category is NONE
    # Biopsy before the confirmatory scan: the walk goes on after the scan.
    visits = [
        visit(60, "PD", nodal_only=True),
        visit(65, "PD", biopsy_confirms_progression=False),
        visit(95, "PD"),
    ]
    r = run(case(*visits), 110)
    assert r.category is NONE
    assert dict(r.visit_roles)[2] is VisitRole.REFUTED_PD
    # A later progression is a new episode.
    r = run(case(*visits, visit(140, "PD"), visit(170, "PD")), 180)
    assert (r.category, r.progression_date) == (PRIMARY, day(140))


def test_c8_symptomatic_nodal_only_secondary_refuted_by_negative_biopsy() -> None:
    pd = visit(252, "PD", nodal_only=True, symptomatic=True)
    r = run(case(visit(63, "PR"), pd, visit(290, "PD", biopsy_confirms_progression=False)), 300)
    assert r.category is NONE
    assert "BIOPSY_NEGATIVE" in codes(r)


def test_c8_negative_biopsy_on_table_4_nodal_only_progression() -> None:
    obj = case(
        visit(63, "SD"),
        visit(150, "PD", nodal_only=True, biopsy_confirms_progression=False),
        last=100,
        reason="toxicity",
    )
    assert run(obj, 160).category is NONE


def test_c8_non_nodal_progression_is_not_refuted_by_an_optional_biopsy() -> None:
    r = run(case(visit(60, "PD"), visit(65, "PD", biopsy_confirms_progression=False), visit(95, "PD")), 100)
    assert r.category is PRIMARY


# ---------------------------------------------------------------------------
# C9: in the adjuvant setting a positive biopsy is recurrence evidence


def test_c9_biopsy_before_staging_scan_confirms_the_recurrence() -> None:
    obj = case(
        visit(100, "NED"),
        visit(200, "NE", biopsy_confirms_progression=True),
        visit(210, "PD"),
        setting="adjuvant",
        last=180,
        reason="completed",
    )
    r = run(obj, 220)
    assert r.category is PRIMARY
    assert r.rule is Rule.T2_EARLY
    assert r.progression_date == day(200)
    assert (r.confirmation.status, r.confirmation.date) == ("confirmed", day(200))


def test_c9_positive_biopsy_alone_is_a_recurrence() -> None:
    obj = case(
        visit(100, "NED"),
        visit(300, "NED", biopsy_confirms_progression=True),
        setting="adjuvant",
        last=180,
        reason="completed",
    )
    r = run(obj, 310)
    assert r.category is Category.LATE_RELAPSE
    assert r.progression_date == day(300)


def test_c9_after_neoadjuvant_surgery_a_positive_biopsy_confirms() -> None:
    obj = neo(visit(300, "NE", biopsy_confirms_progression=True), visit(310, "PD"), last=42, surgery=60,
              major_pathological_response=False)  # fmt: skip
    r = run(obj, 320)
    assert r.category is PRIMARY
    assert r.rule is Rule.T3_PRIMARY
    assert (r.confirmation.status, r.progression_date) == ("confirmed", day(300))


def test_c9_biopsy_in_advanced_disease_is_not_progression_evidence() -> None:
    r = run(case(visit(60, "SD", biopsy_confirms_progression=True)), 70)
    assert r.category is NONE


# ---------------------------------------------------------------------------
# C10: benefit must be on treatment


def test_c10_baseline_sd_on_day_0_is_not_benefit() -> None:
    r = run(case(visit(0, "SD"), visit(200, "PD"), visit(230, "PD")), 240)
    assert r.category is Category.INDETERMINATE
    assert "EARLY_RESPONSE_NOT_COUNTED" in codes(r)


@pytest.mark.parametrize(("sd_day", "expected"), [(41, Category.INDETERMINATE), (42, SECONDARY)])
def test_c10_sd_counts_from_sd_min_days(sd_day: int, expected: Category) -> None:
    r = run(case(visit(sd_day, "SD"), visit(200, "PD"), visit(230, "PD")), 240)
    assert r.category is expected
    assert ("EARLY_RESPONSE_NOT_COUNTED" in codes(r)) is (expected is Category.INDETERMINATE)


def test_c10_sd_min_days_is_a_study_parameter() -> None:
    obj = case(visit(50, "SD"), visit(200, "PD"), visit(230, "PD"))
    assert run(obj, 240).category is SECONDARY
    assert run(obj, 240, sd_min_days=56).category is Category.INDETERMINATE


def test_c10_early_pr_counts_but_not_on_the_first_dose_day() -> None:
    assert run(case(visit(20, "PR"), visit(200, "PD"), visit(230, "PD")), 240).category is SECONDARY
    obj = case(visit(0, "PR"), visit(200, "PD"), visit(230, "PD"), setting="neoadjuvant")
    assert run(obj, 240).category is Category.INDETERMINATE


def test_c10_table_4_prior_response_must_be_after_the_first_dose() -> None:
    # A PR recorded on the first-dose day is a baseline, not a response on treatment.
    obj = case(visit(0, "PR"), visit(60, "SD"), visit(150, "PD"), last=84, reason="maximal_benefit")
    r = run(obj, 160)
    assert r.category is PRIMARY
    assert r.rule is Rule.T4_PRIMARY
    assert "EARLY_RESPONSE_NOT_COUNTED" in codes(r)
    obj = case(visit(1, "PR"), visit(60, "SD"), visit(150, "PD"), last=84, reason="maximal_benefit")
    assert run(obj, 160).provisional_category is SECONDARY


# ---------------------------------------------------------------------------
# C11: same-date assessments, the worst governs


@pytest.mark.parametrize("order", ["pd_first", "sd_first"])
def test_c11_same_date_confirmatory_pair_in_both_orders(order: str) -> None:
    pair = [visit(95, "PD"), visit(95, "SD")]
    if order == "sd_first":
        pair.reverse()
    r = run(case(visit(60, "PD"), *pair), 100)
    assert r.category is PRIMARY
    assert (r.confirmation.status, r.confirmation.date) == ("confirmed", day(95))
    assert "SAME_DATE_CONFLICT" in codes(r)


@pytest.mark.parametrize("order", ["pr_first", "pd_first"])
def test_c11_same_date_progression_and_response_in_both_orders(order: str) -> None:
    pair = [visit(60, "PR"), visit(60, "PD")]
    if order == "pd_first":
        pair.reverse()
    r = run(case(visit(30, "SD"), *pair, visit(90, "PD")), 100)
    assert (r.category, r.progression_date) == (PRIMARY, day(60))
    assert "GRAY_ZONE_RESPONSE_THEN_EARLY_PD" not in codes(r)


def test_c11_flags_are_combined_and_ne_only_when_nothing_else() -> None:
    r = run(case(visit(60, "PD"), visit(70, "NE", clinical_progression=True), visit(70, "PD")), 80)
    assert r.confirmation.status == "waived"
    assert "SAME_DATE_CONFLICT" not in codes(r)


def test_c11_identical_same_date_records_are_no_conflict() -> None:
    r = run(case(visit(60, "PD"), visit(60, "PD"), visit(95, "PD")), 100)
    assert r.category is PRIMARY
    assert "SAME_DATE_CONFLICT" not in codes(r)


# ---------------------------------------------------------------------------
# C12: tumor-type words


@pytest.mark.parametrize(
    ("tumor", "why"),
    [
        ("cancer of the ovary", "excluded"),
        ("HCC", "excluded"),
        ("GBM, IDH-wildtype", "excluded"),
        ("mCRPC", "excluded"),
        ("CRPC with bone metastases", "excluded"),
        ("CLL", "hematologic"),
        ("AML", "hematologic"),
        ("MDS", "hematologic"),
        ("Hodgkin disease", "hematologic"),
        ("mycosis fungoides", "hematologic"),
        ("Sézary syndrome", "hematologic"),
        ("Sezary syndrome", "hematologic"),
    ],
)
def test_c12_more_excluded_words(tumor: str, why: str) -> None:
    r = run(case(visit(63, "PD"), tumor=tumor), 70)
    assert r.category is Category.NOT_APPLICABLE
    assert r.reason
    assert why in r.reason


@pytest.mark.parametrize(
    "tumor", ["urothelial carcinoma after cystoprostatectomy", "HCCX-like tumor", "gbmish"]
)
def test_c12_words_stay_whole_words(tumor: str) -> None:
    assert run(case(visit(63, "PD"), visit(100, "PD"), tumor=tumor), 110).category is PRIMARY


def test_c12_abbreviation_follows_its_excluded_type() -> None:
    obj = case(visit(63, "PD"), visit(100, "PD"), tumor="HCC")
    assert run(obj, 110).category is Category.NOT_APPLICABLE
    assert run(obj, 110, excluded_tumor_types=["glioblastoma"]).category is PRIMARY


# ---------------------------------------------------------------------------
# C13: backdated progression


ONE = base(T("T1", 50))


def backdated(*extra: dict[str, Any]) -> dict[str, Any]:
    points = [tp(56, {"T1": 45}, new="equivocal"), tp(84, {"T1": 45}, new="unequivocal"), *extra]
    return case(*points, baseline=ONE)


def test_c13_backdated_pd_is_said_and_not_confirmed_by_the_unequivocal_scan() -> None:
    r = run(backdated(), 90)
    assert r.progression_date == day(56)
    assert r.category is PENDING
    assert "PD_BACKDATED_EQUIVOCAL_NEW_LESION" in codes(r)
    assert "dated back" in text(r)


def test_c13_confirmed_by_a_later_scan() -> None:
    r = run(backdated(tp(112, {"T1": 45}, new="unequivocal")), 120)
    assert r.category is PRIMARY
    assert r.confirmation.date == day(112)


def test_c13_later_scan_still_needs_confirm_min_days() -> None:
    # Lesion unequivocal on day 60 (4 days after the backdated PD): the scan on day 70 is too early.
    points = [
        tp(56, {"T1": 45}, new="equivocal"),
        tp(60, {"T1": 45}, new="unequivocal"),
        tp(70, {"T1": 45}, new="unequivocal"),
    ]
    r = run(case(*points, baseline=ONE), 75)
    assert r.category is PENDING
    assert r.confirmation.opens == day(84)


# ---------------------------------------------------------------------------
# C14: response after stopping


def test_c14_response_first_recorded_after_the_last_dose() -> None:
    obj = case(visit(60, "SD"), visit(120, "PR"), visit(200, "PD"), last=84, reason="patient_choice")
    r = run(obj, 210)
    assert r.category is PRIMARY
    assert r.rule is Rule.T4_PRIMARY
    assert "RESPONSE_AFTER_DISCONTINUATION" in codes(r)


def test_c14_no_caveat_for_a_response_on_treatment() -> None:
    obj = case(visit(60, "PR"), visit(120, "PR"), visit(150, "PD"), last=84, reason="maximal_benefit")
    r = run(obj, 160)
    assert "RESPONSE_AFTER_DISCONTINUATION" not in codes(r)


# ---------------------------------------------------------------------------
# C15: minimal adjuvant exposure


@pytest.mark.parametrize(("rec_day", "caveat"), [(41, True), (42, False)])
def test_c15_minimal_adjuvant_exposure(rec_day: int, caveat: bool) -> None:
    obj = case(visit(rec_day, "PD", biopsy_confirms_progression=True), setting="adjuvant")
    r = run(obj, 50)
    assert r.category is PRIMARY
    assert ("MINIMAL_ADJUVANT_EXPOSURE" in codes(r)) is caveat


# ---------------------------------------------------------------------------
# C16: rationale wording, read back


def test_c16_pending_result_says_would_be() -> None:
    r = run(case(visit(60, "PD")), 70)
    assert r.category is PENDING
    words = text(r)
    assert "was established" not in words
    assert "established on" not in words
    assert f"would be established no earlier than {day(88)}" in words
    assert "would be primary resistance once confirmed" in words


def test_c16_pending_result_never_says_was_established_anywhere() -> None:
    # Day 40 PD: the window opens on day 68, 26 days past the 42-day exposure threshold;
    # as of day 45 the earliest establishment is near no threshold, but the text must say "would".
    for as_of in (45, 80):
        r = run(case(visit(40, "PD")), as_of)
        assert r.category is PENDING
        everything = text(r) + " ".join(c.text for c in r.caveats)
        assert "was established" not in everything
        assert "established on" not in everything


def test_c16_pending_biopsy_says_would_be() -> None:
    r = run(case(visit(200, "PD"), setting="adjuvant", last=150, reason="completed"), 210)
    assert r.category is PENDING
    assert "would be primary resistance once confirmed" in text(r)
    assert "was established" not in text(r)


def test_c16_adjuvant_progression_is_a_recurrence() -> None:
    r = run(
        case(
            visit(200, "PD", biopsy_confirms_progression=True),
            setting="adjuvant",
            last=150,
            reason="completed",
        ),
        210,
    )
    assert r.rationale[2].startswith("Recurrence (PD)")
    assert "Initial progression" not in text(r)


def test_c16_negative_biopsy_is_not_called_pseudoprogression() -> None:
    r = run(
        case(
            visit(200, "PD", biopsy_confirms_progression=False),
            setting="adjuvant",
            last=150,
            reason="completed",
        ),
        210,
    )
    assert r.category is NONE
    assert "pseudoprogression" in text(r).lower()  # only in "not pseudoprogression"
    assert "not pseudoprogression" in text(r)
    assert "Pseudoprogression:" not in text(r)
    assert "negative" in text(r)


def test_c16_backdated_result_says_so() -> None:
    assert "dated back to" in text(run(backdated(tp(112, {"T1": 45}, new="unequivocal")), 120))


def test_c16_neoadjuvant_phase_is_named() -> None:
    r = run(neo(visit(60, "PD"), last=42), 65)
    assert "neoadjuvant phase" in text(r)
    assert "was established" not in text(r)


def test_c16_insufficient_exposure_after_a_response() -> None:
    r = run(case(visit(14, "PR"), visit(28, "PD"), visit(35, "PD", clinical_progression=True)), 40)
    assert r.category is INSUFFICIENT
    assert "not classifiable: less than 6 weeks of exposure" in text(r)
    assert "not classifiable as primary resistance" not in text(r)


def test_c16_rationale_uses_human_response_labels() -> None:
    r = run(case(visit(63, "NON_CR_NON_PD"), visit(200, "PD"), visit(230, "PD")), 240)
    assert r.category is SECONDARY
    assert "Non-CR/non-PD" in text(r)
    assert "NON_CR_NON_PD" not in text(r)


def test_course_equality_survives_dataclass_replace() -> None:
    # The classifier never mutates its input.
    course = parse_case(case(visit(60, "PD"), visit(60, "SD")))
    before = dataclasses.astuple(course)
    classify(course, day(100))
    assert dataclasses.astuple(course) == before


def test_c9_positive_biopsy_after_surgery_wins_over_a_refuting_scan() -> None:
    obj = neo(visit(300, "PD"), visit(335, "SD", biopsy_confirms_progression=True), last=42, surgery=60,
              major_pathological_response=True)  # fmt: skip
    r = run(obj, 340)
    assert r.category is SECONDARY
    assert r.rule is Rule.T3_SECONDARY
    assert (r.confirmation.status, r.confirmation.date) == ("confirmed", day(335))


def test_c2_recist_cli_confirm_response_cr_then_pr_is_pr(tmp_path: Any) -> None:
    import io
    import json

    from core.cli import main
    from tests.core.test_cli import write

    obj = case(cr(56), tp(112, {"T1": 0}, {"NT1": "present"}), baseline=B2)
    path = write(tmp_path, "cr-pr.json", obj)
    out, err = io.StringIO(), io.StringIO()
    assert main(["recist", "--confirm-response", str(path)], out=out, err=err) == 0, err.getvalue()
    assert json.loads(out.getvalue())["best_overall_response"] == "PR"


def test_c14_cr_first_recorded_after_the_last_dose_beside_an_earlier_pr() -> None:
    obj = case(
        visit(60, "PR"),
        visit(120, "CR"),
        visit(150, "PD"),
        visit(180, "PD"),
        last=84,
        reason="maximal_benefit",
    )
    r = run(obj, 190)
    assert r.category is SECONDARY
    assert r.rule is Rule.T4_SECONDARY
    assert "RESPONSE_AFTER_DISCONTINUATION" in codes(r)
