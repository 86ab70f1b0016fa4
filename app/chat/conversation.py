"""One chat: its messages, system prompt and sampling, and the edits a chat
UI makes to them (send, stream a reply, regenerate, edit and resend).

Qt-free so the chat page stays a thin adapter and the logic is testable
without a window. Persisted by ``app.chat.store``.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from runtimes.requests import Image, Sampling, TextRequest

TITLE_MAX_CHARS = 48
DEFAULT_TITLE = "New chat"
# The prompt format that uses no template: the transcript is one text the model continues.
COMPLETION = "completion"


@dataclass
class ChatMessage:
    role: str  # "user" or "assistant"
    content: str
    stats: dict[str, Any] | None = None  # GenerationStats.as_dict() of an assistant reply
    created_at: float = field(default_factory=time.time)
    images: list[Image] = field(default_factory=list)  # shown to a vision model before the text


def title_from(text: str) -> str:
    """A list title from a user message: its first non-blank line, shortened."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    line = " ".join(line.split())
    if len(line) > TITLE_MAX_CHARS:
        line = line[: TITLE_MAX_CHARS - 1].rstrip() + "…"
    return line or DEFAULT_TITLE


@dataclass
class ChatConversation:
    # A UUID is made here, not by the database, so a new chat can be saved
    # from a background queue without waiting for an id to come back.
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    title: str = ""
    system_prompt: str = ""
    sampling: Sampling = field(default_factory=Sampling)
    messages: list[ChatMessage] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    # "" (the model's own template), COMPLETION or a llama.cpp built-in template name.
    # Set from the model's preset before each send; not stored with the chat.
    prompt_format: str = ""

    @property
    def display_title(self) -> str:
        return self.title or DEFAULT_TITLE

    @property
    def can_regenerate(self) -> bool:
        """True when there is a user message to (re)answer."""
        return any(m.role == "user" for m in self.messages)

    def add_user(self, text: str, images: list[Image] | None = None) -> int:
        """Append a user message; returns its index. The first one names the chat.
        A message may be images alone."""
        if not text.strip() and not images:
            raise ValueError("an empty message cannot be sent")
        if not self.title:
            self.title = title_from(text) if text.strip() else title_from(f"Image: {images[0].name or 'picture'}")
        self.messages.append(ChatMessage("user", text, images=list(images or [])))
        self._touch()
        return len(self.messages) - 1

    def request(self) -> TextRequest:
        """The request that answers the last message, which must be the user's."""
        if not self.messages or self.messages[-1].role != "user":
            raise ValueError("there is no user message to answer")
        if self.prompt_format == COMPLETION:
            return TextRequest(prompt=self.completion_text(), sampling=copy.deepcopy(self.sampling))
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt.strip() else []
        messages += [{"role": m.role, "content": m.content, **({"images": list(m.images)} if m.images else {})}
                     for m in self.messages]
        return TextRequest(messages=messages, sampling=copy.deepcopy(self.sampling), chat_template=self.prompt_format)

    def completion_text(self) -> str:
        """Completion mode (base models): the system prompt, then every message
        joined as written, for the model to continue. Images need a template."""
        if any(m.images for m in self.messages):
            raise ValueError("images need a chat template; choose one under Prompt format")
        head = f"{self.system_prompt}\n\n" if self.system_prompt.strip() else ""
        return head + "".join(m.content for m in self.messages)

    def begin_reply(self) -> ChatMessage:
        reply = ChatMessage("assistant", "")
        self.messages.append(reply)
        return reply

    def add_to_reply(self, text: str) -> None:
        reply = self.messages[-1]
        if reply.role != "assistant":
            raise ValueError("no reply is being written")
        reply.content += text

    def end_reply(self, stats: dict[str, Any] | None) -> None:
        """Close the streamed reply. A reply that got no text and no stats
        (the worker died before the first token) is dropped, so the chat ends
        with the user's message and can simply be regenerated."""
        reply = self.messages[-1]
        if reply.role != "assistant":
            raise ValueError("no reply is being written")
        reply.stats = stats
        if not reply.content and stats is None:
            self.messages.pop()
        self._touch()

    def regenerate(self) -> TextRequest:
        """Drop the last assistant reply and ask again."""
        while self.messages and self.messages[-1].role == "assistant":
            self.messages.pop()
        self._touch()
        return self.request()

    def edit_and_resend(self, index: int, text: str) -> TextRequest:
        """Replace user message ``index``, forget everything after it, ask again."""
        if not 0 <= index < len(self.messages) or self.messages[index].role != "user":
            raise ValueError(f"message {index} is not a user message")
        if not text.strip():
            raise ValueError("an empty message cannot be sent")
        self.messages[index].content = text
        del self.messages[index + 1 :]
        self._touch()
        return self.request()

    def _touch(self) -> None:
        self.updated_at = time.time()
