"""From a database path to a signed-in main window.

The main window is already on screen (``MainWindow(settings)``, the shell).
``start`` opens (creating or upgrading) the store on a pool thread, so the
database layer loads and any migration runs while the window stays
responsive; back on the GUI thread it installs the rule that the GUI thread
never writes, starts the single writer, runs the first-run choice and the
sign-in over the window, picks the study and attaches the session.

This module loads before the window is shown: it imports nothing at the top
but what the shell needs (each Qt class imported builds its enumerations).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QSettings

if TYPE_CHECKING:
    from core.store.store import Store
    from desktop.main_window import MainWindow
    from desktop.tasks import Task

DEMO_FILENAME = "demo.sqlite3"


def _open(path: Path) -> Store:
    from core.store.store import Store  # SQLAlchemy loads here: off the GUI thread when started below

    return Store.open(path)


def start(db: Path | None, settings: QSettings, window: MainWindow) -> None:
    """Open the database behind ``window``, then sign in; on giving up, close the window."""
    from PySide6.QtWidgets import QMessageBox

    from core.paths import default_db_path
    from desktop.tasks import run_in_background

    path = db or default_db_path()
    window.show_opening(f"<h2>Opening the study database…</h2><p>{path}</p>", busy=True)

    def work(_progress: Callable[[int, int], None], _cancelled: Callable[[], bool]) -> Store:
        return _open(path)

    def failed(exc: BaseException) -> None:
        QMessageBox.critical(window, "Cannot open the database", f"{path}:\n{exc}")
        window.close()

    def opened(store: Store) -> None:
        if not shiboken6.isValid(window) or not window.isVisible():  # closed while opening
            store.close()
            return
        if store.warnings:  # a rewritten or truncated audit trail, a daily backup that failed
            QMessageBox.warning(window, "Study file warning", "\n\n".join(store.warnings))
        sign_in(store, path, settings, window)

    window.opening_task = run_in_background(work, opened, failed)


# How long the sign-in dialog waits for the user before the result cache loads behind it.
# Loading it is Python work: run while the user is about to submit, it would only compete
# with the sign-in for the interpreter (measured: 0.5 s slower to the roster).
PREPARE_AFTER_MS = 300


def _prepare_roster(store: Store, last_study: str, window: MainWindow) -> Task:
    """While the user types in the sign-in dialog: load this workstation's result cache for the
    study likely to be chosen (``Store.prepare_roster``: no subject is read, nothing is shown;
    the roster after sign-in still reads every subject and uses a cached row only for a subject
    whose stored input is unchanged). Failing or guessing wrong costs nothing but time."""
    from desktop.tasks import run_in_background

    def work(_progress: Callable[[int, int], None], _cancelled: Callable[[], bool]) -> bool:
        studies = store.studies()
        study = next((s for s in studies if s.protocol_id == last_study), studies[0] if studies else None)
        if study is None or study.id is None:
            return False
        store.prepare_roster(study.id, store.today())
        return True

    def done(prepared: bool) -> None:
        if shiboken6.isValid(window):
            window.roster_prepared = prepared

    return run_in_background(work, done, lambda _exc: None)


def last_user_key(path: Path) -> str:
    """The setting that holds who last signed in to the study file at ``path``."""
    import hashlib

    return "session/last_user_of/" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


def sign_in(store: Store, path: Path, settings: QSettings, window: MainWindow) -> bool:
    """The first-run choice, the sign-in and the study, over ``window``; attaches the
    session and returns True, or closes the window and returns False."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

    from desktop.dialogs.session_dialogs import FirstRunDialog, LoginDialog
    from desktop.session import Session
    from desktop.tasks import DbWriter, forbid_gui_thread_writes
    from desktop.widgets.forms import guard_the_wheel

    # From the first dialog on (not before the window shows: the forms module is not loaded by then)
    guard_the_wheel()

    window.opening_task = None
    store.on_write = forbid_gui_thread_writes
    writer = DbWriter()

    def release() -> None:  # the store as it is when called: the demo choice rebinds it
        writer.shutdown()
        store.close()

    def give_up() -> bool:
        release()
        window.close()
        return False

    window.show_opening("<h2>Sign in to open the study</h2>", busy=False)
    # The last user of this study file, not of any (walkthrough: another study's "admin" was
    # offered here, with the keyboard in the password).
    created, username = "", str(settings.value(last_user_key(path), ""))
    if not store.has_users():
        first = FirstRunDialog(store, writer, path.parent / DEMO_FILENAME, window)
        if first.exec() != QDialog.DialogCode.Accepted:
            return give_up()
        # Said in the sign-in that follows (nothing else to answer): the study, its file and the
        # two accounts, and what comes next; nothing said that the first run had worked.
        created = first.confirmation()
        if created:
            username = first.admin.text().strip()
        if first.choice == "demo":
            store.close()
            try:
                store = _open(path.parent / DEMO_FILENAME)
            except Exception as exc:
                QMessageBox.critical(window, "Cannot open the demo database", str(exc))
                return give_up()  # closing the closed store again is harmless
            store.on_write = forbid_gui_thread_writes
    login = LoginDialog(store, writer, window, username=username, message=created)
    last_study = str(settings.value("session/last_study", ""))

    def prepare() -> None:  # still waiting for the user: load the result cache meanwhile
        if login.isVisible() and login.buttons.isEnabled() and window.preparing_task is None:
            window.preparing_task = _prepare_roster(store, last_study, window)

    QTimer.singleShot(PREPARE_AFTER_MS, login, prepare)
    if login.exec() != QDialog.DialogCode.Accepted or login.actor is None:
        return give_up()
    settings.setValue(last_user_key(path), login.actor.username)
    studies = store.studies()
    if not studies:
        from core.store.users import Role
        from desktop.dialogs.session_dialogs import NewStudyDialog

        if login.actor.role is not Role.ADMINISTRATOR:
            QMessageBox.information(
                window, "No study yet",
                "This study file has no study yet. An administrator signs in to create it.",
            )  # fmt: skip
            return give_up()
        create = NewStudyDialog(store, writer, login.actor, window)
        if create.exec() != QDialog.DialogCode.Accepted:
            return give_up()
        studies = store.studies()
    study = studies[0]
    if len(studies) > 1:
        names = [f"{s.protocol_id}: {s.title}" for s in studies]
        last = str(settings.value("session/last_study", ""))
        current = next((k for k, s in enumerate(studies) if s.protocol_id == last), 0)
        choice, ok = QInputDialog.getItem(window, "Choose a study", "Study", names, current, False)
        if not ok:
            return give_up()
        study = studies[names.index(choice)]
    settings.setValue("session/last_study", study.protocol_id)

    window.when_closed(release)
    window.attach(Session(store, writer, login.actor, study))
    if created:
        window.statusBar().showMessage(
            f"Study {study.protocol_id} created in {path.name}; signed in as {login.actor.username}", 10000
        )
    if login.review:  # what the account did before the reset, for its owner to check
        box = QMessageBox(QMessageBox.Icon.Information, "Your account and your signing key", login.review,
                          QMessageBox.StandardButton.Ok, window)  # fmt: skip
        window.review_box = box
        box.open()
    return True
