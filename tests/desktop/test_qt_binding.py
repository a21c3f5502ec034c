"""The Qt binding must not mis-count references to None/True/False.

PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` (or a bool) on
every signal emit and model callback, until the interpreter aborts with
"deallocating None". pyproject.toml pins below it; this test catches a
binding that regresses.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    sig = Signal(object)


class _Model(QAbstractTableModel):
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 40

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 6

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        return "x" if role == Qt.ItemDataRole.DisplayRole else None


def test_signals_keep_references_to_none_and_bools(qtbot: QtBot) -> None:
    emitter, received = _Emitter(), []
    emitter.sig.connect(received.append)
    before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(200):
        emitter.sig.emit(None)
        emitter.sig.emit(True)
        emitter.sig.emit(False)
    received.clear()
    after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    assert after == before


def test_model_callbacks_keep_references_to_none(qtbot: QtBot) -> None:
    view = QTableView()
    qtbot.addWidget(view)
    model = _Model()
    view.setModel(model)
    view.resize(500, 400)
    for _ in range(5):
        view.grab()  # the first paints create caches that hold references
    before = sys.getrefcount(None)
    for _ in range(100):
        view.grab()
    # A leaking binding loses a reference per paint (100 here); allow a little noise.
    assert abs(sys.getrefcount(None) - before) < 20
