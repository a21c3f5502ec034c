"""Cold start of the real application (benchmark helper).

Usage: python -m tests.bench.start_app DB

Runs the application's own start (``desktop.app.open_window``): the main
window shows, the database opens behind it, the sign-in dialog appears and is
filled in and submitted as a user would, the session attaches and the roster
loads. Prints 'shown <seconds> <peak RSS KiB>' when the main window is on
screen and 'roster <seconds> <peak RSS KiB>' when the roster is, both counted
from the start of this script (as ``bare_window`` counts), then exits.
"""

from __future__ import annotations

import sys
import time

START = time.perf_counter()


def mark(what: str) -> None:
    seconds = time.perf_counter() - START
    from tests.bench.memory import peak_rss_kib

    print(f"{what} {seconds:.4f} {peak_rss_kib()}", flush=True)


def main() -> int:
    from pathlib import Path

    from PySide6.QtCore import QSettings

    from desktop.app import application, open_window

    app = application()
    db = Path(sys.argv[1])
    settings = QSettings(str(db.with_suffix(".ini")), QSettings.Format.IniFormat)
    window = open_window(db, settings)
    while not window.isVisible():  # as bare_window waits
        app.processEvents()
    app.processEvents()
    mark("shown")

    from desktop.selftest import sign_in_and_wait

    sign_in_and_wait(window, "bench", "bench-password")
    if not window.attached:
        raise SystemExit("the sign-in did not complete")
    app.processEvents()
    mark("roster")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
