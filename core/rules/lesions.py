"""Lesion measurements (RECIST 1.1 / iRECIST input), as immutable values.

Sizes are ``Decimal`` millimetres, never binary floats, so that exactly
−30.0 %, +20.0 % and +5.0 mm land on the inclusive side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

TSTM = "TSTM"  # "too small to measure": counts as 5 mm
TSTM_MM = Decimal(5)

# A target value: millimetres, "TSTM", or None (not evaluated).
TargetValue = Decimal | str | None


class Criteria(StrEnum):
    RECIST = "RECIST 1.1"
    IRECIST = "iRECIST"


class NonTargetStatus(StrEnum):
    ABSENT = "absent"
    PRESENT = "present"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    FURTHER_INCREASE = "further_increase"  # iRECIST: further growth after iUPD
    NOT_EVALUATED = "not_evaluated"


class NewLesionStatus(StrEnum):
    NONE = "none"
    EQUIVOCAL = "equivocal"
    UNEQUIVOCAL = "unequivocal"


@dataclass(frozen=True, slots=True)
class TargetLesion:
    id: str
    organ: str
    nodal: bool
    mm: Decimal


@dataclass(frozen=True, slots=True)
class NonTargetLesion:
    id: str
    organ: str


@dataclass(frozen=True, slots=True)
class Baseline:
    date: dt.date
    targets: tuple[TargetLesion, ...]
    non_targets: tuple[NonTargetLesion, ...]


@dataclass(frozen=True, slots=True)
class NewLesion:
    """A new lesion recorded individually (iRECIST)."""

    id: str
    organ: str
    mm: Decimal | None
    measurable: bool


@dataclass(frozen=True, slots=True)
class LesionMeasurement:
    """Follow-up measurements at one timepoint, keyed by baseline lesion id."""

    targets: tuple[tuple[str, TargetValue], ...]
    non_targets: tuple[tuple[str, NonTargetStatus], ...]
    new_lesions: NewLesionStatus
    new_lesion_list: tuple[NewLesion, ...] = ()
