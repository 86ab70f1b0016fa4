"""Kokoro-82M through kokoro-onnx (ONNX Runtime), in the current process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.dispatch import RequestHandlers
from runtimes.errors import LoadFailed
from runtimes.events import Error, Event
from runtimes.requests import SynthesisRequest
from runtimes.tts.options import TtsLoadOptions
from runtimes.tts.synthesis import SynthesisClock, chunk_events, finish

DEFAULT_VOICE = "af_heart"
# Kokoro voice names start with a language letter (kokoro's own convention).
LANGUAGES = {"a": "en-us", "b": "en-gb", "e": "es", "f": "fr-fr", "h": "hi", "i": "it", "j": "ja",
             "p": "pt-br", "z": "cmn"}


def language_of(voice: str) -> str:
    return LANGUAGES.get(voice[:1].lower(), "en-us")


def _providers(device: str) -> list[str]:
    import onnxruntime

    wanted = {"cuda": "CUDAExecutionProvider", "coreml": "CoreMLExecutionProvider"}.get(device.split(":")[0])
    available = onnxruntime.get_available_providers()
    return ([wanted] if wanted in available else []) + ["CPUExecutionProvider"]


class KokoroSession(Session):
    def __init__(self, model: Path, voices: Path, options: TtsLoadOptions) -> None:
        import onnxruntime
        from kokoro_onnx import Kokoro

        t0 = time.perf_counter()
        try:
            ort = onnxruntime.InferenceSession(str(model), providers=_providers(options.device))
            self.kokoro = Kokoro.from_session(ort, str(voices))
        except Exception as exc:  # onnxruntime/numpy raise many types for a bad file
            raise LoadFailed(f"Kokoro could not load {model.name} with {voices.name}: {exc}") from exc
        self.voices = self.kokoro.get_voices()
        self.default_voice = options.voice or (DEFAULT_VOICE if DEFAULT_VOICE in self.voices else self.voices[0])
        if self.default_voice not in self.voices:
            raise LoadFailed(f"Kokoro has no voice {self.default_voice!r}; it has {', '.join(self.voices[:12])} ...")
        self.stats = SessionStats.after_load(t0)
        self.info: dict[str, Any] = {"engine": "kokoro", "model": str(model), "voices_file": str(voices),
                                     "voices": self.voices, "voice": self.default_voice,
                                     "providers": ort.get_providers()}

    def _speak(self, request: SynthesisRequest, cancel: CancelToken | None) -> Iterator[Event]:
        voice = request.voice or self.default_voice
        if voice not in self.voices:
            yield Error(f"Kokoro has no voice {voice!r}; it has {', '.join(self.voices[:12])} ...", "input")
            return
        if not request.text.strip():
            yield Error("nothing to say: the text is empty", "input")
            return
        clock = SynthesisClock(self.stats.load_seconds)
        speed = min(2.0, max(0.5, request.speed))  # the range kokoro-onnx accepts
        try:
            audio, rate = self.kokoro.create(request.text, voice=voice, speed=speed, lang=language_of(voice))
        except ValueError as exc:  # e.g. text with no phonemes in the vocabulary
            yield Error(f"Kokoro: {exc}", "input")
            return
        yield from finish(chunk_events(audio, rate, cancel), clock, voice, cancel)

    handlers = RequestHandlers("the Kokoro runtime", {SynthesisRequest: _speak})

    def close(self) -> None:
        self.kokoro = None
