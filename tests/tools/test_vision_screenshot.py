"""A screenshot of a chat with pictures, on a real X server (Xvfb): the
thumbnails, the reply and its image stats are on screen. Kept in
$WORKBENCH_SCREENSHOT_DIR when that is set, for people to look at."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.tools.test_screenshots import ROOT, display  # noqa: F401 (fixture)

SKY = (150, 200, 240)  # the first picture's sky (tools.screenshots.vision_chat.scene)


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()  # own it: image dies here


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_chat_with_pictures_screenshot(display, theme, tmp_path):  # noqa: F811
    base = os.environ.get("WORKBENCH_SCREENSHOT_DIR")
    out = (Path(base) if base else tmp_path) / theme / "chat-with-images.png"
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", WORKBENCH_HOME=str(tmp_path / "home"))
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "tools.screenshots.vision_chat", str(out), "--theme", theme],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads([line for line in result.stdout.splitlines() if line.startswith("{")][-1])
    assert report["platform"] == "xcb"
    assert "2 images: 128 tok" in report["stats"] and report["vision"] == "Vision on · 64 tokens per image"

    shot = pixels(QImage(str(out)))
    sky = np.all(np.abs(shot.astype(int) - SKY) <= 6, axis=2)
    assert sky.sum() > 1500, "the first thumbnail is not on screen"
    rows, cols = np.nonzero(sky)
    assert cols.max() - cols.min() < 200 and rows.max() - rows.min() < 120  # a thumbnail, not a full view
    viewer = pixels(QImage(report["viewer"]))
    assert viewer.shape[1] >= 480 and np.all(np.abs(viewer.astype(int) - SKY) <= 6, axis=2).sum() > 480 * 100
