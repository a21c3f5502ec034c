"""How results look wherever they are shown (screens and printed worksheets):
category and response colours with enough contrast for white text, and how
a rule parameter's value is written."""

from __future__ import annotations

from typing import Any

from core.rules import (
    CATEGORY_LABELS,
    ICI_CHEMO_PARAMETER_HELP,
    PARAMETER_HELP,
    RULESET_SOURCES,
    Category,
    Classification,
    IciChemoRuleSet,
)

CATEGORY_HEX: dict[Category, str] = {
    Category.PRIMARY_RESISTANCE: "#c0392b",
    Category.SECONDARY_RESISTANCE: "#d35400",
    Category.LATE_PROGRESSION: "#8e44ad",
    Category.LATE_RELAPSE: "#8e44ad",
    Category.PENDING_CONFIRMATION: "#9a7d0a",
    Category.INSUFFICIENT_EXPOSURE: "#5d6d7e",
    Category.NO_PROGRESSION: "#1e8449",
    Category.NOT_APPLICABLE: "#7f8c8d",
    Category.INDETERMINATE: "#2c3e50",
}

RESPONSE_HEX: dict[str, str] = {
    "CR": "#1e8449",
    "PR": "#52be80",
    "SD": "#2e86c1",
    "NON_CR_NON_PD": "#5dade2",
    "PD": "#c0392b",
    "NE": "#95a5a6",
    "NED": "#17a589",
}

IRECIST_BASE = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "iUPD": "PD", "iCPD": "PD"}


def response_hex(code: str) -> str:
    return RESPONSE_HEX.get(IRECIST_BASE.get(code, code), "#95a5a6")


def parameter_text(value: Any) -> str:
    """A rule parameter's value as people read it (lists joined, booleans lower-case)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def category_label(result: Classification) -> str:
    """The category as people read it, under the rule set that decided it
    (SITC 2023 ICI-chemo calls secondary resistance "Secondary or late resistance")."""
    from core.rules.ici_chemo import category_label as label

    return label(result)


def provisional_label(result: Classification) -> str | None:
    p = result.provisional_category
    return None if p is None else CATEGORY_LABELS[p]


def ruleset_label(result: Classification) -> str:
    """Which rule set decided, by name and version ("SITC-2023-ICI-chemo v1")."""
    return f"{result.ruleset.name} v{result.ruleset.version}"


def ruleset_citation(result: Classification) -> str:
    """The table(s) the rule set follows, with the paper."""
    return RULESET_SOURCES.get(result.ruleset.name, result.ruleset.name)


def ruleset_short(name: str) -> str:
    """The rule set's short human name (roster column and filter)."""
    return {"SITC-2020": "SITC 2020", "SITC-2023-ICI-chemo": "SITC 2023 ICI-chemo"}.get(name, name)


def parameter_help(result: Classification, name: str) -> str:
    if isinstance(result.ruleset, IciChemoRuleSet):
        return ICI_CHEMO_PARAMETER_HELP.get(name, "")
    return PARAMETER_HELP.get(name, "")
