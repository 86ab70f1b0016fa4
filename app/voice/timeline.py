"""Per-turn timestamps and the time spent inside each stage's calls.

Every call into VAD, STT, LLM or TTS runs inside ``clock.stage(name)``; the
rest of a turn's wall time is Workbench's own overhead. Stages may overlap
(TTS speaks sentence one while the LLM writes sentence two), so the overhead
is the wall time covered by *no* stage call: the union of the intervals is
subtracted, not their sum.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

STAGES = ("vad", "stt", "llm", "tts")


def union_length(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] covered by at least one interval."""
    covered, cursor = 0.0, start
    for a, b in sorted(intervals):
        a, b = max(a, cursor), min(b, end)
        if b > a:
            covered += b - a
            cursor = b
    return covered


class StageClock:
    """Thread-safe record of (stage, start, end) intervals on perf_counter time."""

    def __init__(self, keep: bool = True) -> None:
        self._lock = threading.Lock()
        self._intervals: list[tuple[str, float, float]] = []
        self.keep = keep  # False: a clock nobody reads (batch VAD splitting) records nothing

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if self.keep:
                with self._lock:
                    self._intervals.append((name, t0, time.perf_counter()))

    def timed(self, name: str, iterator: Iterator) -> Iterator:
        """Iterate ``iterator`` with each ``next()`` counted as time inside ``name``."""
        while True:
            with self.stage(name):
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item

    def between(self, start: float, end: float) -> dict[str, float]:
        """Seconds per stage inside [start, end], plus "busy" (their union)."""
        with self._lock:
            intervals = list(self._intervals)
        out = {}
        for name in STAGES:
            spans = [(a, b) for n, a, b in intervals if n == name]
            out[name] = union_length(spans, start, end)
        out["busy"] = union_length([(a, b) for _, a, b in intervals], start, end)
        return out

    def forget_before(self, t: float) -> None:
        """Drop intervals that ended before ``t`` (a long session stays small)."""
        with self._lock:
            self._intervals = [i for i in self._intervals if i[2] >= t]


@dataclass
class TurnTimeline:
    """Wall-clock marks (perf_counter seconds) of one turn, set as they happen."""

    turn: int
    started: float  # first audio of this turn reached the pipeline (file) or speech began (live)
    speech_start_s: float = 0.0  # in the audio stream
    speech_end_s: float = 0.0
    speech_end: float | None = None  # when the VAD decided the utterance had ended
    vad_delay_s: float = 0.0  # audio heard after the speech ended before that decision (the hang-over)
    transcript: float | None = None
    first_token: float | None = None
    llm_done: float | None = None
    first_audio: float | None = None
    tts_done: float | None = None
    finished: float | None = None
    stage_s: dict[str, float] = field(default_factory=dict)

    def _ms(self, mark: float | None) -> float | None:
        return None if mark is None or self.speech_end is None else (mark - self.speech_end) * 1000

    def latencies_ms(self) -> dict[str, float | None]:
        """From the end of speech (the VAD's decision) to each milestone."""
        return {
            "transcript": self._ms(self.transcript),
            "first_token": self._ms(self.first_token),
            "first_audio": self._ms(self.first_audio),
            "llm_done": self._ms(self.llm_done),
            "reply_done": self._ms(self.tts_done),
        }

    def account(self, clock: StageClock) -> None:
        """Fill ``stage_s`` and the overhead for [started, finished]."""
        end = self.finished or time.perf_counter()
        self.stage_s = clock.between(self.started, end)
        self.stage_s["wall"] = end - self.started
        self.stage_s["overhead"] = max(0.0, self.stage_s["wall"] - self.stage_s["busy"])

    @property
    def overhead_ms(self) -> float:
        return self.stage_s.get("overhead", 0.0) * 1000

    @property
    def audio_before_llm_done(self) -> bool:
        """Sentence streaming: the first audio existed before the LLM finished."""
        return self.first_audio is not None and self.llm_done is not None and self.first_audio < self.llm_done

    def as_dict(self) -> dict:
        return {
            "turn": self.turn,
            "speech": [round(self.speech_start_s, 3), round(self.speech_end_s, 3)],
            "vad_delay_ms": round(self.vad_delay_s * 1000, 1),
            "latency_ms": {k: (round(v, 1) if v is not None else None) for k, v in self.latencies_ms().items()},
            "stage_ms": {k: round(v * 1000, 1) for k, v in self.stage_s.items()},
            "overhead_ms": round(self.overhead_ms, 1),
            "first_audio_before_llm_done": self.audio_before_llm_done,
        }
