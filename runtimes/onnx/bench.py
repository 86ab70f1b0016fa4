"""Latency benchmark of one ONNX session, run inside its worker process.

Each timed run is one ``InferenceSession.run`` on the same inputs (made up
once, before timing). A p99 needs on the order of a hundred samples and a
fast model's timings need a second to settle, so the bench runs at least
``repetitions`` times, then keeps going until it has ``min_runs`` runs and
``min_time_s`` seconds, stopping early at ``max_runs`` runs or after
``time_budget_s`` seconds; the record says how many runs it got. Warm-up
runs (allocator, kernel selection) are not timed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from runtimes.base import CancelToken
from runtimes.events import Done, Error, Event, Metrics
from runtimes.memory import own_peak_rss, process_vram
from runtimes.onnx.ort_errors import ort_message
from runtimes.requests import TensorRequest

WARMUP_RUNS = 3
PROGRESS_EVERY_S = 0.1  # progress events are throttled: a fast model runs thousands of times a second


@dataclass
class OnnxBenchRequest:
    repetitions: int = 5
    warmup: bool = True
    fill: str = "random"
    seed: int = 0
    min_runs: int = 100
    min_time_s: float = 1.0
    max_runs: int = 10_000
    time_budget_s: float = 10.0


def _enough(n: int, elapsed: float, request: OnnxBenchRequest) -> bool:
    if n < request.repetitions:
        return False
    settled = n >= request.min_runs and elapsed >= request.min_time_s
    return settled or n >= request.max_runs or elapsed >= request.time_budget_s


def _expected_runs(n: int, elapsed: float, request: OnnxBenchRequest) -> int:
    """How many runs the bench will end with, judged from the pace so far (for progress bars)."""
    by_time = n * max(request.min_time_s / elapsed, 1.0) if elapsed > 0 else n
    by_budget = n * request.time_budget_s / elapsed if elapsed > 0 else request.max_runs
    return int(max(request.repetitions, min(max(request.min_runs, by_time), request.max_runs, by_budget)))


def run_bench(session: Any, request: OnnxBenchRequest, cancel: CancelToken | None) -> Iterator[Event]:
    from models.errors import WorkbenchError

    try:
        feed = session.feed(TensorRequest(fill=request.fill, seed=request.seed))
    except WorkbenchError as exc:
        yield Error(str(exc), "input")
        return
    run = session.ort_session.run
    try:
        for _ in range(WARMUP_RUNS if request.warmup else 0):
            run(None, feed)
        samples: list[float] = []
        started = last_progress = time.perf_counter()
        while not _enough(len(samples), time.perf_counter() - started, request):
            if cancel is not None and cancel.cancelled:
                break
            t0 = time.perf_counter_ns()
            run(None, feed)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
            now = time.perf_counter()
            if now - last_progress >= PROGRESS_EVERY_S:
                last_progress = now
                yield Metrics({"done": len(samples), "total": _expected_runs(len(samples), now - started, request)})
    except Exception as exc:  # onnxruntime failed on the made-up inputs
        yield Error(f"onnxruntime: {ort_message(exc)}", "run")
        return
    yield Metrics({"done": len(samples), "total": len(samples)})
    records = [record(session, request, feed, samples)] if samples else []
    yield Done(result=records)


def record(session: Any, request: OnnxBenchRequest, feed: dict[str, Any], samples_ms: list[float]) -> dict[str, Any]:
    p50, p95, p99 = np.percentile(samples_ms, [50, 95, 99])
    mean = statistics.fmean(samples_ms)
    return {
        "model_filename": str(session.model),
        "provider": session.provider.short,
        "providers_active": ",".join(session.ort_session.get_providers()),
        "inputs": ";".join(f"{name}:{'x'.join(map(str, a.shape))}:{a.dtype.name}" for name, a in feed.items()),
        "fill": request.fill,
        "n_threads": session.options.n_threads or 0,  # 0: onnxruntime's default
        "n_runs": len(samples_ms),
        "latency_p50_ms": float(p50),
        "latency_p95_ms": float(p95),
        "latency_p99_ms": float(p99),
        "latency_mean_ms": mean,
        "latency_min_ms": min(samples_ms),
        "latency_max_ms": max(samples_ms),
        "latency_stddev_ms": statistics.stdev(samples_ms) if len(samples_ms) > 1 else 0.0,
        "throughput_rps": 1000.0 / mean if mean > 0 else 0.0,
        "load_s": session.stats.load_seconds,
        "peak_rss_mib": own_peak_rss() / 2**20,
        "vram_bytes": process_vram(),
        "onnxruntime_version": session.info["onnxruntime_version"],
        "test_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
