"""Desktop tests run offscreen, on real databases in temporary folders, with
settings in a temporary file (never the user's), and no thread left behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import TYPE_CHECKING

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from core.store.demo import create_demo
from core.store.store import Store
from core.store.users import Role
from desktop.main_window import MainWindow
from desktop.session import Session
from desktop.tasks import DbWriter, forbid_gui_thread_writes

if TYPE_CHECKING:
    from desktop.dialogs.session_dialogs import FirstRunDialog

PASSWORD = "desk-password"


def _copy(src: Path, dest: Path) -> Path:
    with contextlib.closing(sqlite3.connect(src)) as a, contextlib.closing(sqlite3.connect(dest)) as b:
        a.backup(b)
    return dest


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    create_demo(path, PASSWORD).close()
    return path


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty") / "empty.sqlite3"
    with Store.open(path) as store:
        admin = store.create_user(None, "admin", "Ada Admin", Role.ADMINISTRATOR, PASSWORD)
        store.create_user(admin, "coord", "Cory Coordinator", Role.COORDINATOR, "one-time-desk-1")
        store.change_password("coord", "one-time-desk-1", PASSWORD)  # the user's own choice
        store.create_study(admin, "P-1", "A study after PD-1", enrolled_categories=["primary_resistance"])
    return path


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


class Desk:
    """A signed-in main window and its parts."""

    def __init__(self, window: MainWindow, store: Store, writer: DbWriter, session: Session) -> None:
        self.window, self.store, self.writer, self.session = window, store, writer, session


def _open(qtbot: QtBot, path: Path, settings: QSettings, username: str) -> Iterator[Desk]:
    store = Store.open(path, backup_daily=False)
    actor = store.authenticate(username, PASSWORD)
    store.on_write = forbid_gui_thread_writes  # from here on, only the writer thread writes
    writer = DbWriter()
    session = Session(store, writer, actor, store.studies()[0])
    window = MainWindow(settings, session)
    qtbot.addWidget(window)
    window.show()
    # the roster on screen, and the categories it shows recorded (which may audit a rules upgrade)
    qtbot.waitUntil(lambda: not window.loading and not window.recording_categories, timeout=20000)
    yield Desk(window, store, writer, session)
    if shiboken6.isValid(window):  # pytest-qt may already have scheduled its deletion
        window.close()
    qtbot.waitUntil(lambda: not writer.busy, timeout=20000)
    writer.shutdown()
    store.close()
    gc.unfreeze()  # the window froze its roster (core.bulk); give the rest of the session back


@pytest.fixture
def demo_desk(qtbot: QtBot, demo_template: Path, tmp_path: Path, settings: QSettings) -> Iterator[Desk]:
    yield from _open(qtbot, _copy(demo_template, tmp_path / "demo.sqlite3"), settings, "admin")


@pytest.fixture
def investigator_desk(
    qtbot: QtBot, demo_template: Path, tmp_path: Path, settings: QSettings
) -> Iterator[Desk]:
    yield from _open(qtbot, _copy(demo_template, tmp_path / "demo.sqlite3"), settings, "investigator")


@pytest.fixture
def empty_desk(qtbot: QtBot, empty_template: Path, tmp_path: Path, settings: QSettings) -> Iterator[Desk]:
    yield from _open(qtbot, _copy(empty_template, tmp_path / "study.sqlite3"), settings, "coord")


@pytest.fixture
def first_run(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[Store, FirstRunDialog]]:
    """An empty study file and the first-run dialog over it (the demo would go beside it)."""
    from desktop.dialogs.session_dialogs import FirstRunDialog

    store = Store.open(tmp_path / "new.sqlite3")
    writer = DbWriter()
    try:
        dialog = FirstRunDialog(store, writer, tmp_path / "demo.sqlite3")
        qtbot.addWidget(dialog)
        yield store, dialog
    finally:
        writer.shutdown()
        store.close()


def days_ago(n: int) -> dt.date:
    return dt.datetime.now().astimezone().date() - dt.timedelta(days=n)
