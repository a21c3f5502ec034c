"""From a database path to a signed-in main window.

Opens (creating or upgrading) the store, installs the rule that the GUI
thread never writes, starts the single writer, runs the first-run choice
and the sign-in, and picks the study.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox, QWidget

from core.errors import ResistDeskError
from core.paths import default_db_path
from core.store.store import Store
from desktop.dialogs.session_dialogs import FirstRunDialog, LoginDialog
from desktop.main_window import MainWindow
from desktop.session import Session
from desktop.tasks import DbWriter, forbid_gui_thread_writes

DEMO_FILENAME = "demo.sqlite3"


def open_store(path: Path, parent: QWidget | None = None) -> Store | None:
    try:
        store = Store.open(path)
    except ResistDeskError as exc:
        QMessageBox.critical(parent, "Cannot open the database", str(exc))
        return None
    store.on_write = forbid_gui_thread_writes
    return store


def start(db: Path | None, settings: QSettings, parent: QWidget | None = None) -> MainWindow | None:
    """Run the opening dialogs; the main window, or None when the user gave up."""
    path = db or default_db_path()
    store = open_store(path, parent)
    if store is None:
        return None
    writer = DbWriter()
    if not store.has_users():
        first = FirstRunDialog(store, writer, path.parent / DEMO_FILENAME, parent)
        if first.exec() != QDialog.DialogCode.Accepted:
            _give_up(store, writer)
            return None
        if first.choice == "demo":
            store.close()
            store = open_store(path.parent / DEMO_FILENAME, parent)
            if store is None:
                _give_up(None, writer)
                return None
    login = LoginDialog(store, writer, parent, username=str(settings.value("session/last_user", "")))
    if login.exec() != QDialog.DialogCode.Accepted or login.actor is None:
        _give_up(store, writer)
        return None
    settings.setValue("session/last_user", login.actor.username)
    studies = store.studies()
    if not studies:
        QMessageBox.information(
            parent, "No study", "This database has no study yet. Create one with `resistdesk study add`."
        )
        _give_up(store, writer)
        return None
    study = studies[0]
    if len(studies) > 1:
        names = [f"{s.protocol_id}: {s.title}" for s in studies]
        last = str(settings.value("session/last_study", ""))
        current = next((k for k, s in enumerate(studies) if s.protocol_id == last), 0)
        choice, ok = QInputDialog.getItem(parent, "Choose a study", "Study", names, current, False)
        if not ok:
            _give_up(store, writer)
            return None
        study = studies[names.index(choice)]
    settings.setValue("session/last_study", study.protocol_id)
    session = Session(store, writer, login.actor, study)
    window = MainWindow(session, settings)

    def closed() -> None:
        writer.shutdown()
        store.close()

    window.destroyed.connect(closed)
    return window


def _give_up(store: Store | None, writer: DbWriter) -> None:
    writer.shutdown()
    if store is not None:
        store.close()
    return None
