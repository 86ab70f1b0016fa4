"""The compact metrics strip for the Chat page shows the latest numbers."""

from __future__ import annotations

import pytest

from app.monitor.sampler import MetricsSample
from ui.common.metrics_strip import MetricsStrip

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
    assert strip.rate_label.text() == "now 30.3 tok/s"
    assert strip.peak_label.text() == "peak 42.5 tok/s"
    assert strip.rss_label.text() == "RSS 1.2 GiB"
    assert strip.free_label.text() == "RAM free 6.5 GiB"
    assert not strip.vram_label.isVisibleTo(strip)

    ctx.generation_finished.emit(None)
    ctx.metrics_sampled.emit(sample(11.0, 0.0, rss=None, vram=3 * GIB))
    assert strip.rate_label.text() == "now 0.0 tok/s"  # no reply stats: the live rate goes on
    assert strip.peak_label.text() == "peak 42.5 tok/s"  # the finished generation's peak stays
    assert strip.rss_label.text() == "RSS —"
    assert strip.vram_label.isVisibleTo(strip) and strip.vram_label.text() == "VRAM 3.0 GiB"

    ctx.generation_started.emit()
    assert strip.peak_label.text() == "peak 0.0 tok/s"


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
    assert strip.peak_label.text() == "peak 500.0 tok/s"


def test_after_a_reply_the_rate_is_the_replys_measured_speed_the_stats_line_shows(strip, ctx):
    from runtimes.events import GenerationStats
    from ui.chat.widgets.stats_line import stats_text

    ctx.generation_started.emit()
    ctx.metrics_sampled.emit(sample(1.0, 256.0))  # a 1 s window saw every token of a 0.09 s reply
    stats = GenerationStats(n_prompt=5, n_gen=257, gen_s=256 / 2868)
    ctx.generation_finished.emit(stats)
    assert strip.rate_label.text() == "reply 2868.0 tok/s"
    assert "gen 2868.0 t/s" in stats_text(stats.as_dict())
    assert "measured" in strip.rate_label.toolTip()
    ctx.metrics_sampled.emit(sample(1.2, 0.0))  # idle samples do not replace the reply's figure
    assert strip.rate_label.text() == "reply 2868.0 tok/s"
    assert strip.peak_label.text() == "peak 2868.0 tok/s"

    ctx.generation_started.emit()  # the next reply: live again
    ctx.metrics_sampled.emit(sample(2.0, 12.0))
    assert strip.rate_label.text() == "now 12.0 tok/s"
    assert "Live" in strip.rate_label.toolTip()


def test_four_digit_figures_are_not_cut_in_the_chat_page_at_1280(qtbot, ctx, tmp_path):
    from PySide6.QtWidgets import QApplication

    from runtimes.events import GenerationStats
    from ui.shell.app import create_window

    ctx.settings.models_dir = str(tmp_path)
    window = create_window(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    strip = window.pages["Chat"].metrics_strip
    ctx.generation_started.emit()
    ctx.metrics_sampled.emit(sample(1.0, 9876.5, rss=int(12.5 * GIB), vram=int(23.5 * GIB)))
    ctx.generation_finished.emit(GenerationStats(n_gen=1001, gen_s=1000 / 8765.4))
    QApplication.processEvents()
    labels = (strip.rate_label, strip.peak_label, strip.rss_label, strip.free_label, strip.vram_label)
    assert [label.shown_text() for label in labels] == [label.text() for label in labels]
    assert all(label.text().endswith(("tok/s", "GiB", "MiB")) for label in labels)
    assert window.width() <= 1280


def test_a_too_narrow_strip_elides_with_the_whole_text_as_tooltip(strip, ctx):
    from runtimes.events import GenerationStats

    ctx.generation_started.emit()
    ctx.generation_finished.emit(GenerationStats(n_gen=1001, gen_s=1000 / 8765.4))
    strip.resize(220, strip.height())
    label = strip.rate_label
    assert label.text() == "reply 8765.4 tok/s"
    assert label.shown_text().endswith("…") and label.shown_text() != label.text()
    assert "reply 8765.4 tok/s" in label.toolTip()
