"""An ONNX model loaded in the current process (the worker, or in-process
for tests and benchmarks).

One session answers three requests: TensorRequest (any model), the bench
request (latency per run), and VadRequest (models with Silero VAD's
signature; runtimes.onnx.vad).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.errors import LoadFailed
from runtimes.events import Done, Error, Event, GenerationStats, Metrics
from runtimes.memory import own_peak_rss, process_vram
from runtimes.onnx import providers
from runtimes.onnx.bench import OnnxBenchRequest, run_bench
from runtimes.onnx.options import GRAPH_OPTIMIZATION, OnnxLoadOptions
from runtimes.onnx.ort_errors import ort_message
from runtimes.onnx.tensors import build_feed, specs_of
from runtimes.requests import TensorRequest, VadRequest


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
        self.provider = chosen[0]
        self.stats = SessionStats(
            load_seconds=time.perf_counter() - t0, peak_rss_bytes=own_peak_rss(), vram_bytes=process_vram(),
            pid=os.getpid(),
        )
        self.info: dict[str, Any] = {
            "model": str(model),
            "providers": active,
            "provider": self.provider.short,
            "inputs": [s.as_dict() for s in self.inputs],
            "outputs": [s.as_dict() for s in self.outputs],
            "onnxruntime_version": ort.__version__,
        }

    def run(self, request: Any, cancel: CancelToken | None = None) -> Iterator[Event]:
        if isinstance(request, TensorRequest):
            return self._infer(request)
        if isinstance(request, OnnxBenchRequest):
            return run_bench(self, request, cancel)
        if isinstance(request, VadRequest):
            from runtimes.onnx.vad import run_vad

            return run_vad(self, request, cancel)
        raise TypeError(f"the ONNX runtime cannot run a {type(request).__name__}")

    def feed(self, request: TensorRequest) -> dict[str, Any]:
        given = request.inputs
        if self.is_silero:
            from runtimes.onnx.vad_model import example_feed

            given = {**example_feed(request.fill, request.seed), **given}
        return build_feed(self.inputs, given, request.fill, request.seed)

    @property
    def is_silero(self) -> bool:
        from runtimes.onnx.vad_model import is_silero_signature

        return is_silero_signature([s.name for s in self.inputs])

    def _infer(self, request: TensorRequest) -> Iterator[Event]:
        from models.errors import WorkbenchError

        try:
            feed = self.feed(request)
        except WorkbenchError as exc:
            yield Error(str(exc), "input")
            return
        t0 = time.perf_counter()
        try:
            values = self.ort_session.run(None, feed)
        except Exception as exc:  # onnxruntime's InvalidArgument/RuntimeException: report, stay usable
            yield Error(f"onnxruntime: {ort_message(exc)}", "run")
            return
        latency_ms = (time.perf_counter() - t0) * 1000
        yield Metrics({"latency_ms": latency_ms})
        stats = GenerationStats(load_s=self.stats.load_seconds, peak_rss_bytes=own_peak_rss(),
                                vram_bytes=process_vram())
        yield Done(stats, dict(zip((s.name for s in self.outputs), values, strict=True)))

    def close(self) -> None:
        self.ort_session = None
