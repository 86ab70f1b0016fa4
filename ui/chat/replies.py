"""The Chat page's replies: send, regenerate, edit-and-resend and stop, and
stream each reply from ChatGeneration into the conversation and the
transcript. Actions that must not overlap a reply wait for it to end
(``when_idle``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from runtimes.events import GenerationStats
from ui.chat.widgets.message import ChatMessageWidget

if TYPE_CHECKING:
    from ui.chat.page import ChatPage


class ChatReplies(QObject):
    def __init__(self, page: ChatPage) -> None:
        super().__init__(page)  # a QObject in the GUI thread, so signals from other threads are queued to it
        self._page = page
        self._after_generation: list[Callable[[], None]] = []
        self._reply_widget: ChatMessageWidget | None = None
        self._closing = False

    def send(self, text: str | None = None) -> None:
        """Send ``text`` (default: the input box) and the attached images, and stream the reply."""
        page = self._page
        text = page.input_box.toPlainText() if text is None else text
        images = page.composer.attachments.images()
        if not (text.strip() or images) or not page.send_button.isEnabled():
            return
        page.side_panel.write_settings_to(page.conversation)
        index = page.conversation.add_user(text, page.composer.take_images())
        page.input_box.clear()
        page.messages_view.add_message(page.conversation.messages[index])
        page.conversation_manager.save()
        self._generate(page.conversation.request)

    def regenerate(self) -> None:
        """Replace the last reply with a new one."""
        page = self._page
        if not page.regenerate_button.isEnabled():
            return
        page.side_panel.write_settings_to(page.conversation)
        self._generate(page.conversation.regenerate)

    def edit_message(self, index: int, text: str) -> None:
        """Replace user message ``index`` with ``text``, drop what followed, ask again."""
        page = self._page
        if not page.send_button.isEnabled():
            return
        page.side_panel.write_settings_to(page.conversation)
        self._generate(lambda: page.conversation.edit_and_resend(index, text))
        page.messages_view.message_widgets()[index].set_content(text)

    def stop(self) -> None:
        self._page.generation.stop()

    def when_idle(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or stop the reply and run it once the reply has ended."""
        if self._page.is_generating:
            self._after_generation.append(action)
            self.stop()
        else:
            action()

    def _generate(self, make_request: Callable[[], object]) -> None:
        page = self._page
        loaded = page.ctx.loaded
        if loaded is None:
            return
        try:
            request = make_request()
        except ValueError as exc:
            page.error_banner.show_error(f"Nothing to send: {exc}.")
            return
        page.conversation_manager.cancel_open()  # a reopen still in flight must not replace this chat
        page.messages_view.truncate(len(page.conversation.messages))
        reply = page.conversation.begin_reply()
        self._reply_widget = page.messages_view.add_message(reply)
        self._reply_widget.begin_stream()
        page.error_banner.clear()
        page.generation.start(loaded.session, request)
        page.ctx.generation_started.emit()
        page.update_state()

    # ------------------------------------------ ChatGeneration's signals

    def on_token(self, text: str, n_tokens: int) -> None:
        self._page.conversation.add_to_reply(text)
        if self._reply_widget is not None:
            self._reply_widget.append_stream(text)
        if n_tokens:
            self._page.ctx.token_streamed.emit(n_tokens)

    def on_reply_done(self, stats: GenerationStats) -> None:
        page = self._page
        page.conversation.end_reply(stats.as_dict())
        if self._reply_widget is not None:
            self._reply_widget.end_stream(stats.as_dict())
        page.ctx.generation_finished.emit(stats)
        page.conversation_manager.save()

    def on_reply_failed(self, message: str, details: str, worker_died: bool) -> None:
        page = self._page
        page.conversation.end_reply(None)
        if page.conversation.messages and page.conversation.messages[-1].role == "assistant":
            if self._reply_widget is not None:
                self._reply_widget.end_stream(None, note="interrupted")
        else:
            page.messages_view.truncate(len(page.conversation.messages))
        page.error_banner.show_error(message, details, can_reload=worker_died)
        page.ctx.generation_finished.emit(None)
        if worker_died:
            page.model_setup.drop_dead_model(message)
        page.conversation_manager.save()

    def on_generation_ended(self) -> None:
        self._reply_widget = None
        actions, self._after_generation = self._after_generation, []
        self._page.update_state()
        if not self._closing:
            for action in actions:
                action()

    def shutdown(self) -> None:
        """Stop the reply; actions waiting for it are dropped."""
        self._closing = True
        self._page.generation.stop()
