"""The Chat page's saved conversations: start a new chat, open, rename and
delete saved ones, save the current one, and keep the list up to date.

Every store call runs on the page's DiskQueue (one background thread, in
order); results come back on the GUI thread. A chat that is replying is
stopped first when it would be replaced or deleted.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.chat.conversation import ChatConversation

if TYPE_CHECKING:
    from ui.chat.page import ChatPage


class ChatConversationManager(QObject):
    def __init__(self, page: ChatPage) -> None:
        super().__init__(page)  # a QObject in the GUI thread, so signals from other threads are queued to it
        self._page = page
        self._opening_id: str | None = None  # being read from the store, to show when it arrives

    def new_chat(self) -> None:
        self._page.session.when_idle(self._new_chat)

    def _new_chat(self) -> None:
        page = self._page
        self._opening_id = None
        page.side_panel.write_settings_to(page.conversation)
        page.conversation = ChatConversation(
            system_prompt=page.conversation.system_prompt, sampling=page.conversation.sampling
        )
        page.messages_view.set_messages([])
        page.conversation_list.list.clearSelection()
        page.conversation_list.list.setCurrentItem(None)
        page.input_box.setFocus()
        page.update_state()

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self._page.conversation.id and not self._page.is_generating:
            return
        self._page.session.when_idle(lambda: self._open(conversation_id))

    def cancel_open(self) -> None:
        """Drop a reopen still being read, so it does not replace the chat shown now."""
        self._opening_id = None

    def _open(self, conversation_id: str) -> None:
        self._opening_id = conversation_id
        self._page.disk.submit(self._page.store.load, conversation_id, on_done=self._show_conversation)

    def _show_conversation(self, conversation: ChatConversation) -> None:
        page = self._page
        if conversation.id != self._opening_id or page.is_generating:
            return  # the user moved on while it was being read
        self._opening_id = None
        page.conversation = conversation
        page.messages_view.set_messages(conversation.messages)
        page.side_panel.read_settings_from(conversation)
        item = page.conversation_list.item_for(conversation.id)
        if item is not None:
            page.conversation_list.list.setCurrentItem(item)
        page.update_state()

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        page = self._page
        if conversation_id == page.conversation.id:
            page.conversation.title = title  # or the next save would undo the rename
        page.disk.submit(page.store.rename, conversation_id, title, on_done=lambda _: self.refresh())

    def delete_conversation(self, conversation_id: str) -> None:
        if conversation_id == self._page.conversation.id:
            # Stop first: a reply finishing later would save the chat again.
            self._page.session.when_idle(lambda: self._delete(conversation_id, current=True))
        else:
            self._delete(conversation_id, current=False)

    def _delete(self, conversation_id: str, current: bool) -> None:
        if current:
            self._new_chat()
        self._page.disk.submit(self._page.store.delete, conversation_id, on_done=lambda _: self.refresh())

    def save(self) -> None:
        """Queue a save of the current chat (nothing to save while it is empty)."""
        page = self._page
        if not page.conversation.messages:
            return
        snapshot = copy.deepcopy(page.conversation)  # later edits must not race the writer thread
        page.disk.submit(page.store.save, snapshot, on_done=lambda _: self.refresh())

    def refresh(self) -> None:
        """Re-read the list of saved chats and show it, the current one selected."""
        page = self._page
        page.disk.submit(
            page.store.list,
            on_done=lambda items: page.conversation_list.set_conversations(items, page.conversation.id),
        )

    def on_disk_failed(self, exc: Exception, details: str) -> None:
        self._page.error_banner.show_error(f"Conversations could not be read or saved: {exc}", details)
