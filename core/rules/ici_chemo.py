"""Resistance to PD-(L)1 inhibitor + chemotherapy: rule set ``SITC-2023-ICI-chemo``.

``ici-chemo-rules.md`` is the contract; the source is Rizvi et al., J
Immunother Cancer 2023;11:e005920, Table 3 ("Minimum exposure and best
response definition for primary resistance to ICI-chemotherapy combinations
in advanced tumor settings"):

    primary resistance            6-8 weeks of exposure (any exposure for rapidly
                                  progressing disease); RECIST progression <= 6 months
    secondary or late resistance  > 6 months of exposure; progression > 6 months
    confirmatory scan             not required (either row)
    footnote                      recurrence after stopping for reasons other than
                                  toxicity: no uniform definition

``dispatch`` chooses the rule set for each course (``core.rules.classifier.
classify`` calls it); ``classify_ici_chemo`` is this rule set's classifier,
pure like the SITC 2020 one: no clock, no I/O, never raises on well-formed data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from core.rules.agents import AgentReading, DrugClass, read_agent
from core.rules.caveats import Caveat
from core.rules.classifier import (
    CATEGORY_LABELS,
    Category,
    CaveatNote,
    Classification,
    Confirmation,
    KeyDates,
    VisitRole,
    _agent_text,
    _Notes,
    _tumor_exclusion,
    _visible,
    _visit_caveats,
)
from core.rules.ici_chemo_ruleset import (
    ICI_CHEMO_SOURCE,
    ICI_ICI_PAPER,
    ICI_TARGETED_PAPER,
    IciChemoRule,
    IciChemoRuleSet,
    StudyRules,
)
from core.rules.model import Course, Regimen, Response, Setting, StopReason, days, response_label
from core.rules.parameters import Parameters, RuleSet

SECONDARY_OR_LATE_LABEL = "Secondary or late resistance"
_REGIMEN_WORDS = {
    Regimen.MONOTHERAPY: "regimen recorded as monotherapy,",
    Regimen.ICI_CHEMOTHERAPY: "PD-(L)1 + chemotherapy",
    Regimen.COMBINATION: "combination",
}
FOOTNOTE = (
    "Table 3 footnote: for patients whose disease recurs after stopping therapy for reasons "
    "other than toxicity, the consensus could describe no uniform definition."
)
OTHER_COMBINATIONS_NOTE = (
    "SITC published separate definitions for PD-(L)1 + anti-CTLA-4 and other ICI+ICI "
    f"combinations ({ICI_ICI_PAPER}) and for ICI + targeted therapy ({ICI_TARGETED_PAPER}); "
    "this version of ResistDesk does not implement them."
)
# The end of "6-8 weeks": exposure of at least min_exposure_days but under this gets a caveat.
EIGHT_WEEKS = 56


def category_label(result: Classification) -> str:
    """The category as people read it: "Secondary or late resistance" under this rule set."""
    if result.category is Category.SECONDARY_RESISTANCE and isinstance(result.ruleset, IciChemoRuleSet):
        return SECONDARY_OR_LATE_LABEL
    return CATEGORY_LABELS[result.category]


# ---------------------------------------------------------------------------
# Which rule set classifies a course


def _chemo_only(reading: AgentReading) -> bool:
    return bool(reading.partners) and all(d.drug_class is DrugClass.CHEMOTHERAPY for d in reading.partners)


def is_ici_chemo_course(course: Course) -> bool:
    """Whether ``SITC-2023-ICI-chemo`` classifies this course (``ici-chemo-rules.md``).

    A known PD-(L)1 inhibitor named with only known chemotherapy partners, or
    regimen ``ici_chemotherapy`` (whatever the agent text names: what does not
    fit is then ``not_applicable`` under this rule set, with the reason).
    """
    if course.regimen is Regimen.ICI_CHEMOTHERAPY:
        return True
    reading = read_agent(course.agent)
    return bool(reading.checkpoint) and _chemo_only(reading) and not reading.unrecognised


def _is_other_combination(course: Course) -> bool:
    return course.regimen is Regimen.COMBINATION or read_agent(course.agent).is_combination


def dispatch(
    course: Course,
    as_of: dt.date,
    rules: RuleSet | IciChemoRuleSet | StudyRules,
    sitc2020: Callable[[Course, dt.date, RuleSet], Classification],
) -> Classification:
    """Classify under the rule set that covers the course; the result records which."""
    study = StudyRules.of(rules)
    if is_ici_chemo_course(course):
        excluded = study.sitc2020.parameters.excluded_tumor_types
        return classify_ici_chemo(course, as_of, study.ici_chemo, excluded_tumor_types=excluded)
    result = sitc2020(course, as_of, study.sitc2020)
    if result.category is Category.NOT_APPLICABLE and _is_other_combination(course):
        note = OTHER_COMBINATIONS_NOTE
        reading = read_agent(course.agent)
        if reading.unrecognised and _chemo_only(reading):
            unknown = ", ".join(repr(u) for u in reading.unrecognised)
            note = (
                f"The 2023 PD-(L)1 + chemotherapy definitions were not applied because {unknown} is not "
                f"a known drug (its class is unknown). {note}"
            )
        reason = f"{result.reason or ''} {note}".strip()
        return dataclasses.replace(result, reason=reason, rationale=(*result.rationale, note))
    return result


# ---------------------------------------------------------------------------
# The classifier


def _applicability(course: Course, notes: _Notes, excluded_tumor_types: tuple[str, ...]) -> str | None:
    """Why the course is outside this rule set, or None (caveats for what is odd but covered)."""
    reading = read_agent(course.agent)
    others = [d for d in reading.partners if d.drug_class is not DrugClass.CHEMOTHERAPY]
    if others:
        named = ", ".join(f"{d.name} ({d.label})" for d in others)
        return (
            f"Agent '{_agent_text(reading)}' includes {named}: the 2023 ICI-chemotherapy definitions "
            f"({ICI_CHEMO_SOURCE}, Table 3) cover a PD-(L)1 inhibitor with chemotherapy only. "
            + OTHER_COMBINATIONS_NOTE
        )
    if reading.checkpoint and reading.unrecognised:
        return (
            f"Agent '{_agent_text(reading)}' names {', '.join(repr(u) for u in reading.unrecognised)}, "
            "which is not a known drug: its class is unknown, so the 2023 ICI-chemotherapy definitions "
            "cannot be applied. Correct the agent text. " + OTHER_COMBINATIONS_NOTE
        )
    if len(reading.checkpoint) > 1:
        return (
            f"Agent '{_agent_text(reading)}' names more than one PD-(L)1 inhibitor "
            f"({', '.join(reading.checkpoint)}); Table 3 covers one PD-(L)1 inhibitor with chemotherapy."
        )
    if reading.partners and not reading.checkpoint and not reading.unrecognised:
        return (
            f"Agent '{_agent_text(reading)}' names no PD-(L)1 inhibitor; Table 3 covers a PD-(L)1 inhibitor "
            "with chemotherapy."
        )
    # ici-chemo-rules.md: what it does not say works as for SITC-2020, so Step 1's tumor types
    # (excluded solid tumors, hematologic malignancies, C12's words) apply here too.
    tumor = _tumor_exclusion(course.tumor_type, excluded_tumor_types)
    if tumor:
        return f"{tumor} The 2023 ICI-chemotherapy definitions follow SITC 2020 Step 1 for tumor types."
    if course.setting is not Setting.ADVANCED:
        return (
            f"The {course.setting.value} setting is not covered: Table 3 of the 2023 ICI-chemotherapy "
            "definitions covers advanced (metastatic or unresectable) disease only."
        )
    if reading.unrecognised:
        notes.caveat(
            Caveat.UNRECOGNISED_AGENT,
            f"Agent '{_agent_text(reading)}' names {', '.join(repr(u) for u in reading.unrecognised)}, not a "
            "recognised PD-1/PD-L1 inhibitor; check that it is one.",
        )
    if course.regimen is Regimen.MONOTHERAPY and reading.partners:
        notes.caveat(
            Caveat.REGIMEN_CONTRADICTS_AGENT,
            f"Regimen is recorded as monotherapy but the agent names chemotherapy "
            f"({', '.join(d.name for d in reading.partners)}); classified as PD-(L)1 + chemotherapy.",
        )
    return None


def classify_ici_chemo(
    course: Course,
    as_of: dt.date,
    ruleset: IciChemoRuleSet | None = None,
    excluded_tumor_types: tuple[str, ...] | None = None,
) -> Classification:
    """Classify one PD-(L)1 + chemotherapy course as of a date (``ici-chemo-rules.md``).

    ``excluded_tumor_types``: the study's SITC-2020 list (Step 1 applies to both rule sets);
    by default SITC-2020's.
    """
    ruleset = ruleset or IciChemoRuleSet()
    if excluded_tumor_types is None:
        excluded_tumor_types = Parameters().excluded_tumor_types
    p = ruleset.parameters
    notes = _Notes(p)
    # The same reading of the visits as SITC 2020: known on as_of, in date order, and
    # merged by date with the worst response governing and flags combined (C11).
    visible, merged = _visible(course, as_of)
    for k, a in enumerate(course.assessments):
        if a.date > as_of:
            notes.roles.setdefault(k, VisitRole.AFTER_AS_OF)
    effective = [a.effective for _, a in visible]
    _visit_caveats(notes, visible, merged)

    agent = _agent_text(read_agent(course.agent)) or "(agent not recorded)"
    notes.step(
        f"Subject {course.subject_id}: {course.setting.value} {course.tumor_type}, "
        f"{_REGIMEN_WORDS[course.regimen]} {agent} from "
        f"{course.first_dose}; {len(visible)} assessment(s) on or before {as_of} considered."
    )
    notes.step(
        f"Rule set {ruleset.name} version {ruleset.version}: the SITC 2023 definitions of resistance "
        f"to PD-(L)1 inhibitor + chemotherapy ({ICI_CHEMO_SOURCE}, Table 3)."
    )

    def finish(
        category: Category,
        rule: IciChemoRule | None = None,
        reason: str | None = None,
        progression: dt.date | None = None,
    ) -> Classification:
        if course.indolent:
            notes.caveat(Caveat.INDOLENT_TUMOR, "The course is flagged as an indolent tumor.")
        return Classification(
            subject_id=course.subject_id,
            as_of=as_of,
            category=category,
            provisional_category=None,
            reason=reason,
            rule=rule,
            progression_date=progression,
            confirmation=Confirmation(),  # Table 3: no confirmatory scan required
            caveats=tuple(CaveatNote(code, " ".join(texts)) for code, texts in notes.caveats.items()),
            key_dates=KeyDates(
                min_exposure_reached=course.first_dose + dt.timedelta(days=p.min_exposure_days),
                benefit_threshold=course.first_dose + dt.timedelta(days=p.benefit_days),
                off_treatment_threshold=None,
            ),
            rationale=tuple(notes.steps),
            ruleset=ruleset,
            interpretations=(),
            visit_roles=tuple(sorted(notes.roles.items())),
            visit_responses=tuple(
                (k, r, a.computed_response) for (k, a), r in zip(visible, effective, strict=True)
            ),
        )

    not_covered = _applicability(course, notes, excluded_tumor_types)
    if not_covered:
        notes.step(not_covered)
        return finish(Category.NOT_APPLICABLE, IciChemoRule.APPLICABILITY, not_covered)
    notes.step("Applicability: PD-(L)1 inhibitor with chemotherapy in advanced disease, covered by Table 3.")

    # C4: progression (or a positive biopsy) before the first dose is not resistance.
    pre_dose = next(
        (
            (idx, a)
            for idx, a, _ in merged
            if a.date < course.first_dose and (a.effective.is_progression or a.biopsy_confirms_progression)
        ),
        None,
    )
    if pre_dose is not None:
        pre_indices, pre = pre_dose
        for k in pre_indices:
            notes.roles.setdefault(k, VisitRole.INITIAL_PD)
        what = response_label(pre.effective) if pre.effective.is_progression else "a positive biopsy"
        reason = "Progression recorded before the first dose: it is not resistance to the treatment."
        notes.step(
            f"Progression ({what}) on {pre.date}, {days(pre.date, course.first_dose)} days before the "
            "first dose. " + reason
        )
        return finish(Category.INDETERMINATE, None, reason, pre.date)

    # Step 1: the first progression; no confirmation step.
    first = next(((idx, a) for idx, a, _ in merged if a.effective.is_progression), None)
    if first is None:
        notes.step("No progression (PD, iUPD or iCPD) on file: no resistance category applies yet.")
        return finish(Category.NO_PROGRESSION)
    indices, pd = first
    d1 = pd.date
    known = dict(visible)
    for k in indices:
        if known[k].effective.is_progression:
            notes.roles.setdefault(k, VisitRole.INITIAL_PD)
    shown = response_label(pd.effective)
    elapsed = days(course.first_dose, d1)
    notes.step(
        f"Step 1: the first progression ({shown}) is on {d1}, {elapsed} days after the first dose. "
        "Table 3 needs no confirmatory scan: this date stands."
    )
    if pd.unequivocal_on is not None:  # recist.md / C13: a backdated progression is said
        notes.caveat(
            Caveat.PD_BACKDATED_EQUIVOCAL_NEW_LESION,
            f"Progression dated back to {d1}, when a new lesion was first seen as equivocal; it was "
            f"unequivocal on {pd.unequivocal_on}.",
        )
        notes.step(
            f"The progression is dated back to {d1}, when a new lesion was first seen as equivocal "
            f"(it was unequivocal on {pd.unequivocal_on}); Table 3 needs no confirmatory scan, so the "
            "exposure and timing below count to that earlier date."
        )
    later = [
        a
        for _, a, _ in merged
        if a.date > d1 and not a.effective.is_progression and a.effective.base is not Response.NE
    ]
    if later:
        listed = ", ".join(f"{response_label(a.effective)} on {a.date}" for a in later)
        notes.caveat(
            Caveat.LATER_RESPONSE_AFTER_PD,
            f"Later assessment(s) without progression ({listed}); the progression on {d1} still stands "
            "because Table 3 requires no confirmatory scan.",
        )
        notes.step(f"A later assessment shows no progression ({listed}); it does not refute {d1}.")

    if course.intercurrent_therapy:
        notes.caveat(
            Caveat.INTERCURRENT_THERAPY,
            "Other anticancer therapy was given after the last PD-(L)1 dose.",
        )

    # Step 2: exposure.
    last = course.last_dose
    on_therapy = last is None or course.discontinuation_reason is StopReason.PROGRESSION or last >= d1
    interval = course.dosing_interval_days
    from_dose_dates = False
    if on_therapy:
        exposure = elapsed
        notes.step(
            "Step 2: on therapy at the progression"
            + (f" (last dose {last})" if last else " (no last dose recorded)")
            + f": exposure is {exposure} days, from the first dose to the progression."
        )
    else:
        assert last is not None
        span = days(course.first_dose, last)
        if interval is not None:
            exposure = span + interval
            notes.step(
                f"Step 2: therapy stopped on {last}, before the progression: exposure is {span} days from "
                f"the first to the last dose plus the {interval}-day dosing interval = {exposure} days."
            )
        else:
            exposure, from_dose_dates = span, True
            notes.step(
                f"Step 2: therapy stopped on {last}, before the progression: exposure is {exposure} days "
                "from the first to the last dose (no dosing interval recorded to count the last cycle)."
            )

        # Step 3: the footnote.
        stop = course.discontinuation_reason
        if stop is not StopReason.TOXICITY:
            why = stop.value.replace("_", " ") if stop else "not recorded"
            reason = f"Therapy stopped on {last} (reason: {why}) before the progression on {d1}. " + FOOTNOTE
            notes.step("Step 3: " + reason)
            return finish(Category.INDETERMINATE, None, reason, d1)
        notes.step("Step 3: therapy was stopped for toxicity, so Table 3 still applies.")

    # Steps 4 and 5: timing of the progression, regardless of best response.
    notes.threshold("Time from first dose to progression", elapsed, p.benefit_days)
    if elapsed <= p.benefit_days:
        notes.step(
            f"Step 4: progression {elapsed} days after the first dose, within {p.benefit_days} days "
            "(6 months), whatever the best response."
        )
        if exposure >= p.min_exposure_days:
            notes.threshold("Exposure", exposure, p.min_exposure_days)
            rule = IciChemoRule.T3_PRIMARY
            notes.step(
                f"Exposure {exposure} days, at least {p.min_exposure_days} (Table 3: 6-8 weeks): "
                f"primary resistance ({rule})."
            )
            if exposure < EIGHT_WEEKS:
                notes.caveat(
                    Caveat.EXPOSURE_WITHIN_6_TO_8_WEEKS,
                    f"Exposure of {exposure} days lies within Table 3's 6-8 week range "
                    f"({p.min_exposure_days}-{EIGHT_WEEKS - 1} days).",
                )
            return finish(Category.PRIMARY_RESISTANCE, rule, None, d1)
        if pd.rapid_progression:
            rule = IciChemoRule.T3_PRIMARY
            notes.caveat(
                Caveat.RAPID_PROGRESSION_ANY_EXPOSURE,
                f"The progression on {d1} is recorded as rapidly progressing disease: {exposure} days of "
                "exposure is adequate.",
            )
            notes.step(
                f"Exposure {exposure} days, less than {p.min_exposure_days}, but the progression is recorded "
                f"as rapidly progressing disease, for which Table 3 accepts any exposure: primary "
                f"resistance ({rule})."
            )
            return finish(Category.PRIMARY_RESISTANCE, rule, None, d1)
        notes.threshold("Exposure", exposure, p.min_exposure_days)
        rule = IciChemoRule.EXPOSURE
        notes.step(
            f"Exposure {exposure} days, less than {p.min_exposure_days} (Table 3: 6-8 weeks), and the "
            f"progression is not recorded as rapidly progressing disease: not classifiable, less than "
            f"{p.min_exposure_days} days of exposure ({rule})."
        )
        if from_dose_dates:
            notes.caveat(
                Caveat.EXPOSURE_FROM_DOSE_DATES,
                f"Exposure {exposure} days counted from the first to the last dose; record the dosing "
                "interval to count the last cycle.",
            )
        return finish(Category.INSUFFICIENT_EXPOSURE, rule, None, d1)

    notes.step(
        f"Step 5: progression {elapsed} days after the first dose, later than {p.benefit_days} days "
        "(6 months), whatever the best response."
    )
    notes.threshold("Exposure", exposure, p.benefit_days)
    if exposure > p.benefit_days:
        rule = IciChemoRule.T3_SECONDARY_OR_LATE
        notes.step(
            f"Exposure {exposure} days, more than {p.benefit_days} (6 months): secondary or late "
            f"resistance ({rule})."
        )
        return finish(Category.SECONDARY_RESISTANCE, rule, None, d1)
    reason = (
        f"Progression after 6 months ({elapsed} days) with 6 months or less of exposure ({exposure} "
        "days) is not defined by Table 3."
    )
    notes.step(reason)
    if from_dose_dates:
        notes.caveat(
            Caveat.EXPOSURE_FROM_DOSE_DATES,
            f"Exposure {exposure} days counted from the first to the last dose; record the dosing "
            "interval to count the last cycle.",
        )
    return finish(Category.INDETERMINATE, None, reason, d1)
