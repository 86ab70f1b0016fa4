"""The conversation so far, as chat messages for the LLM. Only the last
``max_turns`` exchanges are sent, so a long session never outgrows the
model's context."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_SYSTEM_PROMPT = (
    "You are a friendly voice assistant. Your replies are spoken aloud, so answer in one to three short "
    "sentences of plain text, without lists, code or markdown."
)


@dataclass
class VoiceConversation:
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    max_turns: int = 8
    turns: list[tuple[str, str]] = field(default_factory=list)  # (user, assistant)

    def messages_for(self, user_text: str) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        for user, assistant in self.turns[-self.max_turns:]:
            messages.append({"role": "user", "content": user})
            messages.append({"role": "assistant", "content": assistant})
        messages.append({"role": "user", "content": user_text})
        return messages

    def add(self, user_text: str, reply: str, interrupted: bool = False) -> None:
        # An interrupted reply is kept as far as it got, so the model knows what was said.
        self.turns.append((user_text, reply.strip() + (" …" if interrupted else "")))

    def clear(self) -> None:
        self.turns.clear()
