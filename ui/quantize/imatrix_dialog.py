"""The "Make an importance matrix" dialog: llama-imatrix on the user's text, with progress,
an ETA and Cancel (app.quantize.imatrix_job does the work on a worker thread).

Any text file works; empty means the bundled evaluation text, and the dialog
warns when the text is the one Compare scores on: a quant tuned on it looks
better there than it is."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import ImatrixCancelled
from app.quantize.imatrix_job import ImatrixRequest, imatrix_events, is_default_text
from ui.common.browse_row import with_browse
from ui.common.transfer_text import error_text
from ui.shell.workers import GeneratorWorker, start_worker

SAME_TEXT_WARNING = ("This is the text Compare scores on by default: a quant tuned on it will look better "
                     "there than on other text. Pick your own text, or score Compare on a different one.")


class ImatrixDialog(QDialog):
    """Public hooks (tests): ``text_edit``, ``ctx_spin``, ``chunks_spin``, ``out_edit``, ``warning``,
    ``start_button``, ``cancel_button``, ``bar``, ``status``, ``result`` (the written path), ``worker``."""

    def __init__(self, model: Path, out: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make an importance matrix")
        self.model = model
        self.result: Path | None = None
        self.worker: GeneratorWorker | None = None
        self.text_edit = QLineEdit(placeholderText="empty: the bundled evaluation text")
        self.text_edit.textChanged.connect(self._update_warning)
        self.ctx_spin = QSpinBox(minimum=8, maximum=65536, value=512, singleStep=128)
        self.chunks_spin = QSpinBox(minimum=0, maximum=100000, value=0, specialValueText="all")
        self.out_edit = QLineEdit(str(out))
        self.warning = QLabel(SAME_TEXT_WARNING, wordWrap=True)
        self.warning.setStyleSheet("color: #e37400;")
        self.bar = QProgressBar()
        self.status = QLabel(wordWrap=True)
        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

        form = QFormLayout()
        form.addRow(QLabel(f"Model: <b>{model.name}</b>"))
        form.addRow("Text", with_browse(self.text_edit, self._pick_text))
        form.addRow("Chunk size (tokens)", self.ctx_spin)
        form.addRow("Chunks", self.chunks_spin)
        form.addRow("Save as", self.out_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.bar.hide()
        self._update_warning()
        self.setMinimumWidth(480)

    def request(self) -> ImatrixRequest:
        text = self.text_edit.text().strip()
        return ImatrixRequest(self.model, Path(text).expanduser() if text else None,
                              Path(self.out_edit.text().strip()).expanduser(), self.ctx_spin.value(),
                              self.chunks_spin.value() or None)

    @property
    def running(self) -> bool:
        return self.worker is not None and not self.start_button.isEnabled()

    def start(self) -> None:
        request = self.request()
        self.start_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText("Loading the model…")
        self.bar.setRange(0, 0)
        self.bar.show()
        self.worker = start_worker(lambda cancel: imatrix_events(request, cancel), on_yield=self._on_event,
                                   on_error=self._on_error, on_finish=self._on_finish)

    def cancel(self) -> None:
        if self.running:
            self.worker.quit()  # the job terminates llama-imatrix and removes its .part file
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def _on_event(self, event: tuple) -> None:
        if event[0] == "progress":
            _, done, total, left = event
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            eta = "" if left is None else f", about {_duration(left)} left"
            self.status.setText(f"Chunk {done} of {total}{eta}")
        elif event[0] == "done":
            self.result = event[1]
            self.status.setText(f"Saved {self.result}")

    def _on_error(self, error: Exception, _tb: str) -> None:
        if isinstance(error, ImatrixCancelled):
            self.status.setText("Cancelled. No partial file is left.")
            return
        self.status.setStyleSheet("color: #ea4335;")
        self.status.setText(f"llama-imatrix failed: {error_text(error)}")

    def _on_finish(self) -> None:
        self.start_button.setEnabled(True)
        self.bar.hide()
        if self.result is not None:
            self.accept()
        elif self.worker is not None and self.worker.cancel.cancelled:
            self.status.setText("Cancelled. No partial file is left.")

    def _update_warning(self) -> None:
        text = self.text_edit.text().strip()
        self.warning.setVisible(is_default_text(Path(text).expanduser() if text else None))

    def _pick_text(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Text for the importance matrix", str(self.model.parent),
                                              "Text (*.txt *.md);;All files (*)")
        if path:
            self.text_edit.setText(path)

    def done(self, result: int) -> None:  # closing the window while it runs stops llama-imatrix too
        if self.running:
            self.worker.quit()
        super().done(result)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
