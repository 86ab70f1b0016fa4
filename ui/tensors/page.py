"""Tensors page: open a tensor model (.onnx, .mlpackage, .mlmodel), see its
inputs and outputs, run it once on made-up inputs, and benchmark it on each
device (ONNX execution providers, Core ML compute units).

A thin view over ``ui.tensors.jobs``: the runtime that claims the file
does the work in a worker process, through the registry, so nothing here
knows which runtime it is talking to.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.tensors.run import TensorOutcome, outcome_lines
from ui.common.error_banner import ChatErrorBanner
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker
from ui.tensors.bench_panel import TensorBenchPanel
from ui.tensors.jobs import TensorModel, describe_job, run_job
from ui.tensors.model_view import ModelInfoView

FILE_FILTER = "Tensor models (*.onnx *.mlmodel);;All files (*)"


def readable(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


class TensorPage(QWidget):
    title = "Tensors"
    icon = "tensors"
    described = Signal()  # a model's description is shown (or its error)
    ran = Signal()  # a single run finished
    bench_finished = Signal()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.model: TensorModel | None = None
        self.outcome: TensorOutcome | None = None
        self._describe_worker: GeneratorWorker | None = None
        self._run_worker: GeneratorWorker | None = None

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        layout.addLayout(self._build_file_row())
        self.error_banner = ChatErrorBanner()
        layout.addWidget(self.error_banner)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_model_box())
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self._build_run_box())
        self.bench = TensorBenchPanel()
        self.bench.bench_button.clicked.connect(self.benchmark)
        self.bench.started.connect(self._update_buttons)
        self.bench.failed.connect(self.error_banner.show_error)
        self.bench.finished.connect(self._on_bench_finished)
        column.addWidget(self.bench, 1)
        splitter.addWidget(right)
        splitter.setSizes([420, 640])
        layout.addWidget(splitter, 1)
        self._update_buttons()

    # --- layout ----------------------------------------------------------------------

    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Tensors", objectName="pageTitle"))
        self.status_label = QLabel("Open an .onnx, .mlpackage or .mlmodel file", objectName="statsLine")
        self.status_label.setWordWrap(True)
        row.addWidget(self.status_label, 1)
        return row

    def _build_file_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.path_edit = QLineEdit(placeholderText="Model path (press Enter to open)")
        self.path_edit.returnPressed.connect(lambda: self.open_path(Path(self.path_edit.text().strip())))
        self.open_file_button = QPushButton("Open file…")
        self.open_file_button.clicked.connect(self._ask_file)
        self.open_package_button = QPushButton("Open package…")
        self.open_package_button.setToolTip("A .mlpackage folder")
        self.open_package_button.clicked.connect(self._ask_package)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.open_file_button)
        row.addWidget(self.open_package_button)
        return row

    def _build_model_box(self) -> QWidget:
        box = QGroupBox("Model")
        self.info_view = ModelInfoView()
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.info_view)
        QVBoxLayout(box).addWidget(scroll)
        return box

    def _build_run_box(self) -> QWidget:
        box = QGroupBox("Run once")
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        self.fill_box = QComboBox()
        self.fill_box.addItems(["random", "zeros"])
        self.fill_box.setToolTip("What the inputs hold (use `workbench infer --input NAME=FILE.npy` for real data)")
        self.device_box = QComboBox()
        self.device_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run_once)
        for label, widget in (("Inputs", self.fill_box), ("Device", self.device_box)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.run_button)
        layout.addLayout(row)
        self.output_view = QPlainTextEdit(readOnly=True, placeholderText="Outputs appear here")
        self.output_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.output_view.setMaximumHeight(140)
        layout.addWidget(self.output_view)
        return box

    # --- state -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._describe_worker is not None or self._run_worker is not None or self.bench.running

    def _can_run(self) -> tuple[bool, str]:
        if self.model is None:
            return False, "Open a model first"
        if not self.model.availability.ok:
            return False, self.model.availability.reason
        if not any(d.available for d in self.model.devices):
            reasons = [d.reason for d in self.model.devices if d.reason]
            return False, reasons[0] if reasons else f"{self.model.runtime} has no device here"
        return True, ""

    def _update_buttons(self) -> None:
        ok, why = self._can_run()
        idle = not self.busy
        self.run_button.setEnabled(ok and idle)
        self.run_button.setToolTip(why)
        self.bench.set_ready(ok and idle, why)
        for widget in (self.open_file_button, self.open_package_button, self.path_edit):
            widget.setEnabled(idle)

    # --- opening ---------------------------------------------------------------------

    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a tensor model", str(self._start_dir()), FILE_FILTER)
        if path:
            self.open_path(Path(path))

    def _ask_package(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open an .mlpackage", str(self._start_dir()))
        if path:
            self.open_path(Path(path))

    def _start_dir(self) -> Path:
        return self.model.path.parent if self.model else Path(self.ctx.settings.models_dir).expanduser()

    def open_path(self, path: Path) -> None:
        if self.busy or not str(path):
            return
        self.path_edit.setText(str(path))
        self.model, self.outcome = None, None
        self.info_view.clear()
        self.output_view.clear()
        self.bench.show_model([], ())
        self.device_box.clear()
        self.error_banner.clear()
        self.status_label.setText(f"Reading {path.name}…")
        self._describe_worker = start_worker(
            describe_job(path), on_yield=self._on_described, on_error=self._on_describe_error,
            on_finish=self._on_describe_finished,
        )
        self._update_buttons()

    @Slot(object)
    def _on_described(self, model: TensorModel) -> None:
        self.model = model
        self.info_view.set_description(model.description)
        self.bench.show_model(model.devices, model.bench_columns)
        self.device_box.clear()
        for device in model.devices:
            self.device_box.addItem(device.description or device.id, device.id)
            index = self.device_box.count() - 1
            self.device_box.setItemData(index, device.reason, Qt.ItemDataRole.ToolTipRole)
            if not device.available:
                self.device_box.model().item(index).setEnabled(False)
        available = [i for i, d in enumerate(model.devices) if d.available]
        if available:
            self.device_box.setCurrentIndex(available[0])
        status = f"{model.path.name} · {model.runtime}"
        can_run, why = self._can_run()
        if not can_run:
            status += f" · cannot run here: {why}"
        self.status_label.setText(status)

    @Slot(object, str)
    def _on_describe_error(self, exc: Exception, details: str) -> None:
        self.error_banner.show_error(f"Could not open the model: {readable(exc)}", details)
        self.status_label.setText("No model")

    @Slot()
    def _on_describe_finished(self) -> None:
        self._describe_worker = None
        self._update_buttons()
        self.described.emit()

    # --- one run ---------------------------------------------------------------------

    @Slot()
    def run_once(self) -> None:
        if self.busy or not self._can_run()[0]:
            return
        self.error_banner.clear()
        self.output_view.setPlainText("Running…")
        device = self.device_box.currentData() or "cpu"
        self._run_worker = start_worker(
            run_job(self.model.path, self.fill_box.currentText(), device),
            on_yield=self._on_run_result, on_error=self._on_run_error, on_finish=self._on_run_finished,
        )
        self._update_buttons()

    @Slot(object)
    def _on_run_result(self, outcome: TensorOutcome) -> None:
        self.outcome = outcome
        self.output_view.setPlainText("\n".join(outcome_lines(outcome)))

    @Slot(object, str)
    def _on_run_error(self, exc: Exception, details: str) -> None:
        self.output_view.clear()
        self.error_banner.show_error(f"The run failed: {readable(exc)}", details)

    @Slot()
    def _on_run_finished(self) -> None:
        self._run_worker = None
        self._update_buttons()
        self.ran.emit()

    # --- benchmark -------------------------------------------------------------------

    @Slot()
    def benchmark(self) -> None:
        if self.busy or not self._can_run()[0]:
            return
        self.error_banner.clear()
        self.bench.start(self.model.path, self.model.bench_columns)

    @Slot()
    def _on_bench_finished(self) -> None:
        rows = self.bench.table.rowCount()
        self.status_label.setText(f"{self.model.path.name} · benchmarked on {rows} device(s)" if self.model else "")
        self._update_buttons()
        self.bench_finished.emit()

    def shutdown(self) -> None:
        """The window is closing: stop a benchmark (its worker process closes with it)."""
        self.bench.cancel()
        for worker in (self._run_worker, self._describe_worker):
            if worker is not None:
                worker.quit()
