"""The floor for start-up: a bare PySide6 script showing an empty QMainWindow."""

from __future__ import annotations

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
shown = time.perf_counter() - START

from tests.bench.memory import peak_rss_kib  # noqa: E402 - after the clock stops

print(f"shown {shown:.4f} {peak_rss_kib()}", flush=True)
