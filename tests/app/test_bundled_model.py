"""The bundled model (installer carries a GGUF + preset) and the build flavour stamp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.build_flavour import read_flavour
from app.bundled_model import find_bundled_model
from models.errors import WorkbenchError


def write_bundle(folder: Path, model: Path, preset: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / model.name).write_bytes(model.read_bytes())
    (folder / "preset.json").write_text(json.dumps(preset))
    return folder


def test_no_bundle_in_a_source_checkout(monkeypatch):
    monkeypatch.delenv("WORKBENCH_BUNDLE_DIR", raising=False)
    assert find_bundled_model() is None


def test_bundle_preset_is_read(tmp_path, monkeypatch, demo_model):
    preset = {"model": demo_model.name, "name": "Demo", "system_prompt": "Be brief.",
              "sampling": {"temperature": 0.2, "max_tokens": 32}}
    monkeypatch.setenv("WORKBENCH_BUNDLE_DIR", str(write_bundle(tmp_path / "b", demo_model, preset)))
    bundled = find_bundled_model()
    assert bundled.path == tmp_path / "b" / demo_model.name
    assert (bundled.name, bundled.system_prompt) == ("Demo", "Be brief.")
    assert (bundled.sampling.temperature, bundled.sampling.max_tokens, bundled.sampling.top_k) == (0.2, 32, 40)


@pytest.mark.parametrize(
    ("preset", "message"),
    [
        ({}, "no \"model\""),
        ({"model": "missing.gguf"}, "is missing"),
        ({"model": "MODEL", "sampling": {"temprature": 1}}, "unknown sampling keys"),
    ],
)
def test_broken_bundle_is_reported(tmp_path, monkeypatch, demo_model, preset, message):
    preset = {k: demo_model.name if v == "MODEL" else v for k, v in preset.items()}
    monkeypatch.setenv("WORKBENCH_BUNDLE_DIR", str(write_bundle(tmp_path / "b", demo_model, preset)))
    with pytest.raises(WorkbenchError, match=message):
        find_bundled_model()


def test_source_install_flavour():
    flavour = read_flavour()
    assert (flavour.flavour, flavour.frozen) == ("source", False)
    assert flavour.describe() == "source install"


def test_runtimes_command_shows_the_build(capsys):
    from app.cli.main import main

    assert main(["runtimes"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "build: source install"


def test_a_stamped_bundle_reports_its_flavour(tmp_path, monkeypatch):
    import app.build_flavour as build_flavour

    (tmp_path / build_flavour.STAMP_NAME).write_text('{"flavour": "cuda", "target": "linux-deb", "built_at": "d"}')
    monkeypatch.setattr(build_flavour, "files", lambda _package: tmp_path)
    assert read_flavour().describe() == "cuda bundle (linux-deb, built d)"
