"""espeak-ng loaded in the current process (the worker, or in-process for tests)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.dispatch import RequestHandlers
from runtimes.events import Error, Event
from runtimes.requests import SynthesisRequest
from runtimes.tts.espeak.lib import Espeak, EspeakInstall
from runtimes.tts.options import TtsLoadOptions
from runtimes.tts.synthesis import SynthesisClock, chunk_events, finish

DEFAULT_VOICE = "en-us"


class EspeakSession(Session):
    def __init__(self, install: EspeakInstall, options: TtsLoadOptions) -> None:
        t0 = time.perf_counter()
        self.engine = Espeak(install)
        self.default_voice = options.voice or DEFAULT_VOICE
        self.engine.set_voice(self.default_voice)  # fails now, not mid-reply, on an unknown voice
        self.stats = SessionStats.after_load(t0, vram=False)
        self.info: dict[str, Any] = {
            "engine": "espeak-ng",
            "library": install.library,
            "data": str(install.data_dir),
            "source": install.source,
            "sample_rate": self.engine.sample_rate,
            "voice": self.default_voice,
        }

    def _speak(self, request: SynthesisRequest, cancel: CancelToken | None) -> Iterator[Event]:
        voice = request.voice or self.default_voice
        if not request.text.strip():
            yield Error("nothing to say: the text is empty", "input")
            return
        try:
            self.engine.set_voice(voice)
        except Exception as exc:  # unknown voice: report, keep the session usable
            yield Error(str(exc), "input")
            return
        self.engine.set_speed(request.speed)
        clock = SynthesisClock(self.stats.load_seconds)
        buffers: list[bytes] = []
        # espeak-ng synthesizes ~1000x faster than real time, so one sentence is
        # made whole and then sliced; cancel aborts inside the library too.
        self.engine.synth(request.text, lambda b: buffers.append(b) or bool(cancel and cancel.cancelled))
        pcm = np.frombuffer(b"".join(buffers), dtype=np.int16).astype(np.float32) / 32768.0
        yield from finish(chunk_events(pcm, self.engine.sample_rate, cancel), clock, voice, cancel)

    handlers = RequestHandlers("the espeak-ng runtime", {SynthesisRequest: _speak})

    def close(self) -> None:
        engine, self.engine = getattr(self, "engine", None), None
        if engine is not None:
            engine.close()
