"""Cut a token stream into speakable pieces as it arrives, so TTS can start on
sentence one while the LLM is still writing sentence two.

A piece ends at a sentence end (. ! ? and friends, then whitespace, or a line
break), or at a
clause mark (, ; :) once it is ``soft_chars`` long, or at the last space
before ``hard_chars`` when there is no punctuation at all (small models ramble
without any). The first piece uses shorter limits (``first_soft_chars`` and
twice that): it decides how soon the user hears anything.
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?…。！？]+[\"')\]]*\s|\n")
CLAUSE_END = re.compile(r"[,;:—]\s")
SPEAKABLE = re.compile(r"\w")
MARKUP = re.compile(r"[*_`#>|~]+")


def speakable(text: str) -> str:
    """Text for a TTS engine: markdown marks dropped, whitespace collapsed;
    empty when nothing in it can be said."""
    text = " ".join(MARKUP.sub(" ", text).split())
    return text if SPEAKABLE.search(text) else ""


class SentenceSplitter:
    def __init__(self, soft_chars: int = 60, hard_chars: int = 120, first_soft_chars: int = 30) -> None:
        if not 0 < first_soft_chars <= hard_chars or not 0 < soft_chars <= hard_chars:
            raise ValueError("the soft limits must be positive and at most hard_chars")
        self.soft_chars = soft_chars
        self.hard_chars = hard_chars
        self.first_soft_chars = first_soft_chars
        self._buffer = ""
        self._pieces = 0

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the pieces it completed (maybe none)."""
        self._buffer += text
        out = []
        while (cut := self._cut()) is not None:
            piece, self._buffer = self._buffer[:cut], self._buffer[cut:]
            self._emit(piece, out)
        return out

    def flush(self) -> list[str]:
        """The end of the reply: whatever is left is the last piece."""
        out: list[str] = []
        piece, self._buffer = self._buffer, ""
        self._emit(piece, out)
        return out

    def _emit(self, piece: str, out: list[str]) -> None:
        piece = piece.strip()
        if SPEAKABLE.search(piece):
            out.append(piece)
            self._pieces += 1

    def _cut(self) -> int | None:
        buffer = self._buffer
        match = SENTENCE_END.search(buffer)
        if match and SPEAKABLE.search(buffer[: match.start()]):
            return match.end()
        soft = self.first_soft_chars if self._pieces == 0 else self.soft_chars
        if len(buffer) >= soft:
            clauses = [m.end() for m in CLAUSE_END.finditer(buffer) if m.end() >= soft // 2]
            if clauses:
                return clauses[0]
        hard = self.hard_chars if self._pieces else min(self.hard_chars, 2 * self.first_soft_chars)
        if len(buffer) >= hard:
            space = buffer.rfind(" ", 0, hard)
            return space + 1 if space > 0 else hard
        return None
