"""A bounded, rolling record of MetricsSample for charts and CSV export.

Three states:
  * live      – idle: samples roll through the window;
  * recording – a generation runs: every sample is kept (within the window),
                times count from the generation's first sample;
  * frozen    – the generation ended: new samples are ignored, so the chart
                stays and can be saved, until the next generation or clear().
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from app.monitor.sampler import MetricsSample

MIB = 2**20
CSV_HEADER = ("t_s", "tokens_per_s", "worker_rss_mib", "system_used_mib", "system_available_mib", "vram_mib")


class MetricsSeries:
    def __init__(self, window_s: float = 120.0) -> None:
        self.window_s = window_s
        self._samples: deque[MetricsSample] = deque()
        self._origin: float | None = None  # sampler time shown as t = 0
        self.recording = False
        self.frozen = False
        self.last_was_empty = False
        self.peak_tokens_per_s = 0.0  # since the last start/clear, not just in the window

    def __len__(self) -> int:
        return len(self._samples)

    def __iter__(self) -> Iterator[MetricsSample]:
        return iter(self._samples)

    @property
    def first_t(self) -> float:
        return self._samples[0].t if self._samples else 0.0

    @property
    def last_t(self) -> float:
        return self._samples[-1].t if self._samples else 0.0

    @property
    def latest(self) -> MetricsSample | None:
        return self._samples[-1] if self._samples else None

    def start_recording(self) -> None:
        """A generation started: drop what was there and record afresh."""
        self._reset()
        self.recording = True

    def stop_recording(self) -> None:
        """A generation ended: keep what was recorded and ignore new samples."""
        if self.recording:
            self.recording = False
            # Nothing recorded (it failed, or ended within one sampling interval): stay live
            # instead of freezing an empty chart.
            self.frozen = bool(self._samples)
            self.last_was_empty = not self._samples

    def clear(self) -> None:
        """Back to live: empty, following new samples."""
        self._reset()

    def _reset(self) -> None:
        self._samples.clear()
        self._origin = None
        self.recording = False
        self.frozen = False
        self.last_was_empty = False
        self.peak_tokens_per_s = 0.0

    def add(self, sample: MetricsSample) -> MetricsSample | None:
        """Keep ``sample`` (re-timed so the series starts at t = 0) and drop
        what left the window. Returns the stored sample, or None when frozen."""
        if self.frozen:
            return None
        if self._origin is None:
            self._origin = sample.t
        stored = replace(sample, t=sample.t - self._origin)
        self._samples.append(stored)
        self.peak_tokens_per_s = max(self.peak_tokens_per_s, stored.tokens_per_s)
        while self._samples[0].t < stored.t - self.window_s:
            self._samples.popleft()
        return stored

    def to_csv(self, path: str | Path) -> None:
        write_csv(self._samples, path)


def write_csv(samples: Iterable[MetricsSample], path: str | Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for s in samples:
            writer.writerow(
                [
                    f"{s.t:.3f}",
                    f"{s.tokens_per_s:.3f}",
                    _mib(s.worker_rss),
                    _mib(s.system_used),
                    _mib(s.system_available),
                    _mib(s.vram),
                ]
            )


def _mib(value: int | None) -> str:
    return "" if value is None else f"{value / MIB:.3f}"
