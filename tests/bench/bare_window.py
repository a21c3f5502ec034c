"""The floor for start-up: a bare PySide6 script showing an empty QMainWindow."""

from __future__ import annotations

import resource
import sys
import time

START = time.perf_counter()

from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.show()
while not window.isVisible():
    app.processEvents()
app.processEvents()
print(
    f"shown {time.perf_counter() - START:.4f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}",
    flush=True,
)
