"""Tensors page (offscreen): open an ONNX model, see its signature, run it,
benchmark it per provider, cancel; bad files and non-tensor models get a
readable error; a Core ML package goes through the same page."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.support.onnx_models import truncated_copy
from ui.tensors.page import TensorPage

WAIT_MS = 60_000
FEEDS_OWN_SAMPLES = True  # the shared ctx fixture stops the live sampler


@pytest.fixture(scope="module")
def demo_onnx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from models.demo.onnx import build_demo_onnx

    return dict(build_demo_onnx(tmp_path_factory.mktemp("tensor-page"), None))


@pytest.fixture
def page(qtbot, ctx):
    widget = TensorPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.shutdown()
    qtbot.waitUntil(lambda: not widget.busy, timeout=WAIT_MS)


def open_model(qtbot, page, path: Path) -> None:
    with qtbot.waitSignal(page.described, timeout=WAIT_MS):
        page.open_path(path)


def test_open_describes_the_model_and_devices(qtbot, page, demo_onnx):
    open_model(qtbot, page, demo_onnx["ONNX MLP"])
    inputs = page.info_view.tables["inputs"]
    assert [inputs.item(0, c).text() for c in range(3)] == ["features", "float32", "[batch, 64]"]
    assert page.info_view.tables["outputs"].item(0, 0).text() == "probabilities"
    assert page.info_view.facts["opsets"] == "ai.onnx 17"
    assert page.info_view.facts["producer"] == "workbench demo-models"
    ids = [page.device_box.itemData(i) for i in range(page.device_box.count())]
    assert "cpu" in ids and "cuda" in ids and page.device_box.currentData() == "cpu"
    for i, device in enumerate(page.model.devices):
        assert page.device_box.model().item(i).isEnabled() == device.available
    assert page.bench.devices.checked_ids() == [d.id for d in page.model.devices if d.available]
    assert page.run_button.isEnabled() and page.bench.bench_button.isEnabled()
    assert "onnxruntime" in page.status_label.text()


def test_run_once_with_zero_inputs(qtbot, page, demo_onnx):
    open_model(qtbot, page, demo_onnx["ONNX MLP"])
    page.fill_box.setCurrentText("zeros")
    with qtbot.waitSignal(page.ran, timeout=WAIT_MS):
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    text = page.output_view.toPlainText()
    assert "probabilities  float32 [1, 10]  min 0.1  max 0.1  mean 0.1" in text
    assert "latency" in text and page.outcome.device == "cpu"
    assert page.error_banner.message == ""


def test_benchmark_fills_percentiles_per_provider_without_blocking(qtbot, page, demo_onnx):
    open_model(qtbot, page, demo_onnx["ONNX convnet"])
    page.bench.runs_spin.setValue(5)
    t0 = time.perf_counter()
    qtbot.mouseClick(page.bench.bench_button, Qt.MouseButton.LeftButton)
    assert time.perf_counter() - t0 < 0.5  # the click only starts a worker
    assert page.busy and page.bench.cancel_button.isEnabled() and not page.run_button.isEnabled()
    with qtbot.waitSignal(page.bench_finished, timeout=WAIT_MS):
        pass
    table = page.bench.table
    assert table.rowCount() == len(page.bench.devices.checked_ids()) >= 1
    assert table.columns[:5] == ("provider", "n_runs", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms")
    row = [table.records[0]["provider"]] + [float(table.text(0, c)) for c in table.columns[2:5]]
    assert row[0] == "CPU" and 0 < row[1] <= row[2] <= row[3]
    assert "benchmarked on 1 device(s)" in page.status_label.text()
    assert not page.busy and page.run_button.isEnabled()
    # 5 runs asked, a fast model runs on to 100 runs and 1 s: the page says so, and no exponents.
    assert table.records[0]["n_runs"] > 5 and "Asked for 5 runs; ran up to" in page.bench.note.text()
    assert "e+" not in table.text(0, "throughput_rps") and table.horizontalHeaderItem(2).text() == "latency p50 (ms)"


def test_benchmark_cancel(qtbot, page, demo_onnx):
    open_model(qtbot, page, demo_onnx["ONNX convnet"])
    page.bench.runs_spin.setValue(100_000)
    qtbot.mouseClick(page.bench.bench_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "runs" in page.bench.progress.format(), timeout=WAIT_MS)
    with qtbot.waitSignal(page.bench_finished, timeout=WAIT_MS):
        qtbot.mouseClick(page.bench.cancel_button, Qt.MouseButton.LeftButton)
    assert not page.busy and page.bench.bench_button.isEnabled()
    assert all(r["n_runs"] < 100_000 for r in page.bench.table.records)


def test_truncated_file_shows_a_readable_error(qtbot, page, demo_onnx, tmp_path):
    broken = truncated_copy(demo_onnx["ONNX MLP"], tmp_path / "broken.onnx")
    open_model(qtbot, page, broken)
    assert "truncated or corrupt" in page.error_banner.message
    assert not page.run_button.isEnabled() and not page.bench.bench_button.isEnabled()


def test_text_models_are_sent_elsewhere(qtbot, page, demo_model):
    open_model(qtbot, page, demo_model)
    message = page.error_banner.message
    assert "is a llama.cpp model (text-generation" in message and "not a tensor model" in message


def test_core_ml_package_through_the_same_page(qtbot, page, tmp_path):
    pytest.importorskip("coremltools")
    from models.demo.catalog import demo_builder

    (_, package), *_ = demo_builder("coreml")(tmp_path, None)
    open_model(qtbot, page, package)
    assert page.model.runtime == "coreml" and "inputs" in page.info_view.tables
    if sys.platform != "darwin":
        assert not page.run_button.isEnabled() and "macOS" in page.run_button.toolTip()
        assert "cannot run here" in page.status_label.text()
