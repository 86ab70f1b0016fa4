"""Core ML predictions and benchmarks per compute unit.

They run only on macOS (Core ML is a macOS framework); elsewhere the macOS
tests skip with the runtime's own reason, and the refusal itself is tested.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("coremltools", reason="coremltools is a project dependency; run scripts/setup.sh")

from app.cli.main import main  # noqa: E402
from models.demo.coreml import CLASSES, INPUT_SHAPE, build_demo_coreml, demo_weights  # noqa: E402
from runtimes.base import Availability, BenchSpec, LoadOptions  # noqa: E402
from runtimes.coreml.options import CoreMLLoadOptions  # noqa: E402
from runtimes.coreml.platform_support import COMPUTE_UNITS, prediction_support  # noqa: E402
from runtimes.errors import NotSupported  # noqa: E402
from runtimes.events import Done  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import TensorRequest  # noqa: E402
from runtimes.worker.host import WorkerSession  # noqa: E402

RUNTIME = get_runtime("coreml")
PREDICTION = prediction_support()
on_macos = pytest.mark.skipif(not PREDICTION.ok, reason=PREDICTION.reason)
off_macos = pytest.mark.skipif(sys.platform == "darwin", reason="checks the refusal off macOS")


@pytest.fixture(scope="module")
def demo_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dict(build_demo_coreml(tmp_path_factory.mktemp("coreml")))["coreml-mil"]


def reference_probs(image: np.ndarray) -> np.ndarray:
    """The demo classifier in numpy: 3x3 'same' conv, relu, mean pool, linear, softmax."""
    w = demo_weights()
    padded = np.pad(image[0], ((0, 0), (1, 1), (1, 1)))
    height, width = image.shape[2:]
    conv = np.zeros((w["conv_w"].shape[0], height, width), np.float64)
    for dy in range(3):
        for dx in range(3):
            conv += np.einsum("oc,chw->ohw", w["conv_w"][:, :, dy, dx], padded[:, dy : dy + height, dx : dx + width])
    pooled = np.maximum(conv + w["conv_b"][:, None, None], 0).mean(axis=(1, 2))
    logits = w["fc_w"] @ pooled + w["fc_b"]
    exp = np.exp(logits - logits.max())
    return (exp / exp.sum())[None, :]


# --- off macOS: refused, with the reason, before any worker ---------------------------------


@off_macos
def test_availability_says_predictions_need_macos_and_inspection_works():
    assert not PREDICTION.ok
    assert PREDICTION.reason.startswith("Core ML predictions need macOS; this is Linux")
    assert "inspection and conversion work" in PREDICTION.reason
    # The runtime itself is usable (inspection, conversion) and carries the reason as its note.
    # The badge's short text says what it can do here.
    assert RUNTIME.availability() == Availability(True, PREDICTION.reason, "Inspect only (predict needs macOS)")


@off_macos
def test_every_compute_unit_is_listed_unavailable_with_the_reason():
    devices = RUNTIME.devices()
    assert [d.id for d in devices] == list(COMPUTE_UNITS)
    assert all(not d.available and d.reason == PREDICTION.reason for d in devices)


@off_macos
def test_open_session_raises_not_supported_with_the_reason(demo_package):
    with pytest.raises(NotSupported) as refused:
        RUNTIME.open_session(demo_package, CoreMLLoadOptions(compute_units="CPU_ONLY"))
    assert str(refused.value) == f"Core ML cannot predict on CPU_ONLY: {PREDICTION.reason}"


@off_macos
def test_load_refuses_in_the_parent_without_starting_a_worker(demo_package, monkeypatch):
    started = []
    monkeypatch.setattr(WorkerSession, "start", classmethod(lambda *a, **k: started.append(a)))
    with pytest.raises(NotSupported, match="Core ML predictions need macOS"):
        RUNTIME.load(demo_package, LoadOptions())
    assert started == []


@off_macos
def test_bench_runs_refuse_with_the_reason(demo_package):
    with pytest.raises(NotSupported) as refused:
        RUNTIME.bench_runs(demo_package, BenchSpec())
    assert str(refused.value) == f"cannot benchmark {demo_package.name}: {PREDICTION.reason}"


@off_macos
def test_bench_cli_prints_the_reason(demo_package, capsys):
    assert main(["bench", str(demo_package)]) == 1
    assert "Core ML predictions need macOS" in capsys.readouterr().err


@off_macos
def test_infer_cli_prints_the_reason(demo_package, capsys):
    assert main(["infer", str(demo_package), "--device", "CPU_AND_NE"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: Core ML cannot predict on CPU_AND_NE: Core ML predictions need macOS")


def test_runtimes_cli_lists_coreml_with_its_reason(capsys):
    assert main(["runtimes", "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["name"] == "coreml")
    assert row["available"] is True and row["reason"] == PREDICTION.reason
    assert [d["id"] for d in row["devices"]] == list(COMPUTE_UNITS)
    assert row["capabilities"] == ["tensor-inference"]


# --- macOS: real predictions on every compute unit ------------------------------------------


@on_macos
@pytest.mark.parametrize("units", COMPUTE_UNITS)
def test_prediction_matches_numpy_on_each_compute_unit(demo_package, units):
    image = np.random.default_rng(1).standard_normal(INPUT_SHAPE).astype(np.float32)
    with RUNTIME.load(demo_package, CoreMLLoadOptions(compute_units=units)) as session:
        events = list(session.run(TensorRequest(inputs={"image": image})))
    assert isinstance(events[-1], Done), events[-1]
    probs = events[-1].result["probs"]
    assert probs.shape == (1, CLASSES)
    # float16 compute: agreement to ~1e-2 in probability.
    np.testing.assert_allclose(probs, reference_probs(image), atol=2e-2)


@on_macos
def test_infer_cli_runs_on_a_compute_unit(demo_package, capsys):
    assert main(["infer", str(demo_package), "--device", "CPU_AND_NE", "--fill", "zeros", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["runtime"] == "coreml" and result["outputs"]["probs"]["shape"] == [1, CLASSES]
    expected = reference_probs(np.zeros(INPUT_SHAPE, np.float32))
    np.testing.assert_allclose(result["outputs"]["probs"]["values"], expected, atol=2e-2)


@on_macos
def test_filled_inputs_predict_in_the_declared_shape(demo_package):
    with RUNTIME.load(demo_package, CoreMLLoadOptions(compute_units="CPU_ONLY")) as session:
        zeros = list(session.run(TensorRequest(fill="zeros")))[-1].result["probs"]
        noise = list(session.run(TensorRequest(fill="random", seed=3)))[-1].result["probs"]
    np.testing.assert_allclose(zeros, reference_probs(np.zeros(INPUT_SHAPE, np.float32)), atol=2e-2)
    assert noise.shape == (1, CLASSES) and abs(float(noise.sum()) - 1) < 1e-2


@on_macos
def test_bench_reports_percentiles_per_compute_unit(demo_package, capsys):
    assert main(["bench", str(demo_package), "-r", "20", "-o", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["compute_units"] for r in records] == [d.id for d in RUNTIME.devices() if d.available]
    for record in records:
        assert record["n_runs"] >= 100  # a p99 needs ~100 samples; the bench runs until it has them
        p50, p95, p99 = (record[f"latency_p{p}_ms"] for p in (50, 95, 99))
        assert 0 < record["latency_min_ms"] <= p50 <= p95 <= p99 <= record["latency_max_ms"]
        assert record["throughput_rps"] > 0 and record["first_run_ms"] > 0
        assert record["inputs"] == "image:1x3x32x32:float32"


@on_macos
def test_bench_markdown_shows_the_speedup_over_cpu(demo_package, capsys):
    assert main(["bench", str(demo_package), "-r", "5", "--compute-units", "CPU_ONLY,CPU_AND_NE"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "vs CPU_ONLY (p50)" in table[0]
    assert table[2].startswith("| CPU_ONLY") and table[2].rstrip(" |").endswith("1.00x")
    assert table[3].startswith("| CPU_AND_NE")


@off_macos
def test_runtimes_cli_text_marks_the_compute_units_unavailable(capsys):
    assert main(["runtimes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index(f"coreml: available - {PREDICTION.reason}")
    units = [line for line in lines[start + 1 : start + 6] if line.startswith("  device ")]
    assert len(units) == 4 and all(line.endswith(" - unavailable: see above") for line in units)


def test_without_coremltools_the_runtime_is_unavailable_and_says_how_to_install(demo_package, monkeypatch):
    import importlib.metadata

    from models.errors import WorkbenchError

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    monkeypatch.setitem(sys.modules, "coremltools", None)  # `import coremltools` now fails
    hint = "coremltools is not installed; pip install 'coremltools>=9,<10'"
    assert RUNTIME.availability() == Availability(False, hint)
    assert all(not d.available and d.reason == hint for d in RUNTIME.devices())
    with pytest.raises(WorkbenchError, match="coremltools is not installed"):
        RUNTIME.describe_model(demo_package)
