"""A Core ML model loaded on one compute unit, in the current (macOS) process."""

from __future__ import annotations

import platform
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.coreml.bench import CoreMLBenchRequest, run_bench
from runtimes.coreml.ct_import import import_coremltools
from runtimes.coreml.features import describe_feature
from runtimes.coreml.inputs import make_inputs
from runtimes.coreml.package_check import CoreMLFile
from runtimes.dispatch import RequestHandlers
from runtimes.errors import BadInput, LoadFailed
from runtimes.events import Done, Error, Event, GenerationStats, Metrics
from runtimes.memory import own_peak_rss
from runtimes.requests import TensorRequest


class CoreMLSession(Session):
    def __init__(self, model: CoreMLFile, compute_units: str) -> None:
        ct = import_coremltools()
        self.file = model
        self.compute_units = compute_units
        t0 = time.perf_counter()
        try:
            # Core ML compiles the spec here and specializes it for the unit.
            self.model = ct.models.MLModel(str(model.path), compute_units=ct.ComputeUnit[compute_units])
        except Exception as exc:  # coremltools raises bare Exception for compile errors
            raise LoadFailed(f"Core ML could not load {model.path.name} on {compute_units}: {exc}") from exc
        self._stateful = bool(model.spec.description.state)
        self.stats = SessionStats.after_load(t0, vram=False)
        self.info: dict[str, Any] = {
            "model": str(model.path),
            "model_type": model.spec.WhichOneof("Type"),
            "compute_units": compute_units,
            "inputs": [describe_feature(f) for f in model.spec.description.input],
            "outputs": [describe_feature(f) for f in model.spec.description.output],
        }

    def _predictor(self, inputs: dict[str, Any]) -> Any:
        if self._stateful:  # stateful models (KV caches) need a state object per prediction run
            state = self.model.make_state()
            return lambda: self.model.predict(inputs, state=state)
        return lambda: self.model.predict(inputs)

    def _predict_once(self, request: TensorRequest, cancel: CancelToken | None) -> Iterator[Event]:
        try:
            predict = self._predictor(make_inputs(self.file.spec, request))
        except BadInput as exc:  # the session stays usable for the next request
            yield Error(str(exc), "input")
            return
        t0 = time.perf_counter()
        try:
            outputs = predict()
        except Exception as exc:  # Core ML rejects inputs with bare Exceptions: report, stay usable
            yield Error(f"Core ML prediction failed: {exc}", "run")
            return
        yield Metrics({"latency_ms": (time.perf_counter() - t0) * 1000})
        stats = GenerationStats(load_s=self.stats.load_seconds, peak_rss_bytes=own_peak_rss())
        yield Done(stats, {name: _as_array(value) for name, value in outputs.items()})

    def _bench(self, request: CoreMLBenchRequest, cancel: CancelToken | None) -> Iterator[Event]:
        try:
            inputs = make_inputs(self.file.spec, TensorRequest(fill=request.fill, seed=request.seed))
        except BadInput as exc:
            yield Error(str(exc), "input")
            return
        context = {
            "model_filename": str(self.file.path),
            "model_type": self.file.spec.WhichOneof("Type"),
            "compute_units": self.compute_units,
            "inputs": ";".join(_input_text(name, value) for name, value in inputs.items()),
            "fill": request.fill,
            "load_s": self.stats.load_seconds,
            "coremltools_version": import_coremltools().__version__,
            "macos": platform.mac_ver()[0],
            "machine": platform.machine(),
        }
        for event in run_bench(self._predictor(inputs), request, context, cancel):
            if isinstance(event, Done) and event.result:
                event.result[0]["peak_rss_mib"] = own_peak_rss() / 2**20
            yield event

    handlers = RequestHandlers("the coreml runtime", {TensorRequest: _predict_once, CoreMLBenchRequest: _bench})

    def close(self) -> None:
        self.model = None


def _input_text(name: str, value: Any) -> str:
    """"x:1x8:float32" for arrays (as the ONNX bench writes them), "x:image" etc. otherwise."""
    if isinstance(value, np.ndarray):
        return f"{name}:{'x'.join(map(str, value.shape))}:{value.dtype.name}"
    return f"{name}:{type(value).__name__}"


def _as_array(value: Any) -> Any:
    """numpy for arrays, images and scalars; class-probability dicts stay dicts."""
    if isinstance(value, dict | str):
        return value
    return np.asarray(value)
