"""The versioned rule set: SITC 2020, version 2, with study overrides.

Every classification records the rule set's name, version and every
parameter value, so a printed result can be reproduced later with
``RuleSet.from_json(result["ruleset"])``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import InputError
from core.limits import field_key, show

RULESET_NAME = "SITC-2020"
RULESET_VERSION = 2
RULESET_LABEL = f"{RULESET_NAME} v{RULESET_VERSION}"


@dataclass(frozen=True, slots=True)
class Parameters:
    """Rule-set parameters (``resistance-rules.md``, table "Parameters")."""

    min_exposure_days: int = 42
    benefit_days: int = 182
    confirm_min_days: int = 28
    confirm_max_days: int = 84
    off_treatment_days: int = 84
    secondary_requires_confirmation: bool = True
    nodal_only_requires_pathology: bool = True
    excluded_tumor_types: tuple[str, ...] = ("glioblastoma", "prostate", "hepatocellular", "ovarian")
    boundary_margin_days: int = 7
    sd_min_days: int = 42

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise InputError(f.name, f"must be a whole number of days, not {value!r}")
            if f.type == "int" and value < 0:
                raise InputError(f.name, f"must not be negative (got {value})")
            if f.type == "bool" and not isinstance(value, bool):
                raise InputError(f.name, f"must be true or false, not {value!r}")
        if not isinstance(self.excluded_tumor_types, tuple) or not all(
            isinstance(t, str) and t.strip() for t in self.excluded_tumor_types
        ):
            raise InputError("excluded_tumor_types", "must be a list of non-empty words")
        if self.confirm_min_days > self.confirm_max_days:
            raise InputError(
                "confirm_min_days",
                f"the window opens ({self.confirm_min_days} d) after it closes "
                f"(confirm_max_days = {self.confirm_max_days} d)",
            )

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["excluded_tumor_types"] = list(self.excluded_tumor_types)
        return out


PARAMETER_HELP: dict[str, str] = {
    "min_exposure_days": "Minimum drug exposure (6 weeks, about two cycles) before progression "
    "can count as primary resistance.",
    "benefit_days": '"6 months": durable benefit, and the split between primary and secondary '
    "resistance. Longer for indolent tumors if the protocol says so.",
    "confirm_min_days": "A confirmatory scan counts only this many days after the initial PD (4 weeks).",
    "confirm_max_days": "End of the recommended confirmation window (12 weeks).",
    "off_treatment_days": '"12 weeks" after the last dose (Tables 2 and 4).',
    "secondary_requires_confirmation": "Require a confirmatory scan for secondary resistance "
    "(two of three working groups asked for it).",
    "nodal_only_requires_pathology": "Asymptomatic nodal-only progression needs a biopsy before "
    "it counts as secondary resistance.",
    "excluded_tumor_types": "Tumor types without standard radiographic criteria (matched as "
    "words in the tumor type).",
    "boundary_margin_days": 'An event this close to a threshold gets the "date near a threshold" caveat.',
    "sd_min_days": "Stable disease (or non-CR/non-PD) counts as benefit only when documented at least "
    "this many days after the first dose (RECIST's minimum interval for SD).",
}

# Human names of the parameters, for screens and paper (the codes stay in JSON).
PARAMETER_LABELS: dict[str, str] = {
    "min_exposure_days": "Minimum exposure (days)",
    "benefit_days": "Durable benefit, 6 months (days)",
    "confirm_min_days": "Confirmation window opens (days after PD)",
    "confirm_max_days": "Confirmation window closes (days after PD)",
    "off_treatment_days": "Off treatment, 12 weeks (days after last dose)",
    "secondary_requires_confirmation": "Secondary resistance needs a confirmatory scan",
    "nodal_only_requires_pathology": "Asymptomatic nodal-only progression needs a biopsy",
    "excluded_tumor_types": "Excluded tumor types",
    "boundary_margin_days": "Near-threshold margin (days)",
    "sd_min_days": "Minimum time to count SD (days after first dose)",
}


class NamedRuleSet:
    """What every rule set shows and records: its label, its overrides and its JSON.

    Subclasses are frozen dataclasses with ``name``, ``version`` and ``parameters`` (a
    frozen dataclass of parameters whose no-argument instance holds the published defaults).
    """

    __slots__ = ()
    name: str
    version: int
    parameters: Any

    @property
    def label(self) -> str:
        """The name people see: "SITC-2020 v2", "SITC-2023-ICI-chemo v1"."""
        return f"{self.name} v{self.version}"

    @property
    def overrides(self) -> dict[str, Any]:
        """Parameters whose value differs from the published default."""
        default = type(self.parameters)().to_json()
        return {k: v for k, v in self.parameters.to_json().items() if default[k] != v}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "parameters": self.parameters.to_json(),
            "overrides": self.overrides,
        }


@dataclass(frozen=True, slots=True)
class RuleSet(NamedRuleSet):
    """A named, versioned set of parameters; overrides are remembered."""

    name: str = RULESET_NAME
    version: int = RULESET_VERSION
    parameters: Parameters = Parameters()

    def with_overrides(self, overrides: Mapping[str, Any]) -> RuleSet:
        """A copy with some parameters changed; unknown names and bad values raise."""
        known = {f.name: f for f in dataclasses.fields(Parameters)}
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            if name not in known:
                raise InputError(name, f"unknown rule parameter (known: {', '.join(known)})")
            if name == "excluded_tumor_types":
                if isinstance(value, str):
                    value = [w.strip() for w in value.split(",")]
                if not isinstance(value, list | tuple):
                    raise InputError(name, "must be a list of words")
                value = tuple(str(v).strip().lower() for v in value if str(v).strip())
            changes[name] = value
        return dataclasses.replace(self, parameters=dataclasses.replace(self.parameters, **changes))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleSet:
        """Rebuild a recorded rule set (for example from a signed worksheet).

        Only the current version's rules exist in the code (version 1 behaviour is
        not kept): a rule set recorded under an earlier version is rebuilt with its
        parameters under the current version, so a re-classification shows what
        the current rules say about the same case with the same study settings.
        """
        name, version = data.get("name"), data.get("version")
        if (
            name != RULESET_NAME
            or isinstance(version, bool)
            or not isinstance(version, int)
            or not 1 <= version <= RULESET_VERSION
        ):
            raise InputError("ruleset", f"unsupported rule set {name!r} version {version!r}")
        params = data.get("parameters", {})
        if not isinstance(params, Mapping):
            raise InputError("ruleset.parameters", "must be an object")
        return cls().with_overrides(params)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``NAME=VALUE`` from the command line into a typed override."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep:
        raise InputError(field_key(name or text), "expected NAME=VALUE")
    known = {f.name: f.type for f in dataclasses.fields(Parameters)}
    if name not in known:
        raise InputError(field_key(name), f"unknown rule parameter (known: {', '.join(known)})")
    kind, raw = known[name], raw.strip()
    if kind == "bool":
        if raw.lower() in ("true", "yes", "1"):
            return name, True
        if raw.lower() in ("false", "no", "0"):
            return name, False
        raise InputError(name, f"must be true or false, not {show(raw)}")
    if kind == "int":
        try:
            return name, int(raw)
        except ValueError:
            raise InputError(name, f"must be a whole number of days, not {show(raw)}") from None
    return name, [w.strip() for w in raw.split(",") if w.strip()]


DEFAULT_RULESET = RuleSet()
