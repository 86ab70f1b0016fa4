"""An ONNX model loaded in the current process (the worker, or in-process
for tests and benchmarks).

One session answers three requests: TensorRequest (any model), the bench
request (latency per run), and VadRequest (models with Silero VAD's
signature; runtimes.onnx.vad.detector).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from models.errors import WorkbenchError
from runtimes.base import CancelToken, Session, SessionStats
from runtimes.dispatch import RequestHandlers
from runtimes.errors import LoadFailed
from runtimes.events import Done, Error, Event, GenerationStats, Metrics
from runtimes.memory import own_peak_rss, process_vram
from runtimes.onnx import providers
from runtimes.onnx.bench import OnnxBenchRequest, run_bench
from runtimes.onnx.direct_run import direct_run
from runtimes.onnx.options import GRAPH_OPTIMIZATION, OnnxLoadOptions
from runtimes.onnx.ort_errors import ort_message
from runtimes.onnx.tensors import build_feed, fast_checks, matches, specs_of
from runtimes.onnx.vad.model import is_silero_signature
from runtimes.requests import TensorRequest, VadRequest

MEMORY_EVERY_S = 0.1


def session_options(options: OnnxLoadOptions) -> Any:
    ort = providers.ort_module()
    opts = ort.SessionOptions()
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, GRAPH_OPTIMIZATION[options.graph_optimization])
    if options.n_threads:
        opts.intra_op_num_threads = options.n_threads
    return opts


class OnnxSession(Session):
    def __init__(self, model: Path, options: OnnxLoadOptions) -> None:
        ort = providers.ort_module()
        chosen = providers.resolve(options.provider_names)
        names = [p.ort_name for p in chosen]
        if "CPUExecutionProvider" not in names:
            names.append("CPUExecutionProvider")  # fallback for operators the others lack
        self.model = Path(model)
        self.options = options
        t0 = time.perf_counter()
        try:
            self.ort_session = ort.InferenceSession(str(model), session_options(options), providers=names)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
            raise LoadFailed(f"onnxruntime could not load {self.model.name}: {ort_message(exc)}") from exc
        active = self.ort_session.get_providers()
        if names[0] not in active:
            # onnxruntime falls back to CPU silently when e.g. CUDA libraries are missing.
            raise LoadFailed(
                f"the {chosen[0].short} execution provider did not start (active: {', '.join(active)}); "
                "see the worker log for onnxruntime's reason"
            )
        self.inputs = specs_of(self.ort_session.get_inputs())
        self.outputs = specs_of(self.ort_session.get_outputs())
        self.output_names = tuple(s.name for s in self.outputs)
        self.run_feed = direct_run(self.ort_session, self.output_names)
        self.provider = chosen[0]
        self.is_silero = is_silero_signature([s.name for s in self.inputs])
        self._checks = fast_checks(self.inputs)
        self._memory_at, self._last_stats = float("-inf"), GenerationStats()
        self.stats = SessionStats.after_load(t0)
        self.info: dict[str, Any] = {
            "model": str(model),
            "providers": active,
            "provider": self.provider.short,
            "inputs": [s.as_dict() for s in self.inputs],
            "outputs": [s.as_dict() for s in self.outputs],
            "onnxruntime_version": ort.__version__,
        }

    def feed(self, request: TensorRequest) -> dict[str, Any]:
        given = request.inputs
        if matches(self._checks, given):
            return given
        if self.is_silero and len(given) < len(self.inputs):
            from runtimes.onnx.vad.model import example_feed

            given = {**example_feed(request.fill, request.seed), **given}
        return build_feed(self.inputs, given, request.fill, request.seed)

    def _infer(self, request: TensorRequest, cancel: CancelToken | None) -> Iterator[Event]:
        # A tuple, not a generator: on a 0.1 ms model every microsecond of
        # wrapper is 1% (benchmarks/onnx_vs_plain.py).
        try:
            feed = self.feed(request)
        except WorkbenchError as exc:
            return iter((Error(str(exc), "input"),))
        t0 = time.perf_counter()
        try:
            values = self.run_feed(feed)
        except Exception as exc:  # onnxruntime's InvalidArgument/RuntimeException: report, stay usable
            return iter((Error(f"onnxruntime: {ort_message(exc)}", "run"),))
        latency_ms = (time.perf_counter() - t0) * 1000
        done = Done(self._done_stats(), dict(zip(self.output_names, values, strict=True)))
        return iter((Metrics({"latency_ms": latency_ms}), done))

    def _done_stats(self) -> GenerationStats:
        """Load time, peak RSS and VRAM for Done, asked of the OS at most every
        MEMORY_EVERY_S. A system call between two runs of a 0.1 ms model slows
        the next run by microseconds (caches go cold), so back-to-back requests
        share the last figures: one stats object, replaced, never changed.
        NVML is asked only for GPU providers."""
        now = time.monotonic()
        if now - self._memory_at >= MEMORY_EVERY_S:
            vram = process_vram() if self.provider.kind != "cpu" else None
            self._memory_at = now
            self._last_stats = GenerationStats(load_s=self.stats.load_seconds, peak_rss_bytes=own_peak_rss(),
                                               vram_bytes=vram)
        return self._last_stats

    def _bench(self, request: OnnxBenchRequest, cancel: CancelToken | None) -> Iterator[Event]:
        return run_bench(self, request, cancel)

    def _vad(self, request: VadRequest, cancel: CancelToken | None) -> Iterator[Event]:
        from runtimes.onnx.vad.detector import run_vad

        return run_vad(self, request, cancel)

    handlers = RequestHandlers("the ONNX runtime", {TensorRequest: _infer, OnnxBenchRequest: _bench, VadRequest: _vad})

    def close(self) -> None:
        self.ort_session = None
