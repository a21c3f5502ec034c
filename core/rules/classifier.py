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
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.rules.caveats import INTERPRETATIONS, Caveat
from core.rules.frozen import fast_init
from core.rules.ici_chemo_ruleset import IciChemoRule, IciChemoRuleSet, StudyRules
from core.rules.model import (
    BENEFIT_RANK,
    Assessment,
    Course,
    Regimen,
    Response,
    Setting,
    StopReason,
    days,
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
# Applicability

PD1_PDL1_AGENTS = frozenset(
    {
        # PD-1
        "pembrolizumab", "nivolumab", "cemiplimab", "dostarlimab", "retifanlimab",
        "toripalimab", "tislelizumab", "sintilimab", "camrelizumab", "penpulimab",
        "serplulimab", "spartalizumab", "zimberelimab", "prolgolimab",
        # PD-L1
        "atezolizumab", "durvalumab", "avelumab", "sugemalimab", "envafolimab",
        "cosibelimab", "adebrelimab", "socazolimab",
        # brand names
        "keytruda", "opdivo", "libtayo", "jemperli", "zynyz", "loqtorzi", "tevimbra",
        "tyvyt", "tecentriq", "imfinzi", "bavencio", "unloxcyt",
    }
)  # fmt: skip
OTHER_IMMUNOTHERAPY_AGENTS = frozenset(
    {"ipilimumab", "yervoy", "tremelimumab", "imjudo", "relatlimab", "opdualag"}
)
HEMATOLOGIC_WORDS = ("lymphoma", "leukemia", "leukaemia", "myeloma", "myelodysplastic", "hodgkin")


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


def _mentions(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs as whole words in ``text`` (case-insensitive)."""
    words, target = _words(text), _words(phrase)
    if not target:
        return False
    if len(target) == 1:
        return any(w in (target[0], target[0] + "s") for w in words)
    n = len(target)
    return any(words[k : k + n] == target for k in range(len(words) - n + 1))


@functools.lru_cache(maxsize=4096)
def _tumor_exclusion(tumor_type: str, excluded: tuple[str, ...]) -> str | None:
    """Why a tumor type is outside SITC 2020, or None (cached: rosters repeat a few tumor types)."""
    for phrase in excluded:
        if _mentions(tumor_type, phrase):
            return (
                f"Tumor type '{tumor_type}' is excluded ({phrase}): no standard radiographic "
                "response criteria."
            )
    for word in HEMATOLOGIC_WORDS:
        if _mentions(tumor_type, word):
            return f"Tumor type '{tumor_type}' is a hematologic malignancy; SITC 2020 covers solid tumors."
    return None


@functools.lru_cache(maxsize=4096)
def _agent_check(agent: str) -> tuple[str | None, bool]:
    """(reason it is not covered, or None; whether it is a recognised PD-(L)1 inhibitor)."""
    words = set(_words(agent))
    others = sorted(words & OTHER_IMMUNOTHERAPY_AGENTS)
    if others:
        return (
            f"Agent '{agent}' includes {', '.join(others)}, which is not a PD-1/PD-L1 inhibitor; "
            "SITC 2020 covers PD-(L)1 monotherapy."
        ), False
    return None, bool(words & PD1_PDL1_AGENTS)


def _applicability(course: Course, p: Parameters, notes: _Notes) -> str | None:
    """The reason the course is outside SITC 2020, or None when it is covered."""
    if course.regimen is Regimen.COMBINATION:
        return "SITC 2020 defines resistance to PD-(L)1 monotherapy only; this is a combination regimen."
    excluded = _tumor_exclusion(course.tumor_type, p.excluded_tumor_types)
    if excluded:
        return excluded
    if course.agent:
        reason, recognised = _agent_check(course.agent)
        if reason:
            return reason
        if not recognised:
            notes.caveat(
                Caveat.UNRECOGNISED_AGENT,
                f"Agent '{course.agent}' is not a recognised PD-1/PD-L1 inhibitor; check that it is one.",
            )
    return None


# ---------------------------------------------------------------------------
# Bookkeeping shared by the steps


@dataclass
class _Notes:
    """Rationale steps, caveats, interpretations and boundary checks of one path."""

    p: Parameters
    steps: list[str] = field(default_factory=list)
    caveats: dict[Caveat, list[str]] = field(default_factory=dict)
    interpretations: set[str] = field(default_factory=set)
    roles: dict[int, VisitRole] = field(default_factory=dict)

    def step(self, text: str) -> None:
        self.steps.append(text)

    def caveat(self, code: Caveat, text: str) -> None:
        texts = self.caveats.setdefault(code, [])
        if text not in texts:
            texts.append(text)

    def role(self, index: int, role: VisitRole) -> None:
        self.roles.setdefault(index, role)

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
    # (index in course.assessments, assessment), in date order, dated <= as_of
    visible: tuple[tuple[int, Assessment], ...]

    def at(self, pos: int) -> Assessment:
        return self.visible[pos][1]

    def index(self, pos: int) -> int:
        return self.visible[pos][0]


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
    text: str


# ---------------------------------------------------------------------------
# Confirmation


@fast_init
@dataclass(frozen=True, slots=True)
class _Part:
    status: str  # confirmed, refuted, waived, pending
    date: dt.date | None = None
    pos: int | None = None


def _confirm_scan(ctx: _Ctx, i: int, notes: _Notes) -> tuple[_Part, dt.date, dt.date, str | None]:
    p, d1 = ctx.p, ctx.at(i).date
    opens = d1 + dt.timedelta(days=p.confirm_min_days)
    closes = d1 + dt.timedelta(days=p.confirm_max_days)
    early: list[dt.date] = []
    part: _Part | None = None
    for pos in range(i, len(ctx.visible)):
        a, gap = ctx.at(pos), days(d1, ctx.at(pos).date)
        if gap >= p.confirm_min_days and a.effective.base is not Response.NE:
            if a.effective.is_progression:
                part = _Part("confirmed", a.date, pos)
                notes.role(ctx.index(pos), VisitRole.CONFIRMATORY)
                notes.step(
                    f"Confirmatory assessment on {a.date} ({gap} days after the initial PD) "
                    f"shows {a.effective.value}: progression confirmed."
                )
                if gap > p.confirm_max_days:
                    notes.caveat(
                        Caveat.CONFIRMATION_OUTSIDE_WINDOW,
                        f"Confirmed on {a.date}, {gap} days after the initial PD; the window "
                        f"closed on {closes} ({p.confirm_max_days} days).",
                    )
            else:
                part = _Part("refuted", a.date, pos)
                notes.role(ctx.index(pos), VisitRole.REFUTING)
            break
        if a.clinical_progression:
            part = _Part("waived", a.date, pos)
            notes.role(ctx.index(pos), VisitRole.CLINICAL_PROGRESSION)
            notes.caveat(
                Caveat.CONFIRMATION_WAIVED_CLINICAL_PROGRESSION,
                f"Clear clinical progression recorded on {a.date}; no confirmatory scan needed.",
            )
            notes.step(f"Clear clinical progression recorded on {a.date}: the confirmatory scan is waived.")
            break
        if 0 < gap < p.confirm_min_days:
            early.append(a.date)
            notes.role(ctx.index(pos), VisitRole.TOO_EARLY)
    if early:
        listed = ", ".join(str(d) for d in early)
        notes.caveat(
            Caveat.EARLY_SCAN_NOT_CONFIRMATORY,
            f"Assessment(s) on {listed}, less than {p.confirm_min_days} days after the initial "
            "PD, neither confirm nor refute it.",
        )
    if part is None:
        if ctx.as_of < opens:
            due = "not_yet_open"
        elif ctx.as_of <= closes:
            due = "open"
        else:
            due = "overdue"
        notes.step(
            f"No confirmatory scan yet: the window is {opens} to {closes} "
            f"({p.confirm_min_days}-{p.confirm_max_days} days after the initial PD); "
            f"as of {ctx.as_of} it is {due.replace('_', ' ')}."
        )
        return _Part("pending"), opens, closes, due
    return part, opens, closes, None


def _confirm_biopsy(ctx: _Ctx, i: int, notes: _Notes) -> _Part:
    for pos in range(i, len(ctx.visible)):
        a = ctx.at(pos)
        if a.biopsy_confirms_progression is None:
            continue
        notes.role(ctx.index(pos), VisitRole.BIOPSY)
        if a.biopsy_confirms_progression:
            notes.step(f"Biopsy recorded on {a.date} confirms progression.")
            return _Part("confirmed", a.date, pos)
        return _Part("refuted", a.date, pos)
    notes.step("No biopsy result recorded yet: the confirmatory biopsy is pending.")
    return _Part("pending")


@fast_init
@dataclass(frozen=True, slots=True)
class _Confirmed:
    """A confirmation that was not refuted, and when resistance was established."""

    confirmation: Confirmation
    established: dt.date  # t_establish; for pending, the earliest possible date


def _confirm(ctx: _Ctx, i: int, notes: _Notes, *, scan: bool, biopsy: bool) -> _Confirmed | _Refuted:
    d1 = ctx.at(i).date
    if not scan and not biopsy:
        notes.step("No confirmation is required on this path.")
        return _Confirmed(Confirmation(), d1)
    required = "scan+biopsy" if scan and biopsy else ("scan" if scan else "biopsy")
    what = {"scan": "a confirmatory scan", "biopsy": "a confirmatory biopsy"}
    notes.step(
        "Confirmation required: "
        + ("a confirmatory scan and a biopsy" if scan and biopsy else what[required])
        + "."
    )
    parts: list[_Part] = []
    opens = closes = due = None
    if scan:
        scan_part, opens, closes, due = _confirm_scan(ctx, i, notes)
        parts.append(scan_part)
    if biopsy:
        parts.append(_confirm_biopsy(ctx, i, notes))
    refuted = [part for part in parts if part.status == "refuted"]
    if refuted:
        first = min(refuted, key=lambda part: part.pos or 0)
        assert first.pos is not None
        a = ctx.at(first.pos)
        how = (
            f"shows {a.effective.value}"
            if scan and first is parts[0]
            else "records a biopsy that does not confirm progression"
        )
        return _Refuted(first.pos, f"Progression on {d1} refuted: the assessment on {a.date} {how}.")
    if any(part.status == "pending" for part in parts):
        scan_pending = scan and parts[0].status == "pending"
        earliest = max(opens, ctx.as_of) if scan_pending and opens else ctx.as_of
        conf = Confirmation(required, "pending", None, opens, closes, due if scan_pending else None)
        return _Confirmed(conf, earliest)
    dates = [d1 if part.status == "waived" else part.date for part in parts]
    established = max(d for d in dates if d is not None)
    status = "waived" if [part.status for part in parts] == ["waived"] else "confirmed"
    date = max(part.date for part in parts if part.date is not None)
    return _Confirmed(Confirmation(required, status, date, opens, closes, None), established)


# ---------------------------------------------------------------------------
# Paths


def _best_response(ctx: _Ctx, before: dt.date, notes: _Notes | None = None) -> Response | None:
    best: tuple[int, int] | None = None
    for pos, (_, a) in enumerate(ctx.visible):
        if a.date >= before:
            break
        rank = BENEFIT_RANK.get(a.effective.base)
        if rank is not None and (best is None or rank > best[0]):
            best = (rank, pos)
    if best is None:
        return None
    if notes is not None:
        notes.role(ctx.index(best[1]), VisitRole.BEST_RESPONSE)
    return ctx.at(best[1]).effective.base


def _advanced(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    """Advanced disease: on therapy at d1 (Table 1) or stopped before it (Table 4)."""
    c, d1 = ctx.course, ctx.at(i).date
    on_therapy = (
        c.last_dose is None or c.discontinuation_reason is StopReason.PROGRESSION or c.last_dose >= d1
    )
    if on_therapy:
        return _table1(ctx, i, notes)
    return _table4(ctx, i, notes)


def _table1(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    c, p, pd = ctx.course, ctx.p, ctx.at(i)
    d1 = pd.date
    elapsed = days(c.first_dose, d1)
    notes.step(
        "On PD-(L)1 therapy at the progression"
        + (f" (last dose {c.last_dose})." if c.last_dose else " (no last dose recorded).")
    )
    bor = _best_response(ctx, d1, notes)
    notes.step(f"Best response before the progression: {bor.value if bor else 'none documented'}.")
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

    exposure = days(c.first_dose, established)
    notes.threshold("Exposure when resistance was established", exposure, p.min_exposure_days)
    if elapsed < p.min_exposure_days:
        notes.interpretations.add("I-1")
    if exposure < p.min_exposure_days:
        notes.step(
            f"Exposure when progression was established ({established}): {exposure} days, "
            f"less than {p.min_exposure_days}: not classifiable as primary resistance."
        )
        return _Outcome(Category.INSUFFICIENT_EXPOSURE, Rule.EXPOSURE, conf)
    notes.step(
        f"Exposure when progression was established ({established}): {exposure} days "
        f"(at least {p.min_exposure_days})."
    )
    if elapsed < p.min_exposure_days:
        notes.caveat(
            Caveat.INITIAL_PD_BEFORE_MIN_EXPOSURE,
            f"Initial PD on {d1} after {elapsed} days of exposure; established on "
            f"{established} after {exposure} days.",
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
                f"{bor.value if bor else ''} before a progression within "
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
        f"after {bor.value if bor else ''}: secondary resistance ({rule})."
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
    prior = [
        (pos, a)
        for pos, (_, a) in enumerate(ctx.visible)
        if a.date <= last and a.effective.base in (Response.CR, Response.PR)
    ]
    for pos, _ in prior[-1:]:
        notes.role(ctx.index(pos), VisitRole.BEST_RESPONSE)
    exposure = days(c.first_dose, last)
    notes.threshold("Exposure from first to last dose", exposure, p.min_exposure_days)
    if exposure < p.min_exposure_days:
        notes.interpretations.add("I-4")
        notes.step(
            f"Exposure from first to last dose: {exposure} days, less than "
            f"{p.min_exposure_days}: not classifiable as primary resistance."
        )
        if c.discontinuation_reason is StopReason.TOXICITY:
            notes.caveat(
                Caveat.EARLY_TOXICITY_DISCONTINUATION,
                f"Stopped for toxicity after {exposure} days of exposure.",
            )
        return _Outcome(Category.INSUFFICIENT_EXPOSURE, Rule.EXPOSURE, Confirmation())
    if not prior:
        notes.step(
            "No CR or PR recorded on or before the last dose: primary resistance "
            f"({Rule.T4_PRIMARY}); no confirmatory scan required."
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
        return _Outcome(Category.PRIMARY_RESISTANCE, Rule.T4_PRIMARY, Confirmation())
    last_resp = prior[-1][1]
    notes.step(f"{last_resp.effective.base.value} recorded on {last_resp.date}, on treatment.")
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
    confirmed = _confirm(ctx, i, notes, scan=need_scan, biopsy=False)
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


def _route(ctx: _Ctx, i: int, notes: _Notes) -> _Outcome | _Refuted:
    c, d1 = ctx.course, ctx.at(i).date
    if c.setting is Setting.ADJUVANT:
        return _table2(ctx, i, notes)
    if c.setting is Setting.NEOADJUVANT:
        if c.surgery_date is None or d1 < c.surgery_date:
            notes.step("Progression before surgery" if c.surgery_date else "Progression with no surgery")
            return _advanced(ctx, i, notes)
        if c.adjuvant_after_neoadjuvant:
            notes.step("Adjuvant PD-(L)1 therapy followed surgery: the adjuvant rules apply.")
            return _table2(ctx, i, notes)
        return _table3(ctx, i, notes)
    return _advanced(ctx, i, notes)


# ---------------------------------------------------------------------------
# Entry point


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
    assessments = course.assessments
    dates = [a.date for a in assessments]
    order = sorted(range(len(assessments)), key=dates.__getitem__)
    visible = tuple([(k, assessments[k]) for k in order if dates[k] <= as_of])
    if course.baseline is not None:
        # Responses from measurements use only what was known on as_of.
        visible = with_computed_responses(course, visible, as_of)
    for k in order:
        if dates[k] > as_of:
            notes.role(k, VisitRole.AFTER_AS_OF)
    ctx = _Ctx(course, as_of, p, visible)
    effective = [a.effective for _, a in visible]
    progressions = [r.is_progression for r in effective]

    notes.step(
        f"Subject {course.subject_id}: {course.setting.value} {course.tumor_type}, "
        f"{course.regimen.value} {course.agent or '(agent not recorded)'} from "
        f"{course.first_dose}; {len(visible)} assessment(s) on or before {as_of} considered."
    )
    for _, a in visible:
        if a.response is not None and a.computed_response not in (None, a.response):
            assert a.computed_response is not None
            notes.caveat(
                Caveat.RESPONSE_DIFFERS_FROM_MEASUREMENTS,
                f"On {a.date} the recorded response is {a.response.value}; the measurements "
                f"give {a.computed_response.value}.",
            )

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
            visit_responses=tuple(
                [(k, r, a.computed_response) for (k, a), r in zip(visible, effective, strict=True)]
            ),
        )

    not_covered = _applicability(course, p, notes)
    if not_covered:
        notes.step(not_covered)
        return finish(Category.NOT_APPLICABLE, Rule.APPLICABILITY, reason=not_covered)
    notes.step("Applicability: PD-(L)1 monotherapy in a solid tumor, covered by SITC 2020.")

    start = 0
    while True:
        i = progressions.index(True, start) if True in progressions[start:] else None
        if i is None:
            notes.step(
                "No progression on file"
                + (" after the refuted episode(s)." if start else ".")
                + " No resistance category applies yet."
            )
            return finish(Category.NO_PROGRESSION)
        d1 = ctx.at(i).date
        episode = _Notes(p)
        episode.role(ctx.index(i), VisitRole.INITIAL_PD)
        episode.step(
            f"Initial progression ({ctx.at(i).effective.value}) on {d1}, "
            f"{days(course.first_dose, d1)} days after the first dose."
        )
        outcome = _route(ctx, i, episode)
        if isinstance(outcome, _Refuted):
            notes.steps.extend(episode.steps)
            notes.step(outcome.text + " Pseudoprogression: the episode is closed.")
            notes.caveat(Caveat.PSEUDOPROGRESSION_REFUTED, outcome.text)
            notes.role(ctx.index(i), VisitRole.REFUTED_PD)
            notes.role(ctx.index(outcome.pos), VisitRole.REFUTING)
            start = outcome.pos + 1
            continue
        notes.absorb(episode)
        if course.intercurrent_therapy:
            notes.caveat(
                Caveat.INTERCURRENT_THERAPY,
                "Other anticancer therapy was given after the last PD-(L)1 dose.",
            )
        conf = outcome.confirmation
        if conf.status == "pending" and outcome.category is not Category.INDETERMINATE:
            notes.step(f"Confirmation pending: provisionally {outcome.category.value.replace('_', ' ')}.")
            return finish(
                Category.PENDING_CONFIRMATION,
                outcome.rule,
                conf,
                None,
                d1,
                provisional=outcome.category,
            )
        return finish(outcome.category, outcome.rule, conf, outcome.reason, d1)
