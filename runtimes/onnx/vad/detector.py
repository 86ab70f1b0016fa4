"""Voice activity detection with Silero VAD on ONNX Runtime.

Two ways in:

* **Streaming**, in the caller's process (the voice pipeline's microphone)::

      stream = VadStream(sample_rate=48000)          # opens silero_vad.onnx itself
      for chunk in microphone:                        # any length, float32/int16, mono or (n, ch)
          for event in stream.feed(chunk):
              if isinstance(event, SpeechStarted): ...   # user started talking (barge-in)
              elif isinstance(event, Speech): ...        # segment done: start_s..end_s
      events = stream.flush()                         # end of input closes an open segment

  Times are seconds since the stream started (or since ``reset()``).
  ``stream.speaking`` says whether a segment is open; ``stream.time_s`` is
  how much audio has been consumed; ``stream.last_probability`` is the
  model's output for the latest 32 ms window. Audio at other rates is
  resampled to 16 kHz with soxr's streaming resampler. After ``flush()``,
  call ``reset()`` before feeding new audio. One stream per audio source; it
  is not thread-safe. Each SpeechStarted is followed by exactly one Speech
  for the same segment (same ``start_s``); segments shorter than
  ``min_speech_ms`` produce neither.

* **As a session**: ``get_runtime("onnxruntime").load(silero_vad_path(),
  OnnxLoadOptions())`` hosts the model in a worker; ``run(VadRequest(...))``
  yields one Speech per segment, then Done whose result holds all segments.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from models.errors import WorkbenchError
from runtimes.audio_decode import audio_samples, to_mono_float32
from runtimes.base import CancelToken
from runtimes.events import Done, Error, Event, Metrics, Speech
from runtimes.onnx.vad.model import SAMPLE_RATE, WINDOW, SileroModel, is_silero_signature, silero_vad_path
from runtimes.onnx.vad.segmenter import SpeechStarted, VadSegmenter, VadSettings
from runtimes.requests import VadRequest

__all__ = ["SpeechStarted", "Speech", "VadSettings", "VadStream", "run_vad", "silero_vad_path"]
CHUNK_S = 1.0  # run_vad feeds this much audio between cancel checks and progress events


class VadStream:
    """Feed audio as it arrives; get SpeechStarted / Speech events back."""

    def __init__(
        self,
        model: SileroModel | None = None,
        *,
        threshold: float = 0.5,
        min_speech_ms: int = 250,
        hangover_ms: int = 100,
        pad_ms: int = 30,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"invalid sample rate {sample_rate}")
        self.model = model or SileroModel.open()
        self.settings = VadSettings(threshold, min_speech_ms, hangover_ms, pad_ms)
        self.sample_rate = sample_rate
        self._segmenter = VadSegmenter(self.settings, WINDOW, SAMPLE_RATE)
        self._resampler: Any = None
        self.reset()

    def reset(self) -> None:
        """Forget all audio and state (a new utterance, a new microphone)."""
        self.model.reset()
        self._segmenter.reset()
        self._pending = np.zeros(0, dtype=np.float32)
        self.last_probability = 0.0
        if self.sample_rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(self.sample_rate, SAMPLE_RATE, 1, dtype="float32")

    @property
    def speaking(self) -> bool:
        return self._segmenter.speaking

    @property
    def time_s(self) -> float:
        return self._segmenter.position / SAMPLE_RATE

    def feed(self, samples: Any) -> list[SpeechStarted | Speech]:
        """Consume ``samples`` (numpy array, or float32 bytes) at ``sample_rate``."""
        if isinstance(samples, bytes | bytearray | memoryview):
            samples = np.frombuffer(samples, dtype=np.float32)
        audio = to_mono_float32(samples)
        if self._resampler is not None:
            audio = self._resampler.resample_chunk(audio)
        return self._consume(audio)

    def flush(self) -> list[Speech]:
        """End of input: run the last partial window (zero-padded) and close any open segment."""
        events: list[SpeechStarted | Speech] = []
        if self._resampler is not None:
            events.extend(self._consume(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)))
        total = self._segmenter.position + len(self._pending)
        if len(self._pending):
            window = np.zeros(WINDOW, dtype=np.float32)
            window[: len(self._pending)] = self._pending
            self._pending = np.zeros(0, dtype=np.float32)
            events.extend(self._segmenter.add(self._probability(window)))
        events.extend(self._segmenter.finish(total))
        return [e for e in events if isinstance(e, Speech)]

    def _probability(self, window: np.ndarray) -> float:
        self.last_probability = self.model(window)
        return self.last_probability

    def _consume(self, audio: np.ndarray) -> list[SpeechStarted | Speech]:
        buffer = np.concatenate([self._pending, audio]) if len(self._pending) else audio
        n_windows = len(buffer) // WINDOW
        events: list[SpeechStarted | Speech] = []
        for i in range(n_windows):
            events.extend(self._segmenter.add(self._probability(buffer[i * WINDOW : (i + 1) * WINDOW])))
        self._pending = buffer[n_windows * WINDOW :].copy()
        return events


def run_vad(session: Any, request: VadRequest, cancel: CancelToken | None) -> Iterator[Event]:
    """A VadRequest on an OnnxSession holding Silero VAD (the worker's side)."""
    names = [spec.name for spec in session.inputs]
    if not is_silero_signature(names):
        yield Error(f"{session.model.name} is not a Silero VAD model (inputs: {', '.join(names)})", "model")
        return
    try:
        audio = audio_samples(request.audio, SAMPLE_RATE)
        stream = VadStream(
            SileroModel(session.ort_session),
            threshold=request.threshold,
            min_speech_ms=request.min_speech_ms,
            hangover_ms=request.hangover_ms,
        )
    except (WorkbenchError, ValueError) as exc:
        yield Error(str(exc), "input")
        return
    t0 = time.perf_counter()
    chunk = int(CHUNK_S * SAMPLE_RATE)
    segments: list[Speech] = []
    for offset in range(0, len(audio), chunk):
        if cancel is not None and cancel.cancelled:
            break
        found = [e for e in stream.feed(audio[offset : offset + chunk]) if isinstance(e, Speech)]
        segments.extend(found)
        yield from found
        yield Metrics({"done": min(offset + chunk, len(audio)) / SAMPLE_RATE, "total": len(audio) / SAMPLE_RATE})
    else:
        last = stream.flush()
        segments.extend(last)
        yield from last
    elapsed = time.perf_counter() - t0
    audio_s = len(audio) / SAMPLE_RATE
    yield Done(result={
        "segments": [(s.start_s, s.end_s, s.probability) for s in segments],
        "audio_s": audio_s,
        "speech_s": sum(s.end_s - s.start_s for s in segments),
        "elapsed_s": elapsed,
        "speed": audio_s / elapsed if elapsed > 0 else 0.0,  # audio seconds per wall second
        "cancelled": bool(cancel is not None and cancel.cancelled),
    })
