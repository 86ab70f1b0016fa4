"""Compare page: a real (tiny) comparison of demo models through the page —
run, cancel, resume, results table, plots, recommendation, export, history —
plus the refusals (incompatible vocabulary, too many files) and siblings."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ui.compare.page import ComparePage
from ui.compare.setup import MAX_FILES

CTX, CHUNKS = 128, 3
WAIT_MS = 120_000


FEEDS_OWN_SAMPLES = True  # the shared ctx fixture stops the live sampler


@pytest.fixture
def page(qtbot, ctx):
    page = ComparePage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.setup.ctx_spin.setValue(CTX)
    page.setup.chunks_spin.setValue(CHUNKS)
    yield page
    page.cancel()
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)


def wait_idle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)


def column(page, title: str) -> dict[str, str]:
    """Variant name -> displayed text of one column."""
    return {
        page.table.cell(r, "Variant").split()[0]: page.table.cell(r, title) for r in range(page.table.proxy.rowCount())
    }


def test_run_cancel_resume_and_results(qtbot, page, demo_ladder, tmp_path):
    ladder = [demo_ladder[q] for q in ("Q2_K", "F32", "Q8_0")]
    page.setup.add_files(ladder)
    assert page.run_button.isEnabled() and not page.cancel_button.isEnabled()

    # Cancel as soon as the first variant starts: the reference is finished by then.
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert page.is_running() and page.cancel_button.isEnabled() and page.progress.isVisible()
    qtbot.waitUntil(lambda: "Q8_0" in page.progress.format() or "Q2_K" in page.progress.format(), timeout=WAIT_MS)
    assert page.progress.value() > 0
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    assert page.outcome.cancelled
    assert 1 <= len(page.outcome.records) < 3
    assert "Cancelled" in page.state_label.text() and not page.progress.isVisible()

    # Run again: resumes, so the default reference (the largest, F32) is not evaluated again.
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    assert not page.outcome.cancelled and not page.error_banner.message
    assert str(demo_ladder["F32"]) not in page.outcome.evaluated
    assert page.outcome.records[0]["quant"] == "F32"
    # The reference's figures came from the first run: its row and the state line say cached, with the date.
    measured = column(page, "Measured")
    assert measured["F32"].startswith("cached · ") and not measured["Q2_K"].startswith("cached")
    assert "cached from earlier runs" in page.state_label.text() and page.remeasure_button.isEnabled()

    # Table: 3 rows with numbers; the reference sorts first (largest).
    assert page.table.proxy.rowCount() == 3
    kld = {name: float(text) for name, text in column(page, "KLD mean").items()}
    assert set(kld) == {"F32", "Q8_0", "Q2_K"}
    assert kld["F32"] == 0.0 and kld["Q2_K"] > kld["Q8_0"] > 0
    assert all(float(v) > 0 for v in column(page, "tg t/s").values())
    assert page.table.cell(0, "Variant") == "F32  (ref)"
    page.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # KLD mean, numerically
    assert [page.table.cell(r, "Variant").split()[0] for r in range(3)] == ["F32", "Q8_0", "Q2_K"]

    # Plots: one labelled point per model, at its size and KLD.
    series = page.quality_plot.series()
    assert sorted(s.pointLabelsFormat() for s in series) == ["F32", "Q2_K", "Q8_0"]
    assert all(s.count() == 1 and s.pointLabelsVisible() for s in series)
    q2 = next(s for s in series if s.pointLabelsFormat() == "Q2_K").at(0)
    assert q2.y() == pytest.approx(kld["Q2_K"], rel=1e-3)
    assert q2.x() == pytest.approx(demo_ladder["Q2_K"].stat().st_size / 2**20)
    assert page.quality_plot.y_axis.max() > q2.y()
    assert len(page.speed_plot.series()) == 3

    assert page.recommendation.text().strip()
    assert "KLD of the reference" in page.recommendation.text()

    # Export writes JSON off the GUI thread.
    target = tmp_path / "out.json"
    assert page.export_buttons["json"].isEnabled()
    page.export("json", target)
    wait_idle(qtbot, page)
    parsed = json.loads(target.read_text())
    assert parsed["results"][0]["quant"] == "F32"  # the reference first, then the variants as given
    assert {r["quant"]: r["kld_mean"] for r in parsed["results"]} == pytest.approx(
        {r["quant"]: r["kld_mean"] for r in page.records}
    )
    assert parsed["meta"]["n_ctx"] == CTX and "Saved" in page.state_label.text()

    # History lists the run; reopening it shows the same records.
    assert page.history_box.count() == 1 and "3 result(s)" in page.history_box.currentText()
    page.table.set_records([])
    page._open_history(0)
    wait_idle(qtbot, page)
    assert page.table.proxy.rowCount() == 3

    # Re-measure: every model is measured again, nothing is marked cached.
    qtbot.mouseClick(page.remeasure_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, page)
    assert len(page.outcome.evaluated) == 3 and not page.error_banner.message
    assert not any(text.startswith("cached") for text in column(page, "Measured").values())
    assert "cached" not in page.state_label.text()

    png = Path(os.environ.get("WORKBENCH_COMPARE_PNG", tmp_path / "compare_page.png"))  # set it to look
    qtbot.wait(50)  # let the charts lay out before grabbing
    assert page.grab().save(str(png))
    assert png.stat().st_size > 10_000


def test_incompatible_variant_is_refused_with_the_reason(qtbot, page, demo_ladder, tmp_path, monkeypatch):
    import models.demo.weights as weights
    from models.demo.factory import SPECS
    from models.demo.vocab import build_vocab

    vocab = build_vocab()
    tokens = list(vocab.tokens)
    tokens[300] += "X"
    monkeypatch.setattr(weights, "build_vocab", lambda: dataclasses.replace(vocab, tokens=tuple(tokens)))
    other = tmp_path / "other-vocab.gguf"
    weights.write_gguf(other, SPECS["tiny"], 0, "F32")

    page.setup.add_files([demo_ladder["F32"], other])
    page.setup.set_reference(demo_ladder["F32"])
    page.run()
    wait_idle(qtbot, page)
    message = page.error_banner.message
    assert "other-vocab.gguf" in message and "token 300 differs" in message
    assert "Traceback" not in message and not page.records
    assert page.state_label.text() == "Not compared"


def test_add_siblings_finds_the_ladder_and_caps_the_count(qtbot, page, demo_ladder):
    page.setup.add_files([demo_ladder["F32"]])
    assert not page.run_button.isEnabled()  # one file is not a comparison
    page.setup.siblings_button.click()
    wait_idle(qtbot, page)
    assert set(page.setup.files) == set(demo_ladder.values())
    assert page.run_button.isEnabled()
    assert page.setup.reference_box.count() == len(demo_ladder) + 1  # "largest" + each file

    extra = [Path(f"/nowhere/extra-{i}.gguf") for i in range(3)]
    page.setup.add_files(extra)
    assert len(page.setup.files) == MAX_FILES
    assert f"At most {MAX_FILES}" in page.error_banner.message


def test_kv_types_axis_on_the_page(qtbot, page, demo_ladder):
    """Every file at every K/V type: KV columns, the f16 reference row, the Pareto view and the pick."""
    page.setup.add_files([demo_ladder["F32"], demo_ladder["Q4_K_M"]])
    page.setup.kv_edit.setText("f16,q8_0/f16")
    page.setup.chunks_spin.setValue(2)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.busy, timeout=3 * WAIT_MS)  # 2 KV types: twice the variants
    assert not page.error_banner.message and not page.outcome.cancelled
    rows = {(page.table.cell(r, "File"), page.table.cell(r, "KV")) for r in range(page.table.proxy.rowCount())}
    assert rows == {(f, kv) for f in ("workbench-tiny-F32.gguf", "workbench-tiny-Q4_K_M.gguf")
                    for kv in ("f16", "q8_0/f16")}
    model = page.table.model()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert not page.table.isColumnHidden(titles.index("KV MiB"))
    reference = next(r for r in page.records if r.get("role") == "reference")
    assert reference["kv"] == "f16" and reference["kld_mean"] == 0.0
    mixed = [r for r in page.records if r["kv"] == "q8_0/f16"]
    assert len(mixed) == 2 and all(r["kv_bytes"] < reference["kv_bytes"] for r in mixed)
    assert len(page.pareto_plot.points) == 4 and "F32" in page.pareto_plot.front
    # The tiny Q4_K_M is far off (KLD ~0.1); the F32 file with a q8_0 K cache is the one within tolerance.
    assert page.recommendation.text().startswith("F32 @ q8_0/f16 KV is the smallest variant")
    assert "KV cache at 128 tokens" in page.recommendation.text()
