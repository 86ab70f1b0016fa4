"""Tabs with copyable curl / openai / anthropic snippets for the current URL, key and model."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget

from app.server.snippets import snippets


class SnippetsPanel(QTabWidget):
    def __init__(self) -> None:
        super().__init__()
        self.editors: dict[str, QPlainTextEdit] = {}
        for name in ("curl", "openai", "anthropic"):
            page = QWidget()
            layout = QVBoxLayout(page)
            layout.setContentsMargins(4, 4, 4, 4)
            editor = QPlainTextEdit()
            editor.setReadOnly(True)
            editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            copy = QPushButton("Copy")
            copy.clicked.connect(lambda _=False, e=editor: QGuiApplication.clipboard().setText(e.toPlainText()))
            layout.addWidget(editor)
            layout.addWidget(copy)
            self.editors[name] = editor
            self.addTab(page, name)

    def show_for(self, base_url: str, api_key: str, model: str) -> None:
        for name, text in snippets(base_url, api_key, model).items():
            self.editors[name].setPlainText(text)
