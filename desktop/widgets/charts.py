"""Charts drawn with QPainter, crisp at any size: the swimmer-lane timeline of
one course, and the spider plot of % change from baseline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.rules import Classification, Course
from desktop.style import response_colour


def label_x(anchor: float, text_width: int, width: int) -> float:
    """Where a label beside a vertical line starts: right of the line, or left of it when it
    would run past the widget's edge (the 'as of' date was cut at the right)."""
    if anchor + 3 + text_width <= width - 2:
        return anchor + 3
    return max(2.0, anchor - 3 - text_width)


@dataclass(frozen=True)
class TimelineData:
    course: Course
    result: Classification


class TimelineWidget(QWidget):
    """Treatment bar from first to last dose, visits coloured by response, the
    6-week, 6-month and 12-weeks-after-last-dose marks, and the confirmation
    window shaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: TimelineData | None = None
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(600, 170)

    def set_data(self, data: TimelineData | None) -> None:
        self._data = data
        self.update()

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        if self._data is None:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No subject selected")
            return
        course, result = self._data.course, self._data.result
        k = result.key_dates
        dates = [course.first_dose, result.as_of, k.min_exposure_reached]
        dates += [a.date for a in course.assessments]
        for d in (course.last_dose, result.confirmation.closes):
            if d:
                dates.append(d)
        start, end = min(dates) - dt.timedelta(days=7), max(dates) + dt.timedelta(days=14)
        span = max((end - start).days, 1)
        left, right = 16.0, float(self.width() - 16)
        lane_y, lane_h = 58.0, 18.0

        def x(day: dt.date) -> float:
            return left + (right - left) * (day - start).days / span

        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        p.setFont(small)
        # confirmation window
        c = result.confirmation
        if c.opens and c.closes:
            tint = QColor("#f5b041") if c.status == "pending" else QColor("#aab7b8")
            tint.setAlpha(70)
            p.fillRect(QRectF(x(c.opens), 24, x(c.closes) - x(c.opens), self.height() - 48), tint)
            p.setPen(text)
            label = "confirmation window"
            p.drawText(
                QPointF(label_x(x(c.opens), p.fontMetrics().horizontalAdvance(label), self.width()), 36),
                label,
            )
        # treatment bar
        bar_end = course.last_dose or result.as_of
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#5d6d7e"))
        p.drawRoundedRect(
            QRectF(x(course.first_dose), lane_y, max(2.0, x(bar_end) - x(course.first_dose)), lane_h), 4, 4
        )
        if course.last_dose is None:  # ongoing: an arrow head
            path = QPainterPath(QPointF(x(bar_end), lane_y - 4))
            path.lineTo(x(bar_end) + 10, lane_y + lane_h / 2)
            path.lineTo(x(bar_end), lane_y + lane_h + 4)
            p.drawPath(path)
        # marks
        marks = [(k.min_exposure_reached, "6 wk"), (k.benefit_threshold, "6 mo")]
        if k.off_treatment_threshold:
            marks.append((k.off_treatment_threshold, "12 wk off"))
        for day, label in marks:
            if start <= day <= end:
                p.setPen(QPen(text, 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(x(day), 40), QPointF(x(day), self.height() - 30))
                p.drawText(QPointF(x(day) + 3, 50), label)
        # as-of line
        p.setPen(QPen(QColor("#2e86c1"), 2))
        p.drawLine(QPointF(x(result.as_of), 20), QPointF(x(result.as_of), self.height() - 26))
        label = f"as of {result.as_of}"
        p.drawText(
            QPointF(label_x(x(result.as_of), p.fontMetrics().horizontalAdvance(label), self.width()), 18),
            label,
        )
        # visits
        responses = {index: resp for index, resp, _ in result.visit_responses}
        for index, a in enumerate(course.assessments):
            response = responses.get(index)
            code = response.value if response else (a.response.value if a.response else "NE")
            colour = response_colour(code)
            if a.date > result.as_of:
                colour.setAlpha(90)
            cx, cy = x(a.date), lane_y + lane_h + 26
            p.setPen(QPen(pal.color(QPalette.ColorRole.Base), 1.5))
            p.setBrush(colour)
            p.drawEllipse(QPointF(cx, cy), 8, 8)
            p.setPen(text)
            p.drawText(QRectF(cx - 30, cy + 10, 60, 16), Qt.AlignmentFlag.AlignCenter, code)
        # axis labels
        p.setPen(text)
        p.drawText(QPointF(left, self.height() - 6), str(start))
        label = str(end)
        p.drawText(QPointF(right - p.fontMetrics().horizontalAdvance(label), self.height() - 6), label)
        p.end()


class SpiderWidget(QWidget):
    """% change of the target sum from baseline, by days since the first dose,
    with the −30 % (PR) and +20 % (PD, from the nadir) reference lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[tuple[int, float]] = []
        self.setMinimumHeight(170)

    def sizeHint(self) -> QSize:
        return QSize(400, 200)

    def set_points(self, points: list[tuple[int, float]]) -> None:
        self._points = points
        self.update()

    @property
    def points(self) -> list[tuple[int, float]]:
        return list(self._points)

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        if not self._points:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No lesion measurements")
            return
        pts = [(0, 0.0), *self._points]
        max_day = max(d for d, _ in pts) or 1
        lo, hi = min(-40.0, min(v for _, v in pts) - 10), max(30.0, max(v for _, v in pts) + 10)
        left, right, top, bottom = 44.0, float(self.width() - 12), 12.0, float(self.height() - 24)

        def pos(day: int, value: float) -> QPointF:
            return QPointF(
                left + (right - left) * day / max_day, top + (bottom - top) * (hi - value) / (hi - lo)
            )

        p.setPen(QPen(text, 1))
        p.drawLine(pos(0, lo), pos(0, hi))
        for value, label, colour in (
            (0.0, "0 %", text),
            (-30.0, "−30 %", QColor("#1e8449")),
            (20.0, "+20 %", QColor("#c0392b")),
        ):
            p.setPen(QPen(colour, 1, Qt.PenStyle.SolidLine if value == 0 else Qt.PenStyle.DashLine))
            p.drawLine(pos(0, value), pos(max_day, value))
            p.drawText(QRectF(0, pos(0, value).y() - 8, left - 4, 16), Qt.AlignmentFlag.AlignRight, label)
        path = QPainterPath(pos(*pts[0]))
        for day, value in pts[1:]:
            path.lineTo(pos(day, value))
        p.setPen(QPen(QColor("#2e86c1"), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setBrush(QColor("#2e86c1"))
        for day, value in pts:
            p.drawEllipse(pos(day, value), 3.5, 3.5)
        p.setPen(text)
        p.drawText(QPointF(left, self.height() - 6), "days since first dose →")
        p.end()
