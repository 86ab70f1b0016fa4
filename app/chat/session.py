"""The Chat page's state without Qt: the conversation shown, whether the
runtimes are known, a model loading, a reply streaming, and the actions
waiting for that reply to end.

The page's parts (ui.chat) change it and listen to it instead of reaching
into each other or into the page; the page turns ``on_changed`` into enabled
and disabled widgets. The loaded model itself is the model host's (every page
shares it), so ``loaded`` reads it from there.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from app.chat.conversation import ChatConversation
from models.listeners import Listeners

if TYPE_CHECKING:
    from app.model_host import LoadedModel, ModelHost


class LoadState(Enum):
    IDLE = "idle"  # no load running (a model may be loaded: see ChatSession.loaded)
    LOADING = "loading"
    CANCELLING = "cancelling"  # cancel asked; the load still runs until it stops


class ReplyState(Enum):
    IDLE = "idle"
    STREAMING = "streaming"
    STOPPING = "stopping"  # stop asked; the reply still runs until it ends


class ChatSession:
    def __init__(self, models: ModelHost) -> None:
        self._models = models
        self._conversation = ChatConversation()
        self.ready = False  # runtimes and devices discovered: loading can start
        self.load_state = LoadState.IDLE
        self.reply_state = ReplyState.IDLE
        self.closing = False  # the page is closing: nothing new starts
        self._after_reply: list[Callable[[], None]] = []

        self.on_changed = Listeners()  # (): any state above, or another conversation shown
        self.on_reply_started = Listeners()  # ()
        self.on_stop_requested = Listeners()  # (): stop the reply streaming now
        self.on_save_requested = Listeners()  # (): keep the conversation as it is now
        self.on_model_died = Listeners()  # (message): the model's worker died during a reply

    # ---------------------------------------------------------------- state

    @property
    def conversation(self) -> ChatConversation:
        return self._conversation

    @property
    def loaded(self) -> LoadedModel | None:
        return self._models.current

    @property
    def loading(self) -> bool:
        return self.load_state is not LoadState.IDLE

    @property
    def generating(self) -> bool:
        return self.reply_state is not ReplyState.IDLE

    @property
    def can_chat(self) -> bool:
        """A message can be sent now: a model is loaded and nothing else runs."""
        return self.loaded is not None and not self.generating and not self.loading

    # ---------------------------------------------------------- conversation

    def show(self, conversation: ChatConversation) -> None:
        """Make ``conversation`` the current one (a saved chat reopened)."""
        self._conversation = conversation
        self.on_changed.emit()

    def start_new_conversation(self) -> ChatConversation:
        """An empty chat that keeps the current one's system prompt and sampling."""
        old = self._conversation
        self.show(ChatConversation(system_prompt=old.system_prompt, sampling=old.sampling))
        return self._conversation

    def retitle(self, conversation_id: str, title: str) -> None:
        """A chat was renamed: if it is the current one, its next save keeps the name."""
        if conversation_id == self._conversation.id:
            self._conversation.title = title

    def request_save(self) -> None:
        self.on_save_requested.emit()

    # --------------------------------------------------------------- loading

    def mark_ready(self) -> None:
        self.ready = True
        self.on_changed.emit()

    def load_started(self) -> None:
        self._set_load_state(LoadState.LOADING)

    def load_cancelling(self) -> None:
        if self.loading:
            self._set_load_state(LoadState.CANCELLING)

    def load_ended(self) -> None:
        self._set_load_state(LoadState.IDLE)

    def _set_load_state(self, state: LoadState) -> None:
        self.load_state = state
        self.on_changed.emit()

    # --------------------------------------------------------------- replies

    def reply_started(self) -> None:
        self.reply_state = ReplyState.STREAMING
        self.on_reply_started.emit()
        self.on_changed.emit()

    def request_stop(self) -> None:
        """Stop the reply (nothing happens when none runs); it ends later."""
        if self.generating:
            self.reply_state = ReplyState.STOPPING
            self.on_stop_requested.emit()
            self.on_changed.emit()

    def when_idle(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or stop the reply and run it once the reply has ended."""
        if self.generating:
            self._after_reply.append(action)
            self.request_stop()
        else:
            action()

    def reply_ended(self) -> None:
        """The reply is over: run what waited for it (unless the page is closing)."""
        self.reply_state = ReplyState.IDLE
        actions, self._after_reply = self._after_reply, []
        self.on_changed.emit()
        if not self.closing:
            for action in actions:
                action()

    def report_model_died(self, message: str) -> None:
        self.on_model_died.emit(message)

    def close(self) -> None:
        """The page is closing: stop the reply and drop what waited for it."""
        self.closing = True
        self.request_stop()
