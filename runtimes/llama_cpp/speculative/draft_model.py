"""The draft model of speculative decoding: a small GGUF with its own context.

Its KV cache persists across rounds and requests: before drafting, only the
tokens it has not seen yet (the target's correction, or a new prompt's
suffix) are evaluated, and positions past the last accepted token are
dropped. Drafting is greedy (the draft's most likely token), which is what
the target's verification rewards most often.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken
from runtimes.errors import LoadFailed
from runtimes.llama_cpp.scoring.kv_batch import KvBatch, common_prefix
from runtimes.llama_cpp.speculative.options import SpeculativeOptions


def gpu_index(device: str) -> int | None:
    """'cuda1' -> 1, 'cpu' -> None: the index llama.cpp's main_gpu takes."""
    if device == "cpu":
        return None
    match = re.search(r"(\d+)$", device)
    return int(match.group(1)) if match else 0


class DraftModel:
    def __init__(self, options: SpeculativeOptions, n_ctx: int, n_threads: int, n_batch: int, verbose: bool) -> None:
        import llama_cpp
        from llama_cpp import Llama

        path = Path(options.draft_model or "")
        index = gpu_index(options.draft_device)
        placement: dict[str, Any] = {"n_gpu_layers": 0 if index is None else options.draft_n_gpu_layers}
        if index is not None:
            # Keep the whole draft on the chosen device instead of splitting it.
            placement.update(main_gpu=index, split_mode=llama_cpp.LLAMA_SPLIT_MODE_NONE)
        threads = options.draft_n_threads or n_threads
        try:
            self.llm = Llama(str(path), n_ctx=n_ctx, n_batch=n_batch, n_threads=threads,
                             n_threads_batch=threads, verbose=verbose, **placement)
        except (ValueError, RuntimeError) as exc:
            raise LoadFailed(f"llama.cpp could not load the draft {path.name}: {exc}") from exc
        self.path = path
        self.kv = KvBatch(self.llm, n_batch)
        self._sampler = llama_cpp.llama_sampler_init_greedy()
        self._vocab = self.llm._model.vocab

    def propose(self, history: list[int], k: int, cancel: CancelToken | None) -> list[int]:
        """Up to ``k`` greedy tokens that follow ``history`` (stops early at
        end-of-generation tokens or on cancel)."""
        import llama_cpp

        if k <= 0 or not history:
            return []
        n_ctx = self.llm.n_ctx()
        k = min(k, n_ctx - len(history) - 1)
        if k <= 0:
            return []
        self.kv.sync(history)
        draft: list[int] = []
        ctx = self.llm._ctx.ctx
        while True:
            token = llama_cpp.llama_sampler_sample(self._sampler, ctx, -1)
            draft.append(token)
            if len(draft) >= k or llama_cpp.llama_vocab_is_eog(self._vocab, token):
                break
            if cancel is not None and cancel.cancelled:
                break
            self.kv.append([token])
        return draft

    def close(self) -> None:
        import llama_cpp

        sampler, self._sampler = getattr(self, "_sampler", None), None
        if sampler is not None:
            llama_cpp.llama_sampler_free(sampler)
        self.kv.close()
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            llm.close()


__all__ = ["DraftModel", "common_prefix", "gpu_index"]
