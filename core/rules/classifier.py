"""The SITC 2020 resistance classifier (``resistance-rules.md``).

``classify(course, as_of, ruleset)`` is a pure function: no clock, no I/O, no
global state. It never raises on clinically odd but well-formed data; it
answers ``indeterminate`` with a reason. Every result names the rule that
decided it and carries the rationale a monitor can follow step by step.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from core.rules.agents import AgentReading, read_agent
from core.rules.caveats import INTERPRETATIONS, Caveat
from core.rules.frozen import fast_init
from core.rules.ici_chemo_ruleset import IciChemoParameters, IciChemoRule, IciChemoRuleSet, StudyRules
from core.rules.model import (
    BENEFIT_RANK,
    WORST_FIRST,
    Assessment,
    Course,
    Regimen,
    Response,
    Setting,
    StopReason,
    days,
    measured_alike,
    response_label,
)
from core.rules.parameters import DEFAULT_RULESET, Parameters, RuleSet
from core.rules.recist import with_computed_responses


class Category(StrEnum):
    PRIMARY_RESISTANCE = "primary_resistance"
    SECONDARY_RESISTANCE = "secondary_resistance"
    LATE_PROGRESSION = "late_progression"
    LATE_RELAPSE = "late_relapse"
    PENDING_CONFIRMATION = "pending_confirmation"
    INSUFFICIENT_EXPOSURE = "insufficient_exposure"
    NO_PROGRESSION = "no_progression"
    NOT_APPLICABLE = "not_applicable"
    INDETERMINATE = "indeterminate"


CATEGORY_LABELS: dict[Category, str] = {
    Category.PRIMARY_RESISTANCE: "Primary resistance",
    Category.SECONDARY_RESISTANCE: "Secondary resistance",
    Category.LATE_PROGRESSION: "Late progression",
    Category.LATE_RELAPSE: "Late relapse",
    Category.PENDING_CONFIRMATION: "Pending confirmation",
    Category.INSUFFICIENT_EXPOSURE: "Insufficient exposure",
    Category.NO_PROGRESSION: "No progression",
    Category.NOT_APPLICABLE: "Not applicable",
    Category.INDETERMINATE: "Indeterminate",
}


class Rule(StrEnum):
    T1_PRIMARY = "SITC-2020 Table 1 primary"
    T1_SECONDARY = "SITC-2020 Table 1 secondary"
    T2_EARLY = "SITC-2020 Table 2 early relapse"
    T2_LATE = "SITC-2020 Table 2 late relapse"
    T3_PRIMARY = "SITC-2020 Table 3 primary"
    T3_SECONDARY = "SITC-2020 Table 3 secondary"
    T4_PRIMARY = "SITC-2020 Table 4 primary"
    T4_SECONDARY = "SITC-2020 Table 4 secondary"
    T4_LATE = "SITC-2020 Table 4 late progression"
    EXPOSURE = "SITC-2020 exposure"
    APPLICABILITY = "SITC-2020 applicability"


class VisitRole(StrEnum):
    """What one assessment did in the classification (shown per visit)."""

    INITIAL_PD = "initial_pd"
    CONFIRMATORY = "confirmatory"
    REFUTING = "refuting"
    TOO_EARLY = "too_early_to_confirm"
    CLINICAL_PROGRESSION = "clinical_progression"
    BIOPSY = "biopsy"
    BEST_RESPONSE = "best_response"
    REFUTED_PD = "refuted_pd"
    AFTER_AS_OF = "after_as_of"
    AWAITING_ICPD = "iupd_awaiting_icpd"
    BEFORE_UNEQUIVOCAL = "before_unequivocal"


# ---------------------------------------------------------------------------
# Result values


@fast_init
@dataclass(frozen=True, slots=True)
class Confirmation:
    required: str = "none"  # scan, biopsy, scan+biopsy, none
    status: str = "not_required"  # confirmed, pending, waived, refuted, not_required
    date: dt.date | None = None
    opens: dt.date | None = None
    closes: dt.date | None = None
    due_status: str | None = None  # not_yet_open, open, overdue (pending scans only)

    def to_json(self) -> dict[str, Any]:
        return {
            "required": self.required,
            "status": self.status,
            "date": _iso(self.date),
            "opens": _iso(self.opens),
            "closes": _iso(self.closes),
            "due_status": self.due_status,
        }


@fast_init
@dataclass(frozen=True, slots=True)
class CaveatNote:
    code: Caveat
    text: str


@fast_init
@dataclass(frozen=True, slots=True)
class KeyDates:
    min_exposure_reached: dt.date
    benefit_threshold: dt.date
    off_treatment_threshold: dt.date | None
    opens: dt.date | None = None
    closes: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "min_exposure_reached": _iso(self.min_exposure_reached),
            "benefit_threshold": _iso(self.benefit_threshold),
            "off_treatment_threshold": _iso(self.off_treatment_threshold),
            "opens": _iso(self.opens),
            "closes": _iso(self.closes),
        }


@fast_init
@dataclass(frozen=True, slots=True)
class Classification:
    """One subject's result, with everything needed to show and reproduce it."""

    subject_id: str
    as_of: dt.date
    category: Category
    provisional_category: Category | None
    reason: str | None
    rule: Rule | IciChemoRule | None  # the rule names of the rule set that decided
    progression_date: dt.date | None
    confirmation: Confirmation
    caveats: tuple[CaveatNote, ...]
    key_dates: KeyDates
    rationale: tuple[str, ...]
    ruleset: RuleSet | IciChemoRuleSet  # the rule set that decided, with its parameters
    interpretations: tuple[str, ...] = ()
    # Role of each assessment, by its index in ``course.assessments``.
    visit_roles: tuple[tuple[int, VisitRole], ...] = ()
    # (index, governing response, response computed from lesions or None) of
    # each assessment on or before as_of, in date order.
    visit_responses: tuple[tuple[int, Response, Response | None], ...] = ()

    @property
    def caveat_codes(self) -> tuple[Caveat, ...]:
        return tuple(c.code for c in self.caveats)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "resistdesk-classification/1",
            "subject_id": self.subject_id,
            "as_of": self.as_of.isoformat(),
            "category": self.category.value,
            "provisional_category": _val(self.provisional_category),
            "reason": self.reason,
            "rule": _val(self.rule),
            "progression_date": _iso(self.progression_date),
            "confirmation": self.confirmation.to_json(),
            "caveats": [{"code": c.code.value, "text": c.text} for c in self.caveats],
            "key_dates": self.key_dates.to_json(),
            "rationale": list(self.rationale),
            "interpretations": [{"id": i, "text": INTERPRETATIONS[i]} for i in self.interpretations],
            "ruleset": self.ruleset.to_json(),
        }


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def _val(e: StrEnum | None) -> str | None:
    return None if e is None else e.value


# ---------------------------------------------------------------------------
# Applicability (R-1, C3, C12)

HEMATOLOGIC_WORDS = (
    "lymphoma", "leukemia", "leukaemia", "myeloma", "myelodysplastic",
    # C12
    "hodgkin", "mycosis fungoides", "sezary",
)  # fmt: skip
# C12: uppercase abbreviations, matched case-sensitively as whole words ("AML", not "aml").
HEMATOLOGIC_ABBREVIATIONS = ("CLL", "AML", "MDS")
# C12: other whole words for an excluded tumor type; each applies while its type is excluded.
EXCLUSION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ovarian": ("ovary", "ovaries"),
}
EXCLUSION_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "hepatocellular": ("HCC",),
    "hepatocellular carcinoma": ("HCC",),
    "glioblastoma": ("GBM",),
    "prostate": ("CRPC", "mCRPC"),
}


@functools.lru_cache(maxsize=4096)
def _cased_words(text: str) -> tuple[str, ...]:
    """Words as written, accents removed."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return tuple(re.findall(r"[^\W_]+", plain))


def _words(text: str) -> tuple[str, ...]:
    """Lower-case words, accents removed ("Sézary" is "sezary")."""
    return tuple(w.lower() for w in _cased_words(text))


def _mentions(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs as whole words in ``text`` (case-insensitive)."""
    words, target = _words(text), _words(phrase)
    if not target:
        return False
    if len(target) == 1:
        return any(w in (target[0], target[0] + "s") for w in words)
    n = len(target)
    return any(words[k : k + n] == target for k in range(len(words) - n + 1))


def _abbreviated(text: str, abbreviation: str) -> bool:
    """Whether ``abbreviation`` occurs as a whole word, exactly as written (C12)."""
    return abbreviation in _cased_words(text)


@functools.lru_cache(maxsize=4096)
def _tumor_exclusion(tumor_type: str, excluded: tuple[str, ...]) -> str | None:
    """Why a tumor type is outside SITC 2020, or None (cached: rosters repeat a few tumor types)."""
    for phrase in excluded:
        key = " ".join(_words(phrase))
        found = next(
            (w for w in (phrase, *EXCLUSION_SYNONYMS.get(key, ())) if _mentions(tumor_type, w)), None
        ) or next((a for a in EXCLUSION_ABBREVIATIONS.get(key, ()) if _abbreviated(tumor_type, a)), None)
        if found is not None:
            named = phrase if found == phrase else f"{found}: {phrase}"
            return (
                f"Tumor type '{tumor_type}' is excluded ({named}): no standard radiographic "
                "response criteria."
            )
    if any(_mentions(tumor_type, w) for w in HEMATOLOGIC_WORDS) or any(
        _abbreviated(tumor_type, a) for a in HEMATOLOGIC_ABBREVIATIONS
    ):
        return f"Tumor type '{tumor_type}' is a hematologic malignancy; SITC 2020 covers solid tumors."
    return None


def _drug_list(reading: AgentReading) -> str:
    return ", ".join(f"{d.name} ({d.label})" for d in reading.partners)


def _agent_text(reading: AgentReading) -> str:
    """The agent as read (sorted names), so the drug order of the text changes nothing."""
    names = [*reading.checkpoint, *(d.name for d in reading.partners), *reading.unrecognised]
    return " + ".join(names)


def _applicability(course: Course, p: Parameters, notes: _Notes) -> str | None:
    """The reason the course is outside SITC 2020, or None when it is covered."""
    reading = read_agent(course.agent)
    mono = "SITC 2020 defines resistance to PD-(L)1 monotherapy only"
    if reading.unrecognised or (course.agent and not reading.checkpoint and not reading.partners):
        shown = ", ".join(f"'{u}'" for u in reading.unrecognised) or "The agent text"
        notes.caveat(
            Caveat.UNRECOGNISED_AGENT,
            f"{shown} is not a recognised PD-1/PD-L1 inhibitor or partner drug; check the agent.",
        )
    if course.regimen is Regimen.COMBINATION:
        named = f" ({_drug_list(reading)})" if reading.partners else ""
        return f"{mono}; this is a combination regimen{named}."
    combination = bool(reading.partners) and (bool(reading.checkpoint) or len(reading.partners) > 1)
    if combination:
        notes.caveat(
            Caveat.REGIMEN_CONTRADICTS_AGENT,
            f"The regimen was recorded as monotherapy, but the agent names {_drug_list(reading)}.",
        )
        return (
            f"The agent names {_drug_list(reading)} besides "
            + (" and ".join(reading.checkpoint) if reading.checkpoint else "no PD-1/PD-L1 inhibitor")
            + f": a combination regimen. {mono}."
        )
    excluded = _tumor_exclusion(course.tumor_type, p.excluded_tumor_types)
    if excluded:
        return excluded
    if reading.partners:
        return f"The agent is {_drug_list(reading)}, not a PD-1/PD-L1 inhibitor; {mono}."
    return None


# ---------------------------------------------------------------------------
# Bookkeeping shared by the steps


@dataclass
class _Notes:
    """Rationale steps, caveats, interpretations and boundary checks of one path (either rule set)."""

    p: Parameters | IciChemoParameters
    steps: list[str] = field(default_factory=list)
    caveats: dict[Caveat, list[str]] = field(default_factory=dict)
    interpretations: set[str] = field(default_factory=set)
    roles: dict[int, VisitRole] = field(default_factory=dict)
    event: str = "progression"  # "recurrence" in the adjuvant setting and after surgery (C16)

    def step(self, text: str) -> None:
        self.steps.append(text)

    def caveat(self, code: Caveat, text: str) -> None:
        texts = self.caveats.setdefault(code, [])
        if text not in texts:
            texts.append(text)

    def role(self, index: int, role: VisitRole) -> None:
        self.roles.setdefault(index, role)

    def role_at(self, ctx: _Ctx, pos: int, role: VisitRole) -> None:
        for index in ctx.visible[pos][0]:
            self.role(index, role)

    def threshold(self, label: str, value: int, limit: int) -> None:
        """Record a threshold comparison that decided the category."""
        margin = self.p.boundary_margin_days
        if abs(value - limit) <= margin:
            self.caveat(
                Caveat.BOUNDARY_DATE,
                f"{label}: {value} days against a threshold of {limit} days (within {margin} days).",
            )

    def absorb(self, other: _Notes) -> None:
        self.steps.extend(other.steps)
        for code, texts in other.caveats.items():
            for text in texts:
                self.caveat(code, text)
        self.interpretations |= other.interpretations
        for index, role in other.roles.items():
            self.role(index, role)


@fast_init
@dataclass(frozen=True, slots=True)
class _Ctx:
    course: Course
    as_of: dt.date
    p: Parameters
    # (indices in course.assessments, assessment): one entry per date, dated <= as_of, in date
    # order; several assessments on one date are merged (C11).
    visible: tuple[tuple[tuple[int, ...], Assessment], ...]

    def at(self, pos: int) -> Assessment:
        return self.visible[pos][1]


@fast_init
@dataclass(frozen=True, slots=True)
class _Outcome:
    category: Category
    rule: Rule | None
    confirmation: Confirmation
    reason: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class _Refuted:
    pos: int  # position (in ctx.visible) of the refuting assessment
    restart: int  # the walk goes on after this position
    text: str
    biopsy: bool  # refuted by a negative biopsy (C8), not by a scan


def _weeks(n: int) -> str:
    return f"{n // 7} weeks" if n % 7 == 0 else f"{n} days"


# ---------------------------------------------------------------------------
# Same-date assessments (C11)

_WORST = {r: k for k, r in enumerate(WORST_FIRST)}


def _merge_same_date(group: list[tuple[int, Assessment]]) -> tuple[tuple[int, ...], Assessment, bool]:
    """One assessment for a date: the worst response governs, flags are combined (C11)."""
    if len(group) == 1:  # the usual case, without the general path's sorting and sets
        k, a = group[0]
        return (k,), a, False
    indices = tuple(sorted(k for k, _ in group))
    items = [a for _, a in group]
    chosen = min(items, key=lambda a: _WORST[a.effective])
    biopsies = {a.biopsy_confirms_progression for a in items} - {None}
    sites = [a.progressing_sites for a in items if a.progressing_sites is not None]
    ecogs = [a.ecog for a in items if a.ecog is not None]
    seen = [a.unequivocal_on for a in items if a.unequivocal_on is not None]
    merged = replace(
        chosen,
        clinical_progression=any(a.clinical_progression for a in items),
        symptomatic=any(a.symptomatic for a in items),
        nodal_only=any(a.nodal_only for a in items),
        multiple_metastases=any(a.multiple_metastases for a in items),
        progressing_sites=max(sites) if sites else None,
        biopsy_confirms_progression=(True in biopsies) if biopsies else None,
        ecog=max(ecogs) if ecogs else None,
        notes=tuple(sorted({n for a in items for n in a.notes})),
        unequivocal_on=min(seen) if seen else None,
        rapid_progression=any(a.rapid_progression for a in items),
    )
    responses = {a.effective for a in items} - {Response.NE}
    return indices, merged, len(responses) > 1 or len(biopsies) > 1


# ---------------------------------------------------------------------------
# Confirmation (R-3, C5, C6, C8, C9, C13)


@fast_init
@dataclass(frozen=True, slots=True)
class _Part:
    status: str  # confirmed, refuted, waived, pending
    date: dt.date | None = None
    pos: int | None = None


def _confirm_scan(
    ctx: _Ctx, i: int, notes: _Notes, biopsy_awaited: bool = False
) -> tuple[_Part, dt.date, dt.date, str | None]:
    """The confirmatory scan; ``biopsy_awaited``: a required biopsy has no result yet, so a
    confirming scan does not confirm the progression on its own (C16 wording)."""
    p, pd = ctx.p, ctx.at(i)
    d1 = pd.date
    opens = d1 + dt.timedelta(days=p.confirm_min_days)
    closes = d1 + dt.timedelta(days=p.confirm_max_days)
    seen = pd.unequivocal_on  # C13: confirm only after the lesion was seen as unequivocal
    if seen is not None:
        opens = max(opens, seen + dt.timedelta(days=1))
    early: list[dt.date] = []
    before_seen: list[dt.date] = []
    awaiting: list[dt.date] = []
    waiver: _Part | None = None
    part: _Part | None = None
    for pos in range(i, len(ctx.visible)):
        a = ctx.at(pos)
        gap = days(d1, a.date)
        if gap >= p.confirm_min_days and a.effective.base is not Response.NE:
            if seen is not None and a.date <= seen:
                before_seen.append(a.date)
                notes.role_at(ctx, pos, VisitRole.BEFORE_UNEQUIVOCAL)
            elif a.effective is Response.IUPD:
                # C5: only iCPD confirms; a further iUPD neither confirms nor refutes.
                awaiting.append(a.date)
                notes.role_at(ctx, pos, VisitRole.AWAITING_ICPD)
            elif a.effective.is_progression:
                part = _Part("confirmed", a.date, pos)
                break
            else:
                if waiver is None:
                    part = _Part("refuted", a.date, pos)
                break
        if a.clinical_progression and waiver is None:
            waiver = _Part("waived", a.date, pos)
        if 0 < gap < p.confirm_min_days:
            early.append(a.date)
            notes.role_at(ctx, pos, VisitRole.TOO_EARLY)
    if early:
        listed = ", ".join(str(d) for d in early)
        notes.caveat(
            Caveat.EARLY_SCAN_NOT_CONFIRMATORY,
            f"Assessment(s) on {listed}, less than {p.confirm_min_days} days after the initial "
            f"{notes.event}, neither confirm nor refute it.",
        )
    if before_seen:
        notes.step(
            f"Assessment(s) on {', '.join(str(d) for d in before_seen)} came no later than {seen}, when "
            "the new lesion was first seen as unequivocal: they cannot confirm the backdated progression."
        )
    if part is not None and part.status == "confirmed":
        a, gap = ctx.at(part.pos or 0), days(d1, part.date or d1)
        notes.role_at(ctx, part.pos or 0, VisitRole.CONFIRMATORY)
        notes.step(
            f"Confirmatory assessment on {a.date} ({gap} days after the initial {notes.event}) "
            f"shows {response_label(a.effective)}: "
            + (
                f"the scan confirms the {notes.event}; the biopsy is awaited."
                if biopsy_awaited
                else f"{notes.event} confirmed."
            )
        )
        if waiver is not None:
            notes.step(
                f"Clinical progression was recorded on {waiver.date}, but a confirmatory scan is on "
                "file: the scan governs, not the waiver."
            )
        if gap > p.confirm_max_days:
            notes.caveat(
                Caveat.CONFIRMATION_OUTSIDE_WINDOW,
                f"Confirmed on {a.date}, {gap} days after the initial {notes.event}; the window "
                f"closed on {closes} ({p.confirm_max_days} days).",
            )
        return part, opens, closes, None
    if part is not None:  # refuted
        notes.role_at(ctx, part.pos or 0, VisitRole.REFUTING)
        return part, opens, closes, None
    if waiver is not None:
        notes.role_at(ctx, waiver.pos or 0, VisitRole.CLINICAL_PROGRESSION)
        notes.caveat(
            Caveat.CONFIRMATION_WAIVED_CLINICAL_PROGRESSION,
            f"Clear clinical progression recorded on {waiver.date}; no confirmatory scan needed.",
        )
        notes.step(
            f"Clear clinical progression recorded on {waiver.date}, and no confirmatory scan on file: "
            f"the confirmatory scan is waived, and the {notes.event} is established on {waiver.date}."
        )
        return waiver, opens, closes, None
    if ctx.as_of < opens:
        due = "not_yet_open"
    elif ctx.as_of <= closes:
        due = "open"
    else:
        due = "overdue"
    if awaiting:
        notes.caveat(
            Caveat.IUPD_AWAITING_ICPD,
            f"iUPD again on {', '.join(str(d) for d in awaiting)}: only an iCPD confirms the iUPD of {d1}.",
        )
        notes.step(
            f"The assessment(s) on {', '.join(str(d) for d in awaiting)} show iUPD again: under iRECIST "
            "only iCPD confirms progression, so the confirmation stays pending."
        )
    after_seen = (
        f", and after {seen}, when the new lesion was first seen as unequivocal"
        if seen is not None and opens > d1 + dt.timedelta(days=p.confirm_min_days)
        else ""
    )
    notes.step(
        f"No confirmatory scan yet: the window is {opens} to {closes} "
        f"({p.confirm_min_days}-{p.confirm_max_days} days after the initial {notes.event}{after_seen}); "
        f"as of {ctx.as_of} it is {due.replace('_', ' ')}."
    )
    return _Part("pending"), opens, closes, due


def _biopsy(ctx: _Ctx, i: int) -> _Part:
    """The first biopsy result on or after the progression."""
    for pos in range(i, len(ctx.visible)):
        a = ctx.at(pos)
        if a.biopsy_confirms_progression is not None:
            return _Part("confirmed" if a.biopsy_confirms_progression else "refuted", a.date, pos)
    return _Part("pending")


@fast_init
@dataclass(frozen=True, slots=True)
class _Confirmed:
    """A confirmation that was not refuted, and when resistance was established."""

    confirmation: Confirmation
    established: dt.date  # t_establish; for pending, the earliest possible date


def _confirm(
    ctx: _Ctx,
    i: int,
    notes: _Notes,
    *,
    scan: bool,
    biopsy: bool,
    biopsy_confirms: bool = False,
) -> _Confirmed | _Refuted:
    """Decide the confirmation a path requires.

    ``biopsy_confirms``: a positive biopsy also confirms (recurrences after
    neoadjuvant surgery, C9). On every path a negative biopsy refutes a
    nodal-only progression (C8).
    """
    pd = ctx.at(i)
    d1 = pd.date
    biopsy_part = _biopsy(ctx, i)
    if biopsy_part.pos is not None:
        notes.role_at(ctx, biopsy_part.pos, VisitRole.BIOPSY)
    checks_biopsy = biopsy or pd.nodal_only or biopsy_confirms
    required = "scan+biopsy" if scan and biopsy else ("scan" if scan else ("biopsy" if biopsy else "none"))
    if required == "none":
        notes.step("No confirmation is required on this path.")
    else:
        what = {"scan": "a confirmatory scan", "biopsy": "a confirmatory biopsy"}
        notes.step(
            "Confirmation required: "
            + ("a confirmatory scan and a biopsy" if scan and biopsy else what[required])
            + "."
        )
    opens = closes = due = None
    scan_part: _Part | None = None
    if scan:
        awaited = biopsy and biopsy_part.status == "pending"
        scan_part, opens, closes, due = _confirm_scan(ctx, i, notes, biopsy_awaited=awaited)
    elif checks_biopsy and biopsy_part.status == "refuted":
        # Only to know where the refuted episode ends (its confirmatory scan, if any).
        scan_part = _confirm_scan(ctx, i, _Notes(ctx.p, event=notes.event))[0]

    if checks_biopsy and biopsy_part.status == "refuted":
        assert biopsy_part.pos is not None
        ends = [biopsy_part.pos]
        if scan_part is not None and scan_part.pos is not None and scan_part.status != "waived":
            ends.append(scan_part.pos)
        return _Refuted(
            biopsy_part.pos,
            max(ends),
            f"{notes.event.capitalize()} on {d1} not confirmed: the biopsy recorded on "
            f"{biopsy_part.date} is negative.",
            biopsy=True,
        )
    if biopsy_confirms and scan and biopsy_part.status == "confirmed" and not biopsy:
        # C9: a positive biopsy is recurrence evidence and confirms it (even over a refuting scan).
        assert biopsy_part.date is not None
        notes.step(f"Biopsy recorded on {biopsy_part.date} confirms the {notes.event}.")
        if scan_part is None or scan_part.status != "confirmed":
            established = max(d1, biopsy_part.date)
            return _Confirmed(
                Confirmation(required, "confirmed", biopsy_part.date, opens, closes, None), established
            )
    if scan_part is not None and scan_part.status == "refuted" and scan:
        assert scan_part.pos is not None
        a = ctx.at(scan_part.pos)
        return _Refuted(
            scan_part.pos,
            scan_part.pos,
            f"{notes.event.capitalize()} on {d1} refuted: the assessment on {a.date} shows "
            f"{response_label(a.effective)}.",
            biopsy=False,
        )
    parts: list[_Part] = []
    if scan_part is not None and scan:
        parts.append(scan_part)
    if biopsy:
        parts.append(biopsy_part)
        if biopsy_part.status == "confirmed":
            notes.step(f"Biopsy recorded on {biopsy_part.date} confirms the {notes.event}.")
        else:
            notes.step("No biopsy result recorded yet: the confirmatory biopsy is pending.")
    if not parts:
        return _Confirmed(Confirmation(), d1)
    if any(part.status == "pending" for part in parts):
        scan_pending = scan and parts[0].status == "pending"
        earliest = max(opens, ctx.as_of) if scan_pending and opens else ctx.as_of
        conf = Confirmation(required, "pending", None, opens, closes, due if scan_pending else None)
        return _Confirmed(conf, max(earliest, d1))
    established = max(part.date for part in parts if part.date is not None)
    status = "waived" if [part.status for part in parts] == ["waived"] else "confirmed"
    return _Confirmed(Confirmation(required, status, established, opens, closes, None), established)


# ---------------------------------------------------------------------------
# Paths


def _counts_as_benefit(ctx: _Ctx, a: Assessment) -> bool:
    """C10: on treatment, and SD/non-CR/non-PD only after the minimum SD interval."""
    gap = days(ctx.course.first_dose, a.date)
    if gap <= 0:
        return False
    return a.effective.base in (Response.CR, Response.PR) or gap >= ctx.p.sd_min_days


def _best_response(ctx: _Ctx, before: dt.date, notes: _Notes | None = None) -> Response | None:
    best: tuple[int, int] | None = None
    best_any: int | None = None
    for pos, (_, a) in enumerate(ctx.visible):
        if a.date >= before:
            break
        rank = BENEFIT_RANK.get(a.effective.base)
        if rank is None:
            continue
        best_any = rank if best_any is None else max(best_any, rank)
        if _counts_as_benefit(ctx, a) and (best is None or rank > best[0]):
            best = (rank, pos)
    if notes is not None and best_any is not None and (best is None or best[0] < best_any):
        notes.caveat(
            Caveat.EARLY_RESPONSE_NOT_COUNTED,
            "A response dated on or before the first dose, or stable disease less than "
            f"{ctx.p.sd_min_days} days after it, was not counted as benefit.",
        )
    if best is None:
        return None
    if notes is not None:
        notes.role_at(ctx, best[1], VisitRole.BEST_RESPONSE)
    return ctx.at(best[1]).effective.base


def _advanced(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    """Advanced disease: on therapy at d1 (Table 1) or stopped before it (Table 4)."""
    c, d1 = ctx.course, ctx.at(i).date
    on_therapy = (
        c.last_dose is None or c.discontinuation_reason is StopReason.PROGRESSION or c.last_dose >= d1
    )
    if on_therapy:
        notes.step(
            "On PD-(L)1 therapy at the progression"
            + (f" (last dose {c.last_dose})." if c.last_dose else " (no last dose recorded).")
        )
        return _table1(ctx, i, notes)
    return _table4(ctx, i, notes)


def _table1(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    c, p, pd = ctx.course, ctx.p, ctx.at(i)
    d1 = pd.date
    elapsed = days(c.first_dose, d1)
    bor = _best_response(ctx, d1, notes)
    notes.step(f"Best response before the progression: {response_label(bor) if bor else 'none documented'}.")
    primary = elapsed < p.benefit_days
    if primary:
        rule, candidate = Rule.T1_PRIMARY, Category.PRIMARY_RESISTANCE
        need_scan, need_biopsy = True, False
        if pd.nodal_only:
            notes.caveat(
                Caveat.NODAL_ONLY_PROGRESSION,
                f"Progression on {d1} is in lymph nodes only; consider a biopsy to confirm it.",
            )
    elif bor is None:
        rule, candidate, need_scan, need_biopsy = None, Category.INDETERMINATE, True, False
    else:
        rule, candidate = Rule.T1_SECONDARY, Category.SECONDARY_RESISTANCE
        need_scan = p.secondary_requires_confirmation
        need_biopsy = pd.nodal_only and not pd.symptomatic and p.nodal_only_requires_pathology
        if pd.nodal_only:
            notes.caveat(
                Caveat.NODAL_ONLY_PROGRESSION,
                f"Progression on {d1} is in lymph nodes only"
                + ("; asymptomatic nodal-only progression needs a biopsy." if need_biopsy else "."),
            )
        if pd.multiple_metastases and pd.progressing_sites is not None and pd.progressing_sites < 2:
            notes.caveat(
                Caveat.SINGLE_SITE_PROGRESSION,
                f"Multiple metastases, but progression on {d1} was seen at {pd.progressing_sites} site(s).",
            )
        if bor is Response.NON_CR_NON_PD:
            notes.caveat(
                Caveat.NON_MEASURABLE_DISEASE,
                "Best response before progression was non-CR/non-PD (non-target disease only).",
            )
        if bor is Response.SD or bor is Response.NON_CR_NON_PD:
            notes.interpretations.add("I-2")
    confirmed = _confirm(ctx, i, notes, scan=need_scan, biopsy=need_biopsy)
    if isinstance(confirmed, _Refuted):
        return confirmed
    conf, established = confirmed.confirmation, confirmed.established
    pending = conf.status == "pending"
    when = (
        f"would be established no earlier than {established}"
        if pending
        else f"was established on {established}"
    )

    exposure = days(c.first_dose, established)
    notes.threshold(
        "Exposure when resistance " + ("would be established" if pending else "was established"),
        exposure,
        p.min_exposure_days,
    )
    if elapsed < p.min_exposure_days:
        notes.interpretations.add("I-1")
    if exposure < p.min_exposure_days:
        notes.step(
            f"Exposure when progression {when}: {exposure} days, less than {p.min_exposure_days}: "
            f"not classifiable: less than {_weeks(p.min_exposure_days)} of exposure."
        )
        return _Outcome(Category.INSUFFICIENT_EXPOSURE, Rule.EXPOSURE, conf)
    notes.step(f"Exposure when progression {when}: {exposure} days (at least {p.min_exposure_days}).")
    if elapsed < p.min_exposure_days:
        notes.caveat(
            Caveat.INITIAL_PD_BEFORE_MIN_EXPOSURE,
            f"Initial PD on {d1} after {elapsed} days of exposure; "
            + (
                f"it would be established no earlier than {established}, after {exposure} days."
                if pending
                else f"established on {established} after {exposure} days."
            ),
        )

    notes.threshold("Time from first dose to progression", elapsed, p.benefit_days)
    if primary:
        notes.step(
            f"Progression {elapsed} days after the first dose, within {p.benefit_days} days "
            f"(6 months): primary resistance ({rule})."
        )
        if bor in (Response.CR, Response.PR):
            notes.caveat(
                Caveat.GRAY_ZONE_RESPONSE_THEN_EARLY_PD,
                f"{response_label(bor)} before a progression within "
                f"{p.benefit_days} days of the first dose: classified as primary resistance.",
            )
        return _Outcome(candidate, rule, conf)
    if candidate is Category.INDETERMINATE:
        reason = "No documented benefit (CR, PR or SD) before a progression at or after 6 months."
        notes.step(
            f"Progression {elapsed} days after the first dose (at least {p.benefit_days}) but no "
            "assessment documents CR, PR or SD before it: the definitions do not decide."
        )
        return _Outcome(candidate, None, conf, reason)
    notes.step(
        f"Progression {elapsed} days after the first dose (at least {p.benefit_days} days) "
        f"after {response_label(bor)}: secondary resistance ({rule})."
    )
    return _Outcome(candidate, rule, conf)


def _table4(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    c, p, d1 = ctx.course, ctx.p, ctx.at(i).date
    assert c.last_dose is not None
    last = c.last_dose
    reason = c.discontinuation_reason.value.replace("_", " ") if c.discontinuation_reason else "unknown"
    off = days(last, d1)
    notes.step(
        f"Therapy stopped before the progression (last dose {last}, reason: {reason}); "
        f"progression {off} days after the last dose (Table 4)."
    )
    notes.interpretations.add("I-3")
    responses = [
        (pos, a)
        for pos, (_, a) in enumerate(ctx.visible)
        if a.date < d1 and a.effective.base in (Response.CR, Response.PR)
    ]
    prior = [(pos, a) for pos, a in responses if c.first_dose < a.date <= last]
    if any(a.date <= c.first_dose for _, a in responses) and not prior:
        notes.caveat(
            Caveat.EARLY_RESPONSE_NOT_COUNTED,
            "A CR or PR dated on or before the first dose is a baseline, not a response on treatment.",
        )
    after = [(pos, a) for pos, a in responses if a.date > last]
    for pos, _ in prior[-1:]:
        notes.role_at(ctx, pos, VisitRole.BEST_RESPONSE)
    interval = c.dosing_interval_days
    exposure = days(c.first_dose, last) + (interval or 0)
    counted = (
        f"{days(c.first_dose, last)} days from first to last dose + {interval} days of the last cycle"
        if interval
        else "first to last dose"
    )
    notes.threshold("Exposure on stopping", exposure, p.min_exposure_days)
    if exposure < p.min_exposure_days:
        notes.interpretations.add("I-4")
        notes.step(
            f"Exposure ({counted}): {exposure} days, less than {p.min_exposure_days}: "
            f"not classifiable: less than {_weeks(p.min_exposure_days)} of exposure."
        )
        if interval is None:
            notes.caveat(
                Caveat.EXPOSURE_FROM_DOSE_DATES,
                f"Exposure counted from the first to the last dose ({exposure} days); record the dosing "
                "interval to count the last cycle.",
            )
        if c.discontinuation_reason is StopReason.TOXICITY:
            notes.caveat(
                Caveat.EARLY_TOXICITY_DISCONTINUATION,
                f"Stopped for toxicity after {exposure} days of exposure.",
            )
        return _Outcome(Category.INSUFFICIENT_EXPOSURE, Rule.EXPOSURE, Confirmation())
    notes.step(f"Exposure ({counted}): {exposure} days (at least {p.min_exposure_days}).")
    # C14: a CR or PR first recorded after the last dose (a level not seen on treatment).
    on_treatment = {a.effective.base for _, a in prior}
    first_after = next((a for _, a in after if a.effective.base not in on_treatment), None)
    if first_after is not None:
        notes.caveat(
            Caveat.RESPONSE_AFTER_DISCONTINUATION,
            f"{response_label(first_after.effective.base)} first recorded on {first_after.date}, "
            f"after the last dose ({last}); Table 4 counts only responses on treatment.",
        )
    if not prior:
        notes.step(
            "No CR or PR recorded on treatment (after the first dose, on or before the last dose): "
            f"primary resistance ({Rule.T4_PRIMARY}); no confirmatory scan required."
        )
        bor = _best_response(ctx, d1, notes)
        sd_days = days(c.first_dose, d1)
        if bor in (Response.SD, Response.NON_CR_NON_PD) and sd_days >= p.benefit_days:
            notes.caveat(
                Caveat.DURABLE_SD_BEFORE_DISCONTINUATION,
                f"Stable disease lasted {sd_days} days (at least {p.benefit_days}) before progression.",
            )
        if off > p.off_treatment_days:
            notes.caveat(
                Caveat.PRIMARY_DOCUMENTED_LATE_OFF_TREATMENT,
                f"Progression {off} days after the last dose (more than {p.off_treatment_days}).",
            )
        confirmed = _confirm(ctx, i, notes, scan=False, biopsy=False)
        if isinstance(confirmed, _Refuted):
            return confirmed
        return _Outcome(Category.PRIMARY_RESISTANCE, Rule.T4_PRIMARY, Confirmation())
    last_resp = prior[-1][1]
    notes.step(f"{response_label(last_resp.effective.base)} recorded on {last_resp.date}, on treatment.")
    notes.threshold("Time from last dose to progression", off, p.off_treatment_days)
    if off == p.off_treatment_days:
        notes.interpretations.add("I-5")
    if off <= p.off_treatment_days:
        category, rule = Category.SECONDARY_RESISTANCE, Rule.T4_SECONDARY
        notes.step(
            f"Progression {off} days after the last dose (at most {p.off_treatment_days}): "
            f"secondary resistance ({rule})."
        )
    else:
        category, rule = Category.LATE_PROGRESSION, Rule.T4_LATE
        notes.step(
            f"Progression {off} days after the last dose (more than {p.off_treatment_days}): "
            f"late progression ({rule}); resistance cannot be called without a PD-(L)1 rechallenge."
        )
    confirmed = _confirm(ctx, i, notes, scan=True, biopsy=False)
    if isinstance(confirmed, _Refuted):
        return confirmed
    return _Outcome(category, rule, confirmed.confirmation)


def _table2(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    c, p, d1 = ctx.course, ctx.p, ctx.at(i).date
    off = 0 if c.last_dose is None else days(c.last_dose, d1)
    since = f"the last dose ({c.last_dose})" if c.last_dose else "the last dose (still on therapy)"
    notes.step(f"Recurrence on {d1}, {off} days after {since} (Table 2).")
    exposure = days(c.first_dose, d1)
    if exposure < p.min_exposure_days:
        notes.caveat(
            Caveat.MINIMAL_ADJUVANT_EXPOSURE,
            f"Recurrence {exposure} days after the first dose (less than {p.min_exposure_days}); "
            "Table 2 sets no minimum exposure.",
        )
    notes.threshold("Time from last dose to recurrence", off, p.off_treatment_days)
    if off == p.off_treatment_days:
        notes.interpretations.add("I-5")
    if off < p.off_treatment_days:
        category, rule = Category.PRIMARY_RESISTANCE, Rule.T2_EARLY
        notes.step(f"Less than {p.off_treatment_days} days: early relapse, primary resistance ({rule}).")
    else:
        category, rule = Category.LATE_RELAPSE, Rule.T2_LATE
        notes.step(f"At least {p.off_treatment_days} days: late relapse ({rule}).")
        if off > p.benefit_days:
            notes.caveat(
                Caveat.RECHALLENGE_MAY_RESPOND,
                f"Recurrence {off} days after the last dose (more than {p.benefit_days}).",
            )
    confirmed = _confirm(ctx, i, notes, scan=False, biopsy=True)
    if isinstance(confirmed, _Refuted):
        return confirmed
    return _Outcome(category, rule, confirmed.confirmation)


def _table3(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    c, p, d1 = ctx.course, ctx.p, ctx.at(i).date
    mpr = c.major_pathological_response
    notes.step(f"Recurrence on {d1}, after surgery on {c.surgery_date} (Table 3).")
    if mpr is None:
        category, rule, need_scan = Category.INDETERMINATE, None, True
    elif mpr:
        category, rule = Category.SECONDARY_RESISTANCE, Rule.T3_SECONDARY
        need_scan = p.secondary_requires_confirmation
    else:
        category, rule, need_scan = Category.PRIMARY_RESISTANCE, Rule.T3_PRIMARY, True
    confirmed = _confirm(ctx, i, notes, scan=need_scan, biopsy=False, biopsy_confirms=True)
    if isinstance(confirmed, _Refuted):
        return confirmed
    if mpr is None:
        reason = "Pathological response at surgery is not recorded."
        notes.step(reason + " The definitions do not decide.")
        return _Outcome(category, None, confirmed.confirmation, reason)
    notes.step(
        ("Major pathological response" if mpr else "No major pathological response")
        + f" at surgery: {category.value.replace('_', ' ')} ({rule})."
    )
    return _Outcome(category, rule, confirmed.confirmation)


def _after_surgery(course: Course, date: dt.date) -> bool:
    return (
        course.setting is Setting.NEOADJUVANT
        and course.surgery_date is not None
        and (date >= course.surgery_date)
    )


def _is_recurrence_setting(course: Course, date: dt.date) -> bool:
    return course.setting is Setting.ADJUVANT or _after_surgery(course, date)


def _route(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    c, d1 = ctx.course, ctx.at(i).date
    if c.setting is Setting.ADJUVANT:
        return _table2(ctx, i, notes)
    if c.setting is Setting.NEOADJUVANT:
        if c.surgery_date is None or d1 < c.surgery_date:
            # C1: the neoadjuvant phase follows Table 1, whether or not the last dose preceded d1.
            notes.step(
                (
                    f"Progression during the neoadjuvant phase, before surgery on {c.surgery_date}"
                    if c.surgery_date
                    else "Progression during the neoadjuvant phase, with no surgery recorded"
                )
                + ": Step 4a (Table 1) applies"
                + (f" (last neoadjuvant dose {c.last_dose})." if c.last_dose else ".")
            )
            return _table1(ctx, i, notes)
        if c.adjuvant_after_neoadjuvant:
            notes.step("Adjuvant PD-(L)1 therapy followed surgery: the adjuvant rules apply.")
            return _table2(ctx, i, notes)
        return _table3(ctx, i, notes)
    return _advanced(ctx, i, notes)


# ---------------------------------------------------------------------------
# Entry point


def _visit_caveats(
    notes: _Notes,
    visible: tuple[tuple[int, Assessment], ...],
    merged: list[tuple[tuple[int, ...], Assessment, bool]],
) -> None:
    """Caveats on the visits themselves, for either rule set: a recorded response the
    measurements contradict, and same-date assessments that disagree (C11)."""
    for _, a in visible:
        if (
            a.response is not None
            and a.computed_response is not None
            and not measured_alike(a.response, a.computed_response)
        ):
            notes.caveat(
                Caveat.RESPONSE_DIFFERS_FROM_MEASUREMENTS,
                f"On {a.date} the recorded response is {response_label(a.response)}; the measurements "
                f"give {response_label(a.computed_response)}.",
            )
    for _, a, conflict in merged:
        if conflict:
            notes.caveat(
                Caveat.SAME_DATE_CONFLICT,
                f"Assessments on {a.date} disagree; the worst, {response_label(a.effective)}, governs.",
            )


def _visible(
    course: Course, as_of: dt.date
) -> tuple[tuple[tuple[int, Assessment], ...], list[tuple[tuple[int, ...], Assessment, bool]]]:
    """Assessments known on ``as_of`` in date order, and the same merged by date (C11)."""
    assessments = course.assessments
    dates = [a.date for a in assessments]
    order = sorted(range(len(assessments)), key=lambda k: (dates[k], k))
    visible = tuple([(k, assessments[k]) for k in order if dates[k] <= as_of])
    if course.baseline is not None:
        # Responses from measurements use only what was known on as_of.
        visible = with_computed_responses(course, visible, as_of)
    merged: list[tuple[tuple[int, ...], Assessment, bool]] = []
    group: list[tuple[int, Assessment]] = []
    for k, a in visible:
        if group and group[0][1].date != a.date:
            merged.append(_merge_same_date(group))
            group = []
        group.append((k, a))
    if group:
        merged.append(_merge_same_date(group))
    return visible, merged


def classify(
    course: Course, as_of: dt.date, ruleset: RuleSet | IciChemoRuleSet | StudyRules = DEFAULT_RULESET
) -> Classification:
    """Classify one course as of a date (pure; never reads the clock).

    Dispatch hook: ``core.rules.ici_chemo`` chooses the rule set per course
    (PD-(L)1 + chemotherapy: ``SITC-2023-ICI-chemo``; else ``SITC-2020``,
    below) and the result records it. A single rule set stands for itself
    with the other at its defaults; ``StudyRules`` carries both.
    """
    from core.rules import ici_chemo  # it builds on this module's result types

    return ici_chemo.dispatch(course, as_of, ruleset, _classify_sitc2020)


def _classify_sitc2020(course: Course, as_of: dt.date, ruleset: RuleSet) -> Classification:
    """Classify one course under SITC 2020 (``resistance-rules.md``)."""
    p = ruleset.parameters
    notes = _Notes(p)
    visible, merged = _visible(course, as_of)
    for k, a in enumerate(course.assessments):
        if a.date > as_of:
            notes.role(k, VisitRole.AFTER_AS_OF)
    ctx = _Ctx(course, as_of, p, tuple((indices, a) for indices, a, _ in merged))

    reading = read_agent(course.agent)
    notes.step(
        f"Subject {course.subject_id}: {course.setting.value} {course.tumor_type}, "
        f"{course.regimen.value} {_agent_text(reading) or '(agent not recorded)'} from "
        f"{course.first_dose}; {len(visible)} assessment(s) on or before {as_of} considered."
    )
    _visit_caveats(notes, visible, merged)

    def finish(
        category: Category,
        rule: Rule | None = None,
        confirmation: Confirmation | None = None,
        reason: str | None = None,
        progression: dt.date | None = None,
        provisional: Category | None = None,
    ) -> Classification:
        if course.indolent:
            notes.caveat(Caveat.INDOLENT_TUMOR, "The course is flagged as an indolent tumor.")
        confirmation = confirmation or Confirmation()
        pending = confirmation.status == "pending"
        return Classification(
            subject_id=course.subject_id,
            as_of=as_of,
            category=category,
            provisional_category=provisional,
            reason=reason,
            rule=rule,
            progression_date=progression,
            confirmation=confirmation,
            caveats=tuple(CaveatNote(code, " ".join(texts)) for code, texts in notes.caveats.items()),
            key_dates=KeyDates(
                min_exposure_reached=course.first_dose + dt.timedelta(days=p.min_exposure_days),
                benefit_threshold=course.first_dose + dt.timedelta(days=p.benefit_days),
                off_treatment_threshold=None
                if course.last_dose is None
                else course.last_dose + dt.timedelta(days=p.off_treatment_days),
                opens=confirmation.opens if pending else None,
                closes=confirmation.closes if pending else None,
            ),
            rationale=tuple(notes.steps),
            ruleset=ruleset,
            interpretations=tuple(sorted(notes.interpretations)),
            visit_roles=tuple(sorted(notes.roles.items())),
            visit_responses=tuple([(k, a.effective, a.computed_response) for k, a in visible]),
        )

    not_covered = _applicability(course, p, notes)
    if not_covered:
        notes.step(not_covered)
        return finish(Category.NOT_APPLICABLE, Rule.APPLICABILITY, reason=not_covered)
    notes.step("Applicability: PD-(L)1 monotherapy in a solid tumor, covered by SITC 2020.")

    def evidence(a: Assessment) -> bool:
        if a.effective.is_progression:
            return True
        # C9: in the adjuvant setting and after neoadjuvant surgery a positive biopsy is recurrence evidence.
        return a.biopsy_confirms_progression is True and _is_recurrence_setting(course, a.date)

    # C4: progression before the first dose is not resistance.
    for pos, (_, a) in enumerate(ctx.visible):
        if a.date < course.first_dose and (a.effective.is_progression or a.biopsy_confirms_progression):
            reason = "Progression recorded before the first dose."
            notes.role_at(ctx, pos, VisitRole.INITIAL_PD)
            notes.step(
                f"The assessment on {a.date} records progression before the first dose "
                f"({course.first_dose}): that is not resistance to the PD-(L)1 inhibitor; "
                "the definitions do not decide."
            )
            return finish(Category.INDETERMINATE, None, reason=reason, progression=a.date)

    start = 0
    while True:
        i = next((pos for pos in range(start, len(ctx.visible)) if evidence(ctx.at(pos))), None)
        if i is None:
            notes.step(
                "No progression on file"
                + (" after the refuted episode(s)." if start else ".")
                + " No resistance category applies yet."
            )
            return finish(Category.NO_PROGRESSION)
        pd = ctx.at(i)
        d1 = pd.date
        recurrence = _is_recurrence_setting(course, d1)
        episode = _Notes(p, event="recurrence" if recurrence else "progression")
        episode.role_at(ctx, i, VisitRole.INITIAL_PD)
        shown = response_label(pd.effective) if pd.effective.is_progression else "positive biopsy"
        episode.step(
            f"{'Recurrence' if recurrence else 'Initial progression'} ({shown}) on {d1}, "
            f"{days(course.first_dose, d1)} days after the first dose."
        )
        if pd.effective is Response.ICPD:
            episode.caveat(
                Caveat.ICPD_WITHOUT_IUPD,
                f"iCPD on {d1} with no earlier iUPD on file: taken as the initial progression. "
                "Enter the iUPD assessment that preceded it.",
            )
        if pd.unequivocal_on is not None and pd.effective.is_progression:
            episode.caveat(
                Caveat.PD_BACKDATED_EQUIVOCAL_NEW_LESION,
                f"Progression dated back to {d1}, when a new lesion was first seen as equivocal; it was "
                f"unequivocal on {pd.unequivocal_on}.",
            )
            episode.step(
                f"The progression is dated back to {d1}, when a new lesion was first seen as equivocal "
                f"(it was unequivocal on {pd.unequivocal_on}); a confirmatory scan must come after "
                f"{pd.unequivocal_on}."
            )
        outcome = _route(ctx, i, episode)
        if isinstance(outcome, _Refuted):
            notes.steps.extend(episode.steps)
            for index in ctx.visible[i][0]:
                notes.role(index, VisitRole.REFUTED_PD)
            if outcome.biopsy:
                notes.step(
                    outcome.text + " The episode is closed (a negative biopsy, not pseudoprogression)."
                )
                notes.caveat(Caveat.BIOPSY_NEGATIVE, outcome.text)
                notes.role_at(ctx, outcome.pos, VisitRole.BIOPSY)
            else:
                notes.step(outcome.text + " Pseudoprogression: the episode is closed.")
                notes.caveat(Caveat.PSEUDOPROGRESSION_REFUTED, outcome.text)
                notes.role_at(ctx, outcome.pos, VisitRole.REFUTING)
            for pos in range(i + 1, outcome.restart + 1):
                if pos != outcome.pos and ctx.at(pos).effective.is_progression:
                    notes.role_at(ctx, pos, VisitRole.REFUTED_PD)
            start = outcome.restart + 1
            continue
        notes.absorb(episode)
        if course.intercurrent_therapy:
            notes.caveat(
                Caveat.INTERCURRENT_THERAPY,
                "Other anticancer therapy was given after the last PD-(L)1 dose.",
            )
        conf = outcome.confirmation
        if conf.status == "pending" and outcome.category is not Category.INDETERMINATE:
            notes.step(
                f"Confirmation pending: the {episode.event} is not yet established; it would be "
                f"{outcome.category.value.replace('_', ' ')} once confirmed."
            )
            return finish(
                Category.PENDING_CONFIRMATION,
                outcome.rule,
                conf,
                None,
                d1,
                provisional=outcome.category,
            )
        return finish(outcome.category, outcome.rule, conf, outcome.reason, d1)
