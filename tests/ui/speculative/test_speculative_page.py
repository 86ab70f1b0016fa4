"""The Speculative page: an A/B run on the tiny demo pair, offscreen, and cancel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.speculative import baseline as spec_baseline
from models.demo.draft_pair import write_pair
from ui.speculative.page import SpeculativePage

WAIT_MS = 60_000
FEEDS_OWN_SAMPLES = True  # the shared ctx fixture stops the live sampler


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_pair(tmp_path_factory.mktemp("pair"), "tiny", 0.005)


@pytest.fixture
def page(qtbot, ctx, pair, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    ctx.settings.models_dir = str(pair[0].parent)
    page = SpeculativePage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 800)
    page.show()
    qtbot.waitUntil(lambda: page.target_combo.count() == 2, timeout=WAIT_MS)
    page.set_target(pair[1])
    qtbot.waitUntil(lambda: page.chooser.choices is not None, timeout=WAIT_MS)
    page.threads_spin.setValue(1)
    yield page
    page.cancel()
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)


def test_ab_run_fills_the_chart_and_summary(qtbot, page, pair):
    spec_baseline.forget_all()
    assert page.chooser.select_draft(pair[0])
    page.n_spin.setValue(24)
    page.prompts_box.setPlainText("Once upon a time\nThe quick brown fox\\njumps")
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert page.busy and page.cancel_button.isEnabled() and not page.run_button.isEnabled()
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    result = page.result
    assert result is not None and result.identical
    assert [p.prompt for p in result.prompts] == ["Once upon a time", "The quick brown fox\njumps"]
    bars = page.chart.values()
    assert len(bars) == 2 and page.chart.x_axis.categories() == ["1: Once upon a time", "2: The quick brown f…"]
    assert [round(b[0], 6) for b in bars] == [round(p.plain_tps, 6) for p in result.prompts]
    assert all(0 <= b[2] <= 100 for b in bars) and bars[0][2] == pytest.approx(100 * result.prompts[0].acceptance_rate)
    assert "×" in page.summary_label.text() and "identical to plain" in page.summary_label.text()
    # The summary is the aggregate of the very records the bars draw: total tokens over total time.
    records = page.chart.records
    plain = sum(r.n_gen for r in records) / sum(r.n_gen / r.plain_tps for r in records)
    spec = sum(r.n_gen for r in records) / sum(r.n_gen / r.spec_tps for r in records)
    summary = page.summary_label.text()
    assert f"plain {plain:.1f} t/s → speculative {spec:.1f} t/s over 2 prompt(s), {spec / plain:.2f}×" in summary
    assert spec_baseline.plain_baseline(pair[1], 0) == pytest.approx(result.plain_tps)
    assert page.run_button.isEnabled() and not page.cancel_button.isEnabled()


def test_cancel_stops_the_run(qtbot, page):
    page.chooser.select_lookup()
    page.n_spin.setValue(4000)  # far longer than the test waits
    page.prompts_box.setPlainText("one\ntwo\nthree")
    page.run()
    qtbot.waitUntil(lambda: "prompt 1/3" in page.status_label.text(), timeout=WAIT_MS)
    page.cancel()
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.summary_label.text().startswith("Cancelled")
    assert page.result is None
    assert len(page.chart.values()) == 0


def test_incompatible_models_are_listed_with_a_reason(page):
    assert "it is the target model" in page.chooser.missing_label.text()


def test_sample_prompts_show_no_escaped_newlines(page):
    text = page.prompts_box.toPlainText()
    assert "\\n" not in text and len(text.splitlines()) >= 3
