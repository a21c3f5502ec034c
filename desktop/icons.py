"""The application's icons: drawn as SVG, shipped as PNG.

The SVG files in ``resources/icons`` are the sources. The window loads PNG
renders of them (22 px and 44 px for high-density screens, and larger sizes of
the application icon) because PNG decoding is built into Qt, while the first
SVG icon loads the SVG plugin and costs more than the rest of the empty window
(measured in ``make bench``). Regenerate after editing an SVG with
``python -m desktop.icons``; a test checks the PNGs match their sources.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QIcon, QPixmap

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

import resources

ICON_DIR = Path(resources.__file__).resolve().parent / "icons"
"""Next to the ``resources`` package, in a checkout, a wheel and the bundle alike."""
NAV_SIZES = (22, 44)
APP_SIZES = (16, 22, 32, 44, 48, 64, 128, 256)


def sizes(name: str) -> tuple[int, ...]:
    return APP_SIZES if name == "resistdesk" else NAV_SIZES


def png_path(name: str, size: int) -> Path:
    return ICON_DIR / f"{name}-{size}.png"


def icon(name: str, *, selected: bool = True) -> QIcon:
    """The icon ``name`` (an SVG's stem), from its PNG renders; a navigation icon also in the
    selected row's text colour (its grey strokes were lost on the blue of the selected row).
    ``selected=False`` leaves that out: the first tint builds the Python enumerations of
    QImage, QPainter and QPalette (13 ms), too slow for the shell shown before anything is
    selected (``make bench``); ``MainWindow.finish_icons`` adds it after the first paint."""
    result = QIcon()
    for size in sizes(name):
        result.addFile(str(png_path(name, size)))
        if selected and name != "resistdesk":
            result.addPixmap(_tinted(png_path(name, size)), QIcon.Mode.Selected)
    return result


def _tinted(path: Path) -> QPixmap:
    """The PNG's shape in the palette's highlighted-text colour (white on the usual blue)."""
    from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPalette

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(image.rect(), QGuiApplication.palette().color(QPalette.ColorRole.HighlightedText))
    painter.end()
    return QPixmap.fromImage(image)


def render(name: str, size: int) -> QImage:
    """``name``.svg rendered as a ``size`` x ``size`` QImage (loads QtSvg)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(ICON_DIR / f"{name}.svg"))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def sources() -> list[str]:
    return sorted(p.stem for p in ICON_DIR.glob("*.svg"))


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for name in sources():
        for size in sizes(name):
            if not render(name, size).save(str(png_path(name, size))):
                raise OSError(f"cannot write {png_path(name, size)}")
            print(png_path(name, size).relative_to(ICON_DIR.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
