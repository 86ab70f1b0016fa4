"""The token loop: sample, stream text, stop, measure.

Timing definitions (shown under every reply and by ``workbench generate``):
* TTFT: request start to the first sampled token (tokenize + prompt + sample).
* prompt t/s: llama.cpp's own prompt-eval counter (llama_perf_context), the
  number llama-cli prints as "prompt eval time".
* generation t/s: (tokens - 1) / wall time between the first and the last
  token, i.e. each interval is one decode plus one sample; the process CPU
  time over the same span gives CPU ms per token.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Iterator
from typing import Any

from runtimes.base import CancelToken
from runtimes.events import Done, Error, Event, GenerationStats, Token
from runtimes.llama_cpp.chat import render_chat
from runtimes.llama_cpp.text_stream import StopStringStream
from runtimes.memory import own_peak_rss, process_vram
from runtimes.requests import TextRequest


def token_piece(vocab: Any, token: int) -> bytes:
    import llama_cpp

    buffer = ctypes.create_string_buffer(64)
    n = llama_cpp.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, False)
    if n < 0:  # buffer too small: llama.cpp returns -needed
        buffer = ctypes.create_string_buffer(-n)
        n = llama_cpp.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, False)
    return buffer.raw[:n]


def prompt_tokens(llm: Any, request: TextRequest) -> list[int]:
    if request.messages is not None:
        return render_chat(llm, request.messages, request.chat_template)
    # Special tokens parsed, as llama-cli and llama-cpp-python's create_completion do.
    return llm.tokenize(request.prompt.encode("utf-8"), add_bos=True, special=True)


def generate(llm: Any, request: TextRequest, cancel: CancelToken | None,
             prefill: Callable[[], Any] | None = None) -> Iterator[Event]:
    """``prefill`` (vision input) evaluates the prompt itself and returns a
    runtimes.llama_cpp.vision.context.Prefilled; sampling then starts from its cache."""
    import llama_cpp

    sampling = request.sampling
    t_start = time.perf_counter()
    prefilled = prefill() if prefill is not None else None
    tokens = prefilled.tokens if prefilled is not None else prompt_tokens(llm, request)
    n_ctx = llm.n_ctx()
    if len(tokens) >= n_ctx:
        yield Error(f"the prompt is {len(tokens)} tokens but the context holds {n_ctx}; raise -c", "context")
        return
    max_tokens = min(sampling.max_tokens, n_ctx - len(tokens)) if sampling.max_tokens > 0 else n_ctx - len(tokens)
    stats = GenerationStats(n_prompt=len(tokens))
    text = StopStringStream(sampling.stop)
    vocab = llm._model.vocab
    llama_cpp.llama_perf_context_reset(llm.ctx)
    llm.set_seed(sampling.seed)
    stream = llm.generate(
        tokens,
        top_k=sampling.top_k,
        top_p=sampling.top_p,
        min_p=sampling.min_p,
        temp=sampling.temperature,
        repeat_penalty=sampling.repeat_penalty,
    )
    stats.stop_reason = "length"
    t_first = t_last = t_start
    cpu_first = cpu_last = 0.0
    try:
        for token in stream:
            now, cpu_now = time.perf_counter(), time.process_time()
            if stats.n_gen == 0:
                t_first, cpu_first = now, cpu_now
                stats.ttft_s = t_first - t_start
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                stats.stop_reason = "eos"
                break
            t_last, cpu_last = now, cpu_now
            stats.n_gen += 1
            yield Token(text.feed(token_piece(vocab, token)), token)
            if text.stopped:
                stats.stop_reason = "stop"
                break
            if stats.n_gen >= max_tokens:
                break
            if cancel is not None and cancel.cancelled:
                stats.stop_reason = "cancelled"
                break
    finally:
        stream.close()
    tail = text.flush()
    if tail:
        yield Token(tail, None)
    perf = llama_cpp.llama_perf_context(llm.ctx)
    stats.prompt_s = perf.t_p_eval_ms / 1000.0
    stats.n_prompt_eval = perf.n_p_eval
    if prefilled is not None:
        prefilled.add_to(stats)
    stats.gen_s = t_last - t_first
    stats.gen_cpu_s = cpu_last - cpu_first
    stats.peak_rss_bytes = own_peak_rss()
    stats.vram_bytes = process_vram()
    yield Done(stats)
