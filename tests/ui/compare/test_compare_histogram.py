"""Per-token KLD histogram on the Compare page: drawn for the chosen variant
from the run folder, also for a reopened run; old runs without per-token
values say so."""

from __future__ import annotations

import math

import pytest

from app.cli.compare_cmd import read_text
from app.compare.run_store import load_run_records
from app.compare.runner import CompareConfig, CompareRunner
from ui.compare.page import ComparePage

WAIT_MS = 60_000
FEEDS_OWN_SAMPLES = True


@pytest.fixture
def run(demo_ladder):
    text, name = read_text(None)
    spec = CompareConfig(demo_ladder["F32"], [demo_ladder["Q8_0"], demo_ladder["Q2_K"]], text, name, n_ctx=128,
                       n_chunks=3, n_threads=1, speed=False)
    return CompareRunner(spec).run()


@pytest.fixture
def page(qtbot, ctx):
    page = ComparePage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    yield page
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)


def bar_counts(page) -> list[int]:
    return page.histogram.chart.shown_counts()


def log_center(histogram) -> float:
    """Token-weighted mean of log10(bin start); the "below" bin counts one step lower."""
    edges = histogram.edges
    starts = [2 * math.log10(edges[0]) - math.log10(edges[1])] + [math.log10(e) for e in edges[:-1]]
    return sum(s * c for s, c in zip(starts, histogram.counts, strict=True)) / sum(histogram.counts)


def test_histogram_of_the_chosen_variant(qtbot, page, run):
    page.show_records(run.records, {"run_dir": str(run.run_dir)})
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    q8, q2 = run.records[1], run.records[2]
    assert page.histogram.variant_box.currentText() == "Q2_K"  # the largest KLD is shown first
    assert "Q2_K" in page.histogram.chart.chart().title()
    assert sum(bar_counts(page)) == q2["n_tokens_scored"]
    q2_center = log_center(page.histogram.chart.histogram)

    page.histogram.select("Q8_0")
    qtbot.waitUntil(lambda: "Q8_0" in page.histogram.chart.chart().title(), timeout=WAIT_MS)
    assert sum(bar_counts(page)) == q8["n_tokens_scored"]
    # Q8_0's tokens sit decades lower than Q2_K's.
    assert log_center(page.histogram.chart.histogram) < q2_center - 1
    assert "median" in page.histogram.note.text()


def test_reopened_run_shows_the_histogram_and_old_runs_say_why_not(qtbot, page, run):
    records = load_run_records(run.run_dir)
    page.show_records(records, {"run_dir": str(run.run_dir)})
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert sum(bar_counts(page)) == records[-1]["n_tokens_scored"]

    for path in run.run_dir.glob("results/*.kld.npy"):
        path.unlink()  # as a run from before per-token values were kept
    page.show_records(load_run_records(run.run_dir), {"run_dir": str(run.run_dir)})
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.histogram.chart.area() is None and bar_counts(page) == []
    assert "no per-token values" in page.histogram.note.text()
