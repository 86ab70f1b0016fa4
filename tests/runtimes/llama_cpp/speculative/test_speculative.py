"""Speculative decoding on the llama.cpp runtime, on the tiny demo pair."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.demo.draft_pair import write_pair
from runtimes.base import CancelToken
from runtimes.events import Done, Metrics, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.session import LlamaSession
from runtimes.llama_cpp.speculative.options import PlainRequest, SpeculativeOptions
from runtimes.llama_cpp.speculative.stats import next_k
from runtimes.registry import get_runtime
from runtimes.requests import Sampling, TextRequest

PROMPTS = ("Once upon a time", "The quick brown fox", "def main():\n", "Hello")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_pair(tmp_path_factory.mktemp("pair"), "tiny", 0.02)


def open_session(target: Path, spec: SpeculativeOptions) -> LlamaSession:
    return LlamaSession(target, LlamaLoadOptions(n_ctx=512, n_threads=1, speculative=spec), verbose=False)


@pytest.fixture(scope="module", params=["draft", "lookup"])
def session(request, pair):
    draft, target = pair
    spec = SpeculativeOptions(mode=request.param, draft_model=str(draft) if request.param == "draft" else None)
    s = open_session(target, spec)
    yield s
    s.close()


def run(session, request, cancel=None) -> tuple[list, Done]:
    events = list(session.run(request, cancel))
    assert isinstance(events[-1], Done), events[-1]
    return events, events[-1]


def text(events) -> str:
    return "".join(e.text for e in events if isinstance(e, Token))


def token_ids(events) -> list[int]:
    return [e.token_id for e in events if isinstance(e, Token) and e.token_id is not None]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_output_is_identical_to_plain_decoding(session, prompt):
    request = TextRequest(prompt=prompt, sampling=Sampling(temperature=0, max_tokens=48))
    plain, _ = run(session, PlainRequest(request))
    spec, done = run(session, request)
    assert token_ids(spec) == token_ids(plain)
    assert text(spec) == text(plain)
    assert done.stats.speculative is not None and done.stats.speculative["drafted"] > 0


def test_sampling_with_a_seed_draws_the_targets_own_sample(session):
    """The target's sampler makes every choice, so a seed gives plain decoding's sample."""
    request = TextRequest(prompt="Once", sampling=Sampling(temperature=0.9, seed=7, max_tokens=40))
    plain, _ = run(session, PlainRequest(request))
    spec, _ = run(session, request)
    assert token_ids(spec) == token_ids(plain)
    other = TextRequest(prompt="Once", sampling=Sampling(temperature=0.9, seed=8, max_tokens=40))
    assert token_ids(run(session, other)[0]) != token_ids(spec)


def test_acceptance_statistics_are_consistent(session):
    request = TextRequest(prompt="The quick brown fox", sampling=Sampling(temperature=0, max_tokens=64))
    events, done = run(session, request)
    spec = done.stats.speculative
    flagged = sum(1 for e in events if isinstance(e, Token) and e.drafted)
    assert spec["accepted"] <= spec["drafted"]
    assert done.stats.n_gen == spec["accepted"] + spec["target_tokens"] == 64
    assert flagged == spec["accepted"]
    assert spec["acceptance_rate"] == pytest.approx(spec["accepted"] / spec["drafted"])
    assert spec["mean_accepted_len"] == pytest.approx(spec["accepted"] / spec["rounds"])
    live = [e.values for e in events if isinstance(e, Metrics)]
    assert len(live) == spec["rounds"]
    assert live[-1]["spec_accepted"] == spec["accepted"] and live[-1]["spec_drafted"] == spec["drafted"]
    assert all(a["spec_drafted"] <= b["spec_drafted"] for a, b in zip(live, live[1:], strict=False))


def test_cancel_stops_in_the_middle_of_a_round(pair):
    draft, target = pair
    s = open_session(target, SpeculativeOptions(draft_model=str(draft), draft_max=8, adaptive=False))
    try:
        request = TextRequest(prompt="Once upon a time", sampling=Sampling(temperature=0, max_tokens=64))
        full, _ = run(s, request)
        assert any(e.drafted for e in full if isinstance(e, Token)), "the first round must accept drafts"
        cancel = CancelToken()
        events = []
        for event in s.run(request, cancel):
            events.append(event)
            if isinstance(event, Token):
                cancel.cancel()  # right after the round's first token
        done = events[-1]
        assert isinstance(done, Done)
        assert done.stats.stop_reason == "cancelled"
        assert done.stats.n_gen == 1
        # The session is still usable and still exact afterwards.
        again, _ = run(s, request)
        assert token_ids(again) == token_ids(full)
    finally:
        s.close()


def test_stop_string_and_max_tokens_inside_a_round(pair):
    draft, target = pair
    s = open_session(target, SpeculativeOptions(draft_model=str(draft)))
    try:
        greedy = Sampling(temperature=0, max_tokens=40)
        full = "".join(e.text for e in run(s, PlainRequest(TextRequest(prompt="The", sampling=greedy)))[0]
                       if isinstance(e, Token))
        stop = full[12:15]
        expected = full[: full.index(stop)]
        events, done = run(s, TextRequest(prompt="The", sampling=Sampling(temperature=0, max_tokens=40, stop=[stop])))
        assert "".join(e.text for e in events if isinstance(e, Token)) == expected
        assert done.stats.stop_reason == "stop"
        _, done = run(s, TextRequest(prompt="The", sampling=Sampling(temperature=0, max_tokens=5)))
        assert done.stats.n_gen == 5 and done.stats.stop_reason == "length"
    finally:
        s.close()


def test_the_scale_knob_lowers_agreement(tmp_path):
    def acceptance(scale: float) -> float:
        draft, target = write_pair(tmp_path, "tiny", scale)
        s = open_session(target, SpeculativeOptions(draft_model=str(draft)))
        try:
            total = [0, 0]
            for prompt in PROMPTS[:2]:
                spec = run(s, TextRequest(prompt=prompt, sampling=Sampling(temperature=0, max_tokens=48)))[1]
                total[0] += spec.stats.speculative["accepted"]
                total[1] += spec.stats.speculative["drafted"]
            return total[0] / total[1]
        finally:
            s.close()

    assert acceptance(0.0) == 1.0  # the extra layers add exactly nothing
    assert acceptance(1.0) < 0.8


def test_worker_session_streams_draft_flags_across_the_pipe(pair):
    draft, target = pair
    options = LlamaLoadOptions(n_ctx=256, n_threads=1, speculative=SpeculativeOptions(draft_model=str(draft)))
    with get_runtime("llama.cpp").load(target, options) as s:
        events = list(s.run(TextRequest(prompt="Hello", sampling=Sampling(temperature=0, max_tokens=24))))
        assert s.info["speculative"] == "draft"
    done = events[-1]
    assert isinstance(done, Done) and done.stats.n_gen == 24
    assert sum(e.drafted for e in events if isinstance(e, Token)) == done.stats.speculative["accepted"] > 0
    assert done.stats.as_dict()["speculative"]["drafted"] >= done.stats.speculative["accepted"]


def test_adaptive_draft_length():
    assert next_k(4, 4, 4, 1, 8) == 6  # all accepted: grow by 2
    assert next_k(8, 8, 8, 1, 8) == 8  # capped
    assert next_k(4, 4, 1, 1, 8) == 3  # a rejection: shrink by 1
    assert next_k(1, 1, 0, 1, 8) == 1  # floored
    assert next_k(5, 0, 0, 1, 8) == 5  # nothing drafted: unchanged


def test_options_are_checked():
    with pytest.raises(ValueError, match="draft model"):
        SpeculativeOptions(mode="draft")
    with pytest.raises(ValueError, match="unknown speculative mode"):
        SpeculativeOptions(mode="medusa", draft_model="x.gguf")
    with pytest.raises(ValueError, match="draft_max"):
        SpeculativeOptions(mode="lookup", draft_max=0)


def test_a_small_batch_size_caps_the_draft(pair):
    """Verify batches must fit the context's batch size: K is capped to n_batch - 1."""
    draft, target = pair
    options = LlamaLoadOptions(n_ctx=256, n_threads=1, n_batch=4, n_ubatch=4,
                               speculative=SpeculativeOptions(draft_model=str(draft), draft_max=8))
    s = LlamaSession(target, options, verbose=False)
    try:
        request = TextRequest(prompt="Once upon a time", sampling=Sampling(temperature=0, max_tokens=24))
        plain, _ = run(s, PlainRequest(request))
        events, done = run(s, request)
        assert token_ids(events) == token_ids(plain)
        rounds = [e.values for e in events if isinstance(e, Metrics)]
        assert done.stats.speculative["drafted"] <= 3 * done.stats.speculative["rounds"]
        assert rounds
    finally:
        s.close()
