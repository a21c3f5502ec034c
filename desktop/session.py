"""The signed-in session: the store, its writer, the acting user and the open study.

Screens read through the session and submit every write through
``Session.write``, which runs on the ``DbWriter`` thread and announces the
change with ``sig_changed`` so every screen refreshes from the store.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from core.rules import RuleSet, StudyRules
from core.store.models import Study
from core.store.store import Actor, Store
from core.store.users import Role
from desktop.tasks import DbWriter, OnDone, OnError


class Session(QObject):
    sig_changed = Signal(int)
    """Study data changed: (subject primary key, or 0 for anything)."""
    sig_error = Signal(object)
    """A write failed without its own handler: (exception)."""

    def __init__(
        self, store: Store, writer: DbWriter, actor: Actor, study: Study, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.writer = writer
        self.actor = actor
        self.study = study

    @property
    def study_id(self) -> int:
        assert self.study.id is not None
        return self.study.id

    @property
    def ruleset(self) -> RuleSet:
        """The study's SITC-2020 rule set."""
        return self.store.ruleset(self.study)

    @property
    def rules(self) -> StudyRules:
        """Both of the study's rule sets (what classify() is given)."""
        return self.store.rules(self.study)

    @property
    def is_admin(self) -> bool:
        return self.actor.role is Role.ADMINISTRATOR

    @property
    def can_sign(self) -> bool:
        return self.actor.role is Role.INVESTIGATOR

    def as_of(self) -> dt.date:
        """The date classifications are computed for: today."""
        return self.store.today()

    def write(
        self,
        fn: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        subject_pk: int | None = None,
    ) -> None:
        """Run a store write on the writer thread; announce the change when it commits."""

        def done(result: Any) -> None:
            if on_done is not None:
                on_done(result)
            self.sig_changed.emit(subject_pk or 0)

        self.writer.submit(fn, done, on_error or self.sig_error.emit)

    def write_with_progress(
        self,
        parent: QWidget,
        title: str,
        fn: Callable[[Callable[[int, int], None], Callable[[], bool]], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
    ) -> QProgressDialog:
        """A long write on the writer thread, with a progress dialog whose Cancel rolls it back."""
        dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        stop = threading.Event()
        bridge = _ProgressBridge(dialog)

        def show(done: int, total: int) -> None:
            dialog.setMaximum(total)
            dialog.setValue(done)

        bridge.sig_progress.connect(show)
        dialog.canceled.connect(stop.set)

        def finish(result: Any) -> None:
            dialog.reset()
            if on_done is not None:
                on_done(result)

        def fail(exc: BaseException) -> None:
            dialog.reset()
            (on_error or self.sig_error.emit)(exc)

        self.write(lambda: fn(bridge.sig_progress.emit, stop.is_set), finish, fail)
        return dialog

    def reload_study(self) -> None:
        self.study = self.store.study(self.study_id)
        self.sig_changed.emit(0)


class _ProgressBridge(QObject):
    sig_progress = Signal(int, int)
    """(done, total) emitted on the writer thread, shown on the GUI thread."""
