"""Application start: the main window is on screen at once, then the database opens.

Only Qt and the shell's modules load before the window is shown; the
database layer (SQLAlchemy), the classifier and the screens load behind it
(see ``desktop.main_window`` and ``desktop.bootstrap``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from core import APP_NAME, __version__
from desktop.bootstrap import start
from desktop.main_window import MainWindow

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

# Packages that never use Qt (``core`` must not: see its tests), whose modules PySide6 need not read.
NOT_QT_PACKAGES = frozenset(
    {"core", "sqlalchemy", "sqlmodel", "pydantic", "pydantic_core", "typing_extensions", "annotated_types",
     "typing_inspection", "alembic", "mako", "cryptography", "asn1crypto", "reportlab", "pyhanko",
     "pyhanko_certvalidator", "oscrypto", "platformdirs", "tzlocal", "uritools", "lxml"}
)  # fmt: skip


def skip_source_scan_of_non_qt_packages() -> bool:
    """PySide6 reads the source of every module imported after it, to find out whether it
    uses PySide6 (its ``__feature__`` switches apply to such modules only): at a start, some
    380 modules of SQLAlchemy, pydantic and ours, 0.05 s and 19 MiB of ``linecache``
    (``make bench``). For packages that never use Qt the answer is known: "no", as the scan
    would find. Returns False (and changes nothing) if this PySide6 has no such scan."""
    feature = sys.modules.get("shibokensupport.feature")
    scan = getattr(feature, "_mod_uses_pyside", None)
    if scan is None or getattr(scan, "_resistdesk", False):
        return scan is not None

    def uses_pyside(module: object) -> bool:
        if str(getattr(module, "__name__", "")).partition(".")[0] in NOT_QT_PACKAGES:
            return False
        return bool(scan(module))

    uses_pyside._resistdesk = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[union-attr]
    return True


skip_source_scan_of_non_qt_packages()


def app_settings() -> QSettings:
    return QSettings(APP_NAME, APP_NAME)


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    return app


def open_window(db: Path | None, settings: QSettings) -> MainWindow:
    """Show the main window now; open ``db`` and sign in as soon as the event loop runs."""
    window = MainWindow(settings)
    window.show()

    def then() -> None:
        from PySide6.QtCore import Qt  # its enums take longer to load than the window to show

        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.finish_icons()
        start(db, settings, window)

    # Twice deferred: the first turn of the event loop paints the window, the next opens the database.
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, then))
    return window


def run(args: argparse.Namespace) -> int:
    app = application()
    open_window(getattr(args, "db", None), app_settings())
    code = app.exec()
    prepare_next_day()
    return code


def prepare_next_day() -> bool:
    """After the last window has closed: classify the study last signed in to as of tomorrow,
    into this workstation's result cache, so that tomorrow's first start is as fast as a later
    one (``Store.prepare_next_day``; nothing is shown, nothing in the study file changes).
    Best effort: True once done."""
    from desktop.main_window import MainWindow

    if MainWindow.last_session is None:
        return False
    path, study_id = MainWindow.last_session
    try:
        from core.store.store import Store

        with Store.open(path, backup_daily=False, create=False) as store:
            store.prepare_next_day(study_id)
    except Exception:
        return False
    return True
