"""Per-token KL divergence of one chosen variant, as a histogram on a log
scale: a variant picker over a bar chart. The per-token values are read from
the run folder on a worker thread (``app.compare.run_store``), so reopened
runs show it too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCharts import QAreaSeries, QChart, QLineSeries, QLogValueAxis, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.compare.results.kld_histogram import KldHistogram, log_histogram
from app.compare.results.recommend import variant_name
from app.compare.run_store import load_token_kld
from ui.common.rolling_chart import nice_ceiling
from ui.common.themed_chart_view import ThemedChartView
from ui.compare.plot import VARIANT_COLOR
from ui.shell.workers import GeneratorWorker, start_worker


class HistogramChart(ThemedChartView):
    """Bars over a log10 x axis (an area series tracing each bin's outline), so
    the axis reads 0.001, 0.01, 0.1, 1 … however many bins there are."""

    def __init__(self) -> None:
        chart = QChart()
        super().__init__(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        chart.setTitle("Per-token KLD")
        chart.setMargins(QMargins(4, 4, 12, 4))
        chart.legend().hide()
        self.x_axis, self.y_axis = QLogValueAxis(), QValueAxis()
        self.x_axis.setBase(10)
        self.x_axis.setLabelFormat("%g")
        self.x_axis.setTitleText("KLD per token (log scale)")
        self.y_axis.setTitleText("tokens")
        self.y_axis.setLabelFormat("%.0f")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.histogram: KldHistogram | None = None
        self._lines: tuple[QLineSeries, QLineSeries] | None = None
        self._dark = False
        self.follow_palette()

    def area(self) -> QAreaSeries | None:
        series = self.chart().series()
        return series[0] if series else None

    def shown_counts(self) -> list[int]:
        """The bar heights as drawn (each bin is 4 outline points: up, across, across, down)."""
        area = self.area()
        if area is None:
            return []
        points = area.upperSeries().points()
        return [round(points[i + 1].y()) for i in range(0, len(points), 4)]

    def set_histogram(self, histogram: KldHistogram | None, title: str) -> None:
        chart = self.chart()
        chart.removeAllSeries()
        self.histogram = histogram
        chart.setTitle(title)
        if histogram is not None:
            edges = histogram.edges
            # The "below" bin is drawn one step left of the first edge.
            left = [edges[0] * edges[0] / edges[1], *edges]
            upper = QLineSeries()
            for lo, hi, count in zip(left[:-1], left[1:], histogram.counts, strict=True):
                upper.append([QPointF(lo, 0), QPointF(lo, count), QPointF(hi, count), QPointF(hi, 0)])
            lower = QLineSeries()
            lower.append([QPointF(left[0], 0), QPointF(left[-1], 0)])
            area = QAreaSeries(upper, lower)
            self._lines = (upper, lower)  # the area series does not own them: keep them alive
            chart.addSeries(area)
            area.attachAxis(self.x_axis)
            area.attachAxis(self.y_axis)
            self.x_axis.setRange(left[0], left[-1])
            self.y_axis.setRange(0, nice_ceiling(max(histogram.counts) * 1.1))
        self.apply_theme(self._dark)

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        chart = self.chart()
        chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        chart.setBackgroundRoundness(6)
        area = self.area()
        if area is not None:
            fill = QColor(VARIANT_COLOR)
            area.setBrush(fill)
            area.setPen(QPen(QColor("#1e3a8a" if not dark else "#bfdbfe"), 1))  # bin outlines
        for axis in (self.x_axis, self.y_axis):
            axis.setGridLineColor(QColor(255, 255, 255, 40) if dark else QColor(0, 0, 0, 30))


class KldHistogramPanel(QWidget):
    """Variant picker plus histogram; ``set_run`` after every result change."""

    def __init__(self) -> None:
        super().__init__()
        self.variant_box = QComboBox()
        self.variant_box.setToolTip("The variant whose per-token KL divergences are shown")
        self.variant_box.currentIndexChanged.connect(self._show_selected)
        self.note = QLabel(objectName="statsLine", wordWrap=True)
        self.chart = HistogramChart()
        top = QHBoxLayout()
        top.addWidget(QLabel("Histogram of"))
        top.addWidget(self.variant_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.note)
        self.run_dir: Path | None = None
        self.records: list[dict[str, Any]] = []
        self._workers: list[GeneratorWorker] = []

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    def set_run(self, run_dir: Path | None, records: list[dict[str, Any]]) -> None:
        self.run_dir = Path(run_dir) if run_dir else None
        self.records = [r for r in records if r.get("role") != "reference"]
        keep = self.variant_box.currentText()
        self.variant_box.blockSignals(True)
        self.variant_box.clear()
        self.variant_box.addItems([variant_name(r) for r in self.records])
        # Default: the variant with the largest mean KLD, where the tail is most interesting.
        worst = max(range(len(self.records)), key=lambda i: self.records[i].get("kld_mean") or 0, default=0)
        index = self.variant_box.findText(keep)
        self.variant_box.setCurrentIndex(index if index >= 0 else worst)
        self.variant_box.blockSignals(False)
        self._show_selected()

    def select(self, name: str) -> None:
        self.variant_box.setCurrentIndex(self.variant_box.findText(name))

    def _show_selected(self) -> None:
        index = self.variant_box.currentIndex()
        if self.run_dir is None or not 0 <= index < len(self.records):
            self.chart.set_histogram(None, "Per-token KLD")
            self.note.setText("")
            return
        record, run_dir = self.records[index], self.run_dir

        def job(_cancel):
            values = load_token_kld(run_dir, record)
            yield record, (None if values is None else log_histogram(values))

        holder: list[GeneratorWorker] = []
        worker = start_worker(job, on_yield=lambda result: self._loaded(*result),
                              on_finish=lambda: self._workers.remove(holder[0]))
        holder.append(worker)
        self._workers.append(worker)

    def _loaded(self, record: dict[str, Any], histogram: KldHistogram | None) -> None:
        if not self.records or record is not self.records[max(self.variant_box.currentIndex(), 0)]:
            return  # the selection moved on while this was loading
        name = variant_name(record)
        if histogram is None:
            self.chart.set_histogram(None, f"Per-token KLD: {name}")
            self.note.setText("This run kept no per-token values for this variant (run it again to see them).")
            return
        self.chart.set_histogram(histogram, f"Per-token KLD: {name} ({histogram.n_tokens} tokens)")
        self.note.setText(f"median {record['kld_median']:.2g} · p99 {record['kld_p99']:.2g} · "
                          f"max {record.get('kld_max') or 0:.2g}; the first bar holds everything below "
                          f"{histogram.edges[0]:g}")
