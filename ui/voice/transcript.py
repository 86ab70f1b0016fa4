"""The live transcript of a voice conversation: what the user is saying (grey
partial text while they talk, then the final transcript) and the assistant's
reply as it streams. Re-rendered at most every 40 ms, not per token."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QTextBrowser

RENDER_MS = 40


@dataclass
class _Turn:
    number: int
    user: str = ""
    partial: bool = True
    reply: str = ""
    note: str = ""  # "interrupted", "heard no words", a problem


class VoiceTranscript(QTextBrowser):
    def __init__(self) -> None:
        super().__init__(objectName="voiceTranscript")
        self.setOpenLinks(False)
        # Model output can hold long runs without a break opportunity: wrap anywhere rather than clip.
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.turns: dict[int, _Turn] = {}
        self._timer = QTimer(self, singleShot=True, interval=RENDER_MS)
        self._timer.timeout.connect(self._render)
        self.setPlaceholderText("Press Listen and speak, or run a recorded file. What you say and the "
                                "assistant's reply appear here.")

    def _turn(self, number: int) -> _Turn:
        if number not in self.turns:
            self.turns[number] = _Turn(number)
        return self.turns[number]

    def user_speaking(self, turn: int) -> None:
        self._turn(turn)
        self._schedule()

    def partial(self, turn: int, text: str) -> None:
        entry = self._turn(turn)
        if entry.partial:
            entry.user = text
            self._schedule()

    def user_said(self, turn: int, text: str) -> None:
        entry = self._turn(turn)
        entry.user, entry.partial = text, False
        self._schedule()

    def reply_token(self, turn: int, text: str) -> None:
        self._turn(turn).reply += text
        self._schedule()

    def note(self, turn: int, text: str) -> None:
        self._turn(turn).note = text
        self._schedule()

    def clear_turns(self) -> None:
        self.turns.clear()
        self.clear()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Render now (tests, and before a screenshot)."""
        self._timer.stop()
        self._render()

    def _render(self) -> None:
        blocks = []
        for turn in self.turns.values():
            if turn.user or turn.partial:
                style = "color: palette(placeholder-text); font-style: italic;" if turn.partial else ""
                text = html.escape(turn.user) or "…"
                blocks.append(f"<p><b>You</b> <span style='{style}'>{text}</span></p>")
            if turn.reply:
                blocks.append(f"<p><b>Assistant</b> {html.escape(turn.reply.strip())}</p>")
            if turn.note:
                blocks.append(f"<p style='color: #b07a00;'><i>{html.escape(turn.note)}</i></p>")
        self.setHtml("".join(blocks))
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def plain_text(self) -> str:
        self.flush()
        return self.toPlainText()
