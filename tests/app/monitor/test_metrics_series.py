"""The rolling series behind the Monitor charts and its CSV export."""

from __future__ import annotations

import csv

import pytest

from app.monitor.sampler import MetricsSample
from app.monitor.series import CSV_HEADER, MIB, MetricsSeries


def sample(t: float, tps: float = 0.0, rss: int | None = 100 * MIB, vram: int | None = None) -> MetricsSample:
    return MetricsSample(
        t=t, tokens_per_s=tps, worker_rss=rss, system_used=4096 * MIB, system_available=2048 * MIB, vram=vram
    )


def test_times_start_at_zero_and_old_samples_leave_the_window():
    series = MetricsSeries(window_s=10.0)
    for i in range(100):  # 50 s at 2 Hz, starting at sampler time 7
        series.add(sample(7.0 + i * 0.5))
    assert series.last_t == pytest.approx(49.5)
    assert series.first_t == pytest.approx(39.5)
    assert len(series) == 21


def test_recording_keeps_samples_then_freezes_until_the_next_generation():
    series = MetricsSeries()
    series.add(sample(1.0, tps=3.0))
    series.start_recording()
    assert len(series) == 0 and series.recording
    for i, tps in enumerate([10.0, 30.0, 20.0]):
        series.add(sample(5.0 + i * 0.2, tps=tps))
    series.stop_recording()

    assert series.frozen and not series.recording
    assert series.add(sample(6.0, tps=99.0)) is None  # ignored after the generation
    assert [s.tokens_per_s for s in series] == [10.0, 30.0, 20.0]
    assert series.peak_tokens_per_s == 30.0
    assert series.first_t == 0.0

    series.start_recording()
    assert len(series) == 0 and series.peak_tokens_per_s == 0.0
    assert series.add(sample(9.0)) is not None


def test_clear_returns_to_live():
    series = MetricsSeries()
    series.start_recording()
    series.add(sample(1.0, tps=5.0))
    series.stop_recording()
    series.clear()
    assert len(series) == 0 and not series.frozen and not series.recording
    assert series.add(sample(2.0)) is not None
    assert len(series) == 1


def test_stop_without_a_recording_does_not_freeze_live_data():
    series = MetricsSeries()
    series.stop_recording()
    assert series.add(sample(1.0)) is not None


def test_csv_round_trips_numbers(tmp_path):
    series = MetricsSeries()
    series.add(sample(2.0, tps=12.5, rss=300 * MIB, vram=None))
    series.add(sample(2.2, tps=14.25, rss=None, vram=1536 * MIB))
    path = tmp_path / "metrics.csv"
    series.to_csv(path)

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_HEADER
    first, second = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    assert float(first["t_s"]) == 0.0 and float(second["t_s"]) == pytest.approx(0.2)
    assert float(first["tokens_per_s"]) == 12.5 and float(second["tokens_per_s"]) == 14.25
    assert float(first["worker_rss_mib"]) == 300.0 and second["worker_rss_mib"] == ""
    assert float(first["system_used_mib"]) == 4096.0
    assert float(first["system_available_mib"]) == 2048.0
    assert first["vram_mib"] == "" and float(second["vram_mib"]) == 1536.0


def test_a_generation_that_left_no_sample_does_not_freeze_an_empty_chart():
    series = MetricsSeries()
    series.start_recording()
    series.stop_recording()  # failed before the first 5 Hz sample
    assert not series.frozen and series.last_was_empty
    assert series.add(sample(1.0)) is not None  # live again
    series.start_recording()
    series.add(sample(2.0))
    series.stop_recording()
    assert series.frozen and not series.last_was_empty
