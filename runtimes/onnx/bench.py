"""Latency benchmark of one ONNX session, run inside its worker process.

Each timed run is one ``InferenceSession.run`` on the same inputs (made up
once, before timing); the loop, its run policy and the latency fields are
runtimes.latency_bench's, shared with the Core ML bench so the two compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runtimes.base import CancelToken
from runtimes.events import Done, Error, Event
from runtimes.latency_bench import LatencyBenchRequest, latency_record, measure
from runtimes.memory import own_peak_rss, process_vram
from runtimes.onnx.ort_errors import ort_message
from runtimes.requests import TensorRequest


class OnnxBenchRequest(LatencyBenchRequest):
    """A latency bench of an ONNX session (the worker dispatches on the type)."""


def run_bench(session: Any, request: OnnxBenchRequest, cancel: CancelToken | None) -> Iterator[Event]:
    from models.errors import WorkbenchError

    try:
        feed = session.feed(TensorRequest(fill=request.fill, seed=request.seed))
    except WorkbenchError as exc:
        yield Error(str(exc), "input")
        return
    run = session.ort_session.run
    try:
        for item in measure(lambda: run(None, feed), request, cancel):
            if isinstance(item, tuple):
                first_ms, samples = item
            else:
                yield item
    except Exception as exc:  # onnxruntime failed on the made-up inputs
        yield Error(f"onnxruntime: {ort_message(exc)}", "run")
        return
    yield Done(result=[record(session, request, feed, first_ms, samples)] if samples else [])


def record(session: Any, request: OnnxBenchRequest, feed: dict[str, Any], first_ms: float | None,
           samples_ms: list[float]) -> dict[str, Any]:
    return {
        "model_filename": str(session.model),
        "provider": session.provider.short,
        "providers_active": ",".join(session.ort_session.get_providers()),
        "inputs": ";".join(f"{name}:{'x'.join(map(str, a.shape))}:{a.dtype.name}" for name, a in feed.items()),
        "fill": request.fill,
        "n_threads": session.options.n_threads or 0,  # 0: onnxruntime's default
        **latency_record(first_ms, samples_ms),
        "load_s": session.stats.load_seconds,
        "peak_rss_mib": own_peak_rss() / 2**20,
        "vram_bytes": process_vram(),
        "onnxruntime_version": session.info["onnxruntime_version"],
    }
