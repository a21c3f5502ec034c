"""Cold start of the real main window (benchmark helper).

Usage: python -m tests.bench.start_app DB MODE   (MODE: window | roster)
Prints 'shown <seconds> <peak RSS KiB>' and exits as soon as the main window
is shown (window) or the roster is on screen (roster).
"""

from __future__ import annotations

import resource
import sys
import time

START = time.perf_counter()


def main() -> int:
    from pathlib import Path

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from core.store.store import Store
    from desktop.main_window import MainWindow
    from desktop.session import Session
    from desktop.tasks import DbWriter

    db, mode = Path(sys.argv[1]), sys.argv[2]
    store = Store.open(db, backup_daily=False)
    actor = store.authenticate("bench", "bench-password")
    writer = DbWriter()
    settings = QSettings(str(db.with_suffix(".ini")), QSettings.Format.IniFormat)
    window = MainWindow(Session(store, writer, actor, store.studies()[0]), settings)
    window.show()
    from PySide6.QtCore import QEventLoop, QTimer

    # A real event loop, as the application runs: spinning processEvents() holds the GIL
    # while it waits and starves the roster's loading thread (measured: 4.2 s instead of 1.4 s).
    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(
        lambda: loop.quit() if window.isVisible() and not (mode == "roster" and window.loading) else None
    )
    check.start(10)
    loop.exec()
    app.processEvents()
    print(
        f"shown {time.perf_counter() - START:.4f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}",
        flush=True,
    )
    writer.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
