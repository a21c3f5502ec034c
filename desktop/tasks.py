"""Work off the GUI thread.

``DbWriter`` is the one database writer (SQLite has one): every write runs on
its thread, in submission order, and its result or error comes back to the
GUI thread through a queued signal. ``run_in_background`` runs long reads
(re-classifying a large roster) on a pool thread with progress and cancel.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]


class GuiThreadWriteError(RuntimeError):
    """A database write was attempted on the GUI thread."""


def forbid_gui_thread_writes(thread: threading.Thread) -> None:
    """Installed as ``Store.on_write``: the GUI thread never writes to the database."""
    if thread is threading.main_thread():
        raise GuiThreadWriteError("database write attempted on the GUI thread; submit it to the DbWriter")


@dataclass
class _Job:
    number: int
    fn: Callable[[], Any]
    on_done: OnDone | None
    on_error: OnError | None


@dataclass
class Outcome:
    """What a job or task produced. Signals carry this one object: PySide mis-counts
    references to ``None`` passed bare through queued ``object`` signals."""

    result: Any = None
    error: BaseException | None = None
    job: _Job | None = None


class _WriterWorker(QObject):
    sig_finished = Signal(object)
    """A job ended: (Outcome with the job, its result or error)."""

    @Slot(object)
    def run(self, job: _Job) -> None:
        try:
            result = job.fn()
        except Exception as exc:  # reported to the GUI thread, never swallowed
            self.sig_finished.emit(Outcome(error=exc, job=job))
        else:
            self.sig_finished.emit(Outcome(result=result, job=job))


class DbWriter(QObject):
    """The single database writer thread."""

    sig_submit = Signal(object)
    """Internal: hands a job to the writer thread (queued)."""
    sig_idle = Signal()
    """Every submitted job has finished."""
    sig_error = Signal(object)
    """A job failed and had no error handler: (exception)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("resistdesk-db-writer")
        self._worker = _WriterWorker()
        self._worker.moveToThread(self._thread)
        self.sig_submit.connect(self._worker.run)
        self._worker.sig_finished.connect(self._finished)
        self._pending = 0
        self._numbers = itertools.count(1)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def submit(
        self, fn: Callable[[], Any], on_done: OnDone | None = None, on_error: OnError | None = None
    ) -> None:
        """Run ``fn`` on the writer thread; call back on the GUI thread."""
        self._pending += 1
        self.sig_submit.emit(_Job(next(self._numbers), fn, on_done, on_error))

    @Slot(object)
    def _finished(self, outcome: Outcome) -> None:
        job, result, error = outcome.job, outcome.result, outcome.error
        assert job is not None
        self._pending -= 1
        try:
            if error is not None:
                if job.on_error is not None:
                    job.on_error(error)
                else:
                    self.sig_error.emit(error)
            elif job.on_done is not None:
                job.on_done(result)
        finally:
            if self._pending == 0:
                self.sig_idle.emit()

    def shutdown(self) -> None:
        self._thread.quit()
        self._thread.wait(10_000)


class _TaskSignals(QObject):
    sig_progress = Signal(int, int)
    """(done, total) from the task."""
    sig_finished = Signal(object)
    """(Outcome with the result or the error)."""


class Task(QRunnable):
    """A cancellable background read; ``fn(progress, cancelled)`` returns the result."""

    def __init__(self, fn: Callable[[Callable[[int, int], None], Callable[[], bool]], Any]) -> None:
        super().__init__()
        self.signals = _TaskSignals()
        self._fn = fn
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            result = self._fn(self.signals.sig_progress.emit, self._cancel.is_set)
        except Exception as exc:
            self.signals.sig_finished.emit(Outcome(error=exc))
        else:
            self.signals.sig_finished.emit(Outcome(result=result))


def run_in_background(
    fn: Callable[[Callable[[int, int], None], Callable[[], bool]], Any],
    on_done: OnDone,
    on_error: OnError | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Task:
    task = Task(fn)

    def finished(outcome: Outcome) -> None:
        result, error = outcome.result, outcome.error
        if task.cancelled:
            return
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                raise error
        else:
            on_done(result)

    task.signals.sig_finished.connect(finished)
    if on_progress is not None:
        task.signals.sig_progress.connect(on_progress)
    QThreadPool.globalInstance().start(task)
    return task
