"""The Library page's quantize strip: opens the "Make quants…" dialog for a
full-precision model, runs the job on a worker with a progress bar and a
Cancel button, and says how it ended ("Made 2 quants in …", the error in one
sentence, or "Cancelled"). The page rescans when ``made`` fires."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.quantize.library_targets import QuantizeRequest, default_out_dir, quantize_job
from models.library.scan import LibraryEntry
from ui.common.transfer_text import error_text
from ui.quantize.dialog import QuantizeDialog
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker


def _physical_cores() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or 2


class LibraryQuantize(QWidget):
    """Public hooks (tests): ``dialog`` (the last QuantizeDialog), ``label``,
    ``bar``, ``cancel_button``, ``dismiss_button``, ``state`` ("idle",
    "running", "done", "cancelled", "failed"), ``made_paths``, ``worker``; ``ask(entry)``,
    ``start(request)``, ``cancel()``, ``shutdown()``."""

    busy_changed = Signal(bool)
    made = Signal(list)  # paths written, also those finished before a cancel or an error

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.dialog: QuantizeDialog | None = None
        self.state = "idle"
        self.made_paths: list[Path] = []
        self.worker: GeneratorWorker | None = None
        self._request: QuantizeRequest | None = None
        self.label = QLabel(wordWrap=True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(260)
        self.cancel_button = QPushButton("Cancel")
        self.dismiss_button = QPushButton("Dismiss")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 4, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        row.addWidget(self.dismiss_button)
        self.cancel_button.clicked.connect(self.cancel)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    @property
    def running(self) -> bool:
        return self.state == "running"

    def ask(self, entry: LibraryEntry) -> None:
        if self.running:
            return
        models_dir = Path(self.ctx.settings.models_dir)
        out_dir = default_out_dir(entry, models_dir)
        if self.dialog is not None:
            self.dialog.deleteLater()  # one dialog at a time; the last one stays readable until the next
        self.dialog = QuantizeDialog(entry, out_dir, redirected=out_dir != entry.path.parent, parent=self.window())
        dialog = self.dialog
        dialog.accepted.connect(lambda: self.start(dialog.request()))
        dialog.open()

    def start(self, request: QuantizeRequest) -> None:
        if self.running:
            return
        self._request = request
        self.made_paths = []
        self.state = "running"
        self.bar.setRange(0, len(request.targets))
        self.bar.setValue(0)
        self.label.setText(f"Making quants of {request.entry.display_name}…")
        self.label.setStyleSheet("")
        self._set_running(True)
        self.show()
        threads = self.ctx.settings.n_threads or _physical_cores()
        self.worker = start_worker(quantize_job(request, threads), on_yield=self._on_event,
                                    on_error=self._on_error, on_finish=self._on_finish)

    def cancel(self) -> None:
        if self.worker is not None and self.running:
            self.worker.quit()  # quantize_many kills the running quantizer and removes its .part file
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling…")

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.quit()

    def _set_running(self, running: bool) -> None:
        self.bar.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.dismiss_button.setVisible(not running)
        self.busy_changed.emit(running)

    def _on_event(self, event: tuple) -> None:
        kind = event[0]
        if kind == "progress":
            _, index, total, target = event
            self.bar.setValue(index)
            if self.state == "running" and not self.worker.cancel.cancelled:
                self.label.setText(f"Making quants of {self._request.entry.display_name}: "
                                   f"{index + 1} of {total}: {target}…")
        elif kind == "made":
            self.made_paths.append(event[1])
        else:
            self.state = kind  # "done" or "cancelled"
            self.label.setText(self._summary())

    def _summary(self) -> str:
        count = len(self.made_paths)
        files = f"{count} quant{'' if count == 1 else 's'}"
        where = self._request.out_dir
        if self.state == "done":
            self.bar.setValue(self.bar.maximum())
            return f"Made {files} of {self._request.entry.display_name} in {where}"
        kept = f"; {'it stays' if count == 1 else 'they stay'} in {where}" if count else ""
        return f"Cancelled after {files}{kept}. No partial file is left."

    def _on_error(self, error: Exception, _tb: str) -> None:
        self.state = "failed"
        count = len(self.made_paths)
        kept = f" ({count} quant{'' if count == 1 else 's'} made before it {'stays' if count == 1 else 'stay'})"
        self.label.setText(f"Quantizing failed: {error_text(error)}{kept if count else ''}")
        self.label.setStyleSheet("color: #ea4335;")

    def _on_finish(self) -> None:
        if self.state == "running":  # the job ended without its last event (should not happen): say so
            self.state = "failed"
            self.label.setText("Quantizing stopped without a result.")
        self._set_running(False)
        self.made.emit(self.made_paths)
