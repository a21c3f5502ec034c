"""Resistance rules: SITC 2020 (monotherapy) and SITC 2023 ICI-chemo, their inputs and rule sets."""

from core.rules.caveats import CAVEAT_HELP, INTERPRETATIONS, Caveat
from core.rules.classifier import (
    CATEGORY_LABELS,
    Category,
    CaveatNote,
    Classification,
    Confirmation,
    KeyDates,
    Rule,
    VisitRole,
    classify,
)
from core.rules.ici_chemo_ruleset import (
    DEFAULT_ICI_CHEMO_RULESET,
    ICI_CHEMO_PARAMETER_HELP,
    RULESET_LABELS,
    RULESET_SOURCES,
    IciChemoParameters,
    IciChemoRule,
    IciChemoRuleSet,
    StudyRules,
    ruleset_from_json,
)
from core.rules.model import Assessment, Course, Regimen, Response, Setting, StopReason, days
from core.rules.parameters import (
    DEFAULT_RULESET,
    PARAMETER_HELP,
    Parameters,
    RuleSet,
    parse_override,
)

__all__ = [
    "CATEGORY_LABELS",
    "CAVEAT_HELP",
    "DEFAULT_ICI_CHEMO_RULESET",
    "DEFAULT_RULESET",
    "ICI_CHEMO_PARAMETER_HELP",
    "INTERPRETATIONS",
    "PARAMETER_HELP",
    "RULESET_LABELS",
    "RULESET_SOURCES",
    "Assessment",
    "Category",
    "Caveat",
    "CaveatNote",
    "Classification",
    "Confirmation",
    "Course",
    "IciChemoParameters",
    "IciChemoRule",
    "IciChemoRuleSet",
    "KeyDates",
    "Parameters",
    "Regimen",
    "Response",
    "Rule",
    "RuleSet",
    "Setting",
    "StopReason",
    "StudyRules",
    "VisitRole",
    "classify",
    "days",
    "parse_override",
    "ruleset_from_json",
]
