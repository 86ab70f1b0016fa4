"""The "quality per GiB" view of the whole chain: every file x KV-type row by its memory
(file plus KV cache) and mean KLD, with the Pareto front (app.compare.results.pareto) drawn as a
line: a row off the line is beaten on both memory and quality by one on it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCharts import QLineSeries
from PySide6.QtGui import QColor, QPen

from app.compare.results.pareto import pareto_points
from ui.compare.plot import ComparePlot, PlotPoint

FRONT_COLOR = "#34a853"


class ParetoPlot(ComparePlot):
    """Public hooks (tests): ``points`` (as plotted), ``front`` (labels on the front, by memory)."""

    def __init__(self) -> None:
        self.front: list[str] = []
        self._line: QLineSeries | None = None
        super().__init__("Quality per GiB (file + KV cache; lower KLD is better)", "KLD mean")

    def set_records(self, records: list[dict[str, Any]]) -> None:
        found = pareto_points(records)
        gib = max((p.gib for p in found), default=0) >= 1
        scale, unit = (1.0, "GiB") if gib else (1024.0, "MiB")
        self.set_points([PlotPoint(p.label, p.gib * scale, p.kld, p.is_reference) for p in found],
                        f"memory: file + KV cache ({unit})")
        on_front = sorted((p for p in found if p.on_front), key=lambda p: p.gib)
        self.front = [p.label for p in on_front]
        if len(on_front) > 1:
            line = QLineSeries(name="Pareto front")
            for p in on_front:
                line.append(p.gib * scale, p.kld)
            self.chart().addSeries(line)
            line.attachAxis(self.x_axis)
            line.attachAxis(self.y_axis)
            self._line = line
        self.apply_theme(self._dark)

    def set_points(self, points: list[PlotPoint], x_unit: str) -> None:
        self._line = None  # removeAllSeries() deletes it
        super().set_points(points, x_unit)

    def apply_theme(self, dark: bool) -> None:
        super().apply_theme(dark)
        if self._line is not None:
            pen = QPen(QColor(FRONT_COLOR))
            pen.setWidth(2)
            self._line.setPen(pen)
