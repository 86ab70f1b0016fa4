"""The VAD stage: Silero (runtimes.onnx.vad.detector.VadStream) over the incoming
16 kHz frames, plus the recent audio, so a finished segment comes out as the
utterance's samples.

VadStream runs in this process on purpose: it is a 2 MB model called every
32 ms, and a worker round trip per window would cost more than the model.
Only the last ``max_utterance_s`` (plus a margin) of audio is kept; a user who
talks longer than that is cut into utterances of that length, so memory stays
bounded however long the input runs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from app.voice.timeline import StageClock
from runtimes.events import Speech
from runtimes.onnx.vad.detector import SpeechStarted, VadStream
from runtimes.onnx.vad.model import SileroModel

RATE = 16000


@dataclass
class VadSettings:
    threshold: float = 0.5
    min_speech_ms: int = 250
    hangover_ms: int = 500  # silence that ends a turn; shorter pauses (between sentences) stay inside it
    pad_ms: int = 30
    max_utterance_s: float = 30.0  # whisper's window: longer speech is cut into pieces this long

    def __post_init__(self) -> None:
        if self.max_utterance_s < 1.0:
            raise ValueError("max_utterance_s must be at least 1 second")


@dataclass(frozen=True)
class SpeechBegan:
    start_s: float


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray  # float32 mono, 16 kHz
    start_s: float
    end_s: float
    decided_after_s: float  # audio the VAD heard after end_s before deciding (hang-over + window)
    cut: bool = False  # ended by max_utterance_s rather than by silence


class RecentAudio:
    """The last ``keep_s`` of a stream, addressable by stream time."""

    def __init__(self, keep_s: float) -> None:
        self.keep = int(keep_s * RATE)
        self._chunks: deque[np.ndarray] = deque()
        self.start = 0  # stream sample index of the first kept sample
        self.end = 0

    def append(self, chunk: np.ndarray) -> None:
        self._chunks.append(chunk)
        self.end += len(chunk)
        while self._chunks and self.end - self.start - len(self._chunks[0]) >= self.keep:
            self.start += len(self._chunks.popleft())

    def slice(self, start_s: float, end_s: float) -> np.ndarray:
        a, b = max(int(start_s * RATE), self.start), min(int(end_s * RATE), self.end)
        if b <= a:
            return np.zeros(0, dtype=np.float32)
        parts, offset = [], self.start
        for chunk in self._chunks:
            lo, hi = max(a - offset, 0), min(b - offset, len(chunk))
            if hi > lo:
                parts.append(chunk[lo:hi])
            offset += len(chunk)
            if offset >= b:
                break
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def reset(self) -> None:
        self._chunks.clear()
        self.start = self.end = 0

    @property
    def kept_samples(self) -> int:
        return sum(len(c) for c in self._chunks)


class VadStage:
    def __init__(self, model: SileroModel, settings: VadSettings, clock: StageClock | None = None) -> None:
        self.settings = settings
        self.clock = clock or StageClock(keep=False)
        self.stream = VadStream(model, threshold=settings.threshold, min_speech_ms=settings.min_speech_ms,
                                hangover_ms=settings.hangover_ms, pad_ms=settings.pad_ms, sample_rate=RATE)
        self.recent = RecentAudio(settings.max_utterance_s + 2.0)
        self.level = 0.0  # RMS of the last chunk, for a level meter
        self._open_start: float | None = None
        self._cut_at: float | None = None

    @property
    def speaking(self) -> bool:
        return self.stream.speaking

    @property
    def probability(self) -> float:
        return self.stream.last_probability

    @property
    def now_s(self) -> float:
        return self.recent.end / RATE

    def feed(self, chunk: np.ndarray) -> list[SpeechBegan | Utterance]:
        self.recent.append(chunk)
        self.level = float(np.sqrt(np.mean(np.square(chunk)))) if len(chunk) else 0.0
        with self.clock.stage("vad"):
            events = self.stream.feed(chunk)
        out = self._translate(events)
        while self._open_start is not None and self.now_s - self._start_of_open() >= self.settings.max_utterance_s:
            out.append(self._force_cut())
        return out

    def flush(self) -> list[SpeechBegan | Utterance]:
        """End of input (or push-to-talk released): close an open utterance now."""
        with self.clock.stage("vad"):
            events = self.stream.flush()
        out = self._translate(events)
        self.reset()
        return out

    def reset(self) -> None:
        self.stream.reset()
        self.recent.reset()
        self._open_start = self._cut_at = None

    def partial_audio(self) -> np.ndarray:
        """The utterance so far, while the user is still talking."""
        if self._open_start is None:
            return np.zeros(0, dtype=np.float32)
        return self.recent.slice(self._start_of_open(), self.now_s)

    def _start_of_open(self) -> float:
        return self._cut_at if self._cut_at is not None else self._open_start

    def _force_cut(self) -> Utterance:
        start = self._start_of_open()
        end = start + self.settings.max_utterance_s  # exactly the limit, whatever the chunk size
        self._cut_at = end
        return Utterance(self.recent.slice(start, end), start, end, self.now_s - end, cut=True)

    def _translate(self, events: list) -> list[SpeechBegan | Utterance]:
        out: list[SpeechBegan | Utterance] = []
        for event in events:
            if isinstance(event, SpeechStarted):
                self._open_start = event.start_s
                out.append(SpeechBegan(event.start_s))
            elif isinstance(event, Speech):
                start = self._cut_at if self._cut_at is not None else event.start_s
                self._open_start = self._cut_at = None
                if event.end_s > start:
                    out.append(Utterance(self.recent.slice(start, event.end_s), start, event.end_s,
                                         max(0.0, self.now_s - event.end_s)))
        return out
