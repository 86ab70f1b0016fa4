"""Chunked logits evaluation for perplexity and KL divergence, in the worker.

The procedure of llama.cpp's tools/perplexity: the token stream is cut into
chunks of ``n_ctx`` tokens; each chunk is decoded from an empty KV cache with
its first token replaced by BOS (when the vocabulary adds one), and only the
second half (positions n_ctx/2 .. n_ctx-2) is scored, so every scored token
has at least n_ctx/2 tokens of context.

Two modes:
* reference (``text`` given): tokenize, write llama.cpp's KL-divergence base
  file (``base_path``) chunk by chunk, and stream each token's NLL;
* variant (``text`` None): read tokens and reference rows from ``base_path``
  and stream per-token scores (NLL, KLD, Δp, same top) for every chunk.

Only one chunk's logits are held at a time, and results stream back as
:class:`ChunkResult` events, so memory stays bounded for any text length.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from runtimes.base import CancelToken
from runtimes.events import Done, Error, Event, GenerationStats
from runtimes.llama_cpp.scoring.kld_base_file import BaseWriter, open_chunks, rows_per_chunk
from runtimes.llama_cpp.scoring.token_scores import TokenScores, quantize_rows, score_rows
from runtimes.memory import own_peak_rss


@dataclass
class LogitsEvalRequest:
    n_ctx: int
    base_path: str
    text: bytes | None = None  # reference mode when set
    n_chunks: int | None = None  # reference mode: at most this many chunks


@dataclass(frozen=True)
class ChunkResult:
    """One chunk's per-token results; ``done``/``total`` double as progress."""

    done: int
    total: int
    nll: np.ndarray | None = None  # reference mode: float64 NLL per scored token
    scores: TokenScores | None = None  # variant mode


class _ChunkDecoder:
    """Decodes one chunk at a time and returns the logits of the scored half."""

    def __init__(self, llama_cpp: Any, llm: Any, n_ctx: int) -> None:
        self.lc, self.llm, self.n_ctx = llama_cpp, llm, n_ctx
        self.n_batch = min(llm.n_batch, n_ctx)
        self.n_vocab = llm.n_vocab()
        vocab = llm._model.vocab
        self.bos = llama_cpp.llama_vocab_bos(vocab) if llama_cpp.llama_vocab_get_add_bos(vocab) else None
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        self.decode_s = 0.0

    def logits(self, chunk: np.ndarray) -> np.ndarray:
        lc, ctx, first = self.lc, self.llm.ctx, self.n_ctx // 2
        lc.llama_memory_clear(lc.llama_get_memory(ctx), True)
        tokens = [int(t) for t in chunk]
        if self.bos is not None:
            tokens[0] = self.bos
        out = np.empty((self.n_ctx - first, self.n_vocab), dtype=np.float32)
        filled = 0
        t0 = time.perf_counter()
        for start in range(0, self.n_ctx, self.n_batch):
            size = min(self.n_batch, self.n_ctx - start)
            b = self.batch
            b.n_tokens = size
            n_out = 0
            for k in range(size):
                pos = start + k
                b.token[k] = tokens[pos]
                b.pos[k] = pos
                b.n_seq_id[k] = 1
                b.seq_id[k][0] = 0
                b.logits[k] = pos >= first
                n_out += pos >= first
            if lc.llama_decode(ctx, b) != 0:
                raise RuntimeError("llama_decode failed")
            if n_out:
                ptr = lc.llama_get_logits(ctx)
                out[filled : filled + n_out] = np.ctypeslib.as_array(ptr, shape=(n_out, self.n_vocab))
                filled += n_out
        lc.llama_synchronize(ctx)
        self.decode_s += time.perf_counter() - t0
        return out[: rows_per_chunk(self.n_ctx)]

    def close(self) -> None:
        self.lc.llama_batch_free(self.batch)
        self.lc.llama_memory_clear(self.lc.llama_get_memory(self.llm.ctx), True)
        self.llm.reset()  # the Llama object's own prefix cache is stale now


def run_logits_eval(
    llm: Any, n_threads: int, request: LogitsEvalRequest, cancel: CancelToken | None
) -> Iterator[Event]:
    import llama_cpp

    n_ctx = request.n_ctx
    if n_ctx < 4 or n_ctx > llm.n_ctx():
        yield Error(f"chunk size {n_ctx} must be between 4 and the session's context ({llm.n_ctx()})", "context")
        return
    if request.text is not None:
        tokens = np.array(llm.tokenize(request.text, add_bos=True, special=False), dtype=np.int32)
        if tokens.size < 2 * n_ctx:
            yield Error(f"the text has {tokens.size} tokens; at least {2 * n_ctx} are needed for chunks of {n_ctx}")
            return
        n_chunk = tokens.size // n_ctx
        n_chunk = n_chunk if request.n_chunks is None else min(request.n_chunks, n_chunk)
        base = None
    else:
        header, base = open_chunks(request.base_path)
        if header.n_ctx != n_ctx or header.n_vocab != llm.n_vocab():
            yield Error(f"reference file has n_ctx={header.n_ctx}, n_vocab={header.n_vocab}; "
                        f"this run has n_ctx={n_ctx}, n_vocab={llm.n_vocab()}", "mismatch")
            return
        tokens, n_chunk = header.tokens, header.n_chunk

    llama_cpp.llama_set_n_threads(llm.ctx, n_threads, n_threads)
    decoder = _ChunkDecoder(llama_cpp, llm, n_ctx)
    part = request.base_path + ".part"
    writer = BaseWriter(part, n_ctx, decoder.n_vocab, tokens[: n_chunk * n_ctx]) if base is None else None
    first, done, t0 = n_ctx // 2, 0, time.perf_counter()
    try:
        for i in range(n_chunk):
            if cancel is not None and cancel.cancelled:
                break
            chunk = tokens[i * n_ctx : (i + 1) * n_ctx]
            logits = decoder.logits(chunk)
            targets = chunk[first + 1 :]
            if writer is not None:
                rows, nll = quantize_rows(logits, targets)
                writer.write_chunk(rows)
                yield ChunkResult(i + 1, n_chunk, nll=nll)
            else:
                yield ChunkResult(i + 1, n_chunk, scores=score_rows(logits, base[i], targets))
            done = i + 1
    finally:
        decoder.close()
        if writer is not None:
            writer.close()
            if done == n_chunk:
                os.replace(part, request.base_path)
            else:
                os.unlink(part)
    seconds = time.perf_counter() - t0
    stats = GenerationStats(n_prompt=done * n_ctx, n_prompt_eval=done * n_ctx, prompt_s=decoder.decode_s,
                            peak_rss_bytes=own_peak_rss(), stop_reason="cancelled" if done < n_chunk else "length")
    yield Done(stats, {"n_chunk": n_chunk, "done": done, "n_vocab": decoder.n_vocab,
                       "eval_seconds": seconds, "decode_seconds": decoder.decode_s, "tokens": done * n_ctx})
