"""Turn token bytes into text pieces, honouring stop strings.

A token can end in the middle of a UTF-8 character, and a stop string can span
tokens, so text is held back until it can no longer be part of either.
"""

from __future__ import annotations

import codecs


class StopStringStream:
    def __init__(self, stop: list[str]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._stop = [s for s in stop if s]
        self._pending = ""
        self.stopped = False

    def feed(self, data: bytes) -> str:
        """Add token bytes; return the text that is safe to show now."""
        if self.stopped:
            return ""
        self._pending += self._decoder.decode(data)
        for stop in self._stop:
            index = self._pending.find(stop)
            if index != -1:
                self.stopped = True
                text, self._pending = self._pending[:index], ""
                return text
        keep = self._longest_stop_prefix_suffix()
        cut = len(self._pending) - keep
        text, self._pending = self._pending[:cut], self._pending[cut:]
        return text

    def flush(self) -> str:
        """Return whatever is held back once generation has ended."""
        if self.stopped:
            return ""
        text = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return text

    def _longest_stop_prefix_suffix(self) -> int:
        """Length of the longest tail of pending text that starts a stop string."""
        best = 0
        for stop in self._stop:
            for length in range(min(len(stop) - 1, len(self._pending)), best, -1):
                if self._pending.endswith(stop[:length]):
                    best = length
                    break
        return best
