"""The operating system's voice (QtTextToSpeech) as a TTS Session for the
voice pipeline, where an engine exists (speech-dispatcher, SAPI/WinRT,
AVSpeechSynthesizer...).

PySide6 does not expose QTextToSpeech.synthesize(), so the OS engine plays
the speech itself instead of handing samples to the pipeline's sink. The
session yields one empty AudioChunk when speech starts (so "first audio" is
timed), blocks until the engine is done, and stops it on cancel (barge-in).
QTextToSpeech must live on the GUI thread: the session drives it there with
queued signals and waits on a queue from the pipeline's thread.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtTextToSpeech import QTextToSpeech

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.dispatch import RequestHandlers
from runtimes.errors import LoadFailed
from runtimes.events import AudioChunk, Done, Error, Event, GenerationStats
from runtimes.requests import SynthesisRequest

TEST_ENGINES = ("mock",)  # Qt's own test engine: speaks nothing, never offered to users
START_TIMEOUT_S = 10.0


def os_voice_engines(include_test: bool = False) -> list[str]:
    """Engines that start here (listed ones can still fail, e.g. speechd without its daemon)."""
    usable = []
    for name in QTextToSpeech.availableEngines():
        if name in TEST_ENGINES and not include_test:
            continue
        probe = QTextToSpeech(name)
        if probe.state() != QTextToSpeech.State.Error:
            usable.append(name)
        probe.deleteLater()
    return usable


class _Driver(QObject):
    """Lives on the GUI thread; the session talks to it through queued signals."""

    say_requested = Signal(str, float, str)
    stop_requested = Signal()

    def __init__(self, engine: str) -> None:
        super().__init__()
        self.tts = QTextToSpeech(engine, self)
        self.states: queue.Queue = queue.Queue()
        self.tts.stateChanged.connect(self.states.put)
        self.tts.errorOccurred.connect(lambda _reason, text: self.states.put(("error", text)))
        self.say_requested.connect(self._say)
        self.stop_requested.connect(self.tts.stop)

    @Slot(str, float, str)
    def _say(self, text: str, rate: float, voice: str) -> None:
        if voice:
            for candidate in self.tts.availableVoices():
                if candidate.name() == voice:
                    self.tts.setVoice(candidate)
        self.tts.setRate(rate)
        self.tts.say(text)


class OsVoiceSession(Session):
    """Create on the GUI thread; ``run`` may be called from any other thread."""

    def __init__(self, engine: str, voice: str = "") -> None:
        t0 = time.perf_counter()
        self.driver = _Driver(engine)
        if self.driver.tts.state() == QTextToSpeech.State.Error:
            message = self.driver.tts.errorString() or "the engine did not start"
            raise LoadFailed(f"the OS voice '{engine}' is not usable: {message}")
        self.engine = engine
        self.voice = voice
        self.stats = SessionStats(load_seconds=time.perf_counter() - t0)
        self.info: dict[str, Any] = {"engine": f"os:{engine}",
                                     "voices": [v.name() for v in self.driver.tts.availableVoices()]}

    def _drain(self) -> None:
        while True:
            try:
                self.driver.states.get_nowait()
            except queue.Empty:
                return

    def _speak(self, request: SynthesisRequest, cancel: CancelToken | None) -> Iterator[Event]:
        if not request.text.strip():
            yield Error("nothing to say: the text is empty", "input")
            return
        self._drain()
        t0 = time.perf_counter()
        # QTextToSpeech's rate is -1..1 around normal speed.
        self.driver.say_requested.emit(request.text, max(-1.0, min(1.0, request.speed - 1.0)),
                                       request.voice or self.voice)
        started: float | None = None
        deadline = t0 + START_TIMEOUT_S
        while True:
            if cancel is not None and cancel.cancelled:
                self.driver.stop_requested.emit()
                break
            try:
                state = self.driver.states.get(timeout=0.02)
            except queue.Empty:
                if started is None and time.perf_counter() > deadline:
                    yield Error(f"the OS voice '{self.engine}' did not start speaking", "engine")
                    return
                continue
            if isinstance(state, tuple):
                yield Error(f"the OS voice failed: {state[1]}", "engine")
                return
            if state == QTextToSpeech.State.Speaking and started is None:
                started = time.perf_counter()
                yield AudioChunk(b"", 16000)  # played by the OS: marks when speech began
            elif state == QTextToSpeech.State.Ready and started is not None:
                break
            elif state == QTextToSpeech.State.Error:
                yield Error(f"the OS voice failed: {self.driver.tts.errorString()}", "engine")
                return
        spoken = time.perf_counter() - (started or t0)
        stats = GenerationStats(ttft_s=(started or t0) - t0, gen_s=time.perf_counter() - t0,
                                stop_reason="cancelled" if cancel is not None and cancel.cancelled else "eos")
        yield Done(stats, {"audio_s": spoken, "engine": self.engine, "played_by_os": True})

    handlers = RequestHandlers("the OS voice", {SynthesisRequest: _speak})

    def close(self) -> None:
        driver, self.driver = getattr(self, "driver", None), None
        if driver is not None:
            driver.stop_requested.emit()
            driver.deleteLater()
