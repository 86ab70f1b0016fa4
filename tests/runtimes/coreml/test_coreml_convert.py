"""Conversion to Core ML: a MIL builder program (any machine with coremltools)
and a traced PyTorch module (only where torch is installed; it is optional)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("coremltools", reason="coremltools is a project dependency; run scripts/setup.sh")

from models.demo.coreml import CLASSES, INPUT_SHAPE, MIL_NAME, TORCH_NAME, build_demo_coreml, demo_program  # noqa: E402
from models.errors import ConversionError  # noqa: E402
from models.tensor.coreml_convert import convert_torch_module, save_mil_program  # noqa: E402
from runtimes.registry import runtime_for  # noqa: E402
from tests.runtimes.coreml.test_coreml_predict import reference_probs  # noqa: E402

NETWORK_OPS = ("conv", "relu", "reduce_mean", "linear", "softmax")


def needs_torch():
    return pytest.importorskip(
        "torch", reason="torch is optional and not installed, so the traced-PyTorch conversion is not tested here"
    )


def test_mil_conversion_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown precision 'int4'"):
        save_mil_program(demo_program(), tmp_path / "x.mlpackage", precision="int4")
    with pytest.raises(ValueError, match="saved as a .mlpackage folder, not 'x.mlmodel'"):
        save_mil_program(demo_program(), tmp_path / "x.mlmodel")


def test_without_torch_the_demo_is_the_mil_package_and_torch_conversion_says_why(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    files = build_demo_coreml(tmp_path)
    assert files == [("coreml-mil", tmp_path / MIL_NAME)]
    with pytest.raises(ConversionError, match="converting a PyTorch module needs torch"):
        convert_torch_module(object(), [np.zeros(1)], tmp_path / "t.mlpackage")


def test_traced_torch_module_converts_to_the_same_network(tmp_path):
    needs_torch()
    steps = []
    files = dict(build_demo_coreml(tmp_path, lambda done, total, label: steps.append((done, total, label))))
    assert files == {"coreml-mil": tmp_path / MIL_NAME, "coreml-torch": tmp_path / TORCH_NAME}
    assert steps[-1] == (2, 2, "done")
    mil, traced = (runtime_for(p).describe_model(p) for p in files.values())
    for info in (mil, traced):
        assert [(f["name"], f["shape"]) for f in info["inputs"]] == [("image", list(INPUT_SHAPE))]
        assert [(f["name"], f["shape"]) for f in info["outputs"]] == [("probs", [1, CLASSES])]
        assert info["compute_precision"] == "float16"
    assert traced["metadata"]["com.github.apple.coremltools.source"].startswith("torch")
    for op in NETWORK_OPS:
        assert traced["op_counts"].get(op) == 1, (op, traced["op_counts"])


def test_the_torch_module_and_the_numpy_reference_agree():
    """The macOS prediction tests compare Core ML with reference_probs; check that reference here."""
    torch = needs_torch()
    from models.demo.coreml import demo_torch_module

    image = np.random.default_rng(1).standard_normal(INPUT_SHAPE).astype(np.float32)
    with torch.no_grad():
        probs = demo_torch_module()(torch.from_numpy(image)).numpy()
    np.testing.assert_allclose(probs, reference_probs(image), rtol=1e-4, atol=1e-6)
