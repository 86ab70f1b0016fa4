"""Piper voices through the piper-tts package (ONNX Runtime), registered as "piper".

A voice is ``<name>.onnx`` plus ``<name>.onnx.json`` (rhasspy/piper-voices)."""

from __future__ import annotations

from pathlib import Path

from runtimes.base import Availability, Capability, Device, LoadOptions, Runtime, Session
from runtimes.registry import register_runtime
from runtimes.tts.options import TtsLoadOptions, onnx_tts_devices


@register_runtime
class PiperRuntime(Runtime):
    name = "piper"
    capabilities = frozenset({Capability.SPEECH_SYNTHESIS})
    model_suffixes = (".onnx",)

    def claims(self, model: Path) -> bool:
        from runtimes.tts.voice_files import is_piper_model

        return is_piper_model(model)

    def availability(self) -> Availability:
        import importlib.util

        if importlib.util.find_spec("piper") is None:
            return Availability.no("the piper-tts package is not installed (pip install piper-tts)")
        return Availability.yes("piper-tts on ONNX Runtime; get a voice on the Voice page or with workbench pull")

    def devices(self) -> list[Device]:
        return onnx_tts_devices()

    def validate(self, model: Path, options: LoadOptions) -> None:
        from runtimes.tts.voice_files import check_piper

        TtsLoadOptions.required(options, self.name)
        check_piper(Path(model))

    def open_session(self, model: Path, options: LoadOptions) -> Session:
        from runtimes.tts.piper.session import PiperSession
        from runtimes.tts.voice_files import check_piper

        self.validate(Path(model), options)
        return PiperSession(Path(model), check_piper(Path(model)), TtsLoadOptions.required(options, self.name))
