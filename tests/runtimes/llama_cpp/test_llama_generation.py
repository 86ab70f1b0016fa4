"""The llama.cpp runtime through its worker process, on demo models."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtimes.events import Done, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.registry import get_runtime
from runtimes.requests import Sampling, TextRequest


def complete(session, request: TextRequest) -> tuple[str, Done]:
    events = list(session.run(request))
    done = events[-1]
    assert isinstance(done, Done), events[-1]
    return "".join(e.text for e in events if isinstance(e, Token)), done


@pytest.fixture(scope="module")
def session(demo_model: Path):
    with get_runtime("llama.cpp").load(demo_model, LlamaLoadOptions(n_ctx=512, n_threads=2)) as s:
        yield s


def test_same_seed_gives_same_text_and_other_seed_differs(session):
    def sample(seed: int) -> str:
        return complete(session, TextRequest(prompt="Once upon", sampling=Sampling(seed=seed, max_tokens=24)))[0]

    first = sample(1234)
    assert first == sample(1234)
    assert first != sample(99)


def test_max_tokens_and_stats(session):
    text, done = complete(session, TextRequest(prompt="abc", sampling=Sampling(temperature=0, max_tokens=12)))
    stats = done.stats
    assert stats.n_gen == 12
    assert stats.stop_reason == "length"
    assert stats.n_prompt > 0 and stats.prompt_tps > 0 and stats.gen_tps > 0
    assert 0 < stats.ttft_s < 30
    assert stats.peak_rss_bytes > 10 * 2**20


def test_stop_string_cuts_output_before_it(session):
    greedy = Sampling(temperature=0, max_tokens=40)
    full, _ = complete(session, TextRequest(prompt="The", sampling=greedy))
    stop = full[10:13]
    assert len(stop) == 3
    expected = full[: full.index(stop)]
    text, done = complete(
        session, TextRequest(prompt="The", sampling=Sampling(temperature=0, max_tokens=40, stop=[stop]))
    )
    assert text == expected
    assert done.stats.stop_reason == "stop"


def test_chat_uses_the_models_template(session):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    _, chat = complete(session, TextRequest(messages=messages, sampling=Sampling(temperature=0, max_tokens=2)))
    _, plain = complete(session, TextRequest(prompt="Hi", sampling=Sampling(temperature=0, max_tokens=2)))
    # ChatML wraps both messages in <|im_start|>role ... <|im_end|> markers.
    assert chat.stats.n_prompt >= plain.stats.n_prompt + 8


def test_prompt_longer_than_context_is_a_clear_error(session):
    events = list(session.run(TextRequest(prompt="word " * 2000, sampling=Sampling(max_tokens=4))))
    assert "context" in events[-1].message


@pytest.mark.parametrize("quant", ["F32", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K"])
def test_every_quant_in_the_ladder_loads_and_generates(demo_ladder, quant):
    with get_runtime("llama.cpp").load(demo_ladder[quant], LlamaLoadOptions(n_ctx=256, n_threads=2)) as s:
        text, done = complete(s, TextRequest(prompt="Hello", sampling=Sampling(temperature=0, max_tokens=8)))
    assert done.stats.n_gen == 8
    assert s.info["description"].startswith("llama")
