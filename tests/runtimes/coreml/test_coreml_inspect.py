"""Core ML inspection works on every OS: the demo package's spec, read back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("coremltools", reason="coremltools is a project dependency; run scripts/setup.sh")

from app.cli.main import main  # noqa: E402
from models.demo.coreml import CLASSES, INPUT_SHAPE, MIL_NAME, build_demo_coreml, demo_program  # noqa: E402
from models.tensor.coreml_convert import save_mil_program  # noqa: E402
from runtimes.registry import get_runtime, runtime_for  # noqa: E402


@pytest.fixture(scope="module")
def demo_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = dict(build_demo_coreml(tmp_path_factory.mktemp("coreml")))
    return files["coreml-mil"]


def test_the_registry_picks_coreml_for_packages_and_mlmodel_files(demo_package):
    assert runtime_for(demo_package).name == "coreml"
    assert runtime_for(Path("model.mlmodel")).name == "coreml"
    assert "tensor-inference" in {c.value for c in get_runtime("coreml").capabilities}


def test_describe_reads_inputs_outputs_and_ops_of_the_demo(demo_package):
    info = runtime_for(demo_package).describe_model(demo_package)
    assert info["model_type"] == "mlProgram"
    assert info["format"] == "mlpackage"
    assert [(f["name"], f["kind"], f["dtype"], f["shape"]) for f in info["inputs"]] == [
        ("image", "multiArray", "float32", list(INPUT_SHAPE))
    ]
    assert [(f["name"], f["dtype"], f["shape"]) for f in info["outputs"]] == [("probs", "float32", [1, CLASSES])]
    ops = info["op_counts"]
    for op in ("conv", "relu", "reduce_mean", "linear", "softmax"):
        assert ops[op] == 1, op
    # float16 compute: the float32 input is cast in and the output cast back out.
    assert ops["cast"] == 2
    assert info["op_total"] == sum(ops.values())
    assert info["compute_precision"] == "float16"
    assert info["functions"] == ["main (CoreML5)"]
    assert info["spec_version"] == 6 and info["deployment_target"] == "iOS 15 / macOS 12"
    assert info["metadata"]["short_description"].startswith("Workbench demo")
    assert info["metadata"]["com.github.apple.coremltools.source"] == "milinternal"
    # The whole package, weights included: conv 16x3x3x3 + fc 10x16 in float16 alone are > 1 KiB.
    assert info["size_bytes"] > 1024
    json.dumps(info)  # plain data, ready for --json


def test_float32_programs_report_float32_and_need_no_casts(tmp_path):
    path = save_mil_program(demo_program(), tmp_path / "fp32.mlpackage", precision="float32")
    info = runtime_for(path).describe_model(path)
    assert info["compute_precision"] == "float32"
    assert "cast" not in info["op_counts"]


def test_a_neural_network_mlmodel_lists_its_layers(tmp_path):
    from models.tensor.coremltools_import import import_coremltools

    ct = import_coremltools()
    model = ct.convert(demo_program(), convert_to="neuralnetwork")
    path = tmp_path / "convnet.mlmodel"
    model.save(str(path))
    info = runtime_for(path).describe_model(path)
    assert info["model_type"] == "neuralNetwork"
    assert info["format"] == "mlmodel"
    assert info["op_counts"]["convolution"] == 1 and info["op_counts"]["innerProduct"] == 1
    assert info["compute_precision"] == "chosen by the compute unit (weights: float32)"
    assert info["inputs"][0]["shape"] == list(INPUT_SHAPE)


def test_flexible_input_shapes_are_reported(tmp_path):
    from models.tensor.coremltools_import import import_coremltools

    ct = import_coremltools()
    from coremltools.converters.mil.mil.program import get_new_symbol

    mb = ct.converters.mil.Builder
    weight = np.ones((4, 8), np.float32)

    @mb.program(input_specs=[mb.TensorSpec(shape=(get_new_symbol(), 8))])
    def program(x):
        return mb.linear(x=x, weight=weight, name="y")

    model = ct.convert(
        program,
        convert_to="mlprogram",
        inputs=[ct.TensorType(name="x", shape=ct.EnumeratedShapes(shapes=[(1, 8), (4, 8)], default=(1, 8)))],
    )
    model.save(str(tmp_path / "flex.mlpackage"))
    info = runtime_for(tmp_path / "flex.mlpackage").describe_model(tmp_path / "flex.mlpackage")
    assert info["inputs"][0]["shapes"] == [[1, 8], [4, 8]]
    assert info["inputs"][0]["shape"] == [1, 8]


def test_demo_models_cli_builds_the_coreml_kind(tmp_path, capsys):
    assert main(["demo-models", str(tmp_path), "--kinds", "coreml"]) == 0
    out = capsys.readouterr().out
    assert "coreml-mil" in out and str(tmp_path / MIL_NAME) in out
    assert (tmp_path / MIL_NAME / "Manifest.json").is_file()


def test_inspect_cli_describes_a_package(demo_package, capsys):
    assert main(["inspect", str(demo_package)]) == 0
    text = capsys.readouterr().out
    assert "model type         mlProgram" in text
    assert "compute precision  float16" in text
    assert "conv 1" in text and "softmax 1" in text
    assert "image" in text and "[1, 3, 32, 32]" in text
    assert main(["inspect", str(demo_package), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["outputs"][0]["name"] == "probs"


def test_inspect_cli_names_the_missing_piece(demo_package, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken.mlpackage"
    shutil.copytree(demo_package, broken)
    (broken / "Manifest.json").unlink()
    assert main(["inspect", str(broken)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"workbench: error: {broken}: not a complete Core ML package: Manifest.json is missing"
    )
