"""Save screenshots of the application's screens (``make screenshots``).

Run under a real X server (``xvfb-run``) so the window is drawn exactly as a
user sees it. Usage: ``python -m desktop.screenshots OUTDIR``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop.app import CaseViewer, load_example_courses

# A date on which the examples show a spread of categories.
SCREENSHOT_AS_OF = dt.date(2024, 9, 14)


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(argv[:1])
    viewer = CaseViewer(load_example_courses(), SCREENSHOT_AS_OF)
    viewer.resize(1100, 720)
    viewer.show()
    for row in range(viewer.model.rowCount()):
        if viewer.model.row_at(row).course.subject_id == "response-then-early-progression-gray-zone":
            viewer.list.setCurrentIndex(viewer.model.index(row))
    for _ in range(5):
        app.processEvents()
    path = out / "case-viewer.png"
    viewer.grab().save(str(path))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
