"""Caveat codes, their standing explanations, and the spec's interpretations.

One catalogue serves the CLI output, the screens and the printed worksheet,
so a caveat reads the same everywhere.
"""

from __future__ import annotations

from enum import StrEnum


class Caveat(StrEnum):
    UNRECOGNISED_AGENT = "UNRECOGNISED_AGENT"
    PSEUDOPROGRESSION_REFUTED = "PSEUDOPROGRESSION_REFUTED"
    CONFIRMATION_WAIVED_CLINICAL_PROGRESSION = "CONFIRMATION_WAIVED_CLINICAL_PROGRESSION"
    CONFIRMATION_OUTSIDE_WINDOW = "CONFIRMATION_OUTSIDE_WINDOW"
    EARLY_SCAN_NOT_CONFIRMATORY = "EARLY_SCAN_NOT_CONFIRMATORY"
    INITIAL_PD_BEFORE_MIN_EXPOSURE = "INITIAL_PD_BEFORE_MIN_EXPOSURE"
    GRAY_ZONE_RESPONSE_THEN_EARLY_PD = "GRAY_ZONE_RESPONSE_THEN_EARLY_PD"
    NON_MEASURABLE_DISEASE = "NON_MEASURABLE_DISEASE"
    NODAL_ONLY_PROGRESSION = "NODAL_ONLY_PROGRESSION"
    SINGLE_SITE_PROGRESSION = "SINGLE_SITE_PROGRESSION"
    EARLY_TOXICITY_DISCONTINUATION = "EARLY_TOXICITY_DISCONTINUATION"
    DURABLE_SD_BEFORE_DISCONTINUATION = "DURABLE_SD_BEFORE_DISCONTINUATION"
    PRIMARY_DOCUMENTED_LATE_OFF_TREATMENT = "PRIMARY_DOCUMENTED_LATE_OFF_TREATMENT"
    INTERCURRENT_THERAPY = "INTERCURRENT_THERAPY"
    RECHALLENGE_MAY_RESPOND = "RECHALLENGE_MAY_RESPOND"
    INDOLENT_TUMOR = "INDOLENT_TUMOR"
    BOUNDARY_DATE = "BOUNDARY_DATE"
    RESPONSE_DIFFERS_FROM_MEASUREMENTS = "RESPONSE_DIFFERS_FROM_MEASUREMENTS"
    # Version 2 (C3-C15)
    REGIMEN_CONTRADICTS_AGENT = "REGIMEN_CONTRADICTS_AGENT"
    IUPD_AWAITING_ICPD = "IUPD_AWAITING_ICPD"
    ICPD_WITHOUT_IUPD = "ICPD_WITHOUT_IUPD"
    EXPOSURE_FROM_DOSE_DATES = "EXPOSURE_FROM_DOSE_DATES"
    BIOPSY_NEGATIVE = "BIOPSY_NEGATIVE"
    EARLY_RESPONSE_NOT_COUNTED = "EARLY_RESPONSE_NOT_COUNTED"
    SAME_DATE_CONFLICT = "SAME_DATE_CONFLICT"
    PD_BACKDATED_EQUIVOCAL_NEW_LESION = "PD_BACKDATED_EQUIVOCAL_NEW_LESION"
    RESPONSE_AFTER_DISCONTINUATION = "RESPONSE_AFTER_DISCONTINUATION"
    MINIMAL_ADJUVANT_EXPOSURE = "MINIMAL_ADJUVANT_EXPOSURE"
    # SITC-2023-ICI-chemo (ici-chemo-rules.md); it also uses REGIMEN_CONTRADICTS_AGENT and
    # EXPOSURE_FROM_DOSE_DATES.
    LATER_RESPONSE_AFTER_PD = "LATER_RESPONSE_AFTER_PD"
    RAPID_PROGRESSION_ANY_EXPOSURE = "RAPID_PROGRESSION_ANY_EXPOSURE"
    EXPOSURE_WITHIN_6_TO_8_WEEKS = "EXPOSURE_WITHIN_6_TO_8_WEEKS"

    @property
    def label(self) -> str:
        """The short human name shown on screen and paper (the code stays in JSON)."""
        return CAVEAT_LABELS[self]


CAVEAT_LABELS: dict[Caveat, str] = {
    Caveat.UNRECOGNISED_AGENT: "Agent not recognised",
    Caveat.PSEUDOPROGRESSION_REFUTED: "Pseudoprogression: a progression was refuted",
    Caveat.CONFIRMATION_WAIVED_CLINICAL_PROGRESSION: "Scan waived: clear clinical progression",
    Caveat.CONFIRMATION_OUTSIDE_WINDOW: "Confirmed outside the 4-12 week window",
    Caveat.EARLY_SCAN_NOT_CONFIRMATORY: "Scan too early to confirm",
    Caveat.INITIAL_PD_BEFORE_MIN_EXPOSURE: "Initial PD before 6 weeks of exposure",
    Caveat.GRAY_ZONE_RESPONSE_THEN_EARLY_PD: "Gray zone: response, then PD within 6 months",
    Caveat.NON_MEASURABLE_DISEASE: "Non-measurable disease",
    Caveat.NODAL_ONLY_PROGRESSION: "Nodal-only progression",
    Caveat.SINGLE_SITE_PROGRESSION: "Progression at a single site",
    Caveat.EARLY_TOXICITY_DISCONTINUATION: "Stopped early for toxicity",
    Caveat.DURABLE_SD_BEFORE_DISCONTINUATION: "Durable SD before stopping",
    Caveat.PRIMARY_DOCUMENTED_LATE_OFF_TREATMENT: "Primary resistance documented late off treatment",
    Caveat.INTERCURRENT_THERAPY: "Other therapy before progression",
    Caveat.RECHALLENGE_MAY_RESPOND: "A rechallenge may still respond",
    Caveat.INDOLENT_TUMOR: "Indolent tumor",
    Caveat.BOUNDARY_DATE: "Date near a threshold",
    Caveat.RESPONSE_DIFFERS_FROM_MEASUREMENTS: "Recorded response differs from measurements",
    Caveat.REGIMEN_CONTRADICTS_AGENT: "Regimen says monotherapy, agent names a combination",
    Caveat.IUPD_AWAITING_ICPD: "iUPD again: awaiting iCPD",
    Caveat.ICPD_WITHOUT_IUPD: "iCPD without an earlier iUPD",
    Caveat.EXPOSURE_FROM_DOSE_DATES: "Exposure from dose dates only",
    Caveat.BIOPSY_NEGATIVE: "Negative biopsy",
    Caveat.EARLY_RESPONSE_NOT_COUNTED: "Early or baseline response not counted",
    Caveat.SAME_DATE_CONFLICT: "Conflicting assessments on one date",
    Caveat.PD_BACKDATED_EQUIVOCAL_NEW_LESION: "PD dated back to an equivocal new lesion",
    Caveat.RESPONSE_AFTER_DISCONTINUATION: "Response first seen after stopping",
    Caveat.MINIMAL_ADJUVANT_EXPOSURE: "Recurrence before 6 weeks of adjuvant therapy",
    Caveat.LATER_RESPONSE_AFTER_PD: "Later assessment without progression",
    Caveat.RAPID_PROGRESSION_ANY_EXPOSURE: "Rapidly progressing disease: any exposure adequate",
    Caveat.EXPOSURE_WITHIN_6_TO_8_WEEKS: "Exposure within 6-8 weeks",
}


CAVEAT_HELP: dict[Caveat, str] = {
    Caveat.UNRECOGNISED_AGENT: "The agent is not one of the PD-1/PD-L1 inhibitors the program "
    "knows. Check that it is a PD-(L)1 inhibitor given as monotherapy.",
    Caveat.PSEUDOPROGRESSION_REFUTED: "A progression was not confirmed: the confirmatory "
    "assessment showed no progression (pseudoprogression). That episode does not count.",
    Caveat.CONFIRMATION_WAIVED_CLINICAL_PROGRESSION: "Clear clinical progression (performance "
    "status decline or disease-related symptoms, with radiographic progression) replaces the "
    "confirmatory scan, as the consensus allows.",
    Caveat.CONFIRMATION_OUTSIDE_WINDOW: "The confirmatory scan came later than the recommended "
    "4-12 week window after the initial progression.",
    Caveat.EARLY_SCAN_NOT_CONFIRMATORY: "An assessment less than 4 weeks after the initial "
    "progression neither confirms nor refutes it.",
    Caveat.INITIAL_PD_BEFORE_MIN_EXPOSURE: "The initial progression came before 6 weeks of "
    "exposure, but resistance was established (confirmed) after 6 weeks (interpretation I-1).",
    Caveat.GRAY_ZONE_RESPONSE_THEN_EARLY_PD: "Response (CR/PR) followed by progression within "
    "6 months: the consensus's gray zone, classified as primary resistance.",
    Caveat.NON_MEASURABLE_DISEASE: "The best response was non-CR/non-PD (non-target disease "
    "only); benefit could not be measured by target lesions.",
    Caveat.NODAL_ONLY_PROGRESSION: "Progression was in lymph nodes only; nodal growth can be "
    "inflammatory. A biopsy is required for secondary resistance when asymptomatic, and to be "
    "considered otherwise.",
    Caveat.SINGLE_SITE_PROGRESSION: "The subject has multiple metastases but progression was "
    "seen at fewer than two sites; the consensus asks for two sites (still classified).",
    Caveat.EARLY_TOXICITY_DISCONTINUATION: "Therapy stopped for toxicity before 6 weeks of "
    "exposure; primary resistance is hard to assess after early toxicity (I-4).",
    Caveat.DURABLE_SD_BEFORE_DISCONTINUATION: "Stable disease lasted at least 6 months, but "
    "Table 4 counts only CR/PR as prior benefit.",
    Caveat.PRIMARY_DOCUMENTED_LATE_OFF_TREATMENT: "Primary resistance documented more than 12 "
    "weeks after the last dose; the consensus prefers it documented on therapy or within 12 weeks.",
    Caveat.INTERCURRENT_THERAPY: "Other anticancer therapy was given between the last PD-(L)1 "
    "dose and progression; dates still count from the last PD-(L)1 dose.",
    Caveat.RECHALLENGE_MAY_RESPOND: "Recurrence more than 6 months after the last adjuvant dose: "
    "a PD-(L)1 rechallenge may still give benefit.",
    Caveat.INDOLENT_TUMOR: "Indolent tumor: the 6-month timeframes may need modification "
    "(the study may override benefit_days).",
    Caveat.BOUNDARY_DATE: "A date that decided the category lies within a few days of a "
    "threshold; check the dates against the source documents.",
    Caveat.REGIMEN_CONTRADICTS_AGENT: "The regimen was recorded as monotherapy, but the agent text "
    "names a partner drug: the course is treated as a combination (C3).",
    Caveat.IUPD_AWAITING_ICPD: "A later assessment is iUPD again: under iRECIST only iCPD confirms "
    "progression, so the confirmation stays pending (C5).",
    Caveat.ICPD_WITHOUT_IUPD: "An iCPD is on file without the iUPD that preceded it; it is taken as "
    "the initial progression. Enter the iUPD assessment that preceded it (C5).",
    Caveat.EXPOSURE_FROM_DOSE_DATES: "Exposure was counted from the first to the last dose only; "
    "record the dosing interval to count the last cycle (C7).",
    Caveat.BIOPSY_NEGATIVE: "A biopsy did not confirm the progression, so that episode does not "
    "count. A negative biopsy is a pathological finding, not pseudoprogression (C8).",
    Caveat.EARLY_RESPONSE_NOT_COUNTED: "A response dated on or before the first dose (a baseline), or "
    "stable disease documented less than the minimum SD interval after the first dose, was not "
    "counted as benefit (C10).",
    Caveat.SAME_DATE_CONFLICT: "Assessments on the same date disagree; the worst response of that "
    "date governs, whatever their order (C11). Check the source documents.",
    Caveat.PD_BACKDATED_EQUIVOCAL_NEW_LESION: "Progression is dated back to the assessment that first "
    "showed a new lesion as equivocal; where a confirmatory scan is required, it must come after "
    "the lesion was seen as unequivocal (C13).",
    Caveat.RESPONSE_AFTER_DISCONTINUATION: "A CR or PR was first recorded after the last dose; Table 4 "
    "counts only responses on treatment (I-3, C14).",
    Caveat.MINIMAL_ADJUVANT_EXPOSURE: "The recurrence came less than 6 weeks after the first adjuvant "
    "dose; Table 2 sets no minimum exposure (C15).",
    Caveat.RESPONSE_DIFFERS_FROM_MEASUREMENTS: "The investigator's recorded response differs "
    "from the one computed from the lesion measurements; the recorded response governs.",
    Caveat.LATER_RESPONSE_AFTER_PD: "A later assessment shows no progression. Under the 2023 "
    "ICI-chemotherapy definitions (Table 3) no confirmatory scan is required, so the first "
    "progression still stands; check that it was not pseudoprogression.",
    Caveat.RAPID_PROGRESSION_ANY_EXPOSURE: "The progression was recorded as rapidly progressing "
    "disease: Table 3 (2023) accepts any exposure as adequate for primary resistance.",
    Caveat.EXPOSURE_WITHIN_6_TO_8_WEEKS: "Exposure was between 6 and 8 weeks (42-55 days): Table 3 "
    "(2023) gives the minimum exposure as a range, 6-8 weeks, so a protocol asking for 8 weeks "
    "would not accept it.",
}


INTERPRETATIONS: dict[str, str] = {
    "I-1": "Exposure is checked at the date resistance is established: a progression before "
    "6 weeks that is confirmed after 6 weeks is primary resistance.",
    "I-2": "Stable disease lasting 6 months or more (the text's \"≥6 months\", not the table's "
    '">6 months") counts as benefit for secondary resistance.',
    "I-3": '"Prior CR/PR" in Table 4 means a CR or PR recorded on treatment, on or before the last dose.',
    "I-4": "The 6-week exposure rule still applies after discontinuation: a progression after "
    "fewer than 6 weeks of therapy is not classifiable: less than 6 weeks of exposure.",
    "I-5": "Each table is followed as written at exactly 12 weeks (84 days): Table 2's "
    '"≥12 weeks" makes it a late relapse, Table 4\'s "≤12 weeks" makes it secondary resistance.',
}
