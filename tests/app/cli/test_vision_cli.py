"""workbench generate --image / --mmproj, and demo-models --kinds vlm."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli.main import main
from tests.support.vision_fixtures import demo_vlm, picture  # noqa: F401 (fixture)


def test_generate_with_images(demo_vlm, tmp_path: Path, capsys):  # noqa: F811
    red, blue = tmp_path / "red.png", tmp_path / "blue.webp"
    red.write_bytes(picture((255, 0, 0)))
    blue.write_bytes(picture((0, 0, 255), fmt="WEBP"))
    args = ["generate", str(demo_vlm["model"]), "--image", str(red), "--image", str(blue),
            "-p", "Compare them", "-n", "6", "--temp", "0", "-t", "2", "--json"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    stats = json.loads(out)["stats"]
    assert (stats["n_images"], stats["n_image_tokens"]) == (2, 128) and stats["n_gen"] == 6
    assert stats["image_encode_s"] > 0
    assert "[vision:" in err and "mlp projector" in err and "64 tokens per image" in err


def test_generate_refuses_a_bad_image_before_loading(demo_vlm, tmp_path: Path, capsys):  # noqa: F811
    bad = tmp_path / "notes.png"
    bad.write_text("just text")
    assert main(["generate", str(demo_vlm["model"]), "--image", str(bad), "-p", "hi"]) == 1
    err = capsys.readouterr().err
    assert "notes.png is not a PNG, JPEG or WebP image" in err and "[vision:" not in err


def test_demo_models_builds_the_vlm(tmp_path: Path, capsys):
    assert main(["demo-models", str(tmp_path), "--kinds", "vlm"]) == 0
    assert (tmp_path / "workbench-vlm-tiny-F32.gguf").is_file()
    assert (tmp_path / "mmproj-workbench-vlm-tiny-F32.gguf").is_file()
