"""A delegate that paints a category as a coloured badge with its label."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

BADGE_COLOUR_ROLE = Qt.ItemDataRole.UserRole + 10
PAD = 6.0


class BadgeDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        """Room for the badge as painted: the bold label, its padding and the cell's margin (the
        plain text's hint was 20 px short, so a column fitted to it cut the longest badges)."""
        hint = super().sizeHint(option, index)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if not isinstance(index.data(BADGE_COLOUR_ROLE), QColor) or not text:
            return hint
        font = QFont(option.font)
        font.setBold(True)
        width = QFontMetricsF(font).horizontalAdvance(text) + 2 * PAD + 6 + 2  # badge, margin, grid
        return QSize(max(hint.width(), int(width) + 1), hint.height())

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        colour = index.data(BADGE_COLOUR_ROLE)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if not isinstance(colour, QColor) or not text:
            super().paint(painter, option, index)
            return
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        metrics = QFontMetricsF(font, painter.device())  # the bold font, at the device's resolution
        rect = QRectF(option.rect).adjusted(3, 3, -3, -3)
        width = min(rect.width(), metrics.horizontalAdvance(text) + 2 * PAD)
        badge = QRectF(rect.left(), rect.top(), width, rect.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("white"))
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width - 2 * PAD)
        baseline = badge.center().y() + (metrics.ascent() - metrics.descent()) / 2
        painter.drawText(QPointF(badge.left() + PAD, baseline), shown)
        painter.restore()
