"""Colours and labels shared by the screens. Category colours keep enough
contrast for white text on both light and dark palettes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

from core.presentation import CATEGORY_HEX, RESPONSE_HEX, response_hex
from core.rules import Category, Response

CATEGORY_COLOURS: dict[Category, str] = CATEGORY_HEX
RESPONSE_COLOURS: dict[str, str] = RESPONSE_HEX

URGENCY_COLOURS = {"overdue": "#c0392b", "open": "#b9770e", "not_yet_open": "#2e86c1", "upcoming": "#5d6d7e"}


def response_colour(code: str) -> QColor:
    return QColor(response_hex(code))


def category_colour(category: Category | None) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, "#7f8c8d")) if category else QColor("#7f8c8d")


def _luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21; 4.5 is enough for text)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _background(role: QPalette.ColorRole) -> QColor:
    app = QGuiApplication.instance()
    return QGuiApplication.palette().color(role) if app is not None else QColor("white")


def readable(hex_colour: str, role: QPalette.ColorRole = QPalette.ColorRole.Window) -> str:
    """A text colour as given where it reads on the palette's background (``role``: Window
    for labels, Base for table cells), else blended towards white on a dark palette (black
    on a light one) until it does: the reds and greys of a light screen, unreadable on a
    dark one (#555 on #2b2b2b is 1.9:1), keep their hue there."""
    colour, background = QColor(hex_colour), _background(role)
    if contrast(colour, background) >= 4.5:
        return hex_colour
    target = QColor("white") if _luminance(background) < 0.18 else QColor("black")
    for step in range(1, 21):
        t = step / 20
        mixed = QColor.fromRgbF(
            colour.redF() + (target.redF() - colour.redF()) * t,
            colour.greenF() + (target.greenF() - colour.greenF()) * t,
            colour.blueF() + (target.blueF() - colour.blueF()) * t,
        )
        if contrast(mixed, background) >= 4.5:
            return mixed.name()
    return target.name()


def muted(role: QPalette.ColorRole = QPalette.ColorRole.Window) -> str:
    """Secondary text (notes, the rule set's name): grey that reads on this palette."""
    return readable("#6c7a7b", role)


__all__ = [
    "CATEGORY_COLOURS", "Response", "category_colour", "contrast", "muted", "readable", "response_colour",
]  # fmt: skip
