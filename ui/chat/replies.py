"""The Chat page's replies: send, regenerate, edit-and-resend and stop, and
stream each reply from ChatGeneration into the conversation and the
transcript. The reply's state is the session's (``app.chat.session``): other
parts wait for a reply with ``session.when_idle`` and hear when one starts;
saving and a dead model are asked of the session, whose listeners act.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from app.chat.session import ChatSession
from runtimes.events import GenerationStats
from ui.chat.generation import ChatGeneration
from ui.chat.widgets.composer import ChatComposer
from ui.chat.widgets.message import ChatMessageWidget
from ui.chat.widgets.side_panel import ChatSidePanel
from ui.chat.widgets.transcript import ChatTranscript
from ui.common.error_banner import ChatErrorBanner
from ui.shell.context import AppContext


class ChatReplies(QObject):
    def __init__(self, session: ChatSession, ctx: AppContext, generation: ChatGeneration, *,
                 composer: ChatComposer, transcript: ChatTranscript, side_panel: ChatSidePanel,
                 error_banner: ChatErrorBanner, parent: QObject | None = None) -> None:
        super().__init__(parent)  # a QObject in the GUI thread, so signals from other threads are queued to it
        self._session = session
        self._ctx = ctx
        self._generation = generation
        self._composer = composer
        self._transcript = transcript
        self._side_panel = side_panel
        self._error_banner = error_banner
        self._reply_widget: ChatMessageWidget | None = None

    def send(self, text: str | None = None) -> None:
        """Send ``text`` (default: the input box) and the attached images, and stream the reply."""
        composer, conversation = self._composer, self._session.conversation
        text = composer.input_box.toPlainText() if text is None else text
        images = composer.attachments.images()
        if not (text.strip() or images) or not composer.send_button.isEnabled():
            return
        self._side_panel.write_settings_to(conversation)
        index = conversation.add_user(text, composer.take_images())
        composer.input_box.clear()
        self._transcript.add_message(conversation.messages[index])
        self._session.request_save()
        self._generate(conversation.request)

    def regenerate(self) -> None:
        """Replace the last reply with a new one."""
        if not self._composer.regenerate_button.isEnabled():
            return
        conversation = self._session.conversation
        self._side_panel.write_settings_to(conversation)
        self._generate(conversation.regenerate)

    def edit_message(self, index: int, text: str) -> None:
        """Replace user message ``index`` with ``text``, drop what followed, ask again."""
        if not self._composer.send_button.isEnabled():
            return
        conversation = self._session.conversation
        self._side_panel.write_settings_to(conversation)
        self._generate(lambda: conversation.edit_and_resend(index, text))
        self._transcript.message_widgets()[index].set_content(text)

    def stop(self) -> None:
        self._session.request_stop()

    def _generate(self, make_request: Callable[[], object]) -> None:
        session = self._session
        loaded = session.loaded
        if loaded is None:
            return
        try:
            request = make_request()
        except ValueError as exc:
            self._error_banner.show_error(f"Nothing to send: {exc}.")
            return
        self._transcript.truncate(len(session.conversation.messages))
        reply = session.conversation.begin_reply()
        self._reply_widget = self._transcript.add_message(reply)
        self._reply_widget.begin_stream()
        self._error_banner.clear()
        self._generation.start(loaded.session, request)
        session.reply_started()  # a reopen still in flight must not replace this chat
        self._ctx.generation_started.emit()

    # ------------------------------------------ ChatGeneration's signals

    def on_token(self, text: str, n_tokens: int) -> None:
        self._session.conversation.add_to_reply(text)
        if self._reply_widget is not None:
            self._reply_widget.append_stream(text)
        if n_tokens:
            self._ctx.token_streamed.emit(n_tokens)

    def on_reply_done(self, stats: GenerationStats) -> None:
        self._session.conversation.end_reply(stats.as_dict())
        if self._reply_widget is not None:
            self._reply_widget.end_stream(stats.as_dict())
        self._ctx.generation_finished.emit(stats)
        self._session.request_save()

    def on_reply_failed(self, message: str, details: str, worker_died: bool) -> None:
        session, conversation = self._session, self._session.conversation
        conversation.end_reply(None)
        if conversation.messages and conversation.messages[-1].role == "assistant":
            if self._reply_widget is not None:
                self._reply_widget.end_stream(None, note="interrupted")
        else:
            self._transcript.truncate(len(conversation.messages))
        self._error_banner.show_error(message, details, can_reload=worker_died)
        self._ctx.generation_finished.emit(None)
        if worker_died:
            session.report_model_died(message)
        session.request_save()

    def on_generation_ended(self) -> None:
        self._reply_widget = None
        self._session.reply_ended()  # runs what waited for the reply
