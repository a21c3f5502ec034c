"""Starting the application as a user does: the window first, then the database
opens behind it, the sign-in runs over it, and the screens attach."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop import icons
from desktop.bootstrap import last_user_key, start
from desktop.dialogs.session_dialogs import FirstRunDialog, LoginDialog
from desktop.launcher import gui_arguments
from desktop.main_window import MainWindow
from tests.desktop.conftest import PASSWORD, _copy

ROOT = Path(__file__).resolve().parents[2]


class Answers:
    """Answers modal dialogs as they open (they run their own event loops)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._handlers: dict[type, Callable[[QDialog], None]] = {}
        self._timer = QTimer()
        self._timer.timeout.connect(self._poll)
        self._timer.start(10)

    def on(self, kind: type, handler: Callable[[QDialog], None]) -> None:
        self._handlers[kind] = handler

    def _poll(self) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible() and not getattr(dialog, "_answered", False):
            for kind, handler in self._handlers.items():
                if isinstance(dialog, kind):
                    dialog._answered = True  # type: ignore[attr-defined]
                    self.seen.append(kind.__name__)
                    handler(dialog)
                    return

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture
def answers() -> Iterator[Answers]:
    a = Answers()
    yield a
    a.stop()


def shell(qtbot: QtBot, settings: QSettings) -> MainWindow:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    return window


def sign_in_as(username: str, password: str = PASSWORD) -> Callable[[QDialog], None]:
    def answer(dialog: QDialog) -> None:
        assert isinstance(dialog, LoginDialog)
        dialog.username.setText(username)
        dialog.password.setText(password)
        dialog.submit()

    return answer


def test_the_window_is_a_shell_until_someone_signs_in(qtbot: QtBot, settings: QSettings) -> None:
    window = shell(qtbot, settings)
    assert not window.attached
    assert window.stack.currentWidget() is window.opening
    assert not window.nav.isEnabled()
    enabled = {key for key, action in window.action_map.items() if action.isEnabled()}
    assert enabled == {"quit", "open_study", "about"}  # another study file can be chosen before signing in
    window.refresh()  # nothing to load yet: a no-op, not an error
    window.lock()
    assert not window.locked
    window.close()  # closing the shell needs no session


def test_start_opens_the_database_then_signs_in_over_the_window(
    qtbot: QtBot, settings: QSettings, demo_template: Path, tmp_path: Path, answers: Answers
) -> None:
    db = _copy(demo_template, tmp_path / "site.sqlite3")
    window = shell(qtbot, settings)
    closed: list[bool] = []
    answers.on(LoginDialog, sign_in_as("investigator"))
    gc.unfreeze()
    start(db, settings, window)
    assert window.opening_task is not None  # opening runs off the GUI thread
    qtbot.waitUntil(lambda: window.attached and not window.loading, timeout=20000)
    assert answers.seen == ["LoginDialog"]
    assert window.nav.isEnabled()
    assert window.action_map["add_subject"].isEnabled()
    assert window.action_map["find"].shortcut().toString() == "Ctrl+F"
    assert len(window.rows) == 40
    assert gc.get_freeze_count() > 0  # the loaded roster is out of the collector's way
    assert "DEMO-PD1-R" in window.windowTitle()
    assert window.nav.item(5).isHidden()  # the investigator is not an administrator
    assert settings.value(last_user_key(db)) == "investigator"
    store, writer = window.session.store, window.session.writer
    assert store.on_write is not None  # the GUI thread may not write from here on
    window.when_closed(lambda: closed.append(True))
    window.close()
    assert closed == [True]
    assert not writer._thread.isRunning()  # the writer stopped with the window
    gc.unfreeze()


def test_cancelling_the_sign_in_closes_the_window_and_the_database(
    qtbot: QtBot, settings: QSettings, demo_template: Path, tmp_path: Path, answers: Answers
) -> None:
    db = _copy(demo_template, tmp_path / "site.sqlite3")
    window = shell(qtbot, settings)
    answers.on(LoginDialog, lambda d: d.reject())
    start(db, settings, window)
    qtbot.waitUntil(lambda: not shiboken6.isValid(window) or not window.isVisible(), timeout=20000)
    assert answers.seen == ["LoginDialog"]
    assert not window.attached


def test_a_wrong_password_is_refused_in_the_dialog(
    qtbot: QtBot, settings: QSettings, demo_template: Path, tmp_path: Path, answers: Answers
) -> None:
    db = _copy(demo_template, tmp_path / "site.sqlite3")
    window = shell(qtbot, settings)
    errors: list[str] = []

    def wrong_then_cancel(dialog: QDialog) -> None:
        assert isinstance(dialog, LoginDialog)
        dialog.username.setText("coordinator")
        dialog.password.setText("not-the-password")
        dialog.submit()

        def check() -> None:
            if dialog.buttons.isEnabled():  # the writer answered
                errors.append(dialog.error.text())
                dialog.reject()
            else:
                QTimer.singleShot(10, check)

        QTimer.singleShot(10, check)

    answers.on(LoginDialog, wrong_then_cancel)
    start(db, settings, window)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
    assert errors
    assert "password" in errors[0].lower()
    assert not window.attached


def test_a_new_database_asks_how_to_start(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, answers: Answers
) -> None:
    window = shell(qtbot, settings)
    answers.on(FirstRunDialog, lambda d: d.reject())
    start(tmp_path / "new.sqlite3", settings, window)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
    assert answers.seen == ["FirstRunDialog"]
    assert (tmp_path / "new.sqlite3").exists()  # created and migrated, off the GUI thread


def test_a_file_that_is_not_a_database_is_reported(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "notes.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, title, text: shown.append(f"{title}: {text}"))
    window = shell(qtbot, settings)
    start(bad, settings, window)
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert shown[0].startswith("Cannot open the database")
    assert str(bad) in shown[0]
    assert not window.isVisible()
    assert bad.read_bytes() == b"this is not a database" * 100  # untouched


def test_opening_the_window_loads_no_database_code(tmp_path: Path) -> None:
    """The window shows before SQLAlchemy, the classifier, the forms or the screens load: a
    deterministic check of what makes the cold start fast (timed in ``make bench``). The window
    is built and shown as the application does: the wheel guard of the forms, once installed
    in its constructor, loaded the forms module first and put the window at 2.2x a bare one."""
    code = (
        "import sys, json; import desktop.app\n"
        "from PySide6.QtCore import QSettings\n"
        "from desktop.main_window import MainWindow\n"
        "app = desktop.app.application()\n"
        f"window = MainWindow(QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat))\n"
        "window.show(); app.processEvents()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'sqlmodel', 'pydantic', 'core', 'desktop', 'reportlab', 'pyhanko'))))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )
    loaded = set(json.loads(out.stdout))
    assert loaded == {"core", "desktop", "desktop.actions", "desktop.app", "desktop.bootstrap",
                      "desktop.icons", "desktop.main_window"}  # fmt: skip


def test_the_launcher_opens_the_window_without_the_command_line_parser() -> None:
    args = gui_arguments([])
    assert args is not None
    assert args.db is None
    assert not args.selftest
    args = gui_arguments(["--db", "site.sqlite3"])
    assert args is not None
    assert args.db == Path("site.sqlite3")
    args = gui_arguments(["--db=other.sqlite3", "--selftest"])
    assert args is not None
    assert args.db == Path("other.sqlite3")
    assert args.selftest
    for argv in (["classify", "x.json"], ["--help"], ["--version"], ["--db"], ["--db", "--selftest"], ["-x"]):
        assert gui_arguments(argv) is None, argv  # the full command line answers these


def test_the_icons_are_renders_of_their_svg_sources(qtbot: QtBot) -> None:
    names = icons.sources()
    assert {"resistdesk", "roster", "help"} <= set(names)
    for name in names:
        for size in icons.sizes(name):
            shipped = QImage(str(icons.png_path(name, size)))
            assert not shipped.isNull(), f"{name}-{size}.png is missing: run python -m desktop.icons"
            drawn = icons.render(name, size).convertToFormat(shipped.format())
            assert shipped.size() == drawn.size()
            worst = max(
                abs(a - b)
                for y in range(size)
                for x in range(size)
                for a, b in zip(
                    shipped.pixelColor(x, y).getRgb(), drawn.pixelColor(x, y).getRgb(), strict=True
                )
            )
            assert worst <= 8, f"{name}-{size}.png differs from {name}.svg: run python -m desktop.icons"


def test_opening_a_study_whose_audit_trail_was_truncated_warns(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, answers: Answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    import sqlite3

    from core.store.store import Store

    db = _copy(_made_demo(tmp_path), tmp_path / "study.sqlite3")
    Store.open(db, backup_daily=False).close()  # this workstation sees the whole trail
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        last = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]
        keep_hash = conn.execute("SELECT hash FROM audit_event WHERE id = ?", (last - 5,)).fetchone()[0]
        conn.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        conn.execute("DELETE FROM audit_event WHERE id > ?", (last - 5,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (keep_hash,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'audit_count'", (str(last - 5),))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: shown.append(f"{title}: {text}"))
    answers.on(LoginDialog, lambda d: d.reject())
    window = shell(qtbot, settings)
    start(db, settings, window)
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert shown[0].startswith("Study file warning")
    assert "no longer extends" in shown[0]


def _made_demo(tmp_path: Path) -> Path:
    from core.store.demo import create_demo

    made = tmp_path / "made.sqlite3"
    create_demo(made, PASSWORD).close()
    return made


def _start_and_sign_in(
    qtbot: QtBot,
    settings: QSettings,
    db: Path,
    answers: Answers,
    before_submit: Callable[[], None] | None = None,
) -> MainWindow:
    window = shell(qtbot, settings)

    def answer(dialog: QDialog) -> None:
        assert not window.attached  # nothing is shown before the sign-in
        assert window.rows == []
        if before_submit is not None:
            before_submit()
        sign_in_as("coordinator")(dialog)

    answers.on(LoginDialog, answer)
    start(db, settings, window)
    qtbot.waitUntil(lambda: window.attached and not window.loading, timeout=20000)
    return window


def _fresh_rows(db: Path) -> dict[str, object]:
    """The roster a classification of every subject gives now, with no cache anywhere."""
    from core.roster import roster_row
    from core.rules import classify
    from core.store.store import Store

    with Store.open(db, backup_daily=False) as store:
        study, today = store.studies()[0], store.today()
        rules = store.rules(study)
        return {
            course.subject_id: roster_row(pk, status, course, classify(course, today, rules))
            for pk, status, course in store.read_courses(study.id or 0)
        }


def test_a_subject_changed_while_the_sign_in_waits_is_shown_as_it_is_now(
    qtbot: QtBot,
    settings: QSettings,
    demo_template: Path,
    tmp_path: Path,
    answers: Answers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The result cache loads while the sign-in dialog waits; a subject changed in the file
    meanwhile (by another program: no audit row) is classified again, not shown stale."""
    import sqlite3

    from core.store import reading

    db = _copy(demo_template, tmp_path / "site.sqlite3")
    first = _start_and_sign_in(qtbot, settings, db, answers)
    first.close()  # the store closes and writes this workstation's result cache
    answers.seen.clear()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        sid, code = conn.execute(
            "SELECT s.id, s.subject_code FROM subject s JOIN course c ON c.subject_id = s.id "
            "JOIN assessment a ON a.subject_id = s.id WHERE c.baseline_date IS NULL AND a.response = 'PD' "
            "ORDER BY s.subject_code LIMIT 1"
        ).fetchone()
    before = {r.subject_id: r for r in first.rows}[code]
    classified: list[str] = []
    real = reading.classify

    def counting(course, as_of, ruleset):  # type: ignore[no-untyped-def]
        classified.append(course.subject_id)
        return real(course, as_of, ruleset)

    monkeypatch.setattr(reading, "classify", counting)
    holder = shell(qtbot, settings)

    def answer(dialog: QDialog) -> None:
        assert not holder.attached
        assert holder.rows == []
        qtbot.waitUntil(lambda: holder.roster_prepared, timeout=20000)  # loaded while the dialog waits
        with contextlib.closing(sqlite3.connect(db)) as conn, conn:
            conn.execute("UPDATE assessment SET response = 'SD' WHERE subject_id = ?", (sid,))
        sign_in_as("coordinator")(dialog)

    answers.on(LoginDialog, answer)
    start(db, settings, holder)
    qtbot.waitUntil(lambda: holder.attached and not holder.loading, timeout=20000)
    shown = {r.subject_id: r for r in holder.rows}
    fresh = _fresh_rows(db)
    assert shown == fresh  # every row as a classification of the file now gives it
    assert shown[code] != before
    assert code in classified
    assert len(set(classified)) < len(fresh)  # the unchanged ones came from the cache
    holder.close()


def test_with_a_cache_nothing_is_read_or_shown_until_the_sign_in_succeeds(
    qtbot: QtBot, settings: QSettings, demo_template: Path, tmp_path: Path, answers: Answers
) -> None:
    db = _copy(demo_template, tmp_path / "site.sqlite3")
    _start_and_sign_in(qtbot, settings, db, answers).close()
    answers.seen.clear()
    window = shell(qtbot, settings)
    states: list[tuple[bool, int]] = []

    def wrong_then_cancel(dialog: QDialog) -> None:
        assert isinstance(dialog, LoginDialog)
        dialog.username.setText("coordinator")
        dialog.password.setText("not-the-password")
        dialog.submit()

        def check() -> None:
            if dialog.buttons.isEnabled():  # the writer answered: refused
                states.append((window.attached, len(window.rows)))
                dialog.reject()
            else:
                QTimer.singleShot(10, check)

        QTimer.singleShot(10, check)

    answers.on(LoginDialog, wrong_then_cancel)
    start(db, settings, window)
    qtbot.waitUntil(lambda: not shiboken6.isValid(window) or not window.isVisible(), timeout=20000)
    assert states == [(False, 0)]
    assert not window.attached
    assert window.rows == []


def test_pyside_reads_no_source_of_packages_that_never_use_qt() -> None:
    """PySide6 reads every imported module's source to see whether it uses PySide6; for the
    database layer and ``core`` the application answers "no" without reading (the same answer:
    no file of ``core`` mentions PySide6). Modules that do use Qt are still read."""
    assert not [p for p in (ROOT / "core").rglob("*.py") if "PySide6" in p.read_text(encoding="utf-8")]
    code = (
        "import sys, json, linecache; import desktop.app\n"
        "from core.store import csvexport\n"
        "from sqlalchemy.dialects import postgresql\n"
        "from desktop.screens.help import HelpScreen\n"
        "feature = sys.modules['shibokensupport.feature']\n"
        "names = ['core.store', 'sqlalchemy.dialects', 'desktop.screens.help']\n"
        "print(json.dumps({'hooked': desktop.app.skip_source_scan_of_non_qt_packages(),\n"
        "  'default': {n: feature.pyside_feature_dict.get(n) for n in names},\n"
        "  'read': {n: sys.modules[n].__file__ in linecache.cache for n in names}}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    found = json.loads(out.stdout)
    assert found["hooked"]  # this PySide6 has the scan (an upgrade without it: drop the workaround)
    # (PySide6 records the module each import statement returns: for "from a.b import c", a.b)
    assert found["default"] == {"core.store": -1, "sqlalchemy.dialects": -1, "desktop.screens.help": 0}
    assert found["read"] == {"core.store": False, "sqlalchemy.dialects": False, "desktop.screens.help": True}


def test_after_the_last_window_tomorrows_roster_is_prepared(
    qtbot: QtBot,
    settings: QSettings,
    demo_template: Path,
    tmp_path: Path,
    answers: Answers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime as dt

    from core.store import reading
    from core.store.store import Store
    from desktop import app

    monkeypatch.setattr(MainWindow, "last_session", None)
    assert not app.prepare_next_day()  # no one signed in: nothing to prepare
    db = _copy(demo_template, tmp_path / "site.sqlite3")
    window = _start_and_sign_in(qtbot, settings, db, answers)
    window.close()
    assert MainWindow.last_session == (db, window.session.study_id)
    assert app.prepare_next_day()
    classified: list[str] = []
    real = reading.classify
    monkeypatch.setattr(reading, "classify", lambda c, a, r: classified.append(c.subject_id) or real(c, a, r))
    with Store.open(db, backup_daily=False) as store:
        rows = store.roster_rows(store.studies()[0].id or 0, store.today() + dt.timedelta(days=1))
    assert len(rows) == 40
    assert [c for c in classified if c not in _baseline_subjects(db)] == []  # all from the cache


def _baseline_subjects(db: Path) -> set[str]:
    """Subjects with lesion measurements: never cached (their input is in other tables)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {
            code
            for (code,) in conn.execute(
                "SELECT s.subject_code FROM subject s JOIN course c ON c.subject_id = s.id "
                "WHERE c.baseline_date IS NOT NULL"
            )
        }


def test_the_selected_navigation_icons_come_after_the_first_paint(qtbot: QtBot, settings: QSettings) -> None:
    """Tinting them builds PySide6 enumerations (13 ms): not before the shell is on screen,
    where nothing can be selected; ``open_window`` adds them on the next turns, ``attach`` at
    the latest (the test of their contrast signs in through ``attach``)."""
    from PySide6.QtGui import QIcon

    window = shell(qtbot, settings)

    def selected() -> QImage:
        return window.nav.item(0).icon().pixmap(22, QIcon.Mode.Selected).toImage()

    before = selected()
    assert not window._icons_finished
    window.finish_icons()
    assert selected() != before
    window.close()


def test_the_way_to_the_roster_loads_no_signing_pdf_or_migration_code(
    demo_template: Path, tmp_path: Path
) -> None:
    """From the start to the roster on screen, as a user signs in: nothing loads the signing
    stack (``cryptography``: the site CA pin is checked with the standard library, the password
    with scrypt), the PDF stack or Alembic (the file is at the current revision). A
    deterministic check of part of the cold start timed in ``make bench``."""
    db = _copy(demo_template, tmp_path / "site.sqlite3")
    code = f"""
import sys, json
from pathlib import Path
from PySide6.QtCore import QSettings
from desktop.app import application, open_window
from desktop.selftest import sign_in_and_wait
app = application()
window = open_window(Path({str(db)!r}), QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat))
sign_in_and_wait(window, "coordinator", {PASSWORD!r})
assert window.attached and window.rows, "the roster is not on screen"
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {{'cryptography', 'reportlab', 'pyhanko',
                         'pyhanko_certvalidator', 'alembic', 'asn1crypto'}})))
window.close()
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )
    assert json.loads(out.stdout.splitlines()[-1]) == []
