"""The Tensors page's Benchmark box: pick devices, run the bench in a
worker, show progress and one row of percentiles per device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QVBoxLayout

from runtimes.base import Device
from ui.shell.workers import GeneratorWorker, start_worker
from ui.tensors.bench_table import BenchTable
from ui.tensors.devices import DeviceChecklist
from ui.tensors.jobs import bench_job

PROGRESS_STEPS = 1000


def runs_note(requested: int, records: list[dict[str, Any]]) -> str:
    """Why a device ran more (or fewer) runs than asked, so the count never surprises."""
    extra = [r for r in records if int(r.get("n_runs", requested)) > requested]
    if not extra:
        return ""
    most = max(int(r["n_runs"]) for r in extra)
    return (f"Asked for {requested:,} runs; ran up to {most:,}: a model this fast keeps running until it has "
            "100 runs and 1 s of samples (10,000 runs or 10 s at most), so p99 rests on enough samples.")


class TensorBenchPanel(QGroupBox):
    started = Signal()
    failed = Signal(str, str)  # message, details
    finished = Signal()

    def __init__(self) -> None:
        super().__init__("Benchmark")
        self.errors: list[str] = []
        self._worker: GeneratorWorker | None = None
        layout = QVBoxLayout(self)
        self.devices = DeviceChecklist()
        layout.addWidget(self.devices)
        row = QHBoxLayout()
        self.runs_spin = QSpinBox(minimum=1, maximum=100_000, value=100)
        self.runs_spin.setToolTip("Timed runs per device, at least (fast models run for a second or more)")
        row.addWidget(QLabel("Runs (at least)"))
        row.addWidget(self.runs_spin)
        row.addStretch(1)
        self.bench_button = QPushButton("Benchmark")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.bench_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.progress = QProgressBar(maximum=PROGRESS_STEPS, textVisible=True)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.table = BenchTable()
        layout.addWidget(self.table, 1)
        self.note = QLabel("", wordWrap=True)
        self.note.hide()
        layout.addWidget(self.note)

    @property
    def running(self) -> bool:
        return self._worker is not None

    def show_model(self, devices: tuple[Device, ...] | list[Device], columns: tuple[str, ...]) -> None:
        self.devices.set_devices(devices)
        self.table.reset(columns)

    def set_ready(self, ready: bool, why: str) -> None:
        self.bench_button.setEnabled(ready and not self.running)
        self.bench_button.setToolTip(why)
        self.cancel_button.setEnabled(self.running)

    def start(self, path: Path, columns: tuple[str, ...]) -> None:
        if self.running:
            return
        chosen = self.devices.checked_ids()
        if not chosen:
            self.failed.emit("Tick at least one available device to benchmark", "")
            return
        self.errors = []
        self.requested_runs = self.runs_spin.value()
        self.note.hide()
        self.table.reset(columns)
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self.progress.show()
        self._worker = start_worker(
            bench_job(path, chosen, self.runs_spin.value()),
            on_yield=self._on_item, on_error=self._on_error, on_finish=self._on_finished,
        )
        self.started.emit()

    @Slot()
    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.quit()
            self.progress.setFormat("Cancelling…")

    @Slot(object)
    def _on_item(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "progress":
            _, label, done, total = item
            self.progress.setValue(int(PROGRESS_STEPS * min(done / total, 1.0)) if total else 0)
            self.progress.setFormat(f"{label}: {done:.0f}/{total:.0f} runs" if total else f"{label}: loading…")
        elif kind == "record":
            self.table.add_record(item[1])
        elif kind == "error":
            self.errors.append(f"{item[1]}: {item[2]}")
            self.failed.emit("Some devices failed: " + "; ".join(self.errors), "")

    @Slot(object, str)
    def _on_error(self, exc: Exception, details: str) -> None:
        self.failed.emit(f"The benchmark failed: {exc or type(exc).__name__}", details)

    @Slot()
    def _on_finished(self) -> None:
        self._worker = None
        self.progress.hide()
        self.note.setText(runs_note(self.requested_runs, self.table.records))
        self.note.setVisible(bool(self.note.text()))
        self.finished.emit()
