"""Settings page (placeholder until it is built)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.context import AppContext


class SettingsPage(QWidget):
    title = "Settings"
    icon = "settings"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Settings", objectName="pageTitle"))
        layout.addStretch(1)
