"""Latency of one loaded Core ML model on one compute unit, in its worker.

Each timed run is one ``MLModel.predict`` on the same inputs (made up once,
before timing). The first prediction also compiles and specializes the model
for the compute unit, so it is timed on its own (``first_run_ms``) and more
warm-up runs follow untimed. A p99 needs about a hundred samples and a fast
model's timings need a second to settle, so the bench runs at least
``repetitions`` times, then until it has ``min_runs`` runs and ``min_time_s``
seconds, stopping at ``max_runs`` runs or ``time_budget_s`` seconds (the same
policy and record names as the ONNX Runtime bench, so the two compare).
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
from runtimes.events import Done, Event, Metrics

WARMUP_RUNS = 3  # after the first (compiling) prediction
PROGRESS_EVERY_S = 0.1  # a fast model predicts thousands of times a second: throttle progress events


@dataclass
class CoreMLBenchRequest:
    repetitions: int = 5
    warmup: bool = True
    fill: str = "random"
    seed: int = 0
    min_runs: int = 100
    min_time_s: float = 1.0
    max_runs: int = 10_000
    time_budget_s: float = 10.0


def _enough(n: int, elapsed: float, request: CoreMLBenchRequest) -> bool:
    if n < request.repetitions:
        return False
    settled = n >= request.min_runs and elapsed >= request.min_time_s
    return settled or n >= request.max_runs or elapsed >= request.time_budget_s


def _expected_runs(n: int, elapsed: float, request: CoreMLBenchRequest) -> int:
    """The run count the bench will end with, judged from the pace so far (for progress bars)."""
    by_time = n * max(request.min_time_s / elapsed, 1.0) if elapsed > 0 else n
    by_budget = n * request.time_budget_s / elapsed if elapsed > 0 else request.max_runs
    return int(max(request.repetitions, min(max(request.min_runs, by_time), request.max_runs, by_budget)))


def measure(
    predict: Callable[[], Any], request: CoreMLBenchRequest, cancel: CancelToken | None
) -> Iterator[Event | tuple[float | None, list[float]]]:
    """Yield throttled Metrics(done/total), then (first_run_ms, samples_ms).

    ``first_run_ms`` is None without warmup (the first timed run then pays
    the compilation); a cancel stops early and the runs so far still count.
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


def run_bench(
    predict: Callable[[], Any], request: CoreMLBenchRequest, context: dict[str, Any], cancel: CancelToken | None
) -> Iterator[Event]:
    """Measure, then Done(result=[record]) with ``context`` merged in (no record without a timed run)."""
    for item in measure(predict, request, cancel):
        if isinstance(item, tuple):
            first_ms, samples = item
            yield Done(result=[{**context, **latency_record(first_ms, samples)}] if samples else [])
        else:
            yield item


SPEEDUP = "vs CPU_ONLY (p50)"


def bench_table(records: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Markdown table of ``columns`` plus each unit's speed-up over CPU_ONLY."""
    header = (*columns, SPEEDUP)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for record, speedup in zip(records, speedup_column(records), strict=True):
        cells = [_cell(record.get(c)) for c in columns] + [speedup]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def speedup_column(records: list[dict[str, Any]]) -> list[str]:
    """Each record's median latency against CPU_ONLY's: what the GPU or Neural Engine buys."""
    base = next((r.get("latency_p50_ms") for r in records if r.get("compute_units") == "CPU_ONLY"), None)
    cells = []
    for record in records:
        p50 = record.get("latency_p50_ms")
        cells.append(f"{base / p50:.2f}x" if base and p50 else "")
    return cells
