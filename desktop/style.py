"""Colours and labels shared by the screens. Category colours keep enough
contrast for white text on both light and dark palettes."""

from __future__ import annotations

from PySide6.QtGui import QColor

from core.rules import Category, Response

CATEGORY_COLOURS: dict[Category, str] = {
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

RESPONSE_COLOURS: dict[str, str] = {
    "CR": "#1e8449",
    "PR": "#52be80",
    "SD": "#2e86c1",
    "NON_CR_NON_PD": "#5dade2",
    "PD": "#c0392b",
    "NE": "#95a5a6",
    "NED": "#17a589",
}

URGENCY_COLOURS = {"overdue": "#c0392b", "open": "#b9770e", "not_yet_open": "#2e86c1", "upcoming": "#5d6d7e"}


def response_colour(code: str) -> QColor:
    base = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "iUPD": "PD", "iCPD": "PD"}.get(code, code)
    return QColor(RESPONSE_COLOURS.get(base, "#95a5a6"))


def category_colour(category: Category | None) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, "#7f8c8d")) if category else QColor("#7f8c8d")


__all__ = ["CATEGORY_COLOURS", "Response", "category_colour", "response_colour"]
