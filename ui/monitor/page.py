"""Monitor page: tokens/s and memory over a rolling window, live.

Samples come from the context's background sampler (never sampled here).
While a generation runs it is recorded; afterwards the charts stay frozen so
they can be saved as PNG or CSV, until the next generation or Clear.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.monitor.sampler import MetricsSample
from app.monitor.series import MetricsSeries, write_csv
from ui.common.metric_text import memory_text, rate_text
from ui.common.rolling_chart import Line, RollingChart
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker

WINDOW_S = 120.0
MIN_SPAN_S = 10.0  # the x axis never shows less, so a fresh chart doesn't zoom into two points
GIB = 2**30

TOKEN_LINES = [Line("tps", "Tokens/s", "#3b82f6")]
MEMORY_LINES = [
    Line("rss", "Worker RSS", "#f59e0b"),
    Line("used", "System RAM used", "#ef4444"),
    Line("available", "System RAM available", "#22c55e"),
    Line("vram", "VRAM", "#a855f7"),
]


class MonitorPage(QWidget):
    title = "Monitor"
    icon = "monitor"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.series = MetricsSeries(window_s=WINDOW_S)
        self._charts_stale = False
        self._save_worker: GeneratorWorker | None = None

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        layout.addLayout(self._build_values())
        self.tokens_chart = RollingChart("Generation speed", "tokens/s", TOKEN_LINES, min_y_max=5.0)
        self.memory_chart = RollingChart("Memory", "GiB", MEMORY_LINES, min_y_max=1.0)
        self.charts = QWidget()
        charts_layout = QVBoxLayout(self.charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.addWidget(self.tokens_chart, 1)
        charts_layout.addWidget(self.memory_chart, 1)
        layout.addWidget(self.charts, 1)
        self._show_state()

        ctx.metrics_sampled.connect(self._on_sample)
        ctx.generation_started.connect(self._on_generation_started)
        ctx.generation_finished.connect(self._on_generation_finished)

    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Monitor", objectName="pageTitle"))
        self.state_label = QLabel(objectName="statsLine")
        row.addWidget(self.state_label, 1)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget the recorded series and follow live samples")
        self.clear_button.clicked.connect(self.clear)
        self.csv_button = QPushButton("Save CSV…")
        self.csv_button.clicked.connect(self._ask_save_csv)
        self.png_button = QPushButton("Save PNG…")
        self.png_button.clicked.connect(self._ask_save_png)
        for button in (self.clear_button, self.csv_button, self.png_button):
            row.addWidget(button)
        return row

    def _build_values(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(18)
        self.value_labels: dict[str, QLabel] = {}
        for key, caption in [
            ("tps", "Speed"),
            ("peak", "Peak"),
            ("rss", "Worker RSS"),
            ("used", "RAM used"),
            ("available", "RAM available"),
            ("vram", "VRAM"),
        ]:
            label = QLabel()
            label.setProperty("caption", caption)
            self.value_labels[key] = label
            row.addWidget(label)
        row.addStretch(1)
        self._set_value("vram", None)
        return row

    # --- samples and generations -------------------------------------------------

    @Slot(object)
    def _on_sample(self, sample: MetricsSample) -> None:
        self._show_values(sample)
        stored = self.series.add(sample)
        if stored is None:  # frozen after a generation
            return
        if self.isVisible():
            self._plot(stored)
            self._rescale()
        else:
            # Axis relayouts cost tens of ms; a hidden page must not stall the
            # chat that is streaming. showEvent replots from the series.
            self._charts_stale = True
        self._set_value("peak", rate_text(self.series.peak_tokens_per_s))
        self._show_state()

    def _plot(self, sample: MetricsSample) -> None:
        self.tokens_chart.append(sample.t, {"tps": sample.tokens_per_s})
        self.memory_chart.append(
            sample.t,
            {
                "rss": _gib(sample.worker_rss),
                "used": _gib(sample.system_used),
                "available": _gib(sample.system_available),
                "vram": _gib(sample.vram),
            },
        )

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._charts_stale:
            self._charts_stale = False
            self.tokens_chart.clear()
            self.memory_chart.clear()
            for sample in self.series:
                self._plot(sample)
            self._rescale()

    @Slot()
    def _on_generation_started(self) -> None:
        self.series.start_recording()
        self._clear_charts()

    @Slot(object)
    def _on_generation_finished(self, _stats) -> None:
        self.series.stop_recording()
        self._show_state()

    @Slot()
    def clear(self) -> None:
        self.series.clear()
        self._clear_charts()

    def _clear_charts(self) -> None:
        self.tokens_chart.clear()
        self.memory_chart.clear()
        self._rescale()
        self._set_value("peak", rate_text(None))
        self._show_state()

    def _rescale(self) -> None:
        first, last = self.series.first_t, self.series.last_t
        for chart in (self.tokens_chart, self.memory_chart):
            chart.trim(first)
            chart.show_x(first, max(last, first + MIN_SPAN_S), snap_end=first == 0.0)  # not scrolling yet
        # ≤ 600 samples at 5 Hz: a scan per sample is cheap next to a repaint.
        self.tokens_chart.show_y_max(max((s.tokens_per_s for s in self.series), default=0.0))
        self.memory_chart.show_y_max(max((_memory_peak(s) for s in self.series), default=0.0) / GIB)

    def _show_values(self, s: MetricsSample) -> None:
        self._set_value("tps", rate_text(s.tokens_per_s))
        self._set_value("rss", memory_text(s.worker_rss))
        self._set_value("used", memory_text(s.system_used))
        self._set_value("available", memory_text(s.system_available))
        self._set_value("vram", memory_text(s.vram))
        self.value_labels["vram"].setVisible(s.vram is not None)

    def _set_value(self, key: str, text: str) -> None:
        label = self.value_labels[key]
        label.setText(f"{label.property('caption')}: <b>{text}</b>")

    def _show_state(self) -> None:
        span = f"{self.series.last_t - self.series.first_t:.0f} s" if len(self.series) else ""
        if self.series.recording:
            text = f"Recording the generation · {span}"
        elif self.series.frozen:
            text = f"Last generation ({span}), kept until the next one or Clear"
        elif self.series.last_was_empty:
            text = ("The last generation ended before its first sample (it failed or was very short) · "
                    f"Live · last {WINDOW_S:.0f} s")
        else:
            text = f"Live · last {WINDOW_S:.0f} s"
        self.state_label.setText(text)
        has_data = len(self.series) > 0
        self.csv_button.setEnabled(has_data)
        self.png_button.setEnabled(has_data)

    # --- saving --------------------------------------------------------------------

    def chart_image(self) -> QImage:
        return self.charts.grab().toImage()

    def save_png(self, path: str | Path) -> None:
        _write_png(self.chart_image(), path)

    def save_csv(self, path: str | Path) -> None:
        self.series.to_csv(path)

    def _ask_save_png(self) -> None:
        path = self._ask_path("Save charts as PNG", "png", "PNG image (*.png)")
        if path:
            image = self.chart_image()  # painting must happen here; the file write need not
            self._write_in_background(lambda: _write_png(image, path), path)

    def _ask_save_csv(self) -> None:
        path = self._ask_path("Save metrics as CSV", "csv", "CSV file (*.csv)")
        if path:
            samples = list(self.series)  # a snapshot: new samples may arrive while it writes
            self._write_in_background(lambda: write_csv(samples, path), path)

    def _ask_path(self, caption: str, suffix: str, file_filter: str) -> str:
        default = Path.home() / f"workbench-metrics-{time.strftime('%Y%m%d-%H%M%S')}.{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, caption, str(default), file_filter)
        return path

    def _write_in_background(self, write, path: str) -> None:
        def job(_cancel):
            write()
            yield path

        self._save_worker = start_worker(job, on_yield=self._saved, on_error=self._save_failed)

    @Slot(object)
    def _saved(self, path: str) -> None:
        self.state_label.setText(f"Saved {path}")

    @Slot(object, str)
    def _save_failed(self, error: Exception, _trace: str) -> None:
        QMessageBox.warning(self, "Could not save", str(error))



def _gib(n_bytes: int | None) -> float | None:
    return None if n_bytes is None else n_bytes / GIB


def _memory_peak(s: MetricsSample) -> int:
    return max(s.system_used, s.system_available, s.worker_rss or 0, s.vram or 0)


def _write_png(image: QImage, path: str | Path) -> None:
    if image.isNull() or not image.save(str(path), "PNG"):
        raise OSError(f"Could not write {path}")
