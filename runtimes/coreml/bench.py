"""Latency of one loaded Core ML model on one compute unit, in its worker.

The loop and the record names are runtimes.latency_bench's, shared with the
ONNX Runtime bench so the two compare; the first prediction compiles and
specializes the model for the compute unit, so it is timed on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from runtimes.base import CancelToken
from runtimes.events import Done, Event
from runtimes.latency_bench import LatencyBenchRequest, latency_record, measure  # noqa: F401 (re-exported)


class CoreMLBenchRequest(LatencyBenchRequest):
    """A latency bench of a Core ML session (the worker dispatches on the type)."""


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
