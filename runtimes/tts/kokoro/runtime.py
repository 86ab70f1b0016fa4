"""Kokoro-82M through kokoro-onnx, registered as "kokoro".

The model is a ``kokoro-*.onnx`` with a ``voices-*.bin`` beside it, as the
Library downloads them (models.voice.tts_catalog)."""

from __future__ import annotations

from pathlib import Path

from runtimes.base import Availability, Capability, Device, LoadOptions, Runtime, Session
from runtimes.registry import register_runtime
from runtimes.tts.options import TtsLoadOptions, onnx_tts_devices


@register_runtime
class KokoroRuntime(Runtime):
    name = "kokoro"
    capabilities = frozenset({Capability.SPEECH_SYNTHESIS})
    model_suffixes = (".onnx",)

    def claims(self, model: Path) -> bool:
        from runtimes.tts.voice_files import is_kokoro_model, kokoro_voices_file

        return is_kokoro_model(model) and kokoro_voices_file(model) is not None

    def availability(self) -> Availability:
        import importlib.util

        for module, package in (("kokoro_onnx", "kokoro-onnx"), ("onnxruntime", "onnxruntime")):
            if importlib.util.find_spec(module) is None:
                return Availability.no(f"the {package} package is not installed (pip install {package})")
        return Availability.yes("kokoro-onnx on ONNX Runtime; get the voice on the Voice page or with workbench pull")

    def devices(self) -> list[Device]:
        return onnx_tts_devices()

    def validate(self, model: Path, options: LoadOptions) -> None:
        from runtimes.tts.voice_files import check_kokoro

        check_kokoro(Path(model), TtsLoadOptions.required(options, self.name).voices_file)

    def open_session(self, model: Path, options: LoadOptions) -> Session:
        from runtimes.tts.kokoro.session import KokoroSession
        from runtimes.tts.voice_files import check_kokoro

        tts = TtsLoadOptions.required(options, self.name)
        self.validate(Path(model), tts)
        return KokoroSession(Path(model), check_kokoro(Path(model), tts.voices_file), tts)
