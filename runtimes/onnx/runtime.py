"""The ONNX Runtime runtime, registered as "onnxruntime".

Loads any ``.onnx`` file; execution providers are its devices. Files are
checked with the ``onnx`` package in the parent (models.tensor.onnx_validate), so a
truncated file or a too-new opset is refused before a worker starts. A model
with Silero VAD's signature also answers VadRequest (runtimes.onnx.vad.detector).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtimes.base import Availability, BenchRun, BenchSpec, Capability, Device, LoadOptions, Runtime, Session
from runtimes.onnx.options import OnnxLoadOptions, onnx_options
from runtimes.registry import register_runtime


@register_runtime
class OnnxRuntime(Runtime):
    name = "onnxruntime"
    capabilities = frozenset({Capability.TENSOR_INFERENCE})
    model_suffixes = (".onnx",)
    bench_columns = (
        "provider",
        "n_runs",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "latency_mean_ms",
        "throughput_rps",
        "peak_rss_mib",
    )

    def availability(self) -> Availability:
        from runtimes.errors import RuntimeUnavailable
        from runtimes.onnx import providers

        try:
            ort = providers.ort_module()
        except RuntimeUnavailable as exc:
            return Availability.no(str(exc))
        installed = [p.short for p in providers.PROVIDERS if p.ort_name in ort.get_available_providers()]
        return Availability.yes(f"onnxruntime {ort.__version__}, providers: {', '.join(installed)}")

    def devices(self) -> list[Device]:
        from runtimes.onnx.providers import provider_devices

        return provider_devices()

    def validate(self, model: Path, options: LoadOptions) -> None:
        from models.tensor.onnx_validate import validate_onnx
        from runtimes.onnx.providers import resolve

        validate_onnx(model)
        resolve(onnx_options(options).provider_names)

    def open_session(self, model: Path, options: LoadOptions) -> Session:
        from runtimes.onnx.session import OnnxSession

        return OnnxSession(Path(model), onnx_options(options))

    def describe_model(self, model: Path) -> dict[str, Any]:
        from runtimes.onnx.model_info import describe_onnx

        return describe_onnx(Path(model))

    def bench_runs(self, model: Path, spec: BenchSpec) -> list[BenchRun]:
        """One run per provider: ``providers`` (CLI) or ``devices`` (UI) in
        spec.params, else every installed provider."""
        from runtimes.onnx.bench import OnnxBenchRequest
        from runtimes.onnx.providers import PROVIDERS, installed, resolve

        names = spec.params.get("providers") or spec.params.get("devices")
        if names:
            chosen = resolve(list(names))
        else:
            have = set(installed())
            chosen = [p for p in PROVIDERS if p.ort_name in have]
        request = OnnxBenchRequest(spec.repetitions, spec.warmup, fill=spec.params.get("fill") or "random")
        return [
            BenchRun(f"{Path(model).name} on {p.short}", OnnxLoadOptions(n_threads=spec.n_threads, providers=(p.id,)),
                     request)
            for p in chosen
        ]
