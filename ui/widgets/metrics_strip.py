"""A one-line live metrics strip for the Chat page: tokens/s now and this
generation's peak with a sparkline, worker RSS, free RAM and VRAM if any.

Self-contained: ``MetricsStrip(ctx)`` listens to the context's signals.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt, Slot
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from app.metrics_sampler import MetricsSample
from app.metrics_series import MetricsSeries
from ui.context import AppContext
from ui.metric_text import DASH, memory_text, rate_text

SPARK_WINDOW_S = 30.0


class Sparkline(QWidget):
    """Tokens/s of ``series`` as a tiny line, scaled to its own peak."""

    def __init__(self, series: MetricsSeries) -> None:
        super().__init__()
        self.series = series
        self.setFixedSize(QSize(90, 18))
        self.setToolTip(f"Tokens/s of this generation (at most the last {SPARK_WINDOW_S:.0f} s)")

    def paintEvent(self, _event: QPaintEvent) -> None:
        if len(self.series) < 2:
            return
        top = max(self.series.peak_tokens_per_s, 1.0)
        w, h = self.width() - 2, self.height() - 2
        x0, span = self.series.first_t, max(self.series.last_t - self.series.first_t, 1e-6)  # fill the width
        line = [QPointF(1 + w * (s.t - x0) / span, 1 + h * (1 - s.tokens_per_s / top)) for s in self.series]
        colour = self.palette().highlight().color()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QColor(colour)
        area.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(area)
        painter.drawPolygon(QPolygonF([QPointF(line[0].x(), 1 + h), *line, QPointF(line[-1].x(), 1 + h)]))
        painter.setPen(QPen(colour, 1.5))
        painter.drawPolyline(QPolygonF(line))
        painter.end()


class MetricsStrip(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(objectName="metricsStrip")
        self.ctx = ctx
        self.series = MetricsSeries(window_s=SPARK_WINDOW_S)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(12)
        self.rate_label = self._label("Tokens per second now", "000.0 tok/s")
        self.sparkline = Sparkline(self.series)
        self.peak_label = self._label("Peak tokens per second of this generation", "peak 000.0")
        self.rss_label = self._label("Resident memory of the inference worker", "RSS 0000 MiB")
        self.free_label = self._label("System RAM available", "RAM free 00.0 GiB")
        self.vram_label = self._label("VRAM used by the worker (NVIDIA, via NVML)", "VRAM 00.0 GiB")
        layout.addWidget(self.rate_label)
        layout.addWidget(self.sparkline, 0, Qt.AlignmentFlag.AlignVCenter)
        for label in (self.peak_label, self.rss_label, self.free_label, self.vram_label):
            layout.addWidget(label)
        layout.addStretch(1)
        self.vram_label.hide()
        self._show_peak()

        ctx.metrics_sampled.connect(self._on_sample)
        ctx.generation_started.connect(self._on_generation_started)
        ctx.generation_finished.connect(self._on_generation_finished)

    def _label(self, tooltip: str, widest: str) -> QLabel:
        label = QLabel(DASH)
        label.setToolTip(tooltip)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        label.setFont(font)
        label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest))  # numbers don't shove neighbours
        return label

    @Slot(object)
    def _on_sample(self, s: MetricsSample) -> None:
        self.rate_label.setText(rate_text(s.tokens_per_s))
        self.rss_label.setText(f"RSS {memory_text(s.worker_rss)}")
        self.free_label.setText(f"RAM free {memory_text(s.system_available)}")
        self.vram_label.setText(f"VRAM {memory_text(s.vram)}")
        self.vram_label.setVisible(s.vram is not None)
        if self.series.add(s) is not None:
            self.sparkline.update()
            self._show_peak()

    @Slot()
    def _on_generation_started(self) -> None:
        self.series.start_recording()
        self.sparkline.update()
        self._show_peak()

    @Slot(object)
    def _on_generation_finished(self, stats) -> None:
        self.series.stop_recording()  # the sparkline and peak keep showing this generation
        if stats is not None and stats.gen_tps > self.series.peak_tokens_per_s:
            # A generation shorter than the 5 Hz sampling interval left no sample of its own.
            self.series.peak_tokens_per_s = stats.gen_tps
            self._show_peak()

    def _show_peak(self) -> None:
        in_generation = self.series.recording or self.series.frozen
        self.peak_label.setText(f"peak {self.series.peak_tokens_per_s:.1f}" if in_generation else f"peak {DASH}")
