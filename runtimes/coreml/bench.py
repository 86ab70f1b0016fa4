"""Latency of one loaded Core ML model on one compute unit, in its worker.

The same inputs are predicted ``reps`` times after one untimed warmup (the
first prediction also compiles and specializes the model for the chosen
unit, so it is reported on its own as ``first_ms``). Latency percentiles
come from the timed runs; throughput is runs per second of predicting.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from runtimes.base import CancelToken
from runtimes.events import Done, Event, Metrics


@dataclass
class CoreMLBenchRequest:
    reps: int = 5
    warmup: bool = True
    fill: str = "random"
    seed: int = 0


def measure(
    predict: Callable[[], Any], reps: int, warmup: bool, cancel: CancelToken | None
) -> Iterator[Event | tuple[int | None, list[int]]]:
    """Yield Metrics(done/total) per timed run, then (first_ns, samples_ns).

    ``first_ns`` is the warmup's time (None without warmup); a cancel stops
    early and the runs so far are still measured.
    """
    first_ns = None
    if warmup:
        t0 = time.perf_counter_ns()
        predict()
        first_ns = time.perf_counter_ns() - t0
    samples: list[int] = []
    for rep in range(reps):
        if cancel is not None and cancel.cancelled:
            break
        t0 = time.perf_counter_ns()
        predict()
        samples.append(time.perf_counter_ns() - t0)
        yield Metrics({"done": rep + 1, "total": reps})
    yield first_ns, samples


def latency_record(first_ns: int | None, samples_ns: list[int]) -> dict[str, Any]:
    """Latency statistics in milliseconds, and throughput in runs per second."""
    ms = np.asarray(samples_ns, dtype=np.float64) / 1e6
    if ms.size == 0:
        return {"n_runs": 0, "first_ms": _ms(first_ns)}
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "n_runs": int(ms.size),
        "first_ms": _ms(first_ns),
        "mean_ms": float(ms.mean()),
        "stddev_ms": statistics.stdev(ms.tolist()) if ms.size > 1 else 0.0,
        "min_ms": float(ms.min()),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "max_ms": float(ms.max()),
        "throughput_per_s": float(ms.size / (ms.sum() / 1e3)),
        "samples_ns": list(samples_ns),
    }


def _ms(ns: int | None) -> float | None:
    return None if ns is None else ns / 1e6


def run_bench(
    predict: Callable[[], Any], request: CoreMLBenchRequest, context: dict[str, Any], cancel: CancelToken | None
) -> Iterator[Event]:
    """Measure and finish with Done(result=[record]); ``context`` is merged into the record."""
    for item in measure(predict, request.reps, request.warmup, cancel):
        if isinstance(item, tuple):
            first_ns, samples = item
            yield Done(result=[{**context, **latency_record(first_ns, samples)}])
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
    """Each record's p50 against CPU_ONLY's: what the GPU or Neural Engine buys."""
    base = next((r.get("p50_ms") for r in records if r.get("compute_units") == "CPU_ONLY"), None)
    cells = []
    for record in records:
        p50 = record.get("p50_ms")
        cells.append(f"{base / p50:.2f}x" if base and p50 else "")
    return cells
