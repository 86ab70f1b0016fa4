"""Monitor page (placeholder until it is built)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.context import AppContext


class MonitorPage(QWidget):
    title = "Monitor"
    icon = "monitor"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Monitor", objectName="pageTitle"))
        layout.addStretch(1)
