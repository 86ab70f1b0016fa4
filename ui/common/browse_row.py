"""A path field with its Browse… button beside it, as the file dialogs lay them out."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton


def with_browse(edit: QLineEdit, pick: Callable[[], None]) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    browse = QPushButton("Browse…")
    browse.clicked.connect(pick)
    row.addWidget(browse)
    return row
