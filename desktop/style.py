"""Colours and labels shared by the screens. Category colours keep enough
contrast for white text on both light and dark palettes."""

from __future__ import annotations

from PySide6.QtGui import QColor

from core.presentation import CATEGORY_HEX, RESPONSE_HEX, response_hex
from core.rules import Category, Response

CATEGORY_COLOURS: dict[Category, str] = CATEGORY_HEX
RESPONSE_COLOURS: dict[str, str] = RESPONSE_HEX

URGENCY_COLOURS = {"overdue": "#c0392b", "open": "#b9770e", "not_yet_open": "#2e86c1", "upcoming": "#5d6d7e"}


def response_colour(code: str) -> QColor:
    return QColor(response_hex(code))


def category_colour(category: Category | None) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, "#7f8c8d")) if category else QColor("#7f8c8d")


__all__ = ["CATEGORY_COLOURS", "Response", "category_colour", "response_colour"]
