"""A Core ML file that is missing pieces or cut short gets an error naming the
piece, raised in the parent before any worker process starts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("coremltools", reason="coremltools is a project dependency; run scripts/setup.sh")

from models.demo.coreml import build_demo_coreml  # noqa: E402
from models.errors import ModelFileError  # noqa: E402
from runtimes.coreml.options import CoreMLLoadOptions  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.worker.host import WorkerSession  # noqa: E402

SPEC = Path("Data/com.apple.CoreML/model.mlmodel")
WEIGHTS = Path("Data/com.apple.CoreML/weights/weight.bin")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dict(build_demo_coreml(tmp_path_factory.mktemp("coreml")))["coreml-mil"]


@pytest.fixture
def package(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / pristine.name
    shutil.copytree(pristine, copy)
    return copy


@pytest.fixture
def no_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a worker was started for a model that fails validation")

    monkeypatch.setattr(WorkerSession, "start", classmethod(refuse))


def problem(path: Path) -> str:
    runtime = get_runtime("coreml")
    with pytest.raises(ModelFileError) as described:
        runtime.describe_model(path)
    with pytest.raises(ModelFileError) as loaded:
        runtime.load(path, CoreMLLoadOptions())
    assert str(loaded.value) == str(described.value)
    return described.value.problem


def test_the_intact_package_passes(package):
    assert get_runtime("coreml").describe_model(package)["model_type"] == "mlProgram"


def test_missing_manifest(package, no_workers):
    (package / "Manifest.json").unlink()
    assert problem(package) == "not a complete Core ML package: Manifest.json is missing"


def test_manifest_that_is_not_json(package, no_workers):
    (package / "Manifest.json").write_text("{ not json")
    assert problem(package).startswith("Manifest.json is not readable JSON")


def test_manifest_without_a_root_model(package, no_workers):
    manifest = json.loads((package / "Manifest.json").read_text())
    del manifest["rootModelIdentifier"]
    (package / "Manifest.json").write_text(json.dumps(manifest))
    assert "names no root model" in problem(package)


def test_missing_model_spec(package, no_workers):
    (package / SPEC).unlink()
    assert problem(package) == "the model spec Data/com.apple.CoreML/model.mlmodel that Manifest.json names is missing"


def test_missing_weights(package, no_workers):
    shutil.rmtree(package / WEIGHTS.parent)
    assert problem(package) == "the weights file weights/weight.bin is missing"


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9])
def test_truncated_weights(package, no_workers, keep):
    data = (package / WEIGHTS).read_bytes()
    (package / WEIGHTS).write_bytes(data[: int(len(data) * keep)])
    assert problem(package).startswith("the weights file weights/weight.bin is truncated")


def test_overwritten_weights(package, no_workers):
    size = (package / WEIGHTS).stat().st_size
    (package / WEIGHTS).write_bytes(b"\0" * size)
    assert "is corrupt: no weight header" in problem(package)


def test_empty_model_spec(package, no_workers):
    (package / SPEC).write_bytes(b"")
    assert problem(package) == "the model spec is empty"


def test_a_package_that_is_a_file(tmp_path, no_workers):
    path = tmp_path / "model.mlpackage"
    path.write_bytes(b"PK\x03\x04 a zip, perhaps")
    assert problem(path) == "a .mlpackage is a folder, but this is a file"


def test_a_missing_file(tmp_path, no_workers):
    assert problem(tmp_path / "absent.mlpackage") == "does not exist"


@pytest.mark.parametrize("cut", ["1 byte", "2 bytes", "7 bytes", "half", "all but 1 byte"])
def test_truncated_mlmodel(pristine, tmp_path, no_workers, cut):
    """Every cut gives a clear error, whether protobuf fails to parse or parses what is left."""
    data = (pristine / SPEC).read_bytes()
    keep = {"half": len(data) // 2, "all but 1 byte": len(data) - 1}.get(cut) or int(cut.split()[0])
    path = tmp_path / "model.mlmodel"
    path.write_bytes(data[:keep])
    message = problem(path)
    assert "truncated" in message, message


def test_random_bytes_are_not_a_model(tmp_path, no_workers):
    path = tmp_path / "noise.mlmodel"
    path.write_bytes(bytes(range(256)) * 4)
    assert "not a Core ML model" in problem(path)


def test_an_ml_program_spec_without_its_package_loses_its_weights(pristine, tmp_path, no_workers):
    path = tmp_path / "lone.mlmodel"
    shutil.copy(pristine / SPEC, path)
    message = problem(path)
    assert message.startswith("the weights file weights/weight.bin is missing")
    assert "use the .mlpackage" in message
