"""The classifier's input: one subject's PD-(L)1 course, as immutable values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from core.rules.frozen import fast_init
from core.rules.lesions import Baseline, Criteria, LesionMeasurement


class Setting(StrEnum):
    ADVANCED = "advanced"
    ADJUVANT = "adjuvant"
    NEOADJUVANT = "neoadjuvant"


class Regimen(StrEnum):
    MONOTHERAPY = "monotherapy"
    COMBINATION = "combination"
    ICI_CHEMOTHERAPY = "ici_chemotherapy"  # PD-(L)1 inhibitor + chemotherapy (SITC-2023-ICI-chemo)


class StopReason(StrEnum):
    TOXICITY = "toxicity"
    MAXIMAL_BENEFIT = "maximal_benefit"
    COMPLETED = "completed"
    PATIENT_CHOICE = "patient_choice"
    PROGRESSION = "progression"
    OTHER = "other"


class Response(StrEnum):
    """Timepoint response codes of the case file (RECIST 1.1 and iRECIST)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON_CR_NON_PD"
    PD = "PD"
    NE = "NE"
    NED = "NED"
    ICR = "iCR"
    IPR = "iPR"
    ISD = "iSD"
    IUPD = "iUPD"
    ICPD = "iCPD"

    @property
    def base(self) -> Response:
        """The RECIST 1.1 code this response counts as (iUPD/iCPD count as PD)."""
        return _IRECIST_BASE.get(self, self)

    @property
    def is_progression(self) -> bool:
        return self.base is Response.PD


def measured_alike(recorded: Response, computed: Response) -> bool:
    """Does a recorded response agree with the one the measurements give? Under RECIST 1.1 (a
    computed code that is not an iRECIST one) the measurements cannot tell iUPD from iCPD:
    each agrees with PD, as iSD with SD and so on. Under iRECIST the codes must be equal."""
    if computed.base is computed:  # a RECIST 1.1 computation
        return recorded.base is computed
    return recorded is computed


_IRECIST_BASE = {
    Response.ICR: Response.CR,
    Response.IPR: Response.PR,
    Response.ISD: Response.SD,
    Response.IUPD: Response.PD,
    Response.ICPD: Response.PD,
}

# How a response code is written for people (screens, worksheets, rationale);
# the codes themselves stay in JSON.
RESPONSE_LABELS: dict[Response, str] = {
    Response.CR: "CR",
    Response.PR: "PR",
    Response.SD: "SD",
    Response.NON_CR_NON_PD: "Non-CR/non-PD",
    Response.PD: "PD",
    Response.NE: "NE (not evaluable)",
    Response.NED: "NED (no evidence of disease)",
    Response.ICR: "iCR",
    Response.IPR: "iPR",
    Response.ISD: "iSD",
    Response.IUPD: "iUPD",
    Response.ICPD: "iCPD",
}


def response_label(response: Response | None) -> str:
    """The human label of a response code ("Non-CR/non-PD" for NON_CR_NON_PD)."""
    return "none" if response is None else RESPONSE_LABELS[response]


# Same-date assessments (C11): the worst response governs, whatever the file
# order. First in this list is worst; NE only when nothing else was recorded.
WORST_FIRST: tuple[Response, ...] = (
    Response.PD,
    Response.ICPD,
    Response.IUPD,
    Response.SD,
    Response.ISD,
    Response.NON_CR_NON_PD,
    Response.PR,
    Response.IPR,
    Response.CR,
    Response.ICR,
    Response.NED,
    Response.NE,
)

# Best-response order (higher is better). PD, NE and NED never count as benefit.
BENEFIT_RANK = {
    Response.CR: 3,
    Response.PR: 2,
    Response.SD: 1,
    Response.NON_CR_NON_PD: 1,
}


@fast_init
@dataclass(frozen=True, slots=True)
class Assessment:
    """One dated tumor assessment.

    ``response`` is the investigator's recorded response (None when only
    lesions were measured). ``computed_response`` is what the measurements
    give; the classifier fills it in from ``lesions``. The recorded response
    governs; a difference is reported as a caveat.
    """

    date: dt.date
    response: Response | None
    clinical_progression: bool = False
    symptomatic: bool = False
    nodal_only: bool = False
    multiple_metastases: bool = False
    progressing_sites: int | None = None
    biopsy_confirms_progression: bool | None = None
    ecog: int | None = None
    computed_response: Response | None = None
    lesions: LesionMeasurement | None = None
    notes: tuple[str, ...] = ()
    # When the measurements date PD back to an equivocal new lesion (recist.md),
    # the date of the assessment that first showed the lesion as unequivocal (C13).
    unequivocal_on: dt.date | None = None
    # Rapidly progressing disease (ici-chemo-rules.md: any exposure is adequate).
    rapid_progression: bool = False

    @property
    def effective(self) -> Response:
        """The response that governs: recorded, else computed from lesions."""
        response = self.response or self.computed_response
        if response is None:
            raise ValueError(f"assessment on {self.date} has neither a response nor measurements")
        return response


@fast_init
@dataclass(frozen=True, slots=True)
class Course:
    """One subject's PD-(L)1 treatment course with its assessments."""

    subject_id: str
    tumor_type: str
    setting: Setting
    regimen: Regimen
    first_dose: dt.date
    agent: str | None = None
    indolent: bool = False
    last_dose: dt.date | None = None
    discontinuation_reason: StopReason | None = None
    intercurrent_therapy: bool = False
    surgery_date: dt.date | None = None
    major_pathological_response: bool | None = None
    adjuvant_after_neoadjuvant: bool = False
    assessments: tuple[Assessment, ...] = field(default_factory=tuple)
    criteria: Criteria = Criteria.RECIST
    baseline: Baseline | None = None
    # Cycle length of the PD-(L)1 inhibitor, 7-84 days; counts the last cycle in
    # the exposure of a stopped course (C7).
    dosing_interval_days: int | None = None


def days(a: dt.date, b: dt.date) -> int:
    """Calendar days from date ``a`` to date ``b`` (negative when b is earlier)."""
    return (b - a).days
