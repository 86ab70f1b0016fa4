"""The ONNX Runtime runtime: registry, providers, description, inference, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.errors import ModelFileError
from runtimes.base import LoadOptions
from runtimes.errors import LoadFailed, RuntimeUnavailable
from runtimes.events import Done, Error, Metrics
from runtimes.onnx.options import OnnxLoadOptions, onnx_options
from runtimes.registry import get_runtime, runtime_for
from runtimes.requests import TensorRequest
from tests.support.onnx_models import relu_model, truncated_copy


@pytest.fixture(scope="module")
def demo_onnx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from models.demo.onnx import build_demo_onnx

    files = build_demo_onnx(tmp_path_factory.mktemp("onnx-demo"), None)
    return {path.stem.removeprefix("workbench-"): path for _label, path in files}


@pytest.fixture(scope="module")
def mlp_session(demo_onnx):
    session = get_runtime("onnxruntime").open_session(demo_onnx["mlp"], OnnxLoadOptions(n_threads=1))
    yield session
    session.close()


def run(session, request) -> tuple[list, Done | Error]:
    events = list(session.run(request))
    return events, events[-1]


def mlp_forward(model_path: Path, x: np.ndarray) -> np.ndarray:
    """The demo MLP computed with numpy from its own weights."""
    import onnx
    from onnx import numpy_helper

    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(model_path)).graph.initializer}
    h = x.astype(np.float64)
    for i in range(3):
        h = h @ weights[f"w{i}"] + weights[f"b{i}"]
        if i < 2:
            h = np.maximum(h, 0)
    e = np.exp(h - h.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_registry_picks_onnxruntime_for_onnx_files(demo_onnx):
    runtime = runtime_for(demo_onnx["mlp"])
    assert runtime.name == "onnxruntime"
    assert runtime.availability().ok
    assert "CPU" in runtime.availability().reason


def test_providers_are_listed_with_reasons():
    import onnxruntime

    devices = {d.id: d for d in get_runtime("onnxruntime").devices()}
    assert {"cpu", "cuda", "tensorrt", "coreml", "directml", "openvino", "rocm"} <= devices.keys()
    assert devices["cpu"].available and onnxruntime.__version__ in devices["cpu"].reason
    installed = set(onnxruntime.get_available_providers())
    assert devices["cuda"].available == ("CUDAExecutionProvider" in installed)
    for device in devices.values():
        assert device.reason, f"{device.id} has no reason"
        if not device.available:
            assert "installed" not in device.reason


def test_unavailable_and_unknown_providers_are_refused_by_name():
    import onnxruntime

    from runtimes.onnx.providers import find, resolve

    assert [p.ort_name for p in resolve(["cpu", "CPU", "CPUExecutionProvider"])] == ["CPUExecutionProvider"]
    with pytest.raises(ValueError, match="known: CPU, CUDA"):
        find("warp-drive")
    if "OpenVINOExecutionProvider" not in onnxruntime.get_available_providers():
        with pytest.raises(RuntimeUnavailable, match="OpenVINO execution provider is unavailable.*-openvino"):
            resolve(["openvino"])


def test_describe_model_shows_signature_opset_and_size(demo_onnx):
    info = get_runtime("onnxruntime").describe_model(demo_onnx["mlp"])
    assert info["inputs"] == [{"name": "features", "shape": ["batch", 64], "dtype": "float32"}]
    assert info["outputs"] == [{"name": "probabilities", "shape": ["batch", 10], "dtype": "float32"}]
    assert info["opsets"] == {"ai.onnx": 17}
    assert info["ir_version"] == 8
    assert info["producer"] == "workbench demo-models"
    assert info["size_bytes"] == demo_onnx["mlp"].stat().st_size
    assert info["n_parameters"] == 64 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    assert info["ops"] == {"Gemm": 3, "Relu": 2, "Softmax": 1}
    assert info["kind"] == "tensor"


def test_given_input_matches_a_numpy_forward_pass(demo_onnx, mlp_session):
    x = np.random.default_rng(5).standard_normal((3, 64)).astype(np.float32)
    events, done = run(mlp_session, TensorRequest({"features": x}))
    assert isinstance(done, Done), done
    assert any(isinstance(e, Metrics) and e.values["latency_ms"] > 0 for e in events)
    out = done.result["probabilities"]
    assert out.shape == (3, 10) and out.dtype == np.float32
    np.testing.assert_allclose(out, mlp_forward(demo_onnx["mlp"], x), rtol=1e-4, atol=1e-6)


def test_fill_modes(mlp_session):
    _, zeros = run(mlp_session, TensorRequest(fill="zeros"))
    # Zero input and zero biases: every logit is 0, so softmax is uniform.
    np.testing.assert_allclose(zeros.result["probabilities"], np.full((1, 10), 0.1), atol=1e-6)
    _, a = run(mlp_session, TensorRequest(fill="random", seed=1))
    _, b = run(mlp_session, TensorRequest(fill="random", seed=1))
    _, c = run(mlp_session, TensorRequest(fill="random", seed=2))
    np.testing.assert_array_equal(a.result["probabilities"], b.result["probabilities"])
    assert not np.allclose(a.result["probabilities"], c.result["probabilities"])
    assert not np.allclose(a.result["probabilities"], 0.1)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"nope": np.zeros((1, 64), np.float32)}, "the model has no input 'nope'; its inputs: features"),
        ({"features": np.zeros((1, 64), np.float64)}, "input 'features' expects float32, the array is float64"),
        ({"features": np.zeros((2, 63), np.float32)}, "axis 1 must be 64"),
        ({"features": np.zeros((64,), np.float32)}, "expects 2 dimensions [batch, 64], the array has 1"),
    ],
)
def test_wrong_inputs_are_clear_errors_and_the_session_survives(mlp_session, inputs, message):
    _, error = run(mlp_session, TensorRequest(inputs))
    assert isinstance(error, Error) and error.kind == "input"
    assert message in error.message
    _, done = run(mlp_session, TensorRequest())
    assert isinstance(done, Done)


def test_dynamic_batch_takes_any_batch(mlp_session):
    _, done = run(mlp_session, TensorRequest({"features": np.ones((7, 64), np.float32)}))
    assert done.result["probabilities"].shape == (7, 10)


def test_plain_load_options_pick_the_provider():
    options = onnx_options(LoadOptions(device="cpu", n_threads=2, extra={"graph_optimization": "basic"}))
    assert options.provider_names == ("cpu",) and options.n_threads == 2 and options.graph_optimization == "basic"
    with pytest.raises(ValueError, match="unknown graph optimization"):
        OnnxLoadOptions(graph_optimization="max")


def test_truncated_file_is_refused_before_a_worker_starts(demo_onnx, tmp_path, monkeypatch):
    from runtimes.worker import host

    monkeypatch.setattr(host.WorkerSession, "start", lambda *a, **k: pytest.fail("a worker was started"))
    broken = truncated_copy(demo_onnx["mlp"], tmp_path / "broken.onnx")
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        get_runtime("onnxruntime").load(broken, OnnxLoadOptions())


def test_too_new_opset_is_refused_with_the_supported_version(tmp_path):
    from models.tensor.onnx_validate import supported_opsets

    newest = supported_opsets()[""]
    model = relu_model(tmp_path / "future.onnx", opset=newest + 2)
    with pytest.raises(ModelFileError, match=f"needs ai.onnx opset {newest + 2}.*supports up to opset {newest}"):
        get_runtime("onnxruntime").validate(model, OnnxLoadOptions())
    # onnxruntime's own refusal (when a newer onnx package let the file through) is one readable line too.
    with pytest.raises(LoadFailed, match=r"unsupported opset \d+: this onnxruntime supports up to opset \d+"):
        get_runtime("onnxruntime").open_session(model, OnnxLoadOptions())


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"\x00\x01garbage" * 100, "not a valid ONNX model"), (None, "no such file")],
)
def test_other_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.onnx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        get_runtime("onnxruntime").describe_model(path)


def test_missing_external_weights_are_named(demo_onnx, tmp_path):
    import onnx

    model = onnx.load(str(demo_onnx["mlp"]))
    path = tmp_path / "external.onnx"
    onnx.save(model, str(path), save_as_external_data=True, location="external.weights", size_threshold=0)
    assert get_runtime("onnxruntime").describe_model(path)["external_data"] == ["external.weights"]
    (tmp_path / "external.weights").unlink()
    with pytest.raises(ModelFileError, match="'external.weights' next to it, and that file is missing"):
        get_runtime("onnxruntime").describe_model(path)
