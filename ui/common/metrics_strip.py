"""A one-line live metrics strip for the Chat page: tokens/s now and this
generation's peak with a sparkline, worker RSS, free RAM and VRAM if any.

One source per figure, and the label says which: while a reply streams, "now"
is the live rate (tokens streamed in the last second, sampled 5 times a
second); once it finishes, "reply" is that reply's measured generation speed,
the very number its stats line shows ("gen … t/s"). A one-second window cannot
measure a reply shorter than a second, so the live figure never stands for it.
Every number carries its unit, and a narrow strip elides with the full text as
tooltip rather than cut a number.

Self-contained: ``MetricsStrip(ctx)`` listens to the context's signals.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt, Slot
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QSizePolicy, QWidget

from app.monitor.sampler import MetricsSample
from app.monitor.series import MetricsSeries
from ui.common.elided_label import ElidedLabel
from ui.common.metric_text import DASH, memory_text, rate_text
from ui.shell.context import AppContext

SPARK_WINDOW_S = 30.0
LIVE_TIP = "Live: tokens streamed in the last second, sampled 5 times a second"
REPLY_TIP = ("The last reply's measured generation speed: the same figure as \"gen … t/s\" under the reply "
             "(first to last token). The live rate returns with the next reply.")


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

        # Rates and memory are two rows that sit side by side when there is room and
        # stack when the chat column is narrow (1280 px with both side columns).
        self._layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(4, 2, 4, 2)
        self._layout.setSpacing(12)
        self._rates, self._memory = QHBoxLayout(), QHBoxLayout()
        self.rate_label = self._label(LIVE_TIP)
        self.sparkline = Sparkline(self.series)
        self.peak_label = self._label("Highest live tokens/s of this generation (at least the reply's measured speed)")
        self.rss_label = self._label("Resident memory of the inference worker")
        self.free_label = self._label("System RAM available")
        self.vram_label = self._label("VRAM used by the worker (NVIDIA, via NVML)")
        self._reply_shown = False  # the finished reply's measured speed holds the rate label
        self._rates.addWidget(self.rate_label)
        self._rates.addWidget(self.sparkline, 0, Qt.AlignmentFlag.AlignVCenter)
        self._rates.addWidget(self.peak_label)
        for label in (self.rss_label, self.free_label, self.vram_label):
            self._memory.addWidget(label)
        for row in (self._rates, self._memory):
            row.setSpacing(10)
            row.addStretch(1)
            self._layout.addLayout(row)
        self.vram_label.hide()
        self._show_peak()

        ctx.metrics_sampled.connect(self._on_sample)
        ctx.generation_started.connect(self._on_generation_started)
        ctx.generation_finished.connect(self._on_generation_finished)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """Side by side if both rows fit whole, else stacked (each row elides if even that is too narrow)."""
        margins = self._layout.contentsMargins()
        needed = (self._rates.sizeHint().width() + self._memory.sizeHint().width() + self._layout.spacing()
                  + margins.left() + margins.right())
        wanted = QBoxLayout.Direction.LeftToRight if self.width() >= needed else QBoxLayout.Direction.TopToBottom
        if self._layout.direction() != wanted:
            self._layout.setDirection(wanted)

    def _label(self, tooltip: str) -> ElidedLabel:
        label = ElidedLabel(DASH, tip=tooltip)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        label.setFont(font)
        return label

    @Slot(object)
    def _on_sample(self, s: MetricsSample) -> None:
        if not self._reply_shown:
            self.rate_label.setText(f"now {rate_text(s.tokens_per_s)}")
        self.rss_label.setText(f"RSS {memory_text(s.worker_rss)}")
        self.free_label.setText(f"RAM free {memory_text(s.system_available)}")
        self.vram_label.setText(f"VRAM {memory_text(s.vram)}")
        self.vram_label.setVisible(s.vram is not None)
        self._arrange()
        if self.series.add(s) is not None:
            self.sparkline.update()
            self._show_peak()

    @Slot()
    def _on_generation_started(self) -> None:
        self._reply_shown = False
        self.rate_label.set_own_tooltip(LIVE_TIP)
        self.rate_label.setText(f"now {rate_text(0.0)}")
        self.series.start_recording()
        self.sparkline.update()
        self._show_peak()

    @Slot(object)
    def _on_generation_finished(self, stats) -> None:
        self.series.stop_recording()  # the sparkline and peak keep showing this generation
        if stats is not None and stats.n_gen > 1:
            self._reply_shown = True
            self.rate_label.set_own_tooltip(REPLY_TIP)
            self.rate_label.setText(f"reply {rate_text(stats.gen_tps)}")
            self._arrange()
        if stats is not None and stats.gen_tps > self.series.peak_tokens_per_s:
            # A generation shorter than the 5 Hz sampling interval left no sample of its own.
            self.series.peak_tokens_per_s = stats.gen_tps
            self._show_peak()

    def _show_peak(self) -> None:
        in_generation = self.series.recording or self.series.frozen or self._reply_shown
        self.peak_label.setText(f"peak {rate_text(self.series.peak_tokens_per_s)}" if in_generation
                                else f"peak {DASH}")
