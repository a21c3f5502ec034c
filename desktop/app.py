"""Application start: a window appears at once, then the heavy modules load."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel

from core import APP_NAME, __version__


def app_settings() -> QSettings:
    return QSettings(APP_NAME, APP_NAME)


def run(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    splash = QLabel(f"<h2>{APP_NAME} {__version__}</h2><p>Opening the study database…</p>")
    splash.setWindowFlag(Qt.WindowType.SplashScreen)
    splash.setMargin(24)
    splash.show()
    app.processEvents()

    from desktop.bootstrap import start  # the store, SQLAlchemy and the screens load now

    window = start(getattr(args, "db", None), app_settings())
    splash.close()
    if window is None:
        return 1
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return app.exec()
