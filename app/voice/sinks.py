"""Where the assistant's voice goes: a WAV file, or a playback queue that the
UI's speaker (or a test) pulls frames from in real time.

``stop()`` is barge-in: queued audio is dropped at once and how much is
returned; ``playing`` says whether audio is still waiting to be heard.
"""

from __future__ import annotations

import threading
import wave
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np


def to_int16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class _Resampler:
    """Streams chunks from whatever rate the TTS voice has to one fixed rate."""

    def __init__(self, target_rate: int) -> None:
        self.target_rate = target_rate
        self._rate = 0
        self._stream: Any = None

    def __call__(self, samples: np.ndarray, rate: int) -> np.ndarray:
        if rate == self.target_rate:
            return samples
        if rate != self._rate:
            import soxr

            self._rate = rate
            self._stream = soxr.ResampleStream(rate, self.target_rate, 1, dtype="float32")
        return self._stream.resample_chunk(samples)

    def reset(self) -> None:
        self._rate = 0
        self._stream = None


class WavFileSink:
    """16-bit mono WAV at the first chunk's rate (later chunks resampled to it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._wav: wave.Wave_write | None = None
        self._resample: _Resampler | None = None
        self.samples_written = 0
        self.sample_rate = 0

    def write(self, samples: np.ndarray, sample_rate: int) -> None:
        if self._wav is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 (closed in finish)
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(sample_rate)
            self._resample = _Resampler(sample_rate)
            self.sample_rate = sample_rate
        samples = self._resample(samples, sample_rate)
        self._wav.writeframes(to_int16(samples))
        self.samples_written += len(samples)

    @property
    def playing(self) -> bool:
        return False  # a file is never heard while it is written

    def stop(self) -> float:
        return 0.0

    def finish(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None

    close = finish

    @property
    def duration_s(self) -> float:
        return self.samples_written / self.sample_rate if self.sample_rate else 0.0


class PlaybackSink:
    """A queue of frames at the output device's rate, pulled as it plays."""

    def __init__(self, sample_rate: int = 24000) -> None:
        self.sample_rate = sample_rate
        self._resample = _Resampler(sample_rate)
        self._chunks: deque[np.ndarray] = deque()
        self._queued = 0
        self._lock = threading.Lock()
        self.played_samples = 0
        self.written_samples = 0
        self.stops = 0

    def write(self, samples: np.ndarray, sample_rate: int) -> None:
        samples = self._resample(np.asarray(samples, dtype=np.float32), sample_rate)
        if samples.size:
            with self._lock:
                self._chunks.append(samples)
                self._queued += len(samples)
                self.written_samples += len(samples)

    def pull(self, n: int) -> np.ndarray:
        """Up to ``n`` samples to play next (fewer, or none, when the queue runs dry)."""
        out, have = [], 0
        with self._lock:
            while self._chunks and have < n:
                chunk = self._chunks.popleft()
                take = chunk[: n - have]
                if len(take) < len(chunk):
                    self._chunks.appendleft(chunk[len(take):])
                out.append(take)
                have += len(take)
            self._queued -= have
            self.played_samples += have
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    @property
    def queued_s(self) -> float:
        return self._queued / self.sample_rate

    @property
    def playing(self) -> bool:
        return self._queued > 0

    def stop(self) -> float:
        """Barge-in: drop everything not yet played; returns the seconds dropped."""
        with self._lock:
            dropped = self._queued
            self._chunks.clear()
            self._queued = 0
            self.stops += 1
        self._resample.reset()
        return dropped / self.sample_rate

    def finish(self) -> None:
        pass

    def close(self) -> None:
        self.stop()
