"""The runner with memory scheduling (fake budgets), per-token KLD kept with
the run, and resume after a cancel between a concurrent quality pass and
its speed test. Small: ctx 128, 3 chunks, demo ladder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.cli.compare_cmd import read_text
from app.compare.runner import CompareConfig, CompareRunner, load_run_records, load_token_kld
from app.compare.schedule import Budget
from app.errors import WillNotFit
from runtimes.base import CancelToken
from runtimes.llama_cpp.bench import BenchRequest
from runtimes.llama_cpp.scoring.logits_eval import LogitsEvalRequest

CTX, CHUNKS = 128, 3
PLENTY = Budget(64 * 2**30)


def _spec(reference: Path, variants: list[Path], speed: bool = False, max_parallel: int = 4,
          threads: int = 1) -> CompareConfig:
    text, name = read_text(None)
    return CompareConfig(reference, variants, text, name, n_ctx=CTX, n_chunks=CHUNKS, n_threads=threads, speed=speed,
                       max_parallel=max_parallel, bench_prompt=32, bench_gen=8, bench_reps=1)


class CountingLoader:
    """The real worker loader, noting which request types each model ran and with how many threads."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []
        self.threads: dict[str, list[int | None]] = {}

    def __call__(self, model, options):
        from runtimes.registry import get_runtime

        session = get_runtime("llama.cpp").load(model, options)
        self.threads.setdefault(Path(model).name, []).append(options.n_threads)
        run = session.run

        def counted(request, cancel=None):
            self.runs.append((Path(model).name, type(request).__name__))
            return run(request, cancel)

        session.run = counted
        return session


def test_variants_that_fit_run_together_with_the_same_results(demo_ladder):
    variants = [demo_ladder[q] for q in ("Q8_0", "Q2_K")]
    loader = CountingLoader()
    together = CompareRunner(_spec(demo_ladder["F32"], variants, speed=True, threads=2), loader=loader,
                             budget=lambda: PLENTY)
    outcome = together.run()
    assert not outcome.cancelled
    assert together.waves == [[str(v) for v in variants]]
    for variant in variants:  # a share of the threads for quality, all of them for the speed test
        assert loader.threads[variant.name] == [1, 2]
    assert [r["quant"] for r in outcome.records] == ["F32", "Q8_0", "Q2_K"]
    assert all(r["tg_tps"] > 0 and r["peak_rss_bytes"] > 0 for r in outcome.records)

    # The same comparison one at a time (fresh run folder) gives the same numbers.
    alone = CompareRunner(_spec(demo_ladder["F32"], variants, max_parallel=1), root=outcome.run_dir.parent / "seq",
                          budget=lambda: PLENTY)
    sequential = alone.run()
    assert alone.waves == [[str(v)] for v in variants]
    for a, b in zip(outcome.records[1:], sequential.records[1:], strict=True):
        assert a["kld_mean"] == pytest.approx(b["kld_mean"], rel=1e-6)
        assert a["same_top_pct"] == b["same_top_pct"]


def test_a_tight_budget_runs_variants_one_after_another(demo_ladder):
    variants = [demo_ladder["Q8_0"], demo_ladder["Q4_K_M"]]
    from app.compare.schedule import estimate_demand

    need = max(estimate_demand(v, CTX).ram_bytes for v in variants)
    runner = CompareRunner(_spec(demo_ladder["F32"], variants), budget=lambda: Budget(int(need * 1.5)))
    assert not runner.run().cancelled
    assert runner.waves == [[str(variants[0])], [str(variants[1])]]


def test_what_will_not_fit_is_refused_before_loading(demo_ladder):
    def loader(*_):
        raise AssertionError("nothing may be loaded")

    runner = CompareRunner(_spec(demo_ladder["F32"], [demo_ladder["Q2_K"]]), loader=loader,
                           budget=lambda: Budget(50 * 2**20))
    with pytest.raises(WillNotFit, match=r"workbench-tiny-F32\.gguf needs about \d+ MiB RAM, 50 MiB available"):
        runner.run()


def test_per_token_kld_is_kept_with_the_run(demo_ladder):
    outcome = CompareRunner(_spec(demo_ladder["F32"], [demo_ladder["Q4_K_M"], demo_ladder["Q2_K"]]),
                            budget=lambda: PLENTY).run()
    reopened = load_run_records(outcome.run_dir)
    assert load_token_kld(outcome.run_dir, reopened[0]) is None  # the reference has none
    for record in reopened[1:]:
        kld = load_token_kld(outcome.run_dir, record)
        assert kld.dtype == np.float32 and kld.size == record["n_tokens_scored"]
        assert float(kld.mean(dtype=np.float64)) == pytest.approx(record["kld_mean"], rel=1e-5)
        assert float(kld.max()) == pytest.approx(record["kld_max"], rel=1e-6)


def test_cancel_between_quality_and_speed_resumes_with_the_speed_test_only(demo_ladder):
    variants = [demo_ladder["Q6_K"], demo_ladder["Q3_K_M"]]
    cancel = CancelToken()

    def progress(done, total, label):
        if "loading for the speed test" in label:
            cancel.cancel()

    first = CompareRunner(_spec(demo_ladder["F32"], variants, speed=True), budget=lambda: PLENTY)
    outcome = first.run(progress, cancel)
    assert outcome.cancelled and [r["quant"] for r in outcome.records] == ["F32"]
    assert len(list(outcome.run_dir.glob("results/*.quality.json"))) == 2  # both quality passes kept

    loader = CountingLoader()
    resumed = CompareRunner(_spec(demo_ladder["F32"], variants, speed=True), loader=loader,
                            budget=lambda: PLENTY).run()
    assert not resumed.cancelled and len(resumed.records) == 3
    assert sorted(loader.runs) == sorted((v.name, BenchRequest.__name__) for v in variants)
    assert LogitsEvalRequest.__name__ not in {kind for _, kind in loader.runs}
    assert not list(outcome.run_dir.glob("results/*.quality.json"))
    assert all(r["tg_tps"] > 0 and r["kld_mean"] > 0 for r in resumed.records[1:])
