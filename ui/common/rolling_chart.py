"""A QtCharts line chart that scrolls with time.

Points are appended as samples arrive and dropped from the front once they
leave the window, so an update touches one point per line, not all of them.
Axes only change when their rounded range does, which keeps relayouts rare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCharts import QChart, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from ui.common.themed_chart_view import ThemedChartView


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    color: str


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k that is ≥ ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value * (1 - 1e-9):
            return factor * power
    return 10 * power


def nice_step(span: float, ticks: int = 5) -> float:
    return nice_ceiling(span / ticks)


def set_range_and_step(axis: QValueAxis, lo: float, hi: float, step: float) -> None:
    """Range and tick interval together. Dynamic ticks go off while both change: a new range
    under the old interval (or the reverse) makes QtCharts lay out millions of ticks when an
    axis jumps by orders of magnitude, e.g. a KLD axis going from 1e-6 to 2."""
    axis.setTickType(QValueAxis.TickType.TicksFixed)
    axis.setRange(lo, hi)
    axis.setTickInterval(step)
    axis.setTickAnchor(0.0)
    axis.setTickType(QValueAxis.TickType.TicksDynamic)


class RollingChart(ThemedChartView):
    def __init__(self, title: str, y_title: str, lines: list[Line], min_y_max: float = 1.0) -> None:
        chart = QChart()
        super().__init__(chart)
        self._line_specs = lines
        self._min_y_max = min_y_max
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(180)

        chart.setTitle(title)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
        chart.legend().setVisible(len(lines) > 1)  # one line: the title and y axis already name it

        self.x_axis = _axis("%.0f", "seconds")
        self.y_axis = _axis("%.0f", y_title)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)

        self.lines: dict[str, QLineSeries] = {}
        for spec in lines:
            line = QLineSeries(name=spec.label)
            chart.addSeries(line)
            line.attachAxis(self.x_axis)
            line.attachAxis(self.y_axis)
            line.setVisible(False)  # until it has data: e.g. VRAM only with an NVIDIA GPU
            self.lines[spec.key] = line
        self._x_range = (0.0, 0.0)
        self._y_max = 0.0
        self.show_x(0.0, 10.0)
        self.show_y_max(0.0)
        self.follow_palette()

    def apply_theme(self, dark: bool) -> None:
        # A chart theme resets every series' pen, so the fixed colours go back on after it.
        self.chart().setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        self.chart().setBackgroundRoundness(6)
        for spec in self._line_specs:
            self.lines[spec.key].setPen(QPen(QColor(spec.color), 2))
        for axis in (self.x_axis, self.y_axis):
            axis.setGridLineColor(QColor(255, 255, 255, 40) if dark else QColor(0, 0, 0, 30))

    def append(self, x: float, values: dict[str, float | None]) -> None:
        for key, y in values.items():
            if y is None:
                continue
            line = self.lines[key]
            line.append(x, y)
            if not line.isVisible():
                line.setVisible(True)

    def trim(self, before_x: float) -> None:
        """Drop the leading points older than ``before_x``."""
        for line in self.lines.values():
            count, old = line.count(), 0
            while old < count and line.at(old).x() < before_x:
                old += 1
            if old:
                line.removePoints(0, old)

    def clear(self) -> None:
        for line in self.lines.values():
            line.clear()
            line.setVisible(False)

    def show_x(self, lo: float, hi: float, snap_end: bool = False) -> None:
        """Show x in [lo, hi]; ``snap_end`` rounds hi up to a tick, for a chart
        that is not scrolling yet (a scrolling one keeps its newest point at the edge)."""
        step = nice_step(hi - lo, ticks=6)
        if snap_end:
            hi = math.ceil(hi / step - 1e-9) * step
        if (lo, hi) == self._x_range:
            return
        self._x_range = (lo, hi)
        set_range_and_step(self.x_axis, lo, hi, step)

    def show_y_max(self, value: float) -> None:
        """Fit the y axis to ``value`` with some headroom, ending on a round tick."""
        wanted = max(value * 1.1, self._min_y_max)
        step = nice_step(wanted, ticks=6)
        top = math.ceil(wanted / step - 1e-9) * step
        if top == self._y_max:
            return
        self._y_max = top
        set_range_and_step(self.y_axis, 0.0, top, step)
        self.y_axis.setLabelFormat(f"%.{max(0, -math.floor(math.log10(step) + 1e-9))}f")


def _axis(label_format: str, title: str) -> QValueAxis:
    axis = QValueAxis()
    axis.setLabelFormat(label_format)
    axis.setTitleText(title)
    # Dynamic ticks sit on round numbers, so labels don't jitter as the window scrolls.
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0.0)
    return axis
