"""A Piper voice through the piper-tts package (ONNX Runtime), in the current process."""

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


class PiperSession(Session):
    def __init__(self, model: Path, config: Path, options: TtsLoadOptions) -> None:
        from piper import PiperVoice

        t0 = time.perf_counter()
        try:
            self.voice = PiperVoice.load(model, config_path=config, use_cuda=options.device.startswith("cuda"))
        except Exception as exc:  # bad JSON, bad ONNX: one readable line
            raise LoadFailed(f"Piper could not load {model.name}: {exc}") from exc
        self.speakers = dict(self.voice.config.speaker_id_map)
        if options.voice and options.voice not in self.speakers:
            raise LoadFailed(f"{model.name} has no speaker {options.voice!r}"
                             + (f"; it has {', '.join(list(self.speakers)[:12])}" if self.speakers else
                                " (single-speaker voice)"))
        self.default_voice = options.voice
        self.stats = SessionStats.after_load(t0)
        self.info: dict[str, Any] = {"engine": "piper", "model": str(model), "config": str(config),
                                     "sample_rate": self.voice.config.sample_rate,
                                     "espeak_voice": self.voice.config.espeak_voice,
                                     "speakers": list(self.speakers)}

    def _speak(self, request: SynthesisRequest, cancel: CancelToken | None) -> Iterator[Event]:
        from piper import SynthesisConfig

        speaker = request.voice or self.default_voice
        if speaker and speaker not in self.speakers:
            yield Error(f"this Piper voice has no speaker {speaker!r}", "input")
            return
        if not request.text.strip():
            yield Error("nothing to say: the text is empty", "input")
            return
        config = SynthesisConfig(speaker_id=self.speakers.get(speaker) if speaker else None,
                                 length_scale=None if request.speed == 1.0 else 1.0 / max(0.1, request.speed))
        clock = SynthesisClock(self.stats.load_seconds)

        def events() -> Iterator[Event]:
            for chunk in self.voice.synthesize(request.text, config):  # one chunk per sentence
                if cancel is not None and cancel.cancelled:
                    return
                yield from chunk_events(chunk.audio_float_array, chunk.sample_rate, cancel)

        yield from finish(events(), clock, speaker or "default", cancel)

    handlers = RequestHandlers("the Piper runtime", {SynthesisRequest: _speak})

    def close(self) -> None:
        self.voice = None
