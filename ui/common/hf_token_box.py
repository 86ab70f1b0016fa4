"""Settings group for the Hugging Face token (gated repositories).

The keyring can block (a desktop unlock prompt), so every keyring call runs on
a worker; the field is a password field and the token is never shown back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from models.hub.token import TokenStatus, delete_token, store_token, token_status
from ui.shell.workers import GeneratorWorker, start_worker

SOURCES = {"keyring": "stored in the OS keyring", "huggingface_hub": "from HF_TOKEN or the hf login file"}


def describe(status: TokenStatus) -> str:
    token = f"Token {status.redacted} {SOURCES[status.source]}." if status.source else "No token set."
    keyring = (
        f"Keyring: {status.keyring_backend}."
        if status.keyring_backend
        else f"Keyring unavailable: {status.keyring_reason}. Set HF_TOKEN in the environment instead."
    )
    return f"{token} {keyring}"


class HfTokenBox(QGroupBox):
    def __init__(self) -> None:
        super().__init__("Hugging Face token")
        self.field = QLineEdit(placeholderText="hf_… (needed only for gated repositories)")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.save_button = QPushButton("Save to keyring")
        self.clear_button = QPushButton("Remove")
        self.status_label = QLabel("Checking the keyring…", wordWrap=True)
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.clear_button)
        box = QVBoxLayout(self)
        box.addLayout(row)
        box.addWidget(self.status_label)
        self.save_button.clicked.connect(self.save)
        self.clear_button.clicked.connect(self.clear)
        self.field.returnPressed.connect(self.save)
        self._worker: GeneratorWorker | None = None
        self._run(lambda: None)

    @Slot()
    def save(self) -> None:
        token = self.field.text()
        self.field.clear()
        self._run(lambda: store_token(token))

    @Slot()
    def clear(self) -> None:
        self._run(delete_token)

    def _run(self, action: Callable[[], Any]) -> None:
        def job(_cancel) -> Iterator[TokenStatus]:
            action()
            yield token_status()

        self.save_button.setEnabled(False)
        self.clear_button.setEnabled(False)
        self._worker = start_worker(
            job, on_yield=self._show, on_error=self._failed, on_finish=self._done
        )

    def _show(self, status: TokenStatus) -> None:
        self.status_label.setText(describe(status))

    def _failed(self, exc: Exception, _trace: str) -> None:
        self.status_label.setText(f"Not saved: {exc}")

    def _done(self) -> None:
        self.save_button.setEnabled(True)
        self.clear_button.setEnabled(True)
