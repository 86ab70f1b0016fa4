"""When the Hub cannot be reached: a banner that says so in plain words and offers
a way on (retry, local models, offline demo models), with the technical detail
folded behind "Details" instead of a small grey line."""

from __future__ import annotations

from urllib.parse import urlparse

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout


def hub_host() -> str:
    import os

    return urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").hostname or "huggingface.co"


def is_offline_error(exc: BaseException) -> bool:
    """A network failure (no HTTP status), not a refusal such as 401/404."""
    from models.errors import HubError

    return isinstance(exc, HubError) and exc.status is None


class OfflineBanner(QFrame):
    retry_clicked = Signal()
    local_clicked = Signal()
    demo_clicked = Signal()

    def __init__(self) -> None:
        super().__init__(objectName="errorBanner")
        self.message_label = QLabel(wordWrap=True)
        self.retry_button = QPushButton("Retry")
        self.local_button = QPushButton("Use local models")
        self.demo_button = QPushButton("Build demo models")
        self.details_button = QToolButton(text="Details", checkable=True)
        self.details_box = QPlainTextEdit(readOnly=True, maximumHeight=90)
        self.details_box.hide()
        self.details_button.toggled.connect(self.details_box.setVisible)
        row = QHBoxLayout()
        row.addWidget(self.message_label, 1)
        for button in (self.retry_button, self.local_button, self.demo_button, self.details_button):
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(row)
        layout.addWidget(self.details_box)
        self.retry_button.clicked.connect(self.retry_clicked)
        self.local_button.clicked.connect(self.local_clicked)
        self.demo_button.clicked.connect(self.demo_clicked)
        self.hide()

    def show_offline(self, details: str) -> None:
        self.message_label.setText(f"<b>Workbench can't reach {hub_host()}.</b> Check the network, or carry on "
                                   "with the models on this computer.")
        self.details_box.setPlainText(details)
        self.details_button.setChecked(False)
        self.show()

    @property
    def message(self) -> str:
        return "" if self.isHidden() else self.message_label.text()
