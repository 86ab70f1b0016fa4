"""The compact metrics strip for the Chat page shows the latest numbers."""

from __future__ import annotations

import pytest

from app.metrics_sampler import MetricsSample
from ui.widgets.metrics_strip import MetricsStrip

GIB = 2**30


def sample(t: float, tps: float, rss: int | None = int(1.25 * GIB), vram: int | None = None) -> MetricsSample:
    return MetricsSample(
        t=t, tokens_per_s=tps, worker_rss=rss, system_used=9 * GIB, system_available=int(6.5 * GIB), vram=vram
    )


FEEDS_OWN_SAMPLES = True  # the shared ctx fixture stops the live sampler


@pytest.fixture
def strip(qtbot, ctx):
    strip = MetricsStrip(ctx)
    qtbot.addWidget(strip)
    strip.resize(700, strip.sizeHint().height())
    strip.show()
    return strip


def test_the_strip_shows_the_latest_numbers_and_the_generation_peak(strip, ctx):
    ctx.generation_started.emit()
    for i, tps in enumerate([5.0, 42.5, 30.3]):
        ctx.metrics_sampled.emit(sample(10 + i * 0.2, tps))
    assert strip.rate_label.text() == "30.3 tok/s"
    assert strip.peak_label.text() == "peak 42.5"
    assert strip.rss_label.text() == "RSS 1.2 GiB"
    assert strip.free_label.text() == "RAM free 6.5 GiB"
    assert not strip.vram_label.isVisibleTo(strip)

    ctx.generation_finished.emit(None)
    ctx.metrics_sampled.emit(sample(11.0, 0.0, rss=None, vram=3 * GIB))
    assert strip.rate_label.text() == "0.0 tok/s"
    assert strip.peak_label.text() == "peak 42.5"  # the finished generation's peak stays
    assert strip.rss_label.text() == "RSS —"
    assert strip.vram_label.isVisibleTo(strip) and strip.vram_label.text() == "VRAM 3.0 GiB"

    ctx.generation_started.emit()
    assert strip.peak_label.text() == "peak 0.0"


def test_the_sparkline_draws_the_generation(strip, ctx):
    blank = strip.sparkline.grab().toImage()
    ctx.generation_started.emit()
    for i in range(10):
        ctx.metrics_sampled.emit(sample(i * 0.2, 10.0 + 3 * i))
    drawn = strip.sparkline.grab().toImage()
    changed = sum(blank.pixel(x, y) != drawn.pixel(x, y) for x in range(drawn.width()) for y in range(drawn.height()))
    assert changed > 40


def test_a_generation_faster_than_the_sampler_still_shows_its_speed_as_peak(strip, ctx):
    from runtimes.events import GenerationStats

    ctx.generation_started.emit()
    ctx.generation_finished.emit(GenerationStats(n_gen=48, gen_s=0.094))  # no sample fell inside it
    assert strip.peak_label.text() == "peak 500.0"
