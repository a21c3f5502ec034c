"""The second rule set: SITC 2023 definitions for PD-(L)1 inhibitor + chemotherapy.

``ici-chemo-rules.md``: Rizvi et al., J Immunother Cancer 2023;11:e005920,
Table 3. Its parameters are separate from SITC 2020's, and a study overrides
them separately. ``StudyRules`` bundles a study's two rule sets so the
classifier can choose one per course; every result records the one used.

This module has no dependency on the classifiers, so the result types of
``core.rules.classifier`` can name these types.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.errors import InputError
from core.rules.parameters import DEFAULT_RULESET, RULESET_NAME, NamedRuleSet, RuleSet

ICI_CHEMO_NAME = "SITC-2023-ICI-chemo"
ICI_CHEMO_VERSION = 1

# The citation every screen and the worksheet give for a result under this rule set.
ICI_CHEMO_SOURCE = "Rizvi et al., J Immunother Cancer 2023;11:e005920"
ICI_CHEMO_TABLE = f"Table 3 of {ICI_CHEMO_SOURCE}"
SITC2020_TABLES = "Tables 1-4 of Kluger et al., J Immunother Cancer 2020;8:e000398"
ICI_ICI_PAPER = "Kluger et al., JITC 2023;11:e005921"
ICI_TARGETED_PAPER = "Atkins et al., JITC 2023;11:e005923"

# Human names of the rule sets (screens, roster filter, worksheet).
RULESET_LABELS: dict[str, str] = {
    RULESET_NAME: "SITC 2020 (PD-(L)1 monotherapy)",
    ICI_CHEMO_NAME: "SITC 2023 ICI-chemo (PD-(L)1 + chemotherapy)",
}
RULESET_SOURCES: dict[str, str] = {RULESET_NAME: SITC2020_TABLES, ICI_CHEMO_NAME: ICI_CHEMO_TABLE}

# "6-8 weeks": the longest minimum exposure a study may set.
MAX_MIN_EXPOSURE_DAYS = 56
TABLE_MIN_EXPOSURE_DAYS = 42


class IciChemoRule(StrEnum):
    """The rule names of this rule set (the ``rule`` field; exact strings)."""

    T3_PRIMARY = "SITC-2023 ICI-chemo Table 3 primary"
    T3_SECONDARY_OR_LATE = "SITC-2023 ICI-chemo Table 3 secondary or late"
    EXPOSURE = "SITC-2023 ICI-chemo exposure"
    # not_applicable under this rule set names it, as SITC-2020 names its applicability step.
    APPLICABILITY = "SITC-2023 ICI-chemo applicability"


@dataclass(frozen=True, slots=True)
class IciChemoParameters:
    """Parameters of ``SITC-2023-ICI-chemo`` (``ici-chemo-rules.md``, "Parameters")."""

    min_exposure_days: int = 42
    benefit_days: int = 182
    boundary_margin_days: int = 7

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f.name, f"must be a whole number of days, not {value!r}")
            if value < 0:
                raise InputError(f.name, f"must not be negative (got {value})")
        if not TABLE_MIN_EXPOSURE_DAYS <= self.min_exposure_days <= MAX_MIN_EXPOSURE_DAYS:
            raise InputError(
                "min_exposure_days",
                f"Table 3 asks for 6-8 weeks: {TABLE_MIN_EXPOSURE_DAYS} to {MAX_MIN_EXPOSURE_DAYS} "
                f"days, not {self.min_exposure_days}",
            )
        if self.benefit_days < 1:
            raise InputError("benefit_days", f"must be at least 1 day (got {self.benefit_days})")

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ICI_CHEMO_PARAMETER_HELP: dict[str, str] = {
    "min_exposure_days": 'Table 3\'s "6-8 weeks" of exposure before progression counts as primary '
    "resistance (42 by default; a study may set up to 56). Any exposure is adequate when the "
    "progression is recorded as rapidly progressing disease.",
    "benefit_days": '"6 months": progression at or before it is primary resistance; after it, with '
    "more than 6 months of exposure, secondary or late resistance.",
    "boundary_margin_days": 'An event this close to a threshold gets the "date near a threshold" caveat.',
}


@dataclass(frozen=True, slots=True)
class IciChemoRuleSet(NamedRuleSet):
    """``SITC-2023-ICI-chemo`` version 1 with a study's overrides (same interface as ``RuleSet``)."""

    name: str = ICI_CHEMO_NAME
    version: int = ICI_CHEMO_VERSION
    parameters: IciChemoParameters = IciChemoParameters()

    def with_overrides(self, overrides: Mapping[str, Any]) -> IciChemoRuleSet:
        known = {f.name for f in dataclasses.fields(IciChemoParameters)}
        for name in overrides:
            if name not in known:
                raise InputError(
                    name, f"unknown {ICI_CHEMO_NAME} parameter (known: {', '.join(sorted(known))})"
                )
        return dataclasses.replace(self, parameters=dataclasses.replace(self.parameters, **dict(overrides)))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IciChemoRuleSet:
        name, version = data.get("name"), data.get("version")
        if name != ICI_CHEMO_NAME or version != ICI_CHEMO_VERSION:
            raise InputError("ruleset", f"unsupported rule set {name!r} version {version!r}")
        params = data.get("parameters", {})
        if not isinstance(params, Mapping):
            raise InputError("ruleset.parameters", "must be an object")
        return cls().with_overrides(params)


def parse_ici_chemo_override(text: str) -> tuple[str, int]:
    """``NAME=DAYS`` from the command line (``--ici-chemo-param``)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep:
        raise InputError(name or text, "expected NAME=VALUE")
    known = {f.name for f in dataclasses.fields(IciChemoParameters)}
    if name not in known:
        raise InputError(name, f"unknown {ICI_CHEMO_NAME} parameter (known: {', '.join(sorted(known))})")
    try:
        return name, int(raw.strip())
    except ValueError:
        raise InputError(name, f"must be a whole number of days, not {raw.strip()!r}") from None


DEFAULT_ICI_CHEMO_RULESET = IciChemoRuleSet()
AnyRuleSet = RuleSet | IciChemoRuleSet


@dataclass(frozen=True, slots=True)
class StudyRules:
    """A study's rule sets: SITC 2020 for monotherapy, SITC 2023 for ICI + chemotherapy."""

    sitc2020: RuleSet = DEFAULT_RULESET
    ici_chemo: IciChemoRuleSet = DEFAULT_ICI_CHEMO_RULESET

    @classmethod
    def of(cls, rules: RuleSet | IciChemoRuleSet | StudyRules) -> StudyRules:
        """Any one rule set stands for itself, with the other one at its defaults."""
        if isinstance(rules, StudyRules):
            return rules
        if isinstance(rules, IciChemoRuleSet):
            return cls(ici_chemo=rules)
        return cls(sitc2020=rules)

    @classmethod
    def with_overrides(
        cls, sitc2020: Mapping[str, Any] | None = None, ici_chemo: Mapping[str, Any] | None = None
    ) -> StudyRules:
        """Both rule sets with a study's overrides; a bad value names its rule set and field."""
        try:
            first = RuleSet().with_overrides(dict(sitc2020 or {}))
        except InputError as exc:
            raise InputError(f"rule_overrides.{exc.field}", exc.message) from None
        try:
            second = DEFAULT_ICI_CHEMO_RULESET.with_overrides(dict(ici_chemo or {}))
        except InputError as exc:
            raise InputError(f"ici_chemo_overrides.{exc.field}", exc.message) from None
        return cls(first, second)


def ruleset_from_json(data: Mapping[str, Any]) -> AnyRuleSet:
    """Rebuild a recorded rule set of either kind (for example from a signed worksheet)."""
    if data.get("name") == ICI_CHEMO_NAME:
        return IciChemoRuleSet.from_json(data)
    return RuleSet.from_json(data)
