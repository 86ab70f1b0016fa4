"""Monitor page: samples arrive as signals, charts record a generation, stay
afterwards, and can be saved. One test runs the real background sampler."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

import ui.monitor.page as monitor_module
from app.monitor.sampler import MetricsSample
from ui.monitor.page import MonitorPage
from ui.shell.context import AppContext

MIB = 2**20
GIB = 2**30


def sample(t: float, tps: float, vram: int | None = None) -> MetricsSample:
    return MetricsSample(
        t=t,
        tokens_per_s=tps,
        worker_rss=int(1.5 * GIB + t * MIB),
        system_used=9 * GIB,
        system_available=int(6.5 * GIB),
        vram=vram,
    )


def feed(ctx: AppContext, count: int, start: float = 50.0, vram: int | None = None) -> list[MetricsSample]:
    samples = [sample(start + i * 0.2, tps=10.0 + i, vram=vram) for i in range(count)]
    for s in samples:
        ctx.metrics_sampled.emit(s)
    return samples


def points(line) -> list[float]:
    """x0, y0, x1, y1, … (flat, so pytest.approx can compare it)."""
    return [v for p in line.points() for v in (p.x(), p.y())]


FEEDS_OWN_SAMPLES = True  # the shared ctx fixture stops the live sampler


@pytest.fixture
def page(qtbot, ctx):
    page = MonitorPage(ctx)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    return page


def test_a_generation_is_plotted_and_stays_after_it_ends(page, ctx):
    ctx.metrics_sampled.emit(sample(1.0, tps=0.0))  # idle, before the generation
    ctx.generation_started.emit()
    samples = feed(ctx, 20)
    ctx.generation_finished.emit(None)

    tokens = page.tokens_chart.lines["tps"]
    assert points(tokens) == pytest.approx([v for i in range(20) for v in (i * 0.2, 10.0 + i)])
    memory = page.memory_chart.lines
    assert memory["rss"].count() == memory["used"].count() == memory["available"].count() == 20
    assert memory["used"].at(0).y() == pytest.approx(9.0)
    assert memory["rss"].at(19).y() == pytest.approx(samples[19].worker_rss / GIB)
    assert memory["vram"].count() == 0 and not memory["vram"].isVisible()
    assert page.tokens_chart.x_axis.max() >= 19 * 0.2
    assert page.tokens_chart.y_axis.max() >= 29.0

    feed(ctx, 5, start=60.0)  # after the generation: the chart stays as it was
    assert tokens.count() == 20
    assert "Last generation" in page.state_label.text()
    assert "Peak: <b>29.0 tok/s</b>" in page.value_labels["peak"].text()
    assert "14.0 tok/s" in page.value_labels["tps"].text()  # current values stay live

    ctx.generation_started.emit()  # the next generation starts afresh
    assert tokens.count() == 0


def test_vram_is_plotted_only_when_there_is_some(page, ctx):
    feed(ctx, 3, vram=2 * GIB)
    vram = page.memory_chart.lines["vram"]
    assert vram.isVisible() and vram.count() == 3
    assert vram.at(2).y() == pytest.approx(2.0)
    assert page.value_labels["vram"].isVisibleTo(page)
    assert "2.0 GiB" in page.value_labels["vram"].text()


def test_the_window_rolls(qtbot, ctx, monkeypatch):
    monkeypatch.setattr(monitor_module, "WINDOW_S", 4.0)
    page = MonitorPage(ctx)
    qtbot.addWidget(page)
    page.show()
    feed(ctx, 40)  # 8 s of samples into a 4 s window

    tokens = page.tokens_chart.lines["tps"]
    xs = points(tokens)[::2]
    assert len(xs) == len(page.series) <= 21
    assert xs[-1] == pytest.approx(39 * 0.2) and xs[0] >= xs[-1] - 4.0
    assert page.tokens_chart.x_axis.min() == pytest.approx(xs[0])
    assert page.memory_chart.lines["rss"].count() == len(xs)


def test_save_png_writes_the_charts(page, ctx, tmp_path):
    ctx.generation_started.emit()
    feed(ctx, 30)
    ctx.generation_finished.emit(None)
    path = tmp_path / "charts.png"
    page.save_png(path)

    image = QImage(str(path))
    assert not image.isNull()
    assert image.width() >= 600 and image.height() >= 400
    assert path.stat().st_size > 10_000
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # lines, labels and grid, not a blank frame


def test_save_csv_round_trips_the_numbers(page, ctx, tmp_path):
    ctx.generation_started.emit()
    samples = feed(ctx, 12)
    ctx.generation_finished.emit(None)
    path = tmp_path / "metrics.csv"
    page.save_csv(path)

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    for row, s in zip(rows, samples, strict=True):
        assert float(row["t_s"]) == pytest.approx(s.t - samples[0].t, abs=1e-3)
        assert float(row["tokens_per_s"]) == pytest.approx(s.tokens_per_s)
        assert float(row["worker_rss_mib"]) == pytest.approx(s.worker_rss / MIB, abs=1e-3)
        assert float(row["system_available_mib"]) == pytest.approx(6.5 * 1024)
        assert row["vram_mib"] == ""


def test_save_buttons_ask_for_a_path_and_write_off_the_gui_thread(qtbot, page, ctx, tmp_path, monkeypatch):
    feed(ctx, 5)
    target = tmp_path / "picked.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    page.csv_button.click()
    qtbot.waitUntil(lambda: "Saved" in page.state_label.text(), timeout=3000)
    assert len(target.read_text(encoding="utf-8").splitlines()) == 1 + 5

    target = tmp_path / "picked.png"
    page.png_button.click()
    qtbot.waitUntil(lambda: target.exists() and not QImage(str(target)).isNull(), timeout=3000)


def test_clear_empties_the_charts_and_follows_live_again(page, ctx):
    ctx.generation_started.emit()
    feed(ctx, 10)
    ctx.generation_finished.emit(None)
    assert page.csv_button.isEnabled()

    page.clear_button.click()
    assert len(page.series) == 0
    assert all(line.count() == 0 for line in page.memory_chart.lines.values())
    assert page.tokens_chart.lines["tps"].count() == 0
    assert not page.csv_button.isEnabled() and not page.png_button.isEnabled()

    ctx.metrics_sampled.emit(sample(99.0, tps=3.0))  # no longer frozen
    assert points(page.tokens_chart.lines["tps"]) == [0.0, 3.0]


def test_the_real_sampler_feeds_the_page_at_least_four_times_a_second(qtbot):
    ctx = AppContext()  # starts the background sampler
    try:
        page = MonitorPage(ctx)
        qtbot.addWidget(page)
        page.show()
        qtbot.waitUntil(lambda: len(page.series) >= 4, timeout=1500)
        assert page.memory_chart.lines["used"].count() >= 4
        assert "RAM used: <b>" in page.value_labels["used"].text()
    finally:
        ctx.shutdown()


def test_charts_follow_a_theme_switch(page, qapp):
    from PySide6.QtCharts import QChart

    from ui.shell.theme import apply_theme

    try:
        apply_theme(qapp, "dark")
        assert page.tokens_chart.chart().theme() == QChart.ChartTheme.ChartThemeDark
        apply_theme(qapp, "light")
        assert page.memory_chart.chart().theme() == QChart.ChartTheme.ChartThemeLight
    finally:
        apply_theme(qapp, "system")


def test_a_hidden_page_records_but_plots_only_when_shown(qtbot, ctx):
    page = MonitorPage(ctx)
    qtbot.addWidget(page)
    ctx.generation_started.emit()
    feed(ctx, 10)
    assert len(page.series) == 10
    assert page.tokens_chart.lines["tps"].count() == 0  # no chart work while hidden
    page.show()
    assert page.tokens_chart.lines["tps"].count() == 10
    assert page.memory_chart.lines["rss"].count() == 10
