"""Compare page: quality, speed and memory of quantized variants of one model.

A thin adapter over ``app.compare``: the runner does the work on a worker
thread (as ``workbench compare`` does in the terminal), the page shows its
progress, then the records as a table, plots (quality and speed against size,
and quality per GiB of file plus KV cache with its Pareto front), a per-token
KLD histogram and a recommendation. With KV types set, each file runs at each
K/V cache type (app.compare.kv.axis) and every row is one file at one type.
Finished models are kept by the runner, so Run after Cancel resumes. The
Arena tab runs the same files side by side on prompts.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.compare.results.export import render
from app.compare.results.recommend import recommend, variant_name
from app.compare.runner import CompareOutcome, list_runs, load_run_records
from models.errors import WorkbenchError
from ui.common.error_banner import ChatErrorBanner
from ui.compare.arena.panel import ArenaPanel
from ui.compare.histogram import KldHistogramPanel
from ui.compare.job import compare_job, siblings_job
from ui.compare.pareto_plot import ParetoPlot
from ui.compare.plot import ComparePlot, PlotPoint
from ui.compare.setup import CompareSetup
from ui.compare.table import CompareTable
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker

GIB, MIB = 2**30, 2**20
PROGRESS_STEPS = 1000  # the bar's resolution: the runner reports fractions of a model
EXPORTS = [("json", "JSON", "JSON (*.json)"), ("csv", "CSV", "CSV (*.csv)"), ("md", "Markdown", "Markdown (*.md)")]


class ComparePage(QWidget):
    title = "Compare"
    icon = "compare"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.records: list[dict[str, Any]] = []
        self.meta: dict[str, Any] = {}
        self.outcome: CompareOutcome | None = None
        self._run_worker: GeneratorWorker | None = None
        self._side_workers: list[GeneratorWorker] = []  # siblings, exports, history: kept alive while running
        self._runs: list[dict[str, Any]] = []

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        self.setup = CompareSetup()
        self.setup.changed.connect(self._update_buttons)
        self.setup.siblings_requested.connect(self._find_siblings)
        self.setup.refused.connect(self._show_error)
        layout.addWidget(self.setup)
        self.progress = QProgressBar(maximum=PROGRESS_STEPS, textVisible=True)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.error_banner = ChatErrorBanner()
        layout.addWidget(self.error_banner)
        self.recommendation = QLabel(wordWrap=True, objectName="compareRecommendation")
        self.recommendation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.recommendation.font()
        font.setBold(True)  # the one line most users came for
        self.recommendation.setFont(font)
        layout.addWidget(self.recommendation)
        self.arena = ArenaPanel(lambda: (list(self.setup.files), self.setup.reference_box.currentData()))
        self.setup.changed.connect(self.arena.refresh)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_results(), "Quality")
        self.tabs.addTab(self.arena, "Arena")
        layout.addWidget(self.tabs, 1)
        layout.addLayout(self._build_footer())
        self._update_buttons()

    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare", objectName="pageTitle"))
        self.state_label = QLabel("Add 2–8 GGUF variants of one model", objectName="statsLine")
        row.addWidget(self.state_label, 1)
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(lambda: self.run())
        self.remeasure_button = QPushButton("Re-measure")
        self.remeasure_button.setToolTip("Measure every model again instead of reusing results saved by earlier runs")
        self.remeasure_button.clicked.connect(lambda: self.run(remeasure=True))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.run_button)
        row.addWidget(self.remeasure_button)
        row.addWidget(self.cancel_button)
        return row

    def _build_results(self) -> QWidget:
        self.table = CompareTable()
        self.quality_plot = ComparePlot("Quality vs size (lower KLD is better)", "KLD mean")
        self.speed_plot = ComparePlot("Speed vs size", "generation tokens/s")
        plots = QWidget()
        plots_row = QHBoxLayout(plots)
        plots_row.setContentsMargins(0, 0, 0, 0)
        plots_row.addWidget(self.quality_plot)
        plots_row.addWidget(self.speed_plot)
        self.pareto_plot = ParetoPlot()
        plots_row.addWidget(self.pareto_plot)
        self.histogram = KldHistogramPanel()
        plots_row.addWidget(self.histogram)
        results = QWidget()
        column = QVBoxLayout(results)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table)  # sized to its rows
        column.addWidget(plots, 1)
        return results

    def _build_footer(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.history_box = QComboBox()
        self.history_box.setMinimumContentsLength(40)
        self.history_box.setToolTip("Reopen an earlier comparison")
        self.history_box.activated.connect(self._open_history)
        row.addWidget(QLabel("Earlier runs"))
        row.addWidget(self.history_box, 1)
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt, name, file_filter in EXPORTS:
            button = QPushButton(f"Export {name}…")
            button.clicked.connect(lambda _=False, f=fmt, n=name, ff=file_filter: self._ask_export(f, n, ff))
            self.export_buttons[fmt] = button
            row.addWidget(button)
        return row

    # --- running -------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._run_worker is not None

    def run(self, remeasure: bool = False) -> None:
        if self.is_running() or not self.setup.is_ready():
            return
        self.error_banner.clear()
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self.progress.show()
        self.state_label.setText("Comparing…")
        self._run_worker = start_worker(
            compare_job(replace(self.setup.request(), remeasure=remeasure)),
            on_yield=self._on_event,
            on_error=self._on_run_error,
            on_finish=self._on_run_finished,
        )
        self._update_buttons()

    @Slot()
    def cancel(self) -> None:
        if self._run_worker is not None:
            self._run_worker.quit()  # the runner stops at the next chunk; finished models stay saved
            self.progress.setFormat("Cancelling…")
            self.cancel_button.setEnabled(False)

    @Slot(object)
    def _on_event(self, event: tuple[Any, ...]) -> None:
        if event[0] == "progress":
            _, done, total, label = event
            self.progress.setValue(int(PROGRESS_STEPS * done / max(total, 1)))
            self.progress.setFormat(f"{label}  (%p%)")
            return
        _, outcome, meta = event
        self.outcome = outcome
        self.show_records(outcome.records, meta | {"run_dir": str(outcome.run_dir)})
        if outcome.cancelled:
            self.state_label.setText(f"Cancelled · {len(outcome.records)} finished model(s) kept; Run resumes")
        else:
            self.state_label.setText(f"Done · {len(outcome.records)} models" + _cached_text(outcome.records))

    @Slot(object, str)
    def _on_run_error(self, error: Exception, _trace: str) -> None:
        self._show_error(_readable(error))
        self.state_label.setText("Not compared")

    @Slot()
    def _on_run_finished(self) -> None:
        self._run_worker = None
        self.progress.hide()
        self._update_buttons()
        self.refresh_history()

    def shutdown(self) -> None:
        """The window is closing: stop a running comparison (finished models stay saved)."""
        if self._run_worker is not None:
            self._run_worker.quit()
        self.arena.shutdown()

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.run_button.setEnabled(not running and self.setup.is_ready())
        self.run_button.setToolTip("" if self.setup.is_ready() else "Add 2–8 GGUF files first")
        self.remeasure_button.setEnabled(not running and self.setup.is_ready())
        self.cancel_button.setEnabled(running)
        self.setup.setEnabled(not running)
        for button in self.export_buttons.values():
            button.setEnabled(bool(self.records))

    # --- results -------------------------------------------------------------------

    def show_records(self, records: list[dict[str, Any]], meta: dict[str, Any]) -> None:
        self.records, self.meta = list(records), dict(meta)
        self.table.set_records(self.records)
        unit, scale = ("GiB", GIB) if max((r["size_bytes"] for r in records), default=0) >= GIB else ("MiB", MIB)
        self.quality_plot.set_points(_points(records, "kld_mean", scale), f"file size ({unit})")
        self.speed_plot.set_points(_points(records, "tg_tps", scale), f"file size ({unit})")
        self.pareto_plot.set_records(records)
        self.recommendation.setText(recommend(self.records))
        self.histogram.set_run(meta.get("run_dir"), self.records)
        self._update_buttons()

    def _show_error(self, message: str) -> None:
        self.error_banner.show_error(message)

    # --- siblings ------------------------------------------------------------------

    @Slot()
    def _find_siblings(self) -> None:
        if not self.setup.files:
            return
        self.state_label.setText("Looking for siblings…")
        self._start_side(siblings_job(list(self.setup.files)), self._siblings_found)

    def _siblings_found(self, paths: list[Path]) -> None:
        self.setup.add_files(paths)
        self.state_label.setText(
            f"Added {len(paths)} compatible file(s) from the same folder"
            if paths
            else "No other compatible GGUF files in that folder"
        )

    # --- export --------------------------------------------------------------------

    def _ask_export(self, fmt: str, name: str, file_filter: str) -> None:
        default = Path.home() / f"workbench-compare-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export {name}", str(default), file_filter)
        if path:
            self.export(fmt, Path(path))

    def export(self, fmt: str, path: Path) -> None:
        records, meta = list(self.records), dict(self.meta)  # a snapshot; the write runs off the GUI thread

        def job(_cancel):
            path.write_text(render(records, fmt, meta) + "\n", encoding="utf-8")
            yield path

        self._start_side(job, lambda p: self.state_label.setText(f"Saved {p}"))

    # --- history -------------------------------------------------------------------

    def refresh_history(self) -> None:
        def job(_cancel):
            yield list_runs()

        self._start_side(job, self._history_listed)

    def _history_listed(self, runs: list[dict[str, Any]]) -> None:
        self._runs = runs
        self.history_box.clear()
        for info in runs:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.get("updated", 0)))
            self.history_box.addItem(
                f"{when} · ref {Path(info['reference']).name} · ctx {info['n_ctx']} · {info['n_results']} result(s)"
            )

    def _open_history(self, index: int) -> None:
        if not 0 <= index < len(self._runs):
            return
        info = self._runs[index]

        def job(_cancel):
            yield load_run_records(Path(info["run_dir"]))

        meta = {
            "reference": info.get("reference"),
            "text": info.get("text_name"),
            "n_ctx": info.get("n_ctx"),
            "n_chunks": info.get("n_chunks"),
            "run_dir": info["run_dir"],
        }
        self._start_side(job, lambda records: self.show_records(records, meta))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._runs:
            self.refresh_history()

    # --- workers and theme ---------------------------------------------------------

    def _start_side(self, job, on_result) -> None:
        holder: list[GeneratorWorker] = []

        def finished() -> None:
            self._side_workers.remove(holder[0])

        worker = start_worker(
            job,
            on_yield=on_result,
            on_finish=finished,
            on_error=lambda error, _trace: self._show_error(_readable(error)),
        )
        holder.append(worker)
        self._side_workers.append(worker)

    @property
    def busy(self) -> bool:
        """A run or a side job (siblings, export, history) is still going (screenshots and tests wait)."""
        return self.is_running() or bool(self._side_workers) or self.arena.busy or self.histogram.busy



def _points(records: list[dict[str, Any]], key: str, scale: float) -> list[PlotPoint]:
    return [
        PlotPoint(variant_name(r), r["size_bytes"] / scale, r[key], r.get("role") == "reference")
        for r in records
        if r.get(key) is not None
    ]


def _cached_text(records: list[dict[str, Any]]) -> str:
    cached = [r for r in records if r.get("cached")]
    if not cached:
        return ""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(min(r.get("measured_at") or 0 for r in cached)))
    return f" · {len(cached)} cached from earlier runs (measured since {when}); Re-measure runs them again"


def _readable(error: Exception) -> str:
    """Our own errors already read as sentences; anything else gets a plain frame, never a traceback."""
    if isinstance(error, WorkbenchError):
        return str(error)
    if isinstance(error, OSError):
        return f"Could not read or write a file: {error.strerror or error}"
    return f"The comparison stopped unexpectedly: {error}"
