"""A scatter plot of one metric against file size, each point labelled with
its quant name. One QScatterSeries per point: QtCharts' point labels can only
show coordinates, but a series' label format can be any fixed text."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCharts import QChart, QScatterSeries, QValueAxis
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QCursor, QPainter
from PySide6.QtWidgets import QToolTip

from ui.common.rolling_chart import nice_step, set_range_and_step
from ui.common.themed_chart_view import ThemedChartView

REFERENCE_COLOR = "#9aa0a6"
VARIANT_COLOR = "#3b82f6"


@dataclass(frozen=True)
class PlotPoint:
    label: str
    x: float
    y: float
    reference: bool = False


class ComparePlot(ThemedChartView):
    def __init__(self, title: str, y_title: str) -> None:
        chart = QChart()
        super().__init__(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        chart.setTitle(title)
        chart.setMargins(QMargins(4, 4, 12, 4))
        chart.legend().hide()  # each point carries its own name
        self.x_axis, self.y_axis = QValueAxis(), QValueAxis()
        self.y_axis.setTitleText(y_title)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.points: list[PlotPoint] = []
        self._dark = False
        self.set_points([], "file size")
        self.follow_palette()

    def series(self) -> list[QScatterSeries]:
        return [s for s in self.chart().series() if isinstance(s, QScatterSeries)]

    def set_points(self, points: list[PlotPoint], x_unit: str) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        self.points = list(points)
        for point in self.points:
            series = QScatterSeries(name=point.label)
            series.append(point.x, point.y)
            series.setMarkerSize(11)
            series.setPointLabelsFormat(point.label)
            series.setPointLabelsVisible(True)
            series.setPointLabelsClipping(False)  # a label at the plot's edge stays readable
            # Close points' labels can overlap; hovering names the point and its values.
            tip = f"{point.label}: {point.y:.4g} at {point.x:.2f}"
            series.hovered.connect(
                lambda _p, on, tip=tip: QToolTip.showText(QCursor.pos(), tip) if on else QToolTip.hideText()
            )
            chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.x_axis.setTitleText(x_unit)
        self._fit(self.x_axis, [p.x for p in self.points])
        self._fit(self.y_axis, [p.y for p in self.points], floor_pad=True)
        self.apply_theme(self._dark)

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        chart = self.chart()
        chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        chart.setBackgroundRoundness(6)
        text = QColor("#e8eaed" if dark else "#202124")
        for series, point in zip(self.series(), self.points, strict=True):
            colour = QColor(REFERENCE_COLOR if point.reference else VARIANT_COLOR)
            series.setColor(colour)
            series.setBorderColor(colour)
            series.setPointLabelsColor(text)
        for axis in (self.x_axis, self.y_axis):
            axis.setGridLineColor(QColor(255, 255, 255, 40) if dark else QColor(0, 0, 0, 30))

    @staticmethod
    def _fit(axis: QValueAxis, values: list[float], floor_pad: bool = False) -> None:
        """Round range from 0 with headroom, so labels above points are not cut off;
        ``floor_pad`` lifts 0 off the axis line, where the reference's KLD of 0 sits."""
        top = max(values, default=0.0) * 1.15 or 1.0
        step = nice_step(top, ticks=5)
        top = math.ceil(top / step - 1e-9) * step
        # Dynamic ticks from 0: round numbers even with the pad below it.
        set_range_and_step(axis, -0.06 * top if floor_pad else 0.0, top, step)
        axis.setLabelFormat(f"%.{max(0, -math.floor(math.log10(step) + 1e-9))}f")
