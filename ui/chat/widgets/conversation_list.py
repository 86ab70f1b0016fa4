"""Saved conversations, newest first: New, open (click), Rename (edit in
place), Delete (after a confirmation). It only asks; the chat page does the
work through the conversation store."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.chat.store import ConversationSummary

_ID_ROLE = Qt.ItemDataRole.UserRole
_TITLE_ROLE = Qt.ItemDataRole.UserRole + 1  # the saved title, restored if an edit is left blank


def ask_before_deleting(parent: QWidget, title: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Delete conversation",
        f"Delete “{title}”? This cannot be undone.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class ChatConversationList(QWidget):
    new_requested = Signal()
    open_requested = Signal(str)  # conversation id
    rename_requested = Signal(str, str)  # id, new title
    delete_requested = Signal(str)  # id

    def __init__(self) -> None:
        super().__init__()
        # Replaceable so tests (and a future "don't ask again") can skip the dialog.
        self.confirm_delete: Callable[[QWidget, str], bool] = ask_before_deleting
        self.list = QListWidget(objectName="conversationList")
        self.list.setStyleSheet("QListWidget#conversationList::item { padding: 5px 4px; }")
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemClicked.connect(self._clicked)
        self.list.itemChanged.connect(self._renamed)
        self.new_button = QPushButton("New chat")
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.new_button.clicked.connect(self.new_requested)
        self.rename_button = QPushButton("Rename")
        self.rename_button.clicked.connect(self.rename_current)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_current)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.new_button)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(self._update_buttons)
        self._update_buttons()

    def set_conversations(self, summaries: list[ConversationSummary], current_id: str | None) -> None:
        with QSignalBlocker(self.list):
            self.list.clear()
            for summary in summaries:
                item = QListWidgetItem(summary.title or "New chat")
                item.setData(_ID_ROLE, summary.id)
                item.setData(_TITLE_ROLE, item.text())
                item.setToolTip(f"{summary.title}\n{summary.n_messages} messages")
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.list.addItem(item)
                if summary.id == current_id:
                    self.list.setCurrentItem(item)
        self._update_buttons()

    def ids(self) -> list[str]:
        return [self.list.item(i).data(_ID_ROLE) for i in range(self.list.count())]

    def titles(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def item_for(self, conversation_id: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(_ID_ROLE) == conversation_id:
                return self.list.item(i)
        return None

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def delete_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and self.confirm_delete(self, item.text()):
            self.delete_requested.emit(item.data(_ID_ROLE))

    def _clicked(self, item: QListWidgetItem) -> None:
        self.open_requested.emit(item.data(_ID_ROLE))

    def _renamed(self, item: QListWidgetItem) -> None:
        title = " ".join(item.text().split())
        if not title:
            with QSignalBlocker(self.list):
                item.setText(item.data(_TITLE_ROLE))
        elif title != item.data(_TITLE_ROLE):
            self.rename_requested.emit(item.data(_ID_ROLE), title)

    def _update_buttons(self, *_: object) -> None:
        has_current = self.list.currentItem() is not None
        self.rename_button.setEnabled(has_current)
        self.delete_button.setEnabled(has_current)
