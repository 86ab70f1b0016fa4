"""Bytes, speed and ETA for one download; speed is smoothed so the ETA does not jump."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class DownloadProgress:
    filename: str
    done: int
    total: int
    speed: float  # bytes per second, smoothed
    state: str = "downloading"  # "downloading", "retrying", "verifying"

    @property
    def eta_s(self) -> float | None:
        return (self.total - self.done) / self.speed if self.speed > 0 and self.total else None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class SpeedMeter:
    """Exponential moving average over ~2 s windows of bytes received."""

    def __init__(self, window_s: float = 0.5, alpha: float = 0.3, clock=time.monotonic) -> None:
        self._clock = clock
        self._window = window_s
        self._alpha = alpha
        self._t0 = clock()
        self._bytes = 0
        self.speed = 0.0

    def add(self, n: int) -> float:
        self._bytes += n
        now = self._clock()
        elapsed = now - self._t0
        if elapsed >= self._window:
            sample = self._bytes / elapsed
            self.speed = sample if self.speed == 0 else self._alpha * sample + (1 - self._alpha) * self.speed
            self._t0, self._bytes = now, 0
        return self.speed
