"""Screenshots of every screen of the real application on the demo study
(``make screenshots``). Run under a real X server (``xvfb-run``).

Usage: ``python -m desktop.screenshots OUTDIR [--size 1366x768] [--dark] [--all]``

The window fills the screen of the given size (the README's pictures are taken
at 1366x768, the smallest laptop screen in use); ``--dark`` takes them with a
dark palette, to check every screen in both; ``--all`` adds the dialogs the README does not
show (new subject, baseline lesions, the investigator's sign dialog) and the Users screen.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

PASSWORD = "screenshot-demo"


def _settle(app: QApplication, window: QWidget, ms: int = 300) -> None:
    done = [False]
    QTimer.singleShot(ms, lambda: done.__setitem__(0, True))
    while not done[0]:
        app.processEvents()


def _sign_in_shot(app: QApplication, store: object, writer: object, out: Path) -> None:
    """The window as it opens: the shell, with the sign-in dialog over it."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter

    from desktop.dialogs.session_dialogs import LoginDialog
    from desktop.main_window import MainWindow

    # the window's own settings in a folder of their own (QSettings writes them again on exit:
    # beside the pictures they were left behind, and committed)
    settings = QSettings(str(Path(tempfile.mkdtemp(prefix="resistdesk-sign-in-")) / "sign-in.ini"),
                         QSettings.Format.IniFormat)  # fmt: skip
    shell = MainWindow(settings)
    shell.resize(shell.screen().availableSize())
    shell.show_opening("<h2>Sign in to open the study</h2>", busy=False)
    shell.show()
    login = LoginDialog(store, writer, shell, username="coordinator")  # type: ignore[arg-type]
    login.show()
    _settle(app, shell)
    picture = shell.grab()
    painter = QPainter(picture)
    dialog = login.grab()
    below = shell.opening.message.mapTo(shell, QPoint(0, shell.opening.message.height() + 16)).y()
    painter.drawPixmap(QPoint(shell.opening.message.mapTo(shell, QPoint(0, 0)).x(), below), dialog)
    painter.end()
    picture.save(str(out / "sign-in.png"))
    print(out / "sign-in.png")
    login.close()
    shell.close()
    Path(settings.fileName()).unlink(missing_ok=True)


def _dark(app: QApplication) -> None:
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#2b2b2b"), (roles.WindowText, "#e8e8e8"), (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#2f2f2f"), (roles.Text, "#e8e8e8"), (roles.Button, "#353535"),
        (roles.ButtonText, "#e8e8e8"), (roles.Highlight, "#2e86c1"), (roles.HighlightedText, "#ffffff"),
        (roles.ToolTipBase, "#353535"), (roles.ToolTipText, "#e8e8e8"), (roles.PlaceholderText, "#9a9a9a"),
        (roles.Link, "#5dade2"),
    ):  # fmt: skip
        p.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    app.setPalette(p)


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    out = Path(args[0] if args else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    size = next((argv[k + 1] for k, a in enumerate(argv[:-1]) if a == "--size"), "1366x768")
    width, height = (int(v) for v in size.split("x"))
    app = QApplication(argv[:1])
    if "--dark" in argv:
        _dark(app)
    from core.store.demo import create_demo
    from core.store.store import Store
    from desktop.dialogs.session_dialogs import FirstRunDialog
    from desktop.main_window import MainWindow
    from desktop.session import Session
    from desktop.tasks import DbWriter, forbid_gui_thread_writes

    tmp = Path(tempfile.mkdtemp(prefix="resistdesk-shots-"))
    writer = DbWriter()
    with Store.open(tmp / "empty.sqlite3") as empty:
        first = FirstRunDialog(empty, writer, tmp / "demo.sqlite3")
        first.show()
        _settle(app, first)
        first.grab().save(str(out / "first-run.png"))
        print(out / "first-run.png")
        first.close()
    store = create_demo(tmp / "demo.sqlite3", PASSWORD)
    _sign_in_shot(app, store, writer, out)
    coordinator = store.authenticate("admin", PASSWORD)  # before the guard: runs on this thread
    signer = store.authenticate("investigator", PASSWORD) if "--all" in argv else None
    store.on_write = forbid_gui_thread_writes
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    session = Session(store, writer, coordinator, store.studies()[0])
    window = MainWindow(settings, session)
    window.resize(min(width, window.screen().availableSize().width()),
                  min(height, window.screen().availableSize().height()))  # fmt: skip
    window.show()
    while window.loading:
        app.processEvents()
    _settle(app, window)

    def shot(name: str, widget: QWidget | None = None) -> None:
        _settle(app, window)
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        print(path)

    shot("roster")
    window.roster_screen.category.setCurrentIndex(2)  # pending confirmation
    shot("roster-pending")
    window.roster_screen.category.setCurrentIndex(0)
    window.roster_screen.ruleset.setCurrentIndex(2)  # SITC 2023 ICI-chemo
    shot("roster-ici-chemo")
    window.roster_screen.ruleset.setCurrentIndex(0)
    window.show_reminders()
    shot("reminders")
    for code in ("NSCLC-028", "MEL-002"):
        window.roster_screen.select_subject(code)
        pk = window.roster_screen.current_subject_pk()
        assert pk is not None
        window.open_subject(pk)
        shot(f"subject-{code}")
        if code == "NSCLC-028":  # its baseline lesions and their sum
            window.subject_screen.charts.setCurrentWidget(window.subject_screen.baseline)
            shot("subject-baseline")
            window.subject_screen.charts.setCurrentIndex(0)
    dialog = window.flows.add_visit(window.subject_screen.subject_pk or 0)
    dialog.date.edit.setText("2025-09-01x")  # a typing slip: named at once, the field outlined
    dialog.refresh()
    shot("visit-dialog", dialog)
    dialog.done(0)
    for code in ("NSCLC-035", "SCLC-033"):  # PD-(L)1 + chemotherapy (SITC 2023)
        window.roster_screen.select_subject(code)
        window.open_subject(window.roster_screen.current_subject_pk() or 0)
        shot(f"subject-{code}")
    course = window.flows.edit_subject(window.subject_screen.subject_pk or 0)
    shot("subject-dialog-ici-chemo", course)
    course.done(0)
    dialog = window.flows.add_visit(window.subject_screen.subject_pk or 0)
    dialog.flags["rapid_progression"].setChecked(True)
    shot("visit-dialog-ici-chemo", dialog)
    dialog.done(0)
    window.roster_screen.select_subject("NSCLC-028")
    window.open_subject(window.roster_screen.current_subject_pk() or 0)
    dialog = window.flows.add_visit(window.subject_screen.subject_pk or 0)
    dialog.target_inputs["T1"].setText("30")
    dialog.target_inputs["T2"].setText("16")
    shot("visit-dialog-lesions", dialog)
    dialog.done(0)
    if "--all" in argv:
        baseline = window.flows.edit_baseline(window.subject_screen.subject_pk or 0)
        shot("baseline-dialog", baseline)
        baseline.done(0)
        new = window.flows.add_subject()
        shot("subject-dialog-new", new)
        new.done(0)
    window.roster_screen.select_subject("MEL-001")
    window.open_subject(window.roster_screen.current_subject_pk() or 0)
    window.show_worksheets(window.subject_screen.subject_pk)
    (out / "worksheet-draft.pdf").unlink(missing_ok=True)  # wait for this run's draft, not an old one
    window.worksheets_screen.prepare(out / "worksheet-draft.pdf")
    while not (out / "worksheet-draft.pdf").exists():
        app.processEvents()
    window.worksheets_screen.view.selectRow(0)
    shot("worksheets")
    if "--all" in argv:  # the investigator's sign dialog, over the draft just prepared
        from desktop.screens.worksheets import SignDialog

        row = window.worksheets_screen.selected()
        if row is not None and signer is not None:
            investigator = Session(store, writer, signer, session.study)
            sign = SignDialog(window, investigator, row)
            sign.show()
            shot("sign-dialog", sign)
            sign.done(0)
    window.show_audit()
    window.audit_screen.verify()
    shot("audit")
    window.show_settings()
    shot("settings")
    scroll = window.settings_screen.findChild(QScrollArea)
    if scroll is not None:
        scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    shot("settings-ici-chemo")
    if "--all" in argv:
        window.show_users()
        shot("users")
    window.show_help()
    shot("help")
    about = window.show_about()
    shot("about", about)
    about.close()
    window.close()
    writer.shutdown()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
