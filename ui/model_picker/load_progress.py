"""Shown while a model loads: a busy bar, the seconds so far, and Cancel.

llama.cpp reports no load percentage through this path, so the bar is
indeterminate and the elapsed time is the honest measure of progress.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

_TICK_MS = 100


class ModelLoadProgress(QWidget):
    cancel_clicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # indeterminate
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self._timer = QTimer(self, interval=_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._name = ""
        self._t0 = 0.0
        self.hide()

    def start(self, name: str) -> None:
        self._name = name
        self._t0 = time.monotonic()
        self.cancel_button.setEnabled(True)
        self._tick()
        self._timer.start()
        self.show()

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText(f"Cancelling load of {self._name}…")

    def stop(self) -> None:
        self._timer.stop()
        self.hide()

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._t0

    def _tick(self) -> None:
        if self.cancel_button.isEnabled():
            self.label.setText(f"Loading {self._name}… {self.elapsed_s:.1f} s")
