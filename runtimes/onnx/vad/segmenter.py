"""Turn per-window speech probabilities into speech segments, as they arrive.

The rules follow silero-vad's get_speech_timestamps, made incremental:

* speech starts at the first window whose probability reaches ``threshold``;
* once in speech, a window below ``threshold - 0.15`` marks possible
  silence; a window back above ``threshold`` forgets it;
* the segment ends once that silence has lasted ``hangover_ms``, or at the
  end of the audio;
* segments shorter than ``min_speech_ms`` are dropped;
* the start is moved ``pad_ms`` earlier (never into the previous segment),
  so a soft onset is not clipped.

Where this differs from silero-vad: a segment ends at the first window of
the final run below ``threshold`` (silero-vad: below ``threshold - 0.15``)
and the end gets no padding. The model's probability decays over 2-3
windows (64-96 ms) after speech stops, so silero-vad's end lands 100-150 ms
after the last spoken sample on espeak-ng speech, and this one within 90 ms.

A SpeechStarted goes out once a segment has lasted ``min_speech_ms`` (so a
click never announces speech); every SpeechStarted is followed by exactly
one Speech for the same segment.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtimes.events import Speech

NEG_THRESHOLD_GAP = 0.15  # silero-vad's default neg_threshold = threshold - 0.15


@dataclass(frozen=True)
class SpeechStarted:
    """Speech has begun at ``start_s`` and lasted ``min_speech_ms`` so far."""

    start_s: float
    probability: float


@dataclass
class VadSettings:
    threshold: float = 0.5
    min_speech_ms: int = 250
    hangover_ms: int = 100
    pad_ms: int = 30

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"the VAD threshold must be between 0 and 1, got {self.threshold}")
        for name in ("min_speech_ms", "hangover_ms", "pad_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    @property
    def neg_threshold(self) -> float:
        return max(self.threshold - NEG_THRESHOLD_GAP, 0.01)


class VadSegmenter:
    """Feed it one probability per window of ``window`` samples at ``rate`` Hz."""

    def __init__(self, settings: VadSettings, window: int, rate: int) -> None:
        self.settings = settings
        self.window = window
        self.rate = rate
        self._min_speech = settings.min_speech_ms * rate // 1000
        self._hangover = settings.hangover_ms * rate // 1000
        self._pad = settings.pad_ms * rate // 1000
        self.reset()

    def reset(self) -> None:
        self.position = 0  # samples seen so far
        self._start: int | None = None  # sample where the current segment began
        self._silence_from: int | None = None
        self._below_from: int | None = None  # first window of the current run under ``threshold``
        self._probabilities: list[float] = []
        self._announced = False
        self._last_end = 0  # end of the last segment, in samples: the next start is never padded before it

    @property
    def speaking(self) -> bool:
        return self._start is not None

    def add(self, probability: float) -> list[SpeechStarted | Speech]:
        """The events the window just fed completes."""
        s = self.settings
        here, self.position = self.position, self.position + self.window
        events: list[SpeechStarted | Speech] = []
        if self._start is None:
            if probability >= s.threshold:
                self._start, self._silence_from, self._below_from, self._probabilities = here, None, None, []
                self._announced = False
            else:
                return events
        self._probabilities.append(probability)
        if probability >= s.threshold:
            self._silence_from = self._below_from = None
        else:
            if self._below_from is None:
                self._below_from = here
            if probability < s.neg_threshold and self._silence_from is None:
                self._silence_from = here
        if self._silence_from is not None and self.position - self._silence_from >= self._hangover:
            events.extend(self._close(self._below_from))
        elif not self._announced and self._below_from is None and self.position - self._start >= self._min_speech:
            self._announced = True
            events.append(SpeechStarted(self._padded_start() / self.rate, self._mean()))
        return events

    def finish(self, total_samples: int | None = None) -> list[Speech]:
        """End of audio: close an open segment at the silence or the last sample."""
        if total_samples is not None:
            self.position = total_samples
        if self._start is None:
            return []
        end = self._below_from if self._silence_from is not None else self.position
        return self._close(end)

    def _padded_start(self) -> int:
        return max(self._start - self._pad, self._last_end, 0)

    def _mean(self) -> float:
        return sum(self._probabilities) / len(self._probabilities) if self._probabilities else 0.0

    def _close(self, end: int) -> list[Speech]:
        start, probability = self._start, self._mean()
        self._start, self._silence_from, self._below_from, self._probabilities = None, None, None, []
        self._announced = False
        if end - start < self._min_speech:
            return []
        padded_start = max(start - self._pad, self._last_end, 0)
        self._last_end = end
        return [Speech(padded_start / self.rate, self._last_end / self.rate, probability)]
