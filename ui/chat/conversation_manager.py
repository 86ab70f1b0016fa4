"""The Chat page's saved conversations: start a new chat, open, rename and
delete saved ones, save the current one, and keep the list up to date.

Every store call runs on the page's DiskQueue (one background thread, in
order); results come back on the GUI thread. A chat that is replying is
stopped first when it would be replaced or deleted. The current chat is the
session's; this part shows it in the transcript, side panel and list.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.chat.conversation import ChatConversation
from app.chat.session import ChatSession
from app.chat.store import ConversationStore
from ui.chat.widgets.conversation_list import ChatConversationList
from ui.chat.widgets.disk_queue import DiskQueue
from ui.chat.widgets.side_panel import ChatSidePanel
from ui.chat.widgets.transcript import ChatTranscript
from ui.common.error_banner import ChatErrorBanner


class ChatConversationManager(QObject):
    def __init__(self, session: ChatSession, store: ConversationStore, disk: DiskQueue, *,
                 conversation_list: ChatConversationList, transcript: ChatTranscript, side_panel: ChatSidePanel,
                 input_box: QWidget, error_banner: ChatErrorBanner, parent: QObject | None = None) -> None:
        super().__init__(parent)  # a QObject in the GUI thread, so signals from other threads are queued to it
        self._session = session
        self._store = store
        self._disk = disk
        self._list = conversation_list
        self._transcript = transcript
        self._side_panel = side_panel
        self._input_box = input_box
        self._error_banner = error_banner
        self._opening_id: str | None = None  # being read from the store, to show when it arrives

    def new_chat(self) -> None:
        self._session.when_idle(self._new_chat)

    def _new_chat(self) -> None:
        self._opening_id = None
        self._side_panel.write_settings_to(self._session.conversation)  # the new chat keeps them
        self._transcript.set_messages([])
        self._list.list.clearSelection()
        self._list.list.setCurrentItem(None)
        self._input_box.setFocus()
        self._session.start_new_conversation()  # last: the page then enables the new widgets

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self._session.conversation.id and not self._session.generating:
            return
        self._session.when_idle(lambda: self._open(conversation_id))

    def cancel_open(self) -> None:
        """Drop a reopen still being read, so it does not replace the chat shown now."""
        self._opening_id = None

    def _open(self, conversation_id: str) -> None:
        self._opening_id = conversation_id
        self._disk.submit(self._store.load, conversation_id, on_done=self._show_conversation)

    def _show_conversation(self, conversation: ChatConversation) -> None:
        if conversation.id != self._opening_id or self._session.generating:
            return  # the user moved on while it was being read
        self._opening_id = None
        self._transcript.set_messages(conversation.messages)
        self._side_panel.read_settings_from(conversation)
        item = self._list.item_for(conversation.id)
        if item is not None:
            self._list.list.setCurrentItem(item)
        self._session.show(conversation)  # last: the page then enables the new widgets

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        self._session.retitle(conversation_id, title)  # or the next save would undo the rename
        self._disk.submit(self._store.rename, conversation_id, title, on_done=lambda _: self.refresh())

    def delete_conversation(self, conversation_id: str) -> None:
        if conversation_id == self._session.conversation.id:
            # Stop first: a reply finishing later would save the chat again.
            self._session.when_idle(lambda: self._delete(conversation_id, current=True))
        else:
            self._delete(conversation_id, current=False)

    def _delete(self, conversation_id: str, current: bool) -> None:
        if current:
            self._new_chat()
        self._disk.submit(self._store.delete, conversation_id, on_done=lambda _: self.refresh())

    def save(self) -> None:
        """Queue a save of the current chat (nothing to save while it is empty)."""
        conversation = self._session.conversation
        if not conversation.messages:
            return
        snapshot = copy.deepcopy(conversation)  # later edits must not race the writer thread
        self._disk.submit(self._store.save, snapshot, on_done=lambda _: self.refresh())

    def refresh(self) -> None:
        """Re-read the list of saved chats and show it, the current one selected."""
        self._disk.submit(
            self._store.list,
            on_done=lambda items: self._list.set_conversations(items, self._session.conversation.id),
        )

    def on_disk_failed(self, exc: Exception, details: str) -> None:
        self._error_banner.show_error(f"Conversations could not be read or saved: {exc}", details)
