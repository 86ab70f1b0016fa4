"""Speed figures come from a solo measurement, and cached figures say so.

The gate itself (shared work waits for a speed test and the other way round),
then a real comparison of the demo ladder with a wave of two variants and an
Arena run going at the same time: no speed test may overlap any other model
work. Last, a second run reuses the saved records and marks them cached with
the time they were measured, and ``remeasure`` measures them again.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.cli.compare_cmd import read_text
from app.compare.arena.run import ArenaConfig, arena_sampling, run_arena
from app.compare.runner import CompareConfig, CompareRunner
from app.compare.schedule import Budget
from app.compare.solo import SoloGate
from runtimes.base import CancelToken
from runtimes.llama_cpp.bench import BenchRequest
from runtimes.llama_cpp.options import LlamaLoadOptions

CTX, CHUNKS = 128, 2
PLENTY = Budget(64 * 2**30)


def _spec(ladder: dict[str, Path], speed: bool, **extra) -> CompareConfig:
    text, name = read_text(None)
    return CompareConfig(ladder["F32"], [ladder["Q8_0"], ladder["Q2_K"]], text, name, n_ctx=CTX, n_chunks=CHUNKS,
                       n_threads=2, speed=speed, bench_prompt=32, bench_gen=8, bench_reps=1, **extra)


def test_the_gate_keeps_a_speed_test_alone():
    gate, order = SoloGate(), []
    with gate.shared() as first:
        assert first
        solo = threading.Thread(target=lambda: _hold(gate.solo(), order, "solo"))
        solo.start()
        time.sleep(0.3)
        assert order == []  # waits for the shared holder
        late = threading.Thread(target=lambda: _hold(gate.shared(), order, "late shared"))
        late.start()
        time.sleep(0.3)
        assert order == []  # new shared work queues behind the waiting speed test
    solo.join(5)
    late.join(5)
    assert order == ["solo", "late shared"]

    cancel = CancelToken()
    with gate.shared():
        cancel.cancel()
        with gate.solo(cancel) as got:
            assert got is False  # cancelled while waiting: never acquired
    assert not gate.busy


def _hold(context, order: list[str], name: str) -> None:
    with context as got:
        assert got
        order.append(name)
        time.sleep(0.1)


class IntervalLoader:
    """Real worker sessions; each run() is logged as (model, kind, start, end)."""

    def __init__(self, log: list[tuple[str, str, float, float]], arena: bool = False) -> None:
        self.log, self.arena = log, arena

    def __call__(self, model, options, cancel=None):
        from runtimes.registry import get_runtime

        session = get_runtime("llama.cpp").load(model, options)
        run = session.run

        def timed(request, cancel=None):
            kind = "arena" if self.arena else "speed" if isinstance(request, BenchRequest) else "quality"
            start = time.monotonic()
            try:
                yield from run(request, cancel)
            finally:  # callers may stop reading at Done
                self.log.append((Path(model).name, kind, start, time.monotonic()))

        session.run = timed
        return session


def test_no_speed_test_overlaps_other_model_work(demo_ladder):
    log: list[tuple[str, str, float, float]] = []
    runner = CompareRunner(_spec(demo_ladder, speed=True, max_parallel=2), loader=IntervalLoader(log),
                           budget=lambda: PLENTY)
    arena = ArenaConfig(demo_ladder["F32"], [demo_ladder["Q4_K_M"], demo_ladder["Q6_K"]], ["Once upon a time"] * 3,
                      sampling=arena_sampling(max_tokens=24), options=LlamaLoadOptions(n_ctx=256, n_threads=1))
    arena_thread = threading.Thread(
        target=lambda: list(run_arena(arena, loader=IntervalLoader(log, arena=True), budget=lambda: PLENTY)))
    arena_thread.start()
    outcome = runner.run()
    arena_thread.join(120)
    assert not outcome.cancelled and runner.waves == [[str(demo_ladder["Q8_0"]), str(demo_ladder["Q2_K"])]]
    speeds = [e for e in log if e[1] == "speed"]
    others = [e for e in log if e[1] != "speed"]
    assert len(speeds) == 3 and {e[1] for e in others} == {"quality", "arena"}
    for name, _, start, end in speeds:
        overlapping = [o for o in [*others, *speeds] if o[2] < end and start < o[3] and o[:3] != (name, "speed", start)]
        assert overlapping == [], f"{name}'s speed test overlapped {overlapping}"
    assert all(r["tg_tps"] > 0 for r in outcome.records)
    assert [r["speed_threads"] for r in outcome.records] == [2, 2, 2]  # all threads, as the reference had


def test_cached_results_are_marked_with_their_date_and_remeasure_runs_them_again(demo_ladder, tmp_path):
    first = CompareRunner(_spec(demo_ladder, speed=False), root=tmp_path).run()
    assert [r["cached"] for r in first.records] == [False, False, False]
    measured = [r["measured_at"] for r in first.records]
    assert all(time.time() - 600 < m <= time.time() for m in measured)

    again = CompareRunner(_spec(demo_ladder, speed=False), root=tmp_path)
    second = again.run()
    assert again.evaluated == []  # nothing loaded: every figure is the saved one ...
    assert [r["cached"] for r in second.records] == [True, True, True]  # ... and says so
    assert [r["measured_at"] for r in second.records] == measured

    fresh = CompareRunner(_spec(demo_ladder, speed=False, remeasure=True), root=tmp_path)
    third = fresh.run()
    assert len(fresh.evaluated) == 3 and [r["cached"] for r in third.records] == [False, False, False]
    assert all(new > old for new, old in zip([r["measured_at"] for r in third.records], measured, strict=True))
    assert [r["kld_mean"] for r in third.records] == pytest.approx([r["kld_mean"] for r in first.records])


def test_cli_says_which_results_are_cached_and_remeasure_measures_them(demo_ladder, capsys):
    from app.cli.main import main

    argv = ["compare", "--reference", str(demo_ladder["F32"]), str(demo_ladder["Q6_K"]), "--ctx", str(CTX),
            "--chunks", "2", "-t", "1", "--no-speed", "-o", "json"]
    assert main(argv) == 0
    assert "cached" not in capsys.readouterr().err
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "2 cached result(s)" in err and "measured 20" in err and "--remeasure" in err
    assert main([*argv, "--remeasure"]) == 0
    assert "cached" not in capsys.readouterr().err
