"""Speculative page: the A/B run of ``workbench spec-bench``, with a chart.

Pick a target, a draft model (only compatible ones are offered, the others
listed with the reason) or prompt lookup, prompts and a length; Run loads
the target once in its worker and generates every prompt plain and
speculatively at temperature 0. Bars appear as prompts finish; Cancel stops
within a token. The plain speed it measures becomes the Chat page's
baseline for that model (app.speculative.baseline).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import BenchCancelled
from app.speculative import baseline as spec_baseline
from app.speculative.bench import DEFAULT_PROMPTS, BenchProgress, ModeResult, run_spec_bench
from runtimes.errors import LoadCancelled
from runtimes.llama_cpp.options import LlamaLoadOptions
from ui.model_picker.discovery import model_files
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker
from ui.speculative.bench_chart import SpecBenchChart
from ui.speculative.mode_chooser import SpecModeChooser

# The page's samples are one line each, so the box never shows a literal "\n" (typing one still works).
PAGE_PROMPTS = tuple(p for p in DEFAULT_PROMPTS if "\n" not in p) + (
    "def fibonacci(n): return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)  # and now in Rust:",)


def summary_text(result: ModeResult) -> str:
    """The run's summary from its per-prompt records: total tokens over total time on each side."""
    if result.off:
        return f"{result.label}: speculation off on this model, {result.off}"
    same = "identical to plain" if result.identical else "DIFFERENT from plain (please report)"
    ratios = [p.spec_tps / p.plain_tps for p in result.prompts if p.plain_tps > 0]
    spread = f" (per prompt {min(ratios):.2f}–{max(ratios):.2f}×)" if len(ratios) > 1 else ""
    return (f"{result.label}: plain {result.plain_tps:.1f} t/s → speculative {result.spec_tps:.1f} t/s over "
            f"{len(result.prompts)} prompt(s), {result.speedup:.2f}×{spread} · acceptance "
            f"{result.acceptance_rate:.1%} · mean accepted {result.mean_accepted_len:.2f} per round · output {same}")


class SpeculativePage(QWidget):
    """Public hooks: ``target_combo``, ``chooser`` (SpecModeChooser), ``n_spin``,
    ``threads_spin``, ``prompts_box``, ``run_button``, ``cancel_button``,
    ``progress``, ``status_label``, ``summary_label``, ``chart``;
    ``set_target(path)``, ``run()``, ``cancel()``, ``busy``, ``result``."""

    title = "Speculative"
    icon = "speculative"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.result: ModeResult | None = None
        self._job: GeneratorWorker | None = None
        self._listing: GeneratorWorker | None = None

        self.target_combo = QComboBox(placeholderText="Choose the model to speed up…")
        self.browse_button = QPushButton("Browse…")
        self.chooser = SpecModeChooser(allow_off=False)
        self.n_spin = QSpinBox(minimum=8, maximum=8192, value=128, singleStep=64, suffix=" tokens")
        self.threads_spin = QSpinBox(minimum=0, maximum=512, value=ctx.settings.n_threads)
        self.threads_spin.setSpecialValueText("auto")
        self.prompts_box = QPlainTextEdit("\n".join(PAGE_PROMPTS))
        self.prompts_box.setToolTip("One prompt per line; \\n stands for a newline")
        self.prompts_box.setMaximumHeight(110)
        self.run_button = QPushButton("Run A/B")
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.progress = QProgressBar(visible=False)
        self.status_label = QLabel("", objectName="statsLine", wordWrap=True)
        self.summary_label = QLabel("Run plain and speculative decoding on the same prompts to see the speedup.",
                                    wordWrap=True)
        self.chart = SpecBenchChart()
        self._build()
        self.target_combo.currentIndexChanged.connect(self._target_changed)
        self.browse_button.clicked.connect(self._browse)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.chooser.changed.connect(self._update_state)
        self.ctx.settings_changed.connect(self._list_models)
        self._list_models()

    def _build(self) -> None:
        target_row = QHBoxLayout()
        target_row.addWidget(self.target_combo, 1)
        target_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Model", target_row)
        form.addRow("Tokens per prompt", self.n_spin)
        form.addRow("Threads", self.threads_spin)
        form.addRow("Prompts", self.prompts_box)
        setup = QGroupBox("A/B run")
        setup_column = QVBoxLayout(setup)
        setup_column.addLayout(form)
        mode_box = QGroupBox("Speculative decoding")
        QVBoxLayout(mode_box).addWidget(self.chooser)
        top = QHBoxLayout()
        top.addWidget(setup, 3)
        top.addWidget(mode_box, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addLayout(buttons)
        column.addWidget(self.status_label)
        column.addWidget(self.summary_label)
        column.addWidget(self.chart, 1)

    # -------------------------------------------------------------- state

    @property
    def busy(self) -> bool:
        return self._job is not None

    def _update_state(self) -> None:
        running = self.busy
        ready = self.target_combo.currentData() is not None and self.chooser.options() is not None
        self.run_button.setEnabled(ready and not running)
        self.cancel_button.setEnabled(running)
        for widget in (self.target_combo, self.browse_button, self.chooser, self.n_spin, self.threads_spin,
                       self.prompts_box):
            widget.setEnabled(not running)

    def set_target(self, path: str | Path) -> None:
        index = self.target_combo.findData(str(path))
        if index < 0:
            self.target_combo.addItem(Path(path).name, str(path))
            index = self.target_combo.count() - 1
        self.target_combo.setCurrentIndex(index)

    def _list_models(self) -> None:
        settings = self.ctx.settings
        recent, models_dir = list(settings.recent_models), settings.models_dir

        def job(cancel):
            yield model_files(recent, models_dir)

        self._listing = start_worker(job, on_yield=self._set_models)

    def _set_models(self, paths: list[Path]) -> None:
        current = self.target_combo.currentData()
        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        for path in paths:
            self.target_combo.addItem(path.name, str(path))
        self.target_combo.blockSignals(False)
        if current is not None:
            self.set_target(current)
        elif paths:
            self.target_combo.setCurrentIndex(0)
        self._target_changed()

    def _target_changed(self) -> None:
        target = self.target_combo.currentData()
        extra = [Path(self.target_combo.itemData(i)) for i in range(self.target_combo.count())]
        self.chooser.set_target(Path(target) if target else None, self.ctx.settings.models_dir, extra)
        self._update_state()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model", self.ctx.settings.models_dir,
                                              "GGUF models (*.gguf)")
        if path:
            self.set_target(path)

    # ---------------------------------------------------------------- run

    def run(self) -> None:
        target, options = self.target_combo.currentData(), self.chooser.options()
        prompts = [line.replace("\\n", "\n") for line in self.prompts_box.toPlainText().splitlines() if line.strip()]
        if self.busy or target is None or options is None:
            return
        if not prompts:
            self.status_label.setText("Write at least one prompt (one per line).")
            return
        n = self.n_spin.value()
        load = LlamaLoadOptions(n_ctx=max(2048, 2 * n + 512), n_threads=self.threads_spin.value() or None)
        self.result = None
        self.chart.clear()
        self.summary_label.setText("Running…")
        self.progress.setRange(0, len(prompts))
        self.progress.setValue(0)
        self.progress.show()

        def job(cancel):
            yield from run_spec_bench(target, [options], prompts, n, 42, load, cancel)

        self._job = start_worker(job, on_yield=self._on_item, on_error=self._on_error, on_finish=self._on_finish)
        self._update_state()

    def cancel(self) -> None:
        if self._job is not None:
            self.status_label.setText("Cancelling…")
            self._job.quit()

    def _on_item(self, item: object) -> None:
        if isinstance(item, BenchProgress):
            self.progress.setValue(item.done)
            self.status_label.setText(item.label)
            if item.prompt is not None:
                self.chart.add_prompt(item.prompt)
        elif isinstance(item, ModeResult):
            # One source for both: the summary aggregates exactly the records the bars show.
            self.result = ModeResult(item.mode, item.label, list(self.chart.records))
            self.summary_label.setText(summary_text(self.result))
            spec_baseline.record_plain(self.target_combo.currentData(), 0, self.result.plain_tps)

    def _on_error(self, exc: Exception, _details: str) -> None:
        if isinstance(exc, (BenchCancelled, LoadCancelled)):
            self.summary_label.setText("Cancelled; the bars show the prompts that finished.")
        else:
            self.summary_label.setText(f"The run failed: {exc}")

    def _on_finish(self) -> None:
        self._job = None
        self.progress.hide()
        self.status_label.setText("")
        self._update_state()

    def shutdown(self) -> None:
        self.cancel()
