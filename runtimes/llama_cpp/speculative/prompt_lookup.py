"""Prompt-lookup (n-gram) drafting: no draft model, the context is the draft.

If the last n tokens appeared earlier in the prompt or the reply, the tokens
that followed them then are proposed now (code edits, quoting, summaries
and repetition loops all re-use their context). Longer n-grams are tried
first. An index from each n-gram to the latest position it was followed
from is kept up to date as tokens arrive, so a proposal costs O(n), not a
scan of the whole context.
"""

from __future__ import annotations

from collections.abc import Sequence

from runtimes.base import CancelToken


class PromptLookup:
    def __init__(self, ngram_min: int = 1, ngram_max: int = 3) -> None:
        self.ngram_min, self.ngram_max = ngram_min, ngram_max
        self._tokens: list[int] = []
        # (n-gram tuple) -> start index of its latest occurrence that has a follower.
        self._index: dict[tuple[int, ...], int] = {}

    def _reset(self, tokens: Sequence[int]) -> None:
        self._tokens = []
        self._index = {}
        self._extend(tokens)

    def _extend(self, tokens: Sequence[int]) -> None:
        for token in tokens:
            end = len(self._tokens)  # the new token's index; n-grams ending just before it gain a follower
            self._tokens.append(token)
            for n in range(self.ngram_min, self.ngram_max + 1):
                start = end - n
                if start < 0:
                    break
                self._index[tuple(self._tokens[start:end])] = start

    def _follow(self, history: Sequence[int]) -> None:
        """Bring the index up to ``history`` (appending when it only grew)."""
        n = len(self._tokens)
        if len(history) >= n and list(history[:n]) == self._tokens:
            self._extend(history[n:])
        else:
            self._reset(history)

    def propose(self, history: Sequence[int], k: int, cancel: CancelToken | None = None) -> list[int]:
        """Up to ``k`` tokens that followed the longest matching n-gram."""
        if k <= 0:
            return []
        self._follow(history)
        tokens = self._tokens
        for n in range(min(self.ngram_max, len(tokens) - 1), self.ngram_min - 1, -1):
            start = self._index.get(tuple(tokens[-n:]))
            if start is None or start + n >= len(tokens):
                continue
            return tokens[start + n : start + n + k]
        return []

    def close(self) -> None:
        self._tokens, self._index = [], {}
