"""Decode token batches into a Llama context and keep track of its KV cache.

Speculative decoding drives llama.cpp below ``Llama.generate``: it evaluates
several tokens per call, reads logits at every position, and removes the
rejected tail from the cache. This keeps ``Llama.input_ids``/``n_tokens`` in
step with the cache, so a later plain ``generate`` on the same context
reuses the common prefix instead of re-evaluating it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class KvBatch:
    def __init__(self, llm: Any, n_batch: int) -> None:
        from llama_cpp._internals import LlamaBatch

        self.llm = llm
        self.n_batch = max(1, min(n_batch, llm.n_batch))
        self._batch = LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=1, verbose=False)

    @property
    def cached(self) -> list[int]:
        """Tokens in the KV cache, position by position."""
        return self.llm.input_ids[: self.llm.n_tokens].tolist()

    def truncate(self, n: int) -> None:
        """Drop cached positions >= n."""
        if n < self.llm.n_tokens:
            self.llm._ctx.kv_cache_seq_rm(0, n, -1)
            self.llm.n_tokens = n
        self.llm._requires_eval = True  # the context's logits no longer match its last token

    def sync(self, tokens: Sequence[int], logits: bool = True) -> int:
        """Make the cache hold exactly ``tokens`` (reusing the common prefix);
        with ``logits`` the last token is evaluated afresh so its logits are
        current. Returns how many tokens were evaluated."""
        keep = common_prefix(self.cached, tokens)
        if logits and keep == len(tokens) and keep > 0:
            keep -= 1  # need a live decode of the last token for its logits
        self.truncate(keep)
        rest = list(tokens[keep:])
        if rest:
            self.append(rest)
        return len(rest)

    def append(self, tokens: Sequence[int], all_logits: bool = False) -> None:
        """Evaluate ``tokens`` after the cache. Logits are kept for the last
        token, or for every one with ``all_logits`` (then they must fit one
        batch: index i of the result is ``tokens[i]``)."""
        llm = self.llm
        if all_logits and len(tokens) > self.n_batch:
            raise ValueError(f"{len(tokens)} tokens do not fit one batch of {self.n_batch}")
        for start in range(0, len(tokens), self.n_batch):
            chunk = list(tokens[start : start + self.n_batch])
            n_past = llm.n_tokens
            self._batch.set_batch(chunk, n_past, all_logits)
            llm._ctx.decode(self._batch)
            llm.input_ids[n_past : n_past + len(chunk)] = chunk
            llm.n_tokens = n_past + len(chunk)
        llm._requires_eval = False

    def close(self) -> None:
        batch, self._batch = getattr(self, "_batch", None), None
        if batch is not None:
            batch.close()
