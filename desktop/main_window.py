"""The main window: navigation between screens, the idle lock, and refresh.

It holds no clinical logic and little else: actions are declared in
``desktop.actions``, workflows live in ``desktop.flows``, and each screen in
``desktop.screens``.

The window opens in two steps so that it is on screen as fast as a bare Qt
window: ``MainWindow(settings)`` is the shell (navigation, menus, status bar,
"Opening the study database"), built from Qt alone; ``attach(session)`` adds
the screens once the database is open and someone has signed in. Keep this
module's imports to Qt and the shell's own modules: everything else loads in
``attach`` (``make bench`` measures the difference).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QSettings, QSize
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core import APP_NAME
from desktop.actions import install_actions, install_shortcuts, set_all_enabled, update_enabled
from desktop.icons import icon

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QMessageBox

    from core.roster import RosterRow
    from desktop.flows import SubjectFlows
    from desktop.screens.audit import AuditScreen
    from desktop.screens.help import HelpScreen
    from desktop.screens.reminders import RemindersScreen
    from desktop.screens.roster import RosterScreen
    from desktop.screens.settings import SettingsScreen
    from desktop.screens.subject import SubjectScreen
    from desktop.screens.users import UsersScreen
    from desktop.screens.worksheets import WorksheetsScreen
    from desktop.session import Session
    from desktop.tasks import Task

NAV = (("roster", "Roster"), ("reminders", "Reminders"), ("worksheets", "Worksheets"), ("audit", "Audit log"),
       ("settings", "Study settings"), ("users", "Users"), ("help", "Help"))  # fmt: skip
NAV_KEYS = tuple(key for key, _label in NAV)
RECENT_MAX = 8
TITLE_AND_TASKBAR = 60
"""What a window manager's title bar and a desktop panel take from a screen's height."""
TRACK_CATEGORIES_AFTER_MS = 200
"""How long after the roster is put on screen the categories shown are recorded (see _loaded)."""


def recent_studies(settings: QSettings) -> list[Path]:
    """The study files opened before, latest first (those that still exist)."""
    value = settings.value("recent/studies") or []
    paths = [value] if isinstance(value, str) else list(value)  # QSettings gives one item as a str
    return [Path(p) for p in paths if p and Path(p).exists()]


def remember_recent(settings: QSettings, path: Path | str) -> None:
    path = Path(path).resolve()
    paths = [path, *(p for p in recent_studies(settings) if p.resolve() != path)][:RECENT_MAX]
    settings.setValue("recent/studies", [str(p) for p in paths])


class _IdleWatcher(QObject):
    """Counts user input anywhere in the application; the window locks after idle minutes."""

    def __init__(self, on_input: Callable[[], None]) -> None:
        from PySide6.QtCore import QEvent

        super().__init__()
        self._on_input = on_input
        t = QEvent.Type
        self._input_events = {t.KeyPress, t.MouseButtonPress, t.Wheel, t.MouseMove}

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() in self._input_events:
            self._on_input()
        return False


class _Opening(QWidget):
    """What the window shows until the study is open: a message, centred."""

    def __init__(self) -> None:
        super().__init__()
        self.message = QLabel("<h2>Opening the study database…</h2>")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.message)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    roster_screen: RosterScreen
    subject_screen: SubjectScreen
    reminders_screen: RemindersScreen
    audit_screen: AuditScreen
    settings_screen: SettingsScreen
    users_screen: UsersScreen
    help_screen: HelpScreen
    worksheets_screen: WorksheetsScreen
    flows: SubjectFlows
    session: Session
    """Set by ``attach``; until then the window is the shell."""
    review_box: QMessageBox  # after a reset: what the account did before it (desktop.bootstrap)
    last_session: tuple[Path, int] | None = None
    """The study file and study last signed in to in this process (``desktop.app.prepare_next_day``)."""

    def __init__(self, settings: QSettings, session: Session | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.attached = False
        self.rows: list[RosterRow] = []
        self.screens: dict[str, QWidget] = {}
        self._task: Task | None = None
        self._categories_pending = 0  # recordings of the categories shown, scheduled or running
        self.opening_task: Task | None = None
        """Opening the database (``desktop.bootstrap.start``), until it is open."""
        self.preparing_task: Task | None = None
        """Loading the result cache while the sign-in dialog waits (``desktop.bootstrap``)."""
        self.roster_prepared = False
        """Set once that load is done."""
        self._on_closed: list[Callable[[], None]] = []
        self.locked = False
        self.closed = False
        """Set once the window has closed: a write finishing later starts no new load."""
        self.setWindowIcon(icon("resistdesk"))
        self.setWindowTitle(APP_NAME)

        self.opening = _Opening()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.opening)
        self.nav = QListWidget()
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFixedWidth(235)
        for key, label in NAV:
            self.nav.addItem(QListWidgetItem(icon(key, selected=False), label))  # see finish_icons
        self._icons_finished = False
        self.nav.setEnabled(False)
        central = self.body = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setRange(0, 0)
        self.status_user = QLabel()
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.status_user)
        self.action_map = install_actions(self)
        self.recent_menu = self._install_recent_menu()
        set_all_enabled(self.action_map, False, keep=("quit", "open_study", "about"))
        self.reopened: MainWindow | None = None
        """The window that took over after Open study or Sign out."""
        # 1280x800 where the screen has room: on a 1366x768 laptop the status bar and the
        # bottom of every list were below the screen until the window was maximized.
        room = self.screen().availableGeometry()
        self.resize(min(1280, room.width()), min(800, room.height() - TITLE_AND_TASKBAR))
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if session is not None:
            self.attach(session)

    def finish_icons(self) -> None:
        """Give the navigation its icons for the selected row (left out of the shell: nothing
        is selected before the sign-in, and building them costs the first paint 13 ms)."""
        if self._icons_finished:
            return
        self._icons_finished = True
        for row, (key, _label) in enumerate(NAV):
            self.nav.item(row).setIcon(icon(key))

    def tell(self, message: str) -> None:
        """Say in the status bar what was just saved or exported."""
        self.statusBar().showMessage(message, 10000)

    def show_opening(self, message: str, *, busy: bool) -> None:
        """Say what the window is waiting for before the study is open (``busy``: for
        the computer, with the progress bar running; otherwise for the user)."""
        self.opening.message.setText(message)
        self.progress.setVisible(busy)

    def attach(self, session: Session) -> None:
        """Signed in: build the screens for ``session`` and load the roster."""
        from PySide6.QtCore import Qt, QTimer

        from desktop.flows import SubjectFlows
        from desktop.screens.audit import AuditScreen
        from desktop.screens.help import HelpScreen
        from desktop.screens.reminders import RemindersScreen
        from desktop.screens.roster import RosterScreen
        from desktop.screens.settings import SettingsScreen
        from desktop.screens.subject import SubjectScreen
        from desktop.screens.users import UsersScreen
        from desktop.screens.worksheets import WorksheetsScreen

        assert not self.attached, "a window holds one session"
        self.finish_icons()
        self.session, self.attached = session, True
        MainWindow.last_session = (Path(session.store.path), session.study_id)
        from desktop.widgets.forms import guard_the_wheel

        guard_the_wheel()  # the wheel scrolls forms; it never changes a list it passes over
        # The roster starts loading now, before the screens are built: its read is mostly SQLite's
        # own work, which runs beside this thread's (the rows arrive by the event loop, after this
        # method has built what they are shown in). 0.04 s sooner on screen, in ``make bench``.
        self._load()
        settings = self.settings
        self.roster_screen = RosterScreen()
        self.subject_screen = SubjectScreen(session)
        self.reminders_screen = RemindersScreen()
        self.audit_screen = AuditScreen(session)
        self.settings_screen = SettingsScreen(session, settings)
        self.users_screen = UsersScreen(session)
        self.help_screen = HelpScreen()
        self.worksheets_screen = WorksheetsScreen(session, settings=settings)
        self.screens = {
            "roster": self.roster_screen, "reminders": self.reminders_screen,
            "worksheets": self.worksheets_screen, "audit": self.audit_screen,
            "settings": self.settings_screen, "users": self.users_screen, "help": self.help_screen,
            "subject": self.subject_screen,
        }  # fmt: skip
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.item(NAV_KEYS.index("users")).setHidden(not session.is_admin)
        self.nav.currentItemChanged.connect(self._nav_changed)
        self.nav.setEnabled(True)

        self.flows = SubjectFlows(session, self, self.open_subject, settings, self.tell)
        set_all_enabled(self.action_map, True)
        install_shortcuts(self.action_map)
        self._connect()
        self._title()
        self.roster_screen.restore_layout(settings)
        remember_recent(settings, session.store.path)

        self._idle = _IdleWatcher(self._activity)
        QApplication.instance().installEventFilter(self._idle)  # type: ignore[union-attr]
        self._lock_timer = QTimer(self)
        self._lock_timer.setSingleShot(True)
        self._lock_timer.timeout.connect(self.lock)
        self.set_lock_minutes(int(str(settings.value("session/lock_minutes", 10))))
        self._show("roster")

    # ------------------------------------------------------------------
    def _connect(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        s, subj = self.session, self.subject_screen
        s.sig_changed.connect(self._data_changed)
        s.sig_error.connect(lambda exc: QMessageBox.warning(self, "Not saved", str(exc)))
        self.roster_screen.sig_open_subject.connect(self.open_subject)
        self.roster_screen.sig_add_subject.connect(self.add_subject)
        self.roster_screen.sig_add_visit.connect(self.flows.add_visit)
        self.roster_screen.sig_worksheet.connect(self.show_worksheets)
        self.roster_screen.sig_print.connect(self.print_subject)
        subj.sig_print.connect(self.print_subject)
        self.roster_screen.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.reminders_screen.sig_open_subject.connect(self.open_subject)
        self.reminders_screen.sig_export.connect(self.export_ics)
        subj.sig_back.connect(self.show_roster)
        subj.sig_add_visit.connect(self.flows.add_visit)
        subj.sig_edit_visit.connect(self.flows.edit_visit)
        subj.sig_delete_visit.connect(self.flows.delete_visit)
        subj.sig_edit_subject.connect(self.flows.edit_subject)
        subj.sig_edit_baseline.connect(self.flows.edit_baseline)
        subj.sig_delete_subject.connect(lambda pk: self.flows.delete_subject(pk, self.show_roster))
        subj.sig_worksheet.connect(self.show_worksheets)
        self.worksheets_screen.sig_saved.connect(lambda path: self.tell(f"Saved {path}"))
        self.settings_screen.sig_saved.connect(lambda: self.tell("Study settings saved."))
        self.settings_screen.sig_lock_minutes.connect(self.set_lock_minutes)

    def _title(self) -> None:
        from core.presentation import role_label  # not at import: the window shows before the rules load

        s = self.session
        demo = " — DEMO STUDY" if s.study.is_demo else ""
        self.setWindowTitle(f"{APP_NAME} — {s.study.protocol_id}: {s.study.title}{demo}")
        self.status_user.setText(
            f"{s.actor.full_name or s.actor.username} ({role_label(s.actor.role.value)}) · as of {s.as_of()}"
        )

    def _nav_changed(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        key = NAV_KEYS[self.nav.row(item)]
        if key == "worksheets":  # prepares for the subject on screen, else the roster's selection
            from_subject = self.showing_subject()
            self.worksheets_screen.subject_pk = (
                self.subject_screen.subject_pk if from_subject else self.roster_screen.current_subject_pk()
            )
        self._show(key)

    def _show(self, key: str) -> None:
        screen = self.screens[key]
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(NAV_KEYS.index(key))
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(screen)
        if hasattr(screen, "refresh") and key in ("audit", "settings", "users", "worksheets"):
            screen.refresh()
        self._update_actions()

    def _update_actions(self) -> None:
        update_enabled(self, self.action_map)

    def _data_changed(self, subject_pk: object) -> None:
        self._title()
        self.refresh()
        if self.stack.currentWidget() is self.worksheets_screen:
            self.worksheets_screen.refresh()

    # ------------------------------------------------------------------
    # Loading

    def refresh(self) -> None:
        """Re-read and re-classify the roster off the GUI thread, then show it."""
        if not self.attached or self.closed:
            return
        self._load()
        if self.showing_subject():
            self.subject_screen.refresh()

    def _load(self) -> None:
        """Start reading and classifying the roster on a pool thread (``_loaded`` shows it)."""
        from desktop.tasks import run_in_background

        if self._task is not None:
            self._task.cancel()
        store, study_id, as_of = self.session.store, self.session.study_id, self.session.as_of()
        self.progress.setRange(0, 0)
        self.progress.show()

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> list[RosterRow]:
            return store.roster_rows(study_id, as_of, progress=progress, cancelled=cancelled)

        def progress(done: int, total: int) -> None:
            # A load still reporting after the window was closed (and deleted) changes nothing.
            if not shiboken6.isValid(self.progress):
                return
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

        self._task = run_in_background(work, self._loaded, self._load_failed, progress)

    def _loaded(self, rows: list[RosterRow]) -> None:
        self._task = None
        self.progress.hide()
        self.rows = rows
        from core.bulk import bulk, keep_alive_objects_out_of_collections

        with bulk():  # sorting and filtering 10,000 rows: see core.bulk
            self.roster_screen.set_rows(rows)
            self.reminders_screen.set_rows(rows)
        keep_alive_objects_out_of_collections()
        # Recording the categories shown reads and writes on the writer thread: started after
        # the rows have painted, so that it does not compete with the paint for the interpreter
        # (at the next turn of the event loop it did: 15 ms later on screen, in ``make bench``).
        from PySide6.QtCore import QTimer

        self._categories_pending += 1
        QTimer.singleShot(TRACK_CATEGORIES_AFTER_MS, self, self._track_categories)
        overdue, due = self.reminders_screen.counts()
        item = self.nav.item(1)
        item.setText(f"Reminders ({overdue} overdue, {due} due)" if overdue or due else "Reminders")
        if not self.statusBar().currentMessage():  # never hide what was just saved
            self.statusBar().showMessage(
                f"{len(rows)} subjects classified as of {self.session.as_of()}", 5000
            )
        self._update_actions()

    def _track_categories(self) -> None:
        """Record the categories just shown; on the study's first load under a newer rule-set
        version this marks (and audits once) the subjects whose category it changed. Runs on
        the writer thread; announces no data change (the roster shown stays as it is)."""
        if self.closed or not self.attached:
            self._categories_pending -= 1
            return
        store, study_id, as_of = self.session.store, self.session.study_id, self.session.as_of()
        rows = list(self.rows)

        def shown(changes: object) -> None:
            assert isinstance(changes, dict)
            if not shiboken6.isValid(self) or not shiboken6.isValid(self.roster_screen.model):
                return  # the window closed while the writer worked
            self._categories_pending -= 1
            self.roster_screen.set_changes(changes)
            if self.showing_subject():
                self.subject_screen.refresh()

        def failed(exc: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self._categories_pending -= 1
            self.statusBar().showMessage(f"Could not record the categories shown: {exc}", 10000)

        self.session.writer.submit(lambda: store.track_categories(study_id, as_of, rows), shown, failed)

    def _load_failed(self, exc: BaseException) -> None:
        from PySide6.QtWidgets import QMessageBox

        self._task = None
        self.progress.hide()
        QMessageBox.critical(self, "Could not read the study", str(exc))

    @property
    def loading(self) -> bool:
        return self._task is not None

    @property
    def recording_categories(self) -> bool:
        """The categories just shown are yet to be recorded (see _loaded)."""
        return self._categories_pending > 0

    # ------------------------------------------------------------------
    # Handlers named in desktop.actions

    def show_roster(self) -> None:
        self._show("roster")

    def show_reminders(self) -> None:
        self._show("reminders")

    def show_worksheets(self, subject_pk: int | None = None) -> None:
        """The worksheets, preparing for ``subject_pk``; by default the subject on screen,
        else the one selected in the roster."""
        if subject_pk is None:
            subject_pk = (
                self.subject_screen.subject_pk
                if self.showing_subject()
                else self.roster_screen.current_subject_pk()
            )
        self.worksheets_screen.subject_pk = subject_pk
        self._show("worksheets")

    def show_audit(self) -> None:
        self._show("audit")

    def show_settings(self) -> None:
        self._show("settings")

    def show_users(self) -> None:
        if self.session.is_admin:
            self._show("users")

    def show_help(self) -> None:
        self._show("help")

    def showing_subject(self) -> bool:
        return self.stack.currentWidget() is self.subject_screen

    def open_subject(self, subject_pk: int) -> None:
        self.subject_screen.show_subject(subject_pk)
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(-1)  # no screen of the list is current: clicking any one opens it
        self.nav.blockSignals(False)
        self.stack.setCurrentWidget(self.subject_screen)
        self._update_actions()

    def open_current_subject(self) -> None:
        pk = self.roster_screen.current_subject_pk()
        if pk is not None:
            self.open_subject(pk)

    def add_subject(self) -> None:
        self.flows.add_subject()

    def add_visit(self) -> None:
        if self.subject_screen.subject_pk is not None:
            self.flows.add_visit(self.subject_screen.subject_pk)

    def focus_search(self) -> None:
        self.show_roster()
        self.roster_screen.search.setFocus()
        self.roster_screen.search.selectAll()

    def import_cases(self) -> None:
        self.flows.import_cases()

    def import_roster(self) -> None:
        self.flows.import_roster()

    def export_cases(self) -> None:
        path = self.flows.export_cases()
        if path is not None:
            self.tell(f"Case files saved to {path}")

    def export_ics(self) -> None:
        path = self.flows.export_ics(self.rows)
        if path is not None:
            self.tell(f"Reminders saved to {path}")

    # ------------------------------------------------------------------
    # Study files, the session, printing and the About box

    def _install_recent_menu(self) -> QMenu:
        file_menu = self.action_map["open_study"].associatedObjects()[0]
        assert isinstance(file_menu, QMenu)
        menu = QMenu("Recent studies", self)
        file_menu.insertMenu(self.action_map["import_cases"], menu)
        file_menu.insertSeparator(self.action_map["import_cases"])
        menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent(menu)
        return menu

    def _fill_recent(self, menu: QMenu | None = None) -> None:
        menu = menu or self.recent_menu
        menu.clear()
        paths = recent_studies(self.settings)
        for path in paths:
            action = menu.addAction(path.name)
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _c=False, p=path: self.open_study(p))
        if not paths:
            menu.addAction("(none yet)").setEnabled(False)

    def open_study(self, path: Path | None = None) -> MainWindow | None:
        """Close this study and open another study file, signing in to it."""
        if path is None:
            from desktop.widgets.files import open_path

            path = open_path(self, self.settings, "study", "Open a study file",
                             "Study files (*.sqlite3 *.sqlite *.db);;All files (*)")  # fmt: skip
            if path is None:
                return None
        return self._reopen(path)

    def sign_out(self) -> MainWindow | None:
        """Close the session; the same study opens again with the sign-in (switch user)."""
        if not self.attached:
            return None
        # The next person signs in: the user id starts empty. It used to hold the one who signed
        # out, with the keyboard in the password: the next one's password, typed at once, was a
        # failed sign-in of the previous account (counted towards its lockout).
        from desktop.bootstrap import last_user_key

        path = Path(self.session.store.path)
        key = last_user_key(path)
        kept = self.settings.value(key)
        self.settings.remove(key)
        reopened = self._reopen(path)
        if reopened is None and kept is not None:  # stayed open (a dialog kept it): nothing changes
            self.settings.setValue(key, kept)
        return reopened

    def _reopen(self, path: Path) -> MainWindow | None:
        from desktop.app import open_window

        self.settings.setValue("window/geometry", self.saveGeometry())
        if not self.close():  # a dialog with unsaved changes kept it open
            return None
        self.reopened = open_window(path, self.settings)
        return self.reopened

    def about_text(self) -> str:
        from core import __version__
        from core.rules import IciChemoRuleSet, RuleSet

        db = self.session.store.path if self.attached else "(not open yet)"
        study = f"{self.session.study.protocol_id}: {self.session.study.title}" if self.attached else "—"
        rulesets = "<br>".join(f"{rs.label}" for rs in (RuleSet(), IciChemoRuleSet()))
        return (
            f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>Classifies resistance to PD-(L)1 inhibitors by the SITC consensus definitions.</p>"
            f"<p><b>Database:</b> {db}<br><b>Study:</b> {study}</p>"
            f"<p><b>Rule sets:</b><br>{rulesets}</p>"
        )

    def show_about(self) -> QMessageBox:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, f"About {APP_NAME}", self.about_text(), parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        self.about_box = box
        return box

    def print_subject(self, subject_pk: int | None = None, printer: QPrinter | None = None) -> bool:
        """Print the summary of a subject (the one on screen by default): a print dialog
        unless ``printer`` is given. True once printed."""
        from PySide6.QtGui import QTextDocument
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        pk = subject_pk if subject_pk is not None else self.subject_screen.subject_pk
        if pk is None:
            return False
        html, code = self.subject_screen.summary_html(pk)
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setDocName(f"{code} summary")
            dialog = QPrintDialog(printer, self)
            dialog.setWindowTitle(f"Print the summary of {code}")
            if dialog.exec() != QPrintDialog.DialogCode.Accepted:
                return False
        doc = QTextDocument()
        doc.setHtml(html)
        doc.print_(printer)
        s = self.session
        s.write(lambda: s.store.log_event(s.actor, "print", entity="subject", entity_id=pk,
                                          detail=f"summary of {code}"), None, None)  # fmt: skip
        self.tell(f"Summary of {code} sent to the printer.")
        return True

    # ------------------------------------------------------------------
    # Idle lock

    def set_lock_minutes(self, minutes: int) -> None:
        self._lock_ms = max(1, minutes) * 60_000
        self._lock_timer.start(self._lock_ms)

    def _activity(self) -> None:
        if not self.locked:
            self._lock_timer.start(self._lock_ms)

    def lock(self) -> None:
        if self.locked or not self.attached:
            return
        from desktop.dialogs.session_dialogs import LockDialog

        self.locked = True
        self.body.hide()  # nothing readable while locked
        dialog = LockDialog(self.session.store, self.session.writer, self.session.actor, self)
        self.lock_dialog = dialog

        def finished(result: int) -> None:
            if result and dialog.actor is not None:
                self.locked = False
                self.body.show()
                self._lock_timer.start(self._lock_ms)
            else:
                self.close()

        dialog.finished.connect(finished)
        dialog.open()

    def show_site_ca(self) -> None:
        """The custodian's CA dialog (an administrator sees who waits, and cannot act)."""
        if not self.attached:
            return
        from desktop.dialogs.ca_dialog import SiteCADialog

        dialog = SiteCADialog(self.session, self)
        self.ca_dialog = dialog
        dialog.open()

    def change_password(self) -> None:
        if not self.attached:
            return
        from desktop.dialogs.session_dialogs import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.session.store, self.session.writer, self.session.actor, self)
        self.password_dialog = dialog
        dialog.finished.connect(
            lambda result: self.statusBar().showMessage("Password changed", 5000) if result else None
        )
        dialog.open()

    # ------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self.attached:
            self.roster_screen.save_layout(self.settings)
            if self._task is not None:
                self._task.cancel()
            QApplication.instance().removeEventFilter(self._idle)  # type: ignore[union-attr]
        super().closeEvent(event)
        if event.isAccepted():
            self.closed = True
            while self._on_closed:
                self._on_closed.pop()()

    def when_closed(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the window has closed (last registered, first called)."""
        self._on_closed.append(callback)
