"""One test per rule path, category, caveat and threshold boundary
(``resistance-rules.md``). Dates are day offsets from the first dose."""

from __future__ import annotations

import pytest

from core.rules import Category, Rule, RuleSet, VisitRole, classify
from tests.core.helpers import case, codes, day, run, visit

PRIMARY = Category.PRIMARY_RESISTANCE
SECONDARY = Category.SECONDARY_RESISTANCE
PENDING = Category.PENDING_CONFIRMATION


# ---------------------------------------------------------------------------
# Step 1: applicability


def test_combination_regimen_is_not_applicable() -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), regimen="combination"), 200)
    assert r.category is Category.NOT_APPLICABLE
    assert r.rule is Rule.APPLICABILITY
    assert r.reason
    assert "monotherapy" in r.reason
    assert r.confirmation.status == "not_required"


@pytest.mark.parametrize(
    "tumor",
    ["Glioblastoma multiforme", "prostate adenocarcinoma", "Hepatocellular carcinoma", "OVARIAN cancer"],
)
def test_excluded_tumor_types_are_not_applicable(tumor: str) -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), tumor=tumor), 200)
    assert r.category is Category.NOT_APPLICABLE
    assert r.reason
    assert "excluded" in r.reason


@pytest.mark.parametrize(
    "tumor",
    ["diffuse large B-cell lymphoma", "chronic lymphocytic leukaemia", "acute myeloid leukemia",
     "multiple myeloma", "myelodysplastic syndrome", "classical Hodgkin lymphoma"],
)  # fmt: skip
def test_hematologic_malignancies_are_not_applicable(tumor: str) -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), tumor=tumor), 200)
    assert r.category is Category.NOT_APPLICABLE
    assert r.reason
    assert "hematologic" in r.reason


@pytest.mark.parametrize("tumor", ["non-small cell lung cancer", "melanoma", "renal cell carcinoma"])
def test_solid_tumors_are_covered(tumor: str) -> None:
    assert run(case(visit(63, "PD"), visit(100, "PD"), tumor=tumor), 200).category is PRIMARY


def test_words_match_whole_words_only() -> None:
    # "prostatic" is not the word "prostate"; the list matches words.
    assert run(case(visit(63, "PD"), visit(100, "PD"), tumor="prostatic-like"), 200).category is PRIMARY


def test_study_can_extend_the_excluded_tumor_types() -> None:
    obj = case(visit(63, "PD"), visit(100, "PD"), tumor="uveal melanoma")
    assert run(obj, 200).category is PRIMARY
    r = run(obj, 200, excluded_tumor_types=["glioblastoma", "uveal melanoma"])
    assert r.category is Category.NOT_APPLICABLE


@pytest.mark.parametrize("agent", ["ipilimumab", "tremelimumab", "nivolumab + ipilimumab", "Opdualag"])
def test_agents_that_are_not_pd1_inhibitors_are_not_applicable(agent: str) -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), agent=agent), 200)
    assert r.category is Category.NOT_APPLICABLE


@pytest.mark.parametrize("agent", ["nivolumab", "Atezolizumab", "KEYTRUDA", "durvalumab 1500 mg q4w"])
def test_recognised_agents_get_no_caveat(agent: str) -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), agent=agent), 200)
    assert r.category is PRIMARY
    assert "UNRECOGNISED_AGENT" not in codes(r)


def test_unrecognised_agent_is_accepted_with_caveat() -> None:
    r = run(case(visit(63, "PD"), visit(100, "PD"), agent="investigational-mab"), 200)
    assert r.category is PRIMARY
    assert "UNRECOGNISED_AGENT" in codes(r)


# ---------------------------------------------------------------------------
# Step 2: the progression episode


def test_no_progression() -> None:
    r = run(case(visit(49, "SD"), visit(105, "PR")), 200)
    assert r.category is Category.NO_PROGRESSION
    assert r.rule is None
    assert r.progression_date is None


def test_ned_and_non_cr_non_pd_are_not_progression() -> None:
    r = run(case(visit(49, "NON_CR_NON_PD"), visit(105, "NED")), 200)
    assert r.category is Category.NO_PROGRESSION


def test_walk_restarts_after_a_refuted_progression() -> None:
    obj = case(visit(49, "PD"), visit(84, "SD"), visit(126, "PD"), visit(161, "PD"))
    r = run(obj, 200)
    assert r.category is PRIMARY
    assert r.progression_date == day(126)
    assert r.confirmation.date == day(161)
    assert "PSEUDOPROGRESSION_REFUTED" in codes(r)
    roles = dict(r.visit_roles)
    assert roles[0] is VisitRole.REFUTED_PD
    assert roles[1] is VisitRole.REFUTING
    assert roles[2] is VisitRole.INITIAL_PD
    assert roles[3] is VisitRole.CONFIRMATORY


def test_irecist_codes_map_to_recist() -> None:
    r = run(case(visit(49, "iSD"), visit(105, "iUPD"), visit(140, "iCPD")), 200)
    assert r.category is PRIMARY
    assert r.progression_date == day(105)
    r = run(case(visit(49, "iUPD"), visit(84, "iPR")), 200)
    assert r.category is Category.NO_PROGRESSION
    assert "PSEUDOPROGRESSION_REFUTED" in codes(r)


# ---------------------------------------------------------------------------
# Step 3: confirmation


def test_confirmation_window_boundaries() -> None:
    # 27 days after the PD is too early; 28 days confirms.
    r = run(case(visit(105, "PD"), visit(132, "PD")), 200)
    assert r.category is PENDING
    assert "EARLY_SCAN_NOT_CONFIRMATORY" in codes(r)
    r = run(case(visit(105, "PD"), visit(133, "PD")), 200)
    assert r.category is PRIMARY
    assert r.confirmation.date == day(133)
    assert "EARLY_SCAN_NOT_CONFIRMATORY" not in codes(r)


def test_confirmation_at_84_days_is_inside_the_window_and_85_outside() -> None:
    r = run(case(visit(105, "PD"), visit(189, "PD")), 300)
    assert r.category is PRIMARY
    assert "CONFIRMATION_OUTSIDE_WINDOW" not in codes(r)
    r = run(case(visit(105, "PD"), visit(190, "PD")), 300)
    assert r.category is PRIMARY
    assert "CONFIRMATION_OUTSIDE_WINDOW" in codes(r)


def test_early_scan_then_confirmation() -> None:
    r = run(case(visit(105, "PD"), visit(119, "PD"), visit(140, "PD")), 200)
    assert r.category is PRIMARY
    assert r.confirmation.date == day(140)
    assert "EARLY_SCAN_NOT_CONFIRMATORY" in codes(r)
    assert dict(r.visit_roles)[1] is VisitRole.TOO_EARLY


def test_early_non_progression_scan_does_not_refute() -> None:
    r = run(case(visit(105, "PD"), visit(119, "SD"), visit(140, "PD")), 200)
    assert r.category is PRIMARY


def test_not_evaluable_scan_neither_confirms_nor_refutes() -> None:
    r = run(case(visit(105, "PD"), visit(140, "NE")), 150)
    assert r.category is PENDING
    r = run(case(visit(105, "PD"), visit(140, "NE"), visit(160, "PD")), 200)
    assert r.category is PRIMARY
    assert r.confirmation.date == day(160)


@pytest.mark.parametrize(
    ("as_of", "due"),
    [(132, "not_yet_open"), (133, "open"), (189, "open"), (190, "overdue")],
)
def test_pending_window_due_status(as_of: int, due: str) -> None:
    r = run(case(visit(49, "SD"), visit(105, "PD")), as_of)
    assert r.category is PENDING
    assert r.provisional_category is PRIMARY
    assert r.rule is Rule.T1_PRIMARY
    c = r.confirmation
    assert (c.required, c.status, c.opens, c.closes, c.due_status) == (
        "scan",
        "pending",
        day(133),
        day(189),
        due,
    )
    assert r.key_dates.opens == day(133)
    assert r.key_dates.closes == day(189)


def test_clinical_progression_on_a_later_visit_waives_the_scan() -> None:
    r = run(case(visit(105, "PD"), visit(115, "PD", clinical_progression=True)), 120)
    assert r.category is PRIMARY
    assert r.confirmation.status == "waived"
    assert "CONFIRMATION_WAIVED_CLINICAL_PROGRESSION" in codes(r)


def test_clinical_progression_after_a_refuting_scan_does_not_waive() -> None:
    obj = case(visit(105, "PD"), visit(140, "SD"), visit(150, "SD", clinical_progression=True))
    r = run(obj, 200)
    assert r.category is Category.NO_PROGRESSION
    assert "PSEUDOPROGRESSION_REFUTED" in codes(r)


def test_a_classification_as_of_a_past_date_ignores_later_visits() -> None:
    obj = case(visit(49, "SD"), visit(105, "PD"), visit(140, "PD"))
    assert run(obj, 139).category is PENDING
    r = run(obj, 140)
    assert r.category is PRIMARY
    assert dict(run(obj, 139).visit_roles)[2] is VisitRole.AFTER_AS_OF


# ---------------------------------------------------------------------------
# Step 4a: advanced, on therapy (Table 1)


def test_exposure_boundary_41_and_42_days() -> None:
    r = run(case(visit(41, "PD", clinical_progression=True)), 100)
    assert r.category is Category.INSUFFICIENT_EXPOSURE
    assert r.rule is Rule.EXPOSURE
    r = run(case(visit(42, "PD", clinical_progression=True)), 100)
    assert r.category is PRIMARY
    assert "INITIAL_PD_BEFORE_MIN_EXPOSURE" not in codes(r)


def test_pd_before_six_weeks_confirmed_after_is_primary_i1() -> None:
    r = run(case(visit(20, "PD"), visit(50, "PD")), 100)
    assert r.category is PRIMARY
    assert "INITIAL_PD_BEFORE_MIN_EXPOSURE" in codes(r)
    assert "I-1" in r.interpretations


def test_pd_confirmed_before_six_weeks_is_insufficient_exposure() -> None:
    r = run(case(visit(10, "PD"), visit(38, "PD")), 100)
    assert r.category is Category.INSUFFICIENT_EXPOSURE
    assert r.confirmation.status == "confirmed"


def test_pending_early_pd_is_provisionally_primary_once_window_passes_six_weeks() -> None:
    r = run(case(visit(20, "PD")), 30)
    assert r.category is PENDING
    assert r.provisional_category is PRIMARY
    assert "INITIAL_PD_BEFORE_MIN_EXPOSURE" in codes(r)


def test_benefit_boundary_181_and_182_days() -> None:
    r = run(case(visit(63, "SD"), visit(181, "PD"), visit(220, "PD")), 300)
    assert (r.category, r.rule) == (PRIMARY, Rule.T1_PRIMARY)
    r = run(case(visit(63, "SD"), visit(182, "PD"), visit(220, "PD")), 300)
    assert (r.category, r.rule) == (SECONDARY, Rule.T1_SECONDARY)
    assert "I-2" in r.interpretations


def test_gray_zone_response_then_early_pd() -> None:
    r = run(case(visit(49, "PR"), visit(140, "PD"), visit(175, "PD")), 250)
    assert r.category is PRIMARY
    assert "GRAY_ZONE_RESPONSE_THEN_EARLY_PD" in codes(r)


def test_late_progression_without_documented_benefit_is_indeterminate() -> None:
    r = run(case(visit(200, "PD"), visit(240, "PD")), 300)
    assert r.category is Category.INDETERMINATE
    assert r.rule is None
    assert r.reason
    assert "benefit" in r.reason
    r = run(case(visit(63, "NE"), visit(200, "PD"), visit(240, "PD")), 300)
    assert r.category is Category.INDETERMINATE


def test_non_cr_non_pd_best_response_gives_secondary_with_caveat() -> None:
    r = run(case(visit(63, "NON_CR_NON_PD"), visit(252, "PD"), visit(294, "PD")), 400)
    assert r.category is SECONDARY
    assert "NON_MEASURABLE_DISEASE" in codes(r)


def test_secondary_pending_confirmation() -> None:
    r = run(case(visit(63, "PR"), visit(252, "PD")), 260)
    assert r.category is PENDING
    assert r.provisional_category is SECONDARY
    assert r.rule is Rule.T1_SECONDARY


def test_secondary_without_required_confirmation() -> None:
    r = run(case(visit(63, "PR"), visit(252, "PD")), 260, secondary_requires_confirmation=False)
    assert r.category is SECONDARY
    assert (r.confirmation.required, r.confirmation.status) == ("none", "not_required")
    assert r.ruleset.overrides == {"secondary_requires_confirmation": False}


def test_asymptomatic_nodal_only_secondary_needs_scan_and_biopsy() -> None:
    pd = visit(252, "PD", nodal_only=True)
    r = run(case(visit(63, "PR"), pd, visit(294, "PD")), 300)
    assert r.category is PENDING
    assert r.confirmation.required == "scan+biopsy"
    assert r.confirmation.due_status is None
    assert "NODAL_ONLY_PROGRESSION" in codes(r)
    r = run(case(visit(63, "PR"), pd, visit(294, "PD", biopsy_confirms_progression=True)), 300)
    assert r.category is SECONDARY
    assert (r.confirmation.status, r.confirmation.date) == ("confirmed", day(294))
    r = run(case(visit(63, "PR"), pd, visit(294, "PD", biopsy_confirms_progression=False)), 300)
    assert r.category is Category.NO_PROGRESSION
    assert "BIOPSY_NEGATIVE" in codes(r)


def test_symptomatic_nodal_only_or_parameter_off_needs_scan_only() -> None:
    pd = visit(252, "PD", nodal_only=True, symptomatic=True)
    r = run(case(visit(63, "PR"), pd, visit(294, "PD")), 300)
    assert (r.category, r.confirmation.required) == (SECONDARY, "scan")
    assert "NODAL_ONLY_PROGRESSION" in codes(r)
    pd = visit(252, "PD", nodal_only=True)
    r = run(case(visit(63, "PR"), pd, visit(294, "PD")), 300, nodal_only_requires_pathology=False)
    assert (r.category, r.confirmation.required) == (SECONDARY, "scan")


def test_primary_nodal_only_gets_caveat_but_no_biopsy_requirement() -> None:
    r = run(case(visit(49, "SD"), visit(105, "PD", nodal_only=True), visit(140, "PD")), 200)
    assert (r.category, r.confirmation.required) == (PRIMARY, "scan")
    assert "NODAL_ONLY_PROGRESSION" in codes(r)


def test_single_site_progression_with_multiple_metastases() -> None:
    pd = visit(252, "PD", multiple_metastases=True, progressing_sites=1)
    r = run(case(visit(63, "PR"), pd, visit(294, "PD")), 300)
    assert r.category is SECONDARY
    assert "SINGLE_SITE_PROGRESSION" in codes(r)
    pd = visit(252, "PD", multiple_metastases=True, progressing_sites=2)
    assert "SINGLE_SITE_PROGRESSION" not in codes(run(case(visit(63, "PR"), pd, visit(294, "PD")), 300))


def test_last_dose_on_or_after_pd_is_on_therapy() -> None:
    r = run(case(visit(49, "SD"), visit(105, "PD"), visit(140, "PD"), last=105, reason="toxicity"), 200)
    assert r.rule is Rule.T1_PRIMARY


def test_stopped_for_progression_is_on_therapy() -> None:
    obj = case(visit(49, "SD"), visit(105, "PD"), visit(140, "PD"), last=90, reason="progression")
    assert run(obj, 200).rule is Rule.T1_PRIMARY


# ---------------------------------------------------------------------------
# Step 4b: advanced, stopped before the progression (Table 4)


def test_stopped_early_for_toxicity_is_insufficient_exposure_i4() -> None:
    r = run(case(visit(35, "SD"), visit(120, "PD"), last=41, reason="toxicity"), 200)
    assert (r.category, r.rule) == (Category.INSUFFICIENT_EXPOSURE, Rule.EXPOSURE)
    assert "EARLY_TOXICITY_DISCONTINUATION" in codes(r)
    assert "I-4" in r.interpretations
    r = run(case(visit(35, "SD"), visit(120, "PD"), last=42, reason="toxicity"), 200)
    assert (r.category, r.rule) == (PRIMARY, Rule.T4_PRIMARY)


def test_stopped_without_response_is_primary_without_confirmation() -> None:
    r = run(case(visit(56, "SD"), visit(120, "PD"), last=63, reason="patient_choice"), 200)
    assert (r.category, r.rule) == (PRIMARY, Rule.T4_PRIMARY)
    assert (r.confirmation.required, r.confirmation.status) == ("none", "not_required")
    assert "I-3" in r.interpretations


def test_response_after_the_last_dose_is_not_prior_response_i3() -> None:
    r = run(case(visit(56, "SD"), visit(100, "PR"), visit(200, "PD"), last=63, reason="other"), 300)
    assert r.rule is Rule.T4_PRIMARY


def test_durable_sd_before_discontinuation() -> None:
    obj = case(visit(63, "SD"), visit(126, "SD"), visit(200, "PD"), last=150, reason="completed")
    r = run(obj, 300)
    assert r.rule is Rule.T4_PRIMARY
    assert "DURABLE_SD_BEFORE_DISCONTINUATION" in codes(r)


def test_primary_documented_late_off_treatment() -> None:
    r = run(case(visit(56, "SD"), visit(147, "PD"), last=63, reason="toxicity"), 200)
    assert "PRIMARY_DOCUMENTED_LATE_OFF_TREATMENT" not in codes(r)  # 84 days off
    r = run(case(visit(56, "SD"), visit(148, "PD"), last=63, reason="toxicity"), 200)
    assert "PRIMARY_DOCUMENTED_LATE_OFF_TREATMENT" in codes(r)  # 85 days off


def test_table4_off_treatment_boundary_84_and_85_days_i5() -> None:
    r = run(case(visit(63, "PR"), visit(161, "PD"), visit(196, "PD"), last=77, reason="toxicity"), 300)
    assert (r.category, r.rule) == (SECONDARY, Rule.T4_SECONDARY)
    assert "I-5" in r.interpretations
    r = run(case(visit(63, "PR"), visit(162, "PD"), visit(196, "PD"), last=77, reason="toxicity"), 300)
    assert (r.category, r.rule) == (Category.LATE_PROGRESSION, Rule.T4_LATE)
    assert any("rechallenge" in step for step in r.rationale)


def test_table4_secondary_pending_and_intercurrent_therapy() -> None:
    obj = case(
        visit(63, "CR"), visit(140, "PD"), last=77, reason="maximal_benefit", intercurrent_therapy=True
    )
    r = run(obj, 150)
    assert (r.category, r.provisional_category) == (PENDING, SECONDARY)
    assert r.rule is Rule.T4_SECONDARY
    assert "INTERCURRENT_THERAPY" in codes(r)


# ---------------------------------------------------------------------------
# Step 4c: adjuvant (Table 2)


def _adjuvant(pd_day: int, last: int | None, biopsy: bool | None = True) -> dict[str, object]:
    return case(
        visit(150, "NED"),
        visit(pd_day, "PD", biopsy_confirms_progression=biopsy),
        setting="adjuvant",
        last=last,
        reason=None if last is None else "completed",
    )


def test_adjuvant_boundary_83_and_84_days_i5() -> None:
    r = run(_adjuvant(383, 300), 400)
    assert (r.category, r.rule) == (PRIMARY, Rule.T2_EARLY)
    assert (r.confirmation.required, r.confirmation.status) == ("biopsy", "confirmed")
    r = run(_adjuvant(384, 300), 400)
    assert (r.category, r.rule) == (Category.LATE_RELAPSE, Rule.T2_LATE)
    assert "I-5" in r.interpretations


def test_adjuvant_still_on_therapy_is_early_relapse() -> None:
    assert run(_adjuvant(200, None), 250).rule is Rule.T2_EARLY


def test_adjuvant_rechallenge_caveat_after_six_months() -> None:
    assert "RECHALLENGE_MAY_RESPOND" not in codes(run(_adjuvant(482, 300), 500))
    assert "RECHALLENGE_MAY_RESPOND" in codes(run(_adjuvant(483, 300), 500))


def test_adjuvant_biopsy_pending_and_refuted() -> None:
    r = run(_adjuvant(350, 300, biopsy=None), 400)
    assert (r.category, r.provisional_category) == (PENDING, PRIMARY)
    assert (r.confirmation.required, r.confirmation.due_status) == ("biopsy", None)
    r = run(_adjuvant(350, 300, biopsy=False), 400)
    assert r.category is Category.NO_PROGRESSION
    assert "BIOPSY_NEGATIVE" in codes(r)


def test_adjuvant_allows_assessments_before_first_dose() -> None:
    obj = _adjuvant(350, 300)
    obj["assessments"].insert(0, visit(-20, "NED"))  # type: ignore[attr-defined]
    assert run(obj, 400).rule is Rule.T2_EARLY


# ---------------------------------------------------------------------------
# Step 4d: neoadjuvant (Table 3)


def _neo(pd: int, mpr: bool | None, **extra: object) -> dict[str, object]:
    return case(
        visit(pd, "PD"),
        visit(pd + 40, "PD"),
        setting="neoadjuvant",
        last=42,
        reason="completed",
        surgery=56,
        major_pathological_response=mpr,
        **extra,
    )


def test_neoadjuvant_recurrence_after_surgery_by_pathological_response() -> None:
    assert run(_neo(400, True), 500).rule is Rule.T3_SECONDARY
    r = run(_neo(400, False), 500)
    assert (r.category, r.rule) == (PRIMARY, Rule.T3_PRIMARY)
    r = run(_neo(400, None), 500)
    assert r.category is Category.INDETERMINATE
    assert r.reason
    assert "pathological" in r.reason.lower()


def test_neoadjuvant_recurrence_with_adjuvant_phase_follows_table2() -> None:
    obj = _neo(400, True, adjuvant_after_neoadjuvant=True)
    obj["assessments"][0]["biopsy_confirms_progression"] = True  # type: ignore[index]
    r = run(obj, 500)
    assert r.rule is Rule.T2_LATE


def test_neoadjuvant_progression_before_surgery_follows_table1() -> None:
    obj = case(
        visit(45, "PD"), visit(80, "PD"), setting="neoadjuvant", surgery=90, major_pathological_response=False
    )
    assert run(obj, 100).rule is Rule.T1_PRIMARY


# ---------------------------------------------------------------------------
# Step 5 and output


def test_indolent_tumor_caveat() -> None:
    r = run(case(visit(49, "SD"), indolent=True), 100)
    assert "INDOLENT_TUMOR" in codes(r)


def test_boundary_date_caveat_within_seven_days() -> None:
    assert "BOUNDARY_DATE" in codes(run(case(visit(175, "PD"), visit(210, "PD")), 300))
    assert "BOUNDARY_DATE" not in codes(run(case(visit(174, "PD"), visit(210, "PD")), 300))
    assert "BOUNDARY_DATE" in codes(run(case(visit(63, "SD"), visit(189, "PD"), visit(220, "PD")), 300))
    assert "BOUNDARY_DATE" not in codes(run(case(visit(63, "SD"), visit(190, "PD"), visit(220, "PD")), 300))


def test_key_dates() -> None:
    r = run(case(visit(56, "SD"), last=100, reason="toxicity"), 200)
    assert r.key_dates.min_exposure_reached == day(42)
    assert r.key_dates.benefit_threshold == day(182)
    assert r.key_dates.off_treatment_threshold == day(184)
    assert r.key_dates.opens is None


def test_study_override_changes_the_split_and_is_recorded() -> None:
    obj = case(visit(63, "SD"), visit(200, "PD"), visit(240, "PD"), indolent=True)
    assert run(obj, 300).category is SECONDARY
    r = run(obj, 300, benefit_days=365)
    assert r.category is PRIMARY
    out = r.to_json()
    assert out["ruleset"]["parameters"]["benefit_days"] == 365
    assert out["ruleset"]["overrides"] == {"benefit_days": 365}


def test_recorded_ruleset_reproduces_the_result() -> None:
    from core.casefile import parse_case

    obj = case(visit(63, "SD"), visit(200, "PD"), visit(240, "PD"))
    first = run(obj, 300, benefit_days=365, confirm_max_days=70)
    again = classify(parse_case(obj), first.as_of, RuleSet.from_json(first.to_json()["ruleset"]))
    assert again.to_json() == first.to_json()


def test_output_shape() -> None:
    out = run(case(visit(49, "SD"), visit(105, "PD")), 120).to_json()
    assert out["format"] == "resistdesk-classification/1"
    assert set(out) >= {
        "subject_id", "category", "provisional_category", "reason", "rule", "progression_date",
        "confirmation", "caveats", "key_dates", "rationale", "ruleset",
    }  # fmt: skip
    assert set(out["confirmation"]) == {"required", "status", "date", "opens", "closes", "due_status"}
    assert set(out["ruleset"]["parameters"]) == {
        "min_exposure_days", "benefit_days", "confirm_min_days", "confirm_max_days",
        "off_treatment_days", "secondary_requires_confirmation", "nodal_only_requires_pathology",
        "excluded_tumor_types", "boundary_margin_days", "sd_min_days",
    }  # fmt: skip
