"""The latency benchmark loop shared by the tensor runtimes (ONNX Runtime, Core ML).

Each timed run is one call of ``predict`` on the same inputs (made up once,
before timing). The first call may also compile or specialize the model, so
with warm-up it is timed on its own (``first_run_ms``) and more untimed
warm-up runs follow. A p99 needs about a hundred samples and a fast model's
timings need a second to settle, so the bench runs at least ``repetitions``
times, then until it has ``min_runs`` runs and ``min_time_s`` seconds,
stopping at ``max_runs`` runs or ``time_budget_s`` seconds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from runtimes.base import CancelToken
from runtimes.events import Event, Metrics

WARMUP_RUNS = 3  # after the first (possibly compiling) run
PROGRESS_EVERY_S = 0.1  # a fast model runs thousands of times a second: throttle progress events


@dataclass
class LatencyBenchRequest:
    repetitions: int = 5
    warmup: bool = True
    fill: str = "random"
    seed: int = 0
    min_runs: int = 100
    min_time_s: float = 1.0
    max_runs: int = 10_000
    time_budget_s: float = 10.0


def _enough(n: int, elapsed: float, request: LatencyBenchRequest) -> bool:
    if n < request.repetitions:
        return False
    settled = n >= request.min_runs and elapsed >= request.min_time_s
    return settled or n >= request.max_runs or elapsed >= request.time_budget_s


def _expected_runs(n: int, elapsed: float, request: LatencyBenchRequest) -> int:
    """The run count the bench will end with, judged from the pace so far (for progress bars)."""
    by_time = n * max(request.min_time_s / elapsed, 1.0) if elapsed > 0 else n
    by_budget = n * request.time_budget_s / elapsed if elapsed > 0 else request.max_runs
    return int(max(request.repetitions, min(max(request.min_runs, by_time), request.max_runs, by_budget)))


def measure(
    predict: Callable[[], Any], request: LatencyBenchRequest, cancel: CancelToken | None
) -> Iterator[Event | tuple[float | None, list[float]]]:
    """Yield throttled Metrics(done/total), then (first_run_ms, samples_ms).

    ``first_run_ms`` is None without warmup (the first timed run then pays
    any compilation); a cancel stops early and the runs so far still count.
    ``predict``'s exceptions propagate to the caller.
    """
    first_ms = None
    if request.warmup:
        t0 = time.perf_counter_ns()
        predict()
        first_ms = (time.perf_counter_ns() - t0) / 1e6
        for _ in range(WARMUP_RUNS):
            predict()
    samples: list[float] = []
    started = last_progress = time.perf_counter()
    while not _enough(len(samples), time.perf_counter() - started, request):
        if cancel is not None and cancel.cancelled:
            break
        t0 = time.perf_counter_ns()
        predict()
        samples.append((time.perf_counter_ns() - t0) / 1e6)
        now = time.perf_counter()
        if now - last_progress >= PROGRESS_EVERY_S:
            last_progress = now
            yield Metrics({"done": len(samples), "total": _expected_runs(len(samples), now - started, request)})
    yield Metrics({"done": len(samples), "total": len(samples)})
    yield first_ms, samples


def latency_record(first_ms: float | None, samples_ms: list[float]) -> dict[str, Any]:
    """Latency statistics in milliseconds and throughput in runs per second."""
    p50, p95, p99 = np.percentile(samples_ms, [50, 95, 99])
    mean = statistics.fmean(samples_ms)
    return {
        "n_runs": len(samples_ms),
        "first_run_ms": first_ms,
        "latency_p50_ms": float(p50),
        "latency_p95_ms": float(p95),
        "latency_p99_ms": float(p99),
        "latency_mean_ms": mean,
        "latency_min_ms": min(samples_ms),
        "latency_max_ms": max(samples_ms),
        "latency_stddev_ms": statistics.stdev(samples_ms) if len(samples_ms) > 1 else 0.0,
        "throughput_rps": 1000.0 / mean if mean > 0 else 0.0,
        "test_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
