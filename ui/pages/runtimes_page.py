"""Runtimes page (placeholder until it is built)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.context import AppContext


class RuntimesPage(QWidget):
    title = "Runtimes"
    icon = "runtimes"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Runtimes", objectName="pageTitle"))
        layout.addStretch(1)
