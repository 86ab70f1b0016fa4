"""Prompt lookup on a real SWA model (Gemma 3 270M Q4_K_M): greedy output is plain greedy output.

On this model a batched verify gives logits up to ~1.5 away from one-token
decoding (runtimes/llama_cpp/speculative/batch_exact.py), so the speculator must notice
at load and decode plainly, saying why; the outputs must match token for
token, including a prompt longer than the 512-token sliding window.
"""

from __future__ import annotations

import pytest

from runtimes.events import Done, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.session import LlamaSession
from runtimes.llama_cpp.speculative.batch_exact import TOLERANCE
from runtimes.llama_cpp.speculative.options import PlainRequest, SpeculativeOptions
from runtimes.requests import Sampling, TextRequest

CODE = "".join(f"def field_{i}(record):\n    return record.get('field_{i}', None)\n\n" for i in range(40))
PROMPTS = (
    ("Once upon a time, in a small village by the sea,", 64),
    ("1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,", 64),
    (CODE, 48),  # > 512 tokens: the sliding window has moved past the prompt's start
)


def token_ids(events) -> list[int]:
    return [e.token_id for e in events if isinstance(e, Token) and e.token_id is not None]


@pytest.fixture(scope="module")
def lookup_session(gemma_model):
    options = LlamaLoadOptions(n_ctx=1024, n_threads=1, speculative=SpeculativeOptions(mode="lookup"))
    s = LlamaSession(gemma_model, options, verbose=False)
    yield s
    s.close()


def test_the_batch_gap_turns_speculation_off_with_the_reason(lookup_session):
    assert lookup_session.info["speculative_batch_gap"] > TOLERANCE
    assert "not exact" in lookup_session.info["speculative_off"]


@pytest.mark.parametrize(("prompt", "n"), PROMPTS, ids=["story", "counting", "code-past-window"])
def test_lookup_greedy_output_is_plain_greedy_output(lookup_session, prompt, n):
    request = TextRequest(prompt=prompt, sampling=Sampling(temperature=0, max_tokens=n))
    if prompt is CODE:
        assert len(lookup_session.llm.tokenize(prompt.encode(), add_bos=True)) > 512
    plain = list(lookup_session.run(PlainRequest(request)))
    spec = list(lookup_session.run(request))
    assert len(token_ids(plain)) == n
    assert token_ids(spec) == token_ids(plain)
    done = spec[-1]
    assert isinstance(done, Done) and "not exact" in done.stats.speculative["off"]


def test_lookup_matches_a_session_without_speculation(gemma_model, lookup_session):
    request = TextRequest(prompt=CODE, sampling=Sampling(temperature=0, max_tokens=32))
    plain_session = LlamaSession(gemma_model, LlamaLoadOptions(n_ctx=1024, n_threads=1), verbose=False)
    try:
        reference = token_ids(plain_session.run(request))
    finally:
        plain_session.close()
    assert token_ids(lookup_session.run(request)) == reference
