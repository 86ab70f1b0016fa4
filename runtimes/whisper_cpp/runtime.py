"""The whisper.cpp runtime (pywhispercpp), registered as "whisper.cpp"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtimes.base import Availability, BenchRun, BenchSpec, Capability, Device, LoadOptions, Runtime, Session
from runtimes.registry import register_runtime


@register_runtime
class WhisperCppRuntime(Runtime):
    name = "whisper.cpp"
    capabilities = frozenset({Capability.TRANSCRIPTION})
    model_suffixes = (".bin",)
    bench_columns = ("model_type", "device", "n_threads", "audio", "audio_s", "load_s", "avg_s", "rtf",
                     "peak_rss_mib")

    def claims(self, model: Path) -> bool:
        """A ``.bin`` file that starts with the ggml magic (whisper.cpp's legacy format)."""
        from models.whisper.validate import is_whisper_ggml

        return super().claims(model) and is_whisper_ggml(Path(model))

    def availability(self) -> Availability:
        try:
            from runtimes.whisper_cpp.build_info import build_info

            info = build_info()
        except (ImportError, OSError) as exc:
            return Availability.no(f"pywhispercpp is not usable: {exc}")
        gpu = ", ".join(info.gpu_backends) or "none (CPU-only build)"
        cpu = ", ".join(info.cpu_features) or "none reported"
        return Availability.yes(f"pywhispercpp {info.version}; CPU features: {cpu}; GPU backends: {gpu}")

    def devices(self) -> list[Device]:
        from runtimes.whisper_cpp.build_info import list_devices

        return list_devices()

    def describe_model(self, model: Path) -> dict[str, Any]:
        from models.whisper.validate import validate_whisper_model

        return validate_whisper_model(model).as_dict()

    def validate(self, model: Path, options: LoadOptions) -> None:
        self._check(Path(model), options)

    def _check(self, model: Path, options: LoadOptions) -> dict[str, Any]:
        """Refuse a malformed file (whisper.cpp may abort on one) or options this build cannot honour."""
        from models.whisper.validate import validate_whisper_model
        from runtimes.errors import NotSupported
        from runtimes.whisper_cpp.build_info import list_devices
        from runtimes.whisper_cpp.options import WhisperLoadOptions

        description = validate_whisper_model(model).as_dict()
        if description["weight_type"] == "F32":
            # ggml_conv_1d builds an F16 im2col, and the CPU kernel asserts F16 weights: abort().
            raise NotSupported(f"{model.name}: whisper.cpp cannot run all-F32 models (its convolution aborts on "
                               "F32 weights, whisper.cpp issue #2557); use the F16 or a quantized file")
        if WhisperLoadOptions.required(options, self.name).use_gpu:
            gpu = next(d for d in list_devices() if d.id == "gpu")
            if not gpu.available:
                raise NotSupported(f"whisper.cpp cannot use the GPU: {gpu.reason}")
        return description

    def open_session(self, model: Path, options: LoadOptions) -> Session:
        from runtimes.whisper_cpp.options import WhisperLoadOptions
        from runtimes.whisper_cpp.session import WhisperSession

        model = Path(model)
        description = self._check(model, options)
        return WhisperSession(model, WhisperLoadOptions.required(options, self.name), description)

    def bench_runs(self, model: Path, spec: BenchSpec) -> list[BenchRun]:
        from runtimes.whisper_cpp.bench import WhisperBenchRequest, bench_audio
        from runtimes.whisper_cpp.options import WhisperLoadOptions

        path = spec.params.get("audio")
        audio, label = bench_audio(Path(path) if path else None)
        # The default clip is English speech; a user's file may be any language.
        request = WhisperBenchRequest(audio, label, spec.repetitions, spec.warmup, "auto" if path else "en")
        options = WhisperLoadOptions.from_params(spec.params, spec.n_threads)
        return [BenchRun(Path(model).name, options, request)]
