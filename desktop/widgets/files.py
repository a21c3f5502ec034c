"""File dialogs that start in the user's documents folder and remember, per kind of
file (case files, roster CSV, calendars, worksheets…), the folder last used."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget


def documents_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    path = Path(found) if found else Path.home()
    return path if path.is_dir() else Path.home()


def start_folder(settings: QSettings, kind: str) -> Path:
    """Where a file dialog for ``kind`` opens: the folder last used for it, else the documents."""
    last = settings.value(f"folders/{kind}")
    if last and Path(str(last)).is_dir():
        return Path(str(last))
    return documents_folder()


def remember(settings: QSettings, kind: str, chosen: Path) -> None:
    settings.setValue(f"folders/{kind}", str(chosen.parent))


def save_path(
    parent: QWidget, settings: QSettings, kind: str, title: str, name: str, pattern: str
) -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder(settings, kind) / name), pattern)
    if not chosen:
        return None
    remember(settings, kind, Path(chosen))
    return Path(chosen)


def open_path(parent: QWidget, settings: QSettings, kind: str, title: str, pattern: str) -> Path | None:
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder(settings, kind)), pattern)
    if not chosen:
        return None
    remember(settings, kind, Path(chosen))
    return Path(chosen)


def open_paths(parent: QWidget, settings: QSettings, kind: str, title: str, pattern: str) -> list[Path]:
    chosen, _ = QFileDialog.getOpenFileNames(parent, title, str(start_folder(settings, kind)), pattern)
    if chosen:
        remember(settings, kind, Path(chosen[0]))
    return [Path(p) for p in chosen]
