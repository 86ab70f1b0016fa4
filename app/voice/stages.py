"""The three model stages of a turn, each a thin wrapper over a Session that
times its calls on the turn's StageClock and turns failures into StageFailed.

Sessions are usually WorkerSessions (the model lives in a child process), so
a crash arrives as WorkerCrashed; it becomes StageFailed(crashed=True) and the
pipeline reloads that model before the next turn.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from app.errors import StageFailed
from app.voice.timeline import StageClock
from runtimes.base import CancelToken, Session
from runtimes.errors import WorkerCrashed
from runtimes.events import AudioChunk, Done, Error, GenerationStats, Segment, Token
from runtimes.requests import Audio, Sampling, SynthesisRequest, TextRequest, TranscribeRequest

SPEECH_RATE = 16000


@dataclass
class Transcript:
    text: str
    language: str = ""
    audio_s: float = 0.0


class SpeechToText:
    """whisper (or any transcription runtime) on one utterance at a time.

    Partial transcripts and the final one may be asked for from different
    threads; a session runs one request at a time, so calls queue on a lock."""

    def __init__(self, session: Session, clock: StageClock, language: str = "auto") -> None:
        self.session = session
        self.clock = clock
        self.language = language
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, cancel: CancelToken | None = None) -> Transcript:
        request = TranscribeRequest(Audio(samples=np.asarray(audio, np.float32).tobytes(), sample_rate=SPEECH_RATE),
                                    language=self.language)
        texts, result = [], {}
        with self._lock, self.clock.stage("stt"):
            try:
                for event in self.session.run(request, cancel):
                    if isinstance(event, Segment):
                        texts.append(event.text)
                    elif isinstance(event, Error):
                        raise StageFailed("speech to text", event.message)
                    elif isinstance(event, Done):
                        result = event.result or {}
            except WorkerCrashed as exc:
                raise StageFailed("speech to text", str(exc), crashed=True) from exc
        text = " ".join(" ".join(t.split()) for t in texts if t.strip())
        return Transcript(text, str(result.get("language", "")), float(result.get("audio_s", len(audio) / SPEECH_RATE)))


@dataclass
class ChatModel:
    """The LLM: the conversation so far in, the reply's tokens out as they come."""

    session: Session
    clock: StageClock
    sampling: Sampling = field(default_factory=lambda: Sampling(max_tokens=96, temperature=0.7))
    last_stats: GenerationStats | None = None

    def stream(self, messages: list[dict[str, str]], cancel: CancelToken | None = None) -> Iterator[str]:
        self.last_stats = None
        try:
            events = self.session.run(TextRequest(messages=messages, sampling=self.sampling), cancel)
            for event in self.clock.timed("llm", events):
                if isinstance(event, Token):
                    yield event.text
                elif isinstance(event, Error):
                    raise StageFailed("the language model", event.message)
                elif isinstance(event, Done):
                    self.last_stats = event.stats
        except WorkerCrashed as exc:
            raise StageFailed("the language model", f"it stopped mid-reply ({exc})", crashed=True) from exc


@dataclass
class Voice:
    """A TTS session speaking one piece of text at a time."""

    session: Session
    clock: StageClock
    voice: str = ""
    speed: float = 1.0

    def speak(self, text: str, cancel: CancelToken | None = None) -> Iterator[tuple[np.ndarray, int]]:
        try:
            events = self.session.run(SynthesisRequest(text, self.voice, self.speed), cancel)
            for event in self.clock.timed("tts", events):
                if isinstance(event, AudioChunk):
                    yield np.frombuffer(event.samples, dtype=np.float32), event.sample_rate
                elif isinstance(event, Error):
                    raise StageFailed("text to speech", event.message)
        except WorkerCrashed as exc:
            raise StageFailed("text to speech", str(exc), crashed=True) from exc
