"""Scheduling by memory: waves that fit a (fake) budget, refusals that name the numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.compare.schedule import (
    Budget,
    Demand,
    estimate_demand,
    next_wave,
    plan_waves,
    refuse_what_cannot_fit,
    threads_per_worker,
)
from app.errors import WillNotFit
from models.gguf.fit_estimate import FitRequest, estimate, shape_from_file

MiB = 2**20
GiB = 2**30


def demand(name: str, ram_mib: int, vram_mib: int = 0) -> Demand:
    return Demand(Path(f"/models/{name}.gguf"), ram_mib * MiB, vram_mib * MiB)


def names(waves: list[list[Demand]]) -> list[list[str]]:
    return [[d.path.stem for d in wave] for wave in waves]


def test_models_that_fit_together_share_a_wave():
    models = [demand("Q8_0", 400), demand("Q6_K", 300), demand("Q4_K_M", 250)]
    assert names(plan_waves(models, Budget(1000 * MiB), max_parallel=4)) == [["Q8_0", "Q6_K", "Q4_K_M"]]


def test_models_that_do_not_fit_together_run_one_after_another():
    models = [demand("Q8_0", 600), demand("Q6_K", 500), demand("Q4_K_M", 450)]
    assert names(plan_waves(models, Budget(1000 * MiB), max_parallel=4)) == [["Q8_0"], ["Q6_K", "Q4_K_M"]]


def test_a_smaller_later_model_fills_the_gap_first_fit():
    models = [demand("Q8_0", 700), demand("Q6_K", 500), demand("Q2_K", 200)]
    assert names(plan_waves(models, Budget(1000 * MiB), max_parallel=4)) == [["Q8_0", "Q2_K"], ["Q6_K"]]


def test_max_parallel_caps_a_wave():
    models = [demand(f"m{i}", 10) for i in range(5)]
    assert names(plan_waves(models, Budget(GiB), max_parallel=2)) == [["m0", "m1"], ["m2", "m3"], ["m4"]]


def test_vram_counts_as_well_as_ram():
    models = [demand("a", 100, 6000), demand("b", 100, 6000)]
    assert names(plan_waves(models, Budget(GiB, 8 * GiB), max_parallel=4)) == [["a"], ["b"]]
    assert names(plan_waves(models, Budget(GiB, 12 * GiB), max_parallel=4)) == [["a", "b"]]


def test_what_cannot_fit_alone_is_refused_with_estimate_and_available():
    models = [demand("small", 100), demand("huge", 3000), demand("wide", 100, 9000)]
    with pytest.raises(WillNotFit) as refused:
        plan_waves(models, Budget(2 * GiB, 8 * GiB), max_parallel=4)
    message = str(refused.value)
    assert "small" not in message
    assert "huge.gguf needs about 2.93 GiB RAM, 2.00 GiB available" in message
    assert "wide.gguf needs about 8.79 GiB VRAM, 8.00 GiB available" in message


def test_next_wave_rechecks_the_first_model_against_the_current_budget():
    pending = [demand("a", 500), demand("b", 100)]
    assert [d.path.stem for d in next_wave(pending, Budget(600 * MiB), 4)] == ["a", "b"]
    with pytest.raises(WillNotFit, match="a.gguf"):
        next_wave(pending, Budget(400 * MiB), 4)  # memory shrank since the plan: still never load it
    assert next_wave([], Budget(0), 4) == []
    refuse_what_cannot_fit([], Budget(0))  # nothing to refuse


def test_estimate_demand_is_llama_cpps_accounting(demo_ladder):
    from runtimes.llama_cpp.memory.estimate import estimate_local

    got = estimate_demand(demo_ladder["Q4_K_M"], n_ctx=512)
    want = estimate_local(demo_ladder["Q4_K_M"], FitRequest(512))
    assert want.source == "llama.cpp no_alloc"
    assert (got.ram_bytes, got.vram_bytes) == (want.ram_bytes, 0)
    formula = estimate(shape_from_file(demo_ladder["Q4_K_M"]), FitRequest(512))
    assert got.ram_bytes == pytest.approx(formula.ram_bytes, rel=0.10)
    assert estimate_demand(demo_ladder["F32"], 512).ram_bytes > got.ram_bytes


def test_threads_are_split_between_concurrent_workers():
    assert threads_per_worker(8, 1) == 8
    assert threads_per_worker(None, 1) is None
    assert threads_per_worker(8, 3) == 2
    assert threads_per_worker(2, 4) == 1
    assert threads_per_worker(None, 2) >= 1
