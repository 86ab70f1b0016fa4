"""A readable error above the chat: what went wrong in plain words, an
optional Reload, and the technical details (log tail, traceback) folded away
behind "Details" so they never greet the user."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout


class ChatErrorBanner(QFrame):
    reload_clicked = Signal()

    def __init__(self) -> None:
        super().__init__(objectName="errorBanner")
        self.message_label = QLabel(wordWrap=True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton(text="Details", checkable=True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.toggled.connect(self._toggle_details)
        self.reload_button = QPushButton("Reload model")
        self.reload_button.clicked.connect(self.reload_clicked)
        self.dismiss_button = QToolButton(text="✕", toolTip="Dismiss")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.clicked.connect(self.clear)
        self.details_box = QPlainTextEdit(readOnly=True)
        self.details_box.setMaximumHeight(160)
        self.details_box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_box.hide()

        row = QHBoxLayout()
        row.addWidget(self.message_label, 1)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(row)
        layout.addWidget(self.details_box)
        self.clear()

    def show_error(self, message: str, details: str = "", can_reload: bool = False) -> None:
        self.message_label.setText(message)
        self.details_box.setPlainText(details)
        self.details_button.setChecked(False)
        self.details_button.setVisible(bool(details.strip()))
        self.reload_button.setVisible(can_reload)
        self.show()

    def clear(self) -> None:
        self.message_label.clear()
        self.details_box.clear()
        self.details_button.setChecked(False)
        self.details_box.hide()
        self.hide()

    @property
    def message(self) -> str:
        return "" if self.isHidden() else self.message_label.text()

    def _toggle_details(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.details_box.setVisible(shown)
