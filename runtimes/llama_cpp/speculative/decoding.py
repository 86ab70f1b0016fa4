"""Speculative decoding on the llama.cpp runtime: a draft proposes, the target verifies.

Each round:

1. the drafter (a small draft model with its own persistent KV cache, or
   prompt lookup) proposes up to K tokens d1..dK after the committed text;
2. the target decodes [last, d1..dK] in ONE batch, keeping logits at every
   position;
3. walking the positions in order, the target's own sampler (the same
   llama.cpp sampler chain plain decoding uses, same seed) picks the token
   at that position; while it equals the drafted one the draft token is
   accepted; the first disagreement outputs the target's token instead and
   ends the round; if all K are accepted, the sample at the last position
   is a bonus token;
4. rejected positions are removed from both KV caches; K grows after a
   fully accepted round and shrinks after a rejection (when adaptive).

Why the output is exactly the target's ("sample the target and compare"):
every output token is drawn by the target's sampler from the target's
logits given exactly the tokens before it, one sampler call per output
token, as in plain decoding; the draft only decides how many of those
positions are computed in one batch. The sampler (penalties, top-k/p,
min-p, temperature, RNG) therefore sees the same inputs in the same order
as plain decoding, so at temperature 0 the output equals plain greedy
decoding, and at temperature > 0 it is a sample from the target's
distribution; with the same seed it is the very sample plain decoding
draws. (Speculative sampling with rejection/residual resampling accepts
more at high temperature but consumes randomness differently; this scheme
is llama.cpp's own, ``common_sampler_sample_and_accept_n``.) The only
caveat is floating point: a batched decode may round differently from a
one-token decode. On quantized models that difference grows to whole logits
(batch_exact.py measures it at load); there, unless the options waive it,
the session decodes plainly and says why, rather than print a different text.
Rounds that do not pay back off (spec_backoff.py), so speculation is not
slower than plain decoding.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from runtimes.base import CancelToken
from runtimes.events import Done, Error, Event, GenerationStats, Metrics, Token
from runtimes.llama_cpp.generation import generate, prompt_tokens, token_piece
from runtimes.llama_cpp.scoring.kv_batch import KvBatch
from runtimes.llama_cpp.speculative.backoff import DraftBackoff
from runtimes.llama_cpp.speculative.batch_exact import batch_logit_gap, inexact_reason
from runtimes.llama_cpp.speculative.options import SpeculativeOptions
from runtimes.llama_cpp.speculative.stats import SpecCounters, next_k
from runtimes.llama_cpp.text_stream import StopStringStream
from runtimes.memory import own_peak_rss, process_vram
from runtimes.requests import TextRequest


def open_drafter(options: SpeculativeOptions, target: Any, n_threads: int, verbose: bool) -> Any:
    """The object that proposes tokens: a DraftModel or a PromptLookup."""
    if options.mode == "lookup":
        from runtimes.llama_cpp.speculative.prompt_lookup import PromptLookup

        return PromptLookup(options.lookup_ngram_min, options.lookup_ngram_max)
    from runtimes.llama_cpp.speculative.draft_model import DraftModel

    return DraftModel(options, target.n_ctx(), n_threads, target.n_batch, verbose)


class Speculator:
    """Speculative generation for one loaded target (lives in its session)."""

    def __init__(self, llm: Any, options: SpeculativeOptions, n_threads: int, verbose: bool) -> None:
        self.llm = llm
        self.options = options
        self.drafter = open_drafter(options, llm, n_threads, verbose)
        self.kv = KvBatch(llm, max(llm.n_batch, options.draft_max + 1))
        self._k = options.draft_max
        try:
            self.batch_gap = batch_logit_gap(llm, self.kv)
            reason = inexact_reason(self.batch_gap)
        except RuntimeError as exc:  # a failed decode: llama.cpp says why
            self.kv.truncate(0)
            self.batch_gap, reason = float("nan"), f"the batched-verification check failed: {exc}"
        # Why speculation is off for this model (None: it is on).
        self.off_reason = reason if options.require_exact else None

    def info(self) -> dict[str, Any]:
        info = {"speculative": self.options.mode, "speculative_label": self.options.label,
                "speculative_batch_gap": self.batch_gap}
        if self.off_reason:
            info["speculative_off"] = self.off_reason
        return info

    def close(self) -> None:
        self.drafter.close()
        self.kv.close()

    def generate(self, request: TextRequest, cancel: CancelToken | None) -> Iterator[Event]:
        if self.off_reason:
            yield from self._plain(request, cancel)
            return
        yield from self._speculate(request, cancel)

    def _plain(self, request: TextRequest, cancel: CancelToken | None) -> Iterator[Event]:
        """Plain decoding, with stats that say speculation was off and why."""
        counters = SpecCounters(self.options.mode, self.options.label, draft_k=self._k)
        for event in generate(self.llm, request, cancel):
            if isinstance(event, Done):
                event.stats.speculative = counters.as_dict() | {"off": self.off_reason}
            yield event

    def _speculate(self, request: TextRequest, cancel: CancelToken | None) -> Iterator[Event]:
        import llama_cpp

        llm, opts = self.llm, self.options
        sampling = request.sampling
        t_start = time.perf_counter()
        tokens = prompt_tokens(llm, request)
        n_ctx = llm.n_ctx()
        if len(tokens) >= n_ctx:
            yield Error(f"the prompt is {len(tokens)} tokens but the context holds {n_ctx}; raise -c", "context")
            return
        max_tokens = n_ctx - len(tokens)
        if sampling.max_tokens > 0:
            max_tokens = min(sampling.max_tokens, max_tokens)
        stats = GenerationStats(n_prompt=len(tokens), stop_reason="length")
        counters = SpecCounters(opts.mode, opts.label, draft_k=self._k)
        backoff = DraftBackoff()
        text = StopStringStream(sampling.stop)
        vocab = llm._model.vocab
        llm.set_seed(sampling.seed)
        sampler = llm._init_sampler(top_k=sampling.top_k, top_p=sampling.top_p, min_p=sampling.min_p,
                                    temp=sampling.temperature, repeat_penalty=sampling.repeat_penalty)

        # The prompt minus its last token goes into the cache; that token
        # opens the first verify batch (it is "last" in the docstring).
        t0 = time.perf_counter()
        stats.n_prompt_eval = self.kv.sync(tokens[:-1], logits=False)
        stats.prompt_s = time.perf_counter() - t0
        history = list(tokens)  # committed tokens; history[-1] is not in the target's cache yet
        t_first = t_last = t_start
        done = False
        while not done:
            if cancel is not None and cancel.cancelled:
                stats.stop_reason = "cancelled"
                break
            # No more drafts than the tokens still wanted, the context, or one verify batch holds.
            room = min(max_tokens - stats.n_gen - 1, n_ctx - len(history) - 1, self.kv.n_batch - 1)
            t0 = time.perf_counter()
            n_gen_before = stats.n_gen
            drafting = room > 0 and backoff.should_draft()
            draft = self.drafter.propose(history, min(self._k, room), cancel) if drafting else []
            t1 = time.perf_counter()
            self.kv.append([history[-1], *draft], all_logits=True)
            counters.draft_s += t1 - t0
            counters.verify_s += time.perf_counter() - t1

            n_past = len(history) - 1  # cache position of history[-1]
            round_accepted = 0
            for i in range(len(draft) + 1):
                token = sampler.sample(llm._ctx, i)
                drafted = i < len(draft) and token == draft[i]
                now = time.perf_counter()
                if stats.n_gen == 0:
                    t_first = now
                    stats.ttft_s = now - t_start
                history.append(token)
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    stats.stop_reason, done = "eos", True
                    break
                t_last = now
                stats.n_gen += 1
                if drafted:
                    round_accepted += 1
                    counters.accepted += 1
                else:
                    counters.target_tokens += 1
                yield Token(text.feed(token_piece(vocab, token)), token, drafted)
                if text.stopped:
                    stats.stop_reason, done = "stop", True
                elif stats.n_gen >= max_tokens:
                    done = True
                elif cancel is not None and cancel.cancelled:
                    stats.stop_reason, done = "cancelled", True
                if done or not drafted:
                    break
            # Keep the cache up to the newest token's predecessor: the batch
            # positions after what was accepted are stale.
            self.kv.truncate(n_past + 1 + round_accepted)
            round_s = time.perf_counter() - t0
            failed = bool(draft) and backoff.round_done(stats.n_gen - n_gen_before, round_accepted, round_s)
            if not draft:
                backoff.plain_step(round_s)
            counters.round_done(len(draft), round_accepted)
            counters.backoff_tokens = backoff.skipped
            if failed and opts.adaptive:
                self._k = opts.draft_min  # the next try after a pause drafts little, so it costs little
            elif opts.adaptive:
                self._k = next_k(self._k, len(draft), round_accepted, opts.draft_min, opts.draft_max)
            counters.draft_k = self._k
            if draft:
                yield Metrics(counters.metrics())
        tail = text.flush()
        if tail:
            yield Token(tail, None)
        stats.gen_s = t_last - t_first
        stats.speculative = counters.as_dict()
        stats.peak_rss_bytes = own_peak_rss()
        stats.vram_bytes = process_vram()
        yield Done(stats)


def open_speculator(llm: Any, options: SpeculativeOptions | None, n_threads: int, verbose: bool) -> Speculator | None:
    return None if options is None else Speculator(llm, options, n_threads, verbose)
