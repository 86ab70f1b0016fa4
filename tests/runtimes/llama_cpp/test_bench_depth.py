"""llama-bench's -d in the in-worker bench: the cache is filled before each timed test."""

from __future__ import annotations

from pathlib import Path

from runtimes.events import Done, Error
from runtimes.llama_cpp.bench import BenchRequest, run_bench
from runtimes.llama_cpp.options import LlamaLoadOptions


def _events(model: Path, request: BenchRequest):
    from llama_cpp import Llama

    llm = Llama(str(model), n_ctx=256, n_threads=1, verbose=False)
    try:
        return list(run_bench(llm, model, LlamaLoadOptions(n_ctx=256), 1, request, None))
    finally:
        llm.close()


def test_depth_counts_against_the_context_and_is_recorded(demo_model):
    refused = _events(demo_model, BenchRequest((64,), (8,), reps=1, n_depth=200))
    assert isinstance(refused[-1], Error) and "needs 264 tokens" in refused[-1].message
    done = _events(demo_model, BenchRequest((32,), (8,), reps=1, n_depth=150))[-1]
    assert isinstance(done, Done)
    assert [(r["n_prompt"], r["n_gen"], r["n_depth"]) for r in done.result] == [(32, 0, 150), (0, 8, 150)]
    assert all(r["avg_ts"] > 0 for r in done.result)
