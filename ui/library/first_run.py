"""Shown while no model is on disk: one small, well-known model to download,
and offline demo models for trying the app without a network."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

SUGGESTED_REPO = "Qwen/Qwen2.5-0.5B-Instruct-GGUF"
SUGGESTED_FILE = "qwen2.5-0.5b-instruct-q4_k_m.gguf"


class LibraryFirstRun(QFrame):
    download_requested = Signal(str, str)  # repo id, file name
    demo_requested = Signal()

    def __init__(self) -> None:
        super().__init__(objectName="firstRunHint")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel("<b>No models on this computer yet.</b> A good first model: "
                       f"<b>{SUGGESTED_REPO}</b> · {SUGGESTED_FILE} (about 0.4 GB, runs on any machine).")
        title.setWordWrap(True)
        self.download_button = QPushButton("Download suggested model")
        self.demo_button = QPushButton("Build demo models (offline)")
        self.demo_button.setToolTip("Writes tiny test models locally: no network, not useful for real chat")
        self.status = QLabel("", objectName="statsLine", wordWrap=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(buttons)
        self.download_button.clicked.connect(lambda: self.download_requested.emit(SUGGESTED_REPO, SUGGESTED_FILE))
        self.demo_button.clicked.connect(self.demo_requested)

    def set_busy(self, text: str) -> None:
        self.demo_button.setEnabled(False)
        self.status.setText(text)

    def set_done(self, text: str) -> None:
        self.demo_button.setEnabled(True)
        self.status.setText(text)
