"""Documented ranges of the rule parameters a study (or ``classify --param``) may override.

The classifier adds these numbers of days to dates; a value outside its
range is refused where it is entered, naming the field, instead of making
every later classification fail. The README lists the same ranges.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import InputError

# name -> (lowest, highest), whole days
PARAMETER_RANGES: Mapping[str, tuple[int, int]] = {
    "min_exposure_days": (0, 365),
    "benefit_days": (28, 3650),
    "confirm_min_days": (0, 365),
    "confirm_max_days": (1, 730),
    "off_treatment_days": (0, 3650),
    "boundary_margin_days": (0, 90),
}


def check_ranges(overrides: Mapping[str, Any], prefix: str = "") -> None:
    """Raise ``InputError`` naming the first parameter outside its documented range."""
    for name, (low, high) in PARAMETER_RANGES.items():
        if name not in overrides:
            continue
        value = overrides[name]
        if isinstance(value, bool) or not isinstance(value, int):
            continue  # the type is checked (and named) by the rule set itself
        if not low <= value <= high:
            raise InputError(f"{prefix}{name}", f"must be between {low} and {high} days (got {value})")
