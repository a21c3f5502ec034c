"""The application's actions, declared outside the main window: title,
shortcut, the window method that handles it, and when it is enabled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow


class ActionSpec(NamedTuple):  # not a dataclass: this module loads before the window shows
    key: str
    title: str
    shortcut: str
    handler: str  # method name on the main window
    menu: str
    tip: str = ""
    enabled_when: Callable[[Any], bool] | None = None


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("add_subject", "&Add subject…", "Ctrl+N", "add_subject", "&Subject",
               "Add a subject to the roster"),
    ActionSpec("open_subject", "&Open subject", "Ctrl+O", "open_current_subject", "&Subject",
               "Open the selected subject", lambda w: w.roster_screen.current_subject_pk() is not None),
    ActionSpec("print_subject", "&Print subject summary…", "Ctrl+P", "print_subject", "&Subject",
               "Print the summary of the subject on screen",
               lambda w: w.subject_screen.subject_pk is not None and w.showing_subject()),
    ActionSpec("add_visit", "Add &visit…", "Ctrl+Shift+V", "add_visit", "&Subject",
               "Record a tumor assessment",
               lambda w: w.subject_screen.subject_pk is not None and w.showing_subject()),
    ActionSpec("find", "&Find subject", "Ctrl+F", "focus_search", "&View", "Search the roster"),
    ActionSpec("refresh", "&Refresh", "F5", "refresh", "&View", "Re-read the database and re-classify"),
    ActionSpec("roster", "&Roster", "Ctrl+1", "show_roster", "&View"),
    ActionSpec("reminders", "Re&minders", "Ctrl+2", "show_reminders", "&View"),
    ActionSpec("worksheets", "&Worksheets", "Ctrl+3", "show_worksheets", "&View"),
    ActionSpec("audit", "&Audit log", "Ctrl+4", "show_audit", "&View"),
    ActionSpec("settings", "Study &settings", "Ctrl+5", "show_settings", "&View"),
    ActionSpec("users", "&Users", "Ctrl+6", "show_users", "&View", "Manage accounts (administrators)",
               lambda w: w.session.is_admin),
    ActionSpec("open_study", "&Open study file…", "", "open_study", "&File",
               "Open another study database"),
    ActionSpec("import_cases", "&Import case files…", "", "import_cases", "&File",
               "Add subjects from resistdesk-case/1 files (all or nothing)"),
    ActionSpec("import_roster", "Import roster &CSV…", "", "import_roster", "&File",
               "Add subjects from a roster CSV (every row checked first)"),
    ActionSpec("export_cases", "&Export case files…", "", "export_cases", "&File",
               "Save every subject as case files (JSON)"),
    ActionSpec("export_ics", "Export reminders to &calendar…", "", "export_ics", "&File",
               "Save the confirmations due as an .ics file"),
    ActionSpec("site_ca", "Site &certificate authority…", "", "show_site_ca", "&File",
               "Certify investigators' signing keys (the CA custodian, with the CA passphrase)"),
    ActionSpec("change_password", "Change &password…", "", "change_password", "&File",
               "Choose a new password (your signing key is sealed under it)"),
    ActionSpec("sign_out", "Sign &out / switch user…", "", "sign_out", "&File",
               "End this user's session: the screens close and the sign-in asks who is next"),
    ActionSpec("lock", "&Lock", "Ctrl+L", "lock", "&File", "Lock the session now"),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "close", "&File"),
    ActionSpec("help", "&How to use the screens, rules and interpretations", "F1", "show_help", "&Help"),
    ActionSpec("about", "&About ResistDesk", "", "show_about", "&Help",
               "Version, the database in use and the rule sets"),
)  # fmt: skip


MENUS = ("&File", "&Subject", "&View", "&Help")


def menu_path(key: str) -> str:
    """Where an action is, as a person reads the menus: "File > Site certificate authority…",
    with its shortcut when it has one ("Subject > Add subject… (Ctrl+N)")."""
    spec = next(s for s in ACTIONS if s.key == key)
    where = f"{spec.menu.replace('&', '')} > {spec.title.replace('&', '')}"
    return f"{where} ({spec.shortcut})" if spec.shortcut else where


def install_actions(window: QMainWindow) -> dict[str, QAction]:
    """Create the actions, their menus, and connect them to the window's handlers."""
    actions: dict[str, QAction] = {}
    menus: dict[str, Any] = {title: window.menuBar().addMenu(title) for title in MENUS}
    for spec in ACTIONS:
        action = QAction(spec.title, window)
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        handler = getattr(window, spec.handler)
        action.triggered.connect(lambda _checked=False, handler=handler: handler())  # never pass `checked` on
        menus[spec.menu].addAction(action)
        window.addAction(action)
        actions[spec.key] = action
    return actions


def set_all_enabled(actions: dict[str, QAction], enabled: bool, keep: tuple[str, ...] = ()) -> None:
    """Enable or disable every action but those in ``keep`` (the shell before sign-in)."""
    for key, action in actions.items():
        if key not in keep:
            action.setEnabled(enabled)


def install_shortcuts(actions: dict[str, QAction]) -> None:
    """Give the actions their keyboard shortcuts. Separate from ``install_actions`` because
    the first shortcut loads Qt's key enumerations, which take longer than showing the
    window: the window installs them once it is shown."""
    from PySide6.QtGui import QKeySequence

    for spec in ACTIONS:
        if spec.shortcut:
            actions[spec.key].setShortcut(QKeySequence(spec.shortcut))


def update_enabled(window: Any, actions: dict[str, QAction]) -> None:
    for spec in ACTIONS:
        if spec.enabled_when is not None:
            actions[spec.key].setEnabled(bool(spec.enabled_when(window)))
