"""Live metrics, sampled on a background thread (never the GUI thread).

``TokenMeter`` counts streamed tokens; ``MetricsSampler`` wakes every
``interval_s`` and reports tokens/s over a rolling window together with the
worker's RSS, system RAM and the worker's VRAM.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from runtimes.memory import process_rss, process_vram

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricsSample:
    t: float  # seconds since the sampler started
    tokens_per_s: float
    worker_rss: int | None
    system_used: int
    system_available: int
    vram: int | None


class TokenMeter:
    """Thread-safe token counter with a rolling rate."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def add(self, n: int = 1, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._stamps.extend([now] * n)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._stamps and self._stamps[0] < now - self.window_s:
                self._stamps.popleft()
            return len(self._stamps) / self.window_s


class MetricsSampler:
    def __init__(
        self,
        on_sample: Callable[[MetricsSample], None],
        pid_getter: Callable[[], int | None],
        meter: TokenMeter,
        interval_s: float = 0.2,
    ) -> None:
        self._on_sample = on_sample
        self._pid_getter = pid_getter
        self.meter = meter
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    def sample(self) -> MetricsSample:
        pid = self._pid_getter()
        memory = psutil.virtual_memory()
        return MetricsSample(
            t=time.monotonic() - self._t0,
            tokens_per_s=self.meter.rate(),
            # process_rss answers 0 for a process that has gone: that is "unknown", not 0 bytes.
            worker_rss=(process_rss(pid) or None) if pid else None,
            system_used=memory.total - memory.available,
            system_available=memory.available,
            vram=process_vram(pid) if pid else None,
        )

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()  # so a stopped sampler can be started again
            self._thread = threading.Thread(target=self._loop, name="metrics-sampler", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        # A fixed cadence: sleeping a full interval after each (possibly slow,
        # e.g. NVML) sample would let the rate drift below the promised one.
        next_at = time.monotonic() + self.interval_s
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            try:
                self._on_sample(self.sample())
            except Exception:  # one bad sample must not end live metrics for the session
                log.exception("metrics sample failed")
            next_at = max(next_at + self.interval_s, time.monotonic())  # after a stall, don't burst

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
