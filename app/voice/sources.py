"""Where the user's audio comes from: a file (streamed in small chunks, never
loaded whole) or frames pushed by another thread (the UI's microphone).

Both yield float32 mono arrays at 16 kHz, the VAD's and whisper's rate. A
push source also yields ``None`` when nothing arrived for a moment, so the
pipeline can pass on reply events while the user is quiet.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import AudioDeviceError
from runtimes.audio_decode import SPEECH_RATE, iter_audio_chunks, probe_audio, to_mono_float32

END_OF_UTTERANCE = "end-of-utterance"  # push-to-talk released: the utterance is over now


class FileSource:
    """A file of any length, decoded and resampled ``chunk_s`` at a time."""

    realtime = False  # read as fast as the pipeline consumes it

    def __init__(self, path: str | Path, chunk_s: float = 0.25) -> None:
        self.path = Path(path)
        self.info = probe_audio(self.path)  # not audio / missing: AudioDecodeError now, not mid-turn
        self.chunk_s = chunk_s
        self.samples_read = 0

    @property
    def duration_s(self) -> float:
        return self.info.duration_s

    def frames(self) -> Iterator[np.ndarray | str | None]:
        for chunk in iter_audio_chunks(self.path, self.chunk_s, SPEECH_RATE):
            self.samples_read += len(chunk)
            yield chunk

    def close(self) -> None:
        pass


class PushSource:
    """Frames pushed from another thread at the device's rate (int16 or float32,
    mono or interleaved channels), resampled to 16 kHz as a stream.

    The queue holds at most ``max_queue_s`` of audio: if the pipeline falls that
    far behind, the oldest frames are dropped and counted, never piled up.
    """

    _END = object()
    realtime = True

    def __init__(self, sample_rate: int, channels: int = 1, max_queue_s: float = 30.0, tick_s: float = 0.05) -> None:
        if sample_rate <= 0 or channels <= 0:
            raise ValueError(f"invalid input format: {sample_rate} Hz, {channels} channels")
        self.sample_rate = sample_rate
        self.channels = channels
        self.tick_s = tick_s
        self._queue: queue.Queue = queue.Queue()
        self._queued = 0
        self._max_queued = int(max_queue_s * sample_rate)
        self._lock = threading.Lock()
        self.dropped_s = 0.0
        self._resampler: Any = None
        if sample_rate != SPEECH_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(sample_rate, SPEECH_RATE, 1, dtype="float32")

    def push(self, samples: Any) -> None:
        """Raw device frames (numpy array or bytes of int16 when not an array)."""
        if isinstance(samples, bytes | bytearray | memoryview):
            samples = np.frombuffer(samples, dtype=np.int16)
        samples = np.asarray(samples)
        if self.channels > 1 and samples.ndim == 1:
            samples = samples[: len(samples) - len(samples) % self.channels].reshape(-1, self.channels)
        mono = to_mono_float32(samples)
        with self._lock:
            self._queue.put(mono)
            self._queued += len(mono)
            while self._queued > self._max_queued:
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        try:
            oldest = self._queue.get_nowait()
        except queue.Empty:
            return
        if isinstance(oldest, np.ndarray):
            self._queued -= len(oldest)
            self.dropped_s += len(oldest) / self.sample_rate
        else:
            self._queue.put(oldest)  # keep markers

    def end_utterance(self) -> None:
        self._queue.put(END_OF_UTTERANCE)

    def end(self) -> None:
        """The input is over (the user pressed Stop)."""
        self._queue.put(self._END)

    def fail(self, message: str) -> None:
        """The device failed (unplugged, permission revoked): the stream ends with this error."""
        self._queue.put(AudioDeviceError(message))

    def frames(self) -> Iterator[np.ndarray | str | None]:
        try:
            yield from self._frames()
        finally:
            self._resampler = None  # native soxr state goes now, not whenever the source is collected

    def _frames(self) -> Iterator[np.ndarray | str | None]:
        while True:
            try:
                item = self._queue.get(timeout=self.tick_s)
            except queue.Empty:
                yield None
                continue
            if item is self._END:
                return
            if isinstance(item, AudioDeviceError):
                raise item
            if isinstance(item, np.ndarray):
                with self._lock:
                    self._queued -= len(item)
                if self._resampler is not None:
                    item = self._resampler.resample_chunk(item)
                if item.size:
                    yield item
            else:
                yield item

    def close(self) -> None:
        self.end()
