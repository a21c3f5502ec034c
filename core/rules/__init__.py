"""SITC 2020 resistance rules: the classifier, its inputs and its rule set."""

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
    "DEFAULT_RULESET",
    "INTERPRETATIONS",
    "PARAMETER_HELP",
    "Assessment",
    "Category",
    "Caveat",
    "CaveatNote",
    "Classification",
    "Confirmation",
    "Course",
    "KeyDates",
    "Parameters",
    "Regimen",
    "Response",
    "Rule",
    "RuleSet",
    "Setting",
    "StopReason",
    "VisitRole",
    "classify",
    "days",
    "parse_override",
]
