"""`workbench infer` and `workbench inspect` on ONNX files, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli.main import main
from tests.support.onnx_models import relu_model, truncated_copy


@pytest.fixture(scope="module")
def mlp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from models.demo.onnx import build_demo_onnx

    return dict(build_demo_onnx(tmp_path_factory.mktemp("onnx-cli"), None))["ONNX MLP"]


def test_infer_with_npy_input_json(mlp, tmp_path, capsys):
    from runtimes.onnx.options import OnnxLoadOptions
    from runtimes.registry import get_runtime
    from runtimes.requests import TensorRequest

    x = np.random.default_rng(3).standard_normal((2, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    assert main(["infer", str(mlp), "--input", f"features={tmp_path / 'x.npy'}", "--json", "--save",
                 str(tmp_path / "out")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["runtime"] == "onnxruntime" and result["device"] == "cpu"
    assert result["inputs_from_files"] == {"features": str(tmp_path / "x.npy")}
    output = result["outputs"]["probabilities"]
    assert output["shape"] == [2, 10] and output["dtype"] == "float32"
    assert result["metrics"]["latency_ms"] > 0 and result["peak_rss_bytes"] > 0
    session = get_runtime("onnxruntime").open_session(mlp, OnnxLoadOptions())
    expected = list(session.run(TensorRequest({"features": x})))[-1].result["probabilities"]
    np.testing.assert_allclose(np.array(output["values"], np.float32), expected, rtol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "out" / "probabilities.npy"), expected, rtol=1e-6)


def test_infer_text_output_with_zero_fill(mlp, capsys):
    assert main(["infer", str(mlp), "--fill", "zeros", "--provider", "CPU"]) == 0
    out = capsys.readouterr().out
    assert "(onnxruntime, CPU)" in out and "none given; others zeros" in out
    assert "probabilities  float32 [1, 10]  min 0.1  max 0.1  mean 0.1" in out
    assert "latency" in out and "worker peak RSS" in out


@pytest.mark.parametrize(
    ("make_input", "message"),
    [
        (lambda d: np.save(d / "a.npy", np.zeros((1, 64), np.float64)), "input 'features' expects float32"),
        (lambda d: np.save(d / "a.npy", np.zeros((1, 3), np.float32)), "axis 1 must be 64"),
        (lambda d: (d / "a.npy").write_text("1,2,3"), "not a .npy file"),
    ],
)
def test_infer_bad_npy_is_one_line(mlp, tmp_path, capsys, make_input, message):
    make_input(tmp_path)
    assert main(["infer", str(mlp), "-i", f"features={tmp_path / 'a.npy'}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workbench: error:") and message in err and "Traceback" not in err


def test_infer_unknown_input_name(mlp, tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.zeros((1, 64), np.float32))
    assert main(["infer", str(mlp), "-i", f"pixels={tmp_path / 'a.npy'}"]) == 1
    assert "the model has no input 'pixels'; its inputs: features" in capsys.readouterr().err


def test_infer_bad_models(mlp, tmp_path, capsys):
    assert main(["infer", str(truncated_copy(mlp, tmp_path / "cut.onnx"))]) == 1
    assert "truncated or corrupt" in capsys.readouterr().err
    assert main(["infer", str(relu_model(tmp_path / "new.onnx", opset=99))]) == 1
    assert "unsupported opset" in capsys.readouterr().err
    assert main(["infer", str(tmp_path / "model.xyz")]) == 1
    assert "no runtime loads" in capsys.readouterr().err


def test_inspect_describes_onnx(mlp, capsys):
    assert main(["inspect", str(mlp)]) == 0
    out = capsys.readouterr().out
    assert "opsets" in out and "ai.onnx 17" in out
    assert "inputs:" in out and "features" in out and "[batch, 64]" in out
    assert "outputs:" in out and "probabilities" in out
    assert main(["inspect", str(mlp), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["inputs"][0]["shape"] == ["batch", 64] and info["ir_version"] == 8


def test_inspect_gguf_is_unchanged(demo_model, capsys):
    assert main(["inspect", str(demo_model)]) == 0
    out = capsys.readouterr().out
    assert "GGUF version" in out and "tensor types:" in out
