"""Drafting backs off when it does not pay, and comes back when it does (demo target)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.demo.draft_pair import write_pair
from runtimes.events import Done, Metrics, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.session import LlamaSession
from runtimes.llama_cpp.speculative.backoff import MAX_SKIP, DraftBackoff
from runtimes.llama_cpp.speculative.options import PlainRequest, SpeculativeOptions
from runtimes.requests import Sampling, TextRequest


class WrongDrafter:
    """Proposes, at every position, a token the target's greedy output does not have there."""

    def __init__(self, n_prompt: int, output: list[int], n_vocab: int) -> None:
        self.n_prompt, self.output, self.n_vocab = n_prompt, output, n_vocab
        self.calls = 0

    def propose(self, history, k, cancel=None):
        self.calls += 1
        at = len(history) - self.n_prompt
        return [(self.output[i] + 1) % self.n_vocab for i in range(at, min(at + k, len(self.output)))]

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pair(tmp_path_factory.mktemp("pair"), "tiny", 0.02)[1]


def test_an_always_wrong_drafter_stops_drafting_after_a_few_rounds(target):
    s = LlamaSession(target, LlamaLoadOptions(n_ctx=512, n_threads=1,
                                              speculative=SpeculativeOptions(mode="lookup")), verbose=False)
    try:
        assert "speculative_off" not in s.info  # the F32 demo model verifies exactly
        request = TextRequest(prompt="Once upon a time", sampling=Sampling(temperature=0, max_tokens=200))
        plain = [e.token_id for e in s.run(PlainRequest(request)) if isinstance(e, Token) and e.token_id is not None]
        assert len(plain) == 200
        n_prompt = len(s.llm.tokenize(b"Once upon a time", add_bos=True))
        drafter = WrongDrafter(n_prompt, plain, s.llm.n_vocab())
        s.speculator.drafter = drafter
        events = list(s.run(request))
        done = events[-1]
        assert isinstance(done, Done)
        spec = done.stats.speculative
        assert [e.token_id for e in events if isinstance(e, Token) and e.token_id is not None] == plain
        assert spec["drafted"] > 0 and spec["accepted"] == 0
        # Skips of 2, 4, 8, ... tokens: 200 tokens hold at most 8 failed rounds, not 200.
        assert spec["rounds"] <= 8
        assert drafter.calls == spec["rounds"]
        assert spec["backoff_tokens"] >= 200 - 2 * spec["rounds"] - 1
        live = [e.values for e in events if isinstance(e, Metrics)]
        assert len(live) == spec["rounds"] and live[-1]["spec_backoff_tokens"] > 0
    finally:
        s.close()


def test_failures_double_the_plain_stretch_up_to_a_cap():
    backoff = DraftBackoff()
    skips = []
    for _ in range(12):
        backoff.round_done(produced=1, accepted=0, seconds=0.01)
        skips.append(backoff.skip)
        while not backoff.should_draft():
            pass
    assert skips[:4] == [2, 4, 8, 16]
    assert skips[-1] == MAX_SKIP


def test_a_paying_round_brings_drafting_back():
    backoff = DraftBackoff()
    backoff.plain_step(0.010)
    backoff.round_done(produced=1, accepted=0, seconds=0.012)
    assert backoff.skip == 2
    backoff.skip = 0
    backoff.round_done(produced=5, accepted=4, seconds=0.020)  # 4 ms a token beats 10 ms plain
    assert backoff.failures == 0 and backoff.should_draft()


def test_a_round_slower_than_plain_counts_as_a_failure_even_with_acceptances():
    backoff = DraftBackoff()
    backoff.plain_step(0.010)
    backoff.round_done(produced=2, accepted=1, seconds=0.030)  # 15 ms a token: worse than plain
    assert backoff.failures == 1 and not backoff.should_draft()


def test_the_summary_line_says_when_speculation_was_off_or_backed_off():
    from app.speculative.report import spec_summary

    off = spec_summary({"label": "prompt lookup, K≤8", "drafted": 0, "off": "batched verification is not exact"})
    assert off == "prompt lookup, K≤8: off, batched verification is not exact"
    paused = spec_summary({"label": "prompt lookup, K≤8", "drafted": 10, "accepted": 2, "backoff_tokens": 40})
    assert "accepted 2/10" in paused and "40 tokens without drafting" in paused
