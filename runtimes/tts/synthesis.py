"""What every TTS session shares: slicing audio into AudioChunk events,
checking cancel between slices, and the Done that closes a request."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from runtimes.base import CancelToken
from runtimes.events import AudioChunk, Done, Event, GenerationStats
from runtimes.memory import own_peak_rss

CHUNK_S = 0.1  # slice length: small enough that playback can start and stop promptly


def chunk_events(audio: np.ndarray, sample_rate: int, cancel: CancelToken | None) -> Iterator[AudioChunk]:
    """``audio`` (float32 mono) as AudioChunks of CHUNK_S, stopping on cancel."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    step = max(1, int(sample_rate * CHUNK_S))
    for start in range(0, len(audio), step):
        if cancel is not None and cancel.cancelled:
            return
        yield AudioChunk(audio[start:start + step].tobytes(), sample_rate)


class SynthesisClock:
    """Counts samples and time for one request and builds its Done."""

    def __init__(self, load_s: float) -> None:
        self.t0 = time.perf_counter()
        self.first_audio_s: float | None = None
        self.samples = 0
        self.sample_rate = 0
        self.load_s = load_s

    def count(self, chunk: AudioChunk) -> AudioChunk:
        if self.first_audio_s is None:
            self.first_audio_s = time.perf_counter() - self.t0
        self.samples += len(chunk.samples) // 4
        self.sample_rate = chunk.sample_rate
        return chunk

    def done(self, voice: str, cancelled: bool) -> Done:
        synth_s = time.perf_counter() - self.t0
        audio_s = self.samples / self.sample_rate if self.sample_rate else 0.0
        stats = GenerationStats(load_s=self.load_s, ttft_s=self.first_audio_s or 0.0, gen_s=synth_s,
                                peak_rss_bytes=own_peak_rss(), stop_reason="cancelled" if cancelled else "eos")
        return Done(stats, {
            "audio_s": audio_s,
            "sample_rate": self.sample_rate,
            "synth_s": synth_s,
            "first_audio_s": self.first_audio_s,
            "rtf": synth_s / audio_s if audio_s else None,
            "voice": voice,
        })


def finish(events: Iterator[Event], clock: SynthesisClock, voice: str,
           cancel: CancelToken | None) -> Iterator[Event]:
    """Pass ``events`` through the clock, then close with Done."""
    for event in events:
        yield clock.count(event) if isinstance(event, AudioChunk) else event
    yield clock.done(voice, bool(cancel and cancel.cancelled))
