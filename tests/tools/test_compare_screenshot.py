"""Screenshots of the Compare page after a real demo comparison, on a real X
server (Xvfb): table, both plots, the per-token KLD histogram, and the arena
with shaded divergence. Kept in $WORKBENCH_SCREENSHOT_DIR when that is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.tools.test_screenshots import ROOT, display, distinct_colours  # noqa: F401 (fixture)
from ui.compare.plot import VARIANT_COLOR


def colour_pixels(image: QImage, hex_colour: str, tolerance: int = 8) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    want = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int(np.all(np.abs(rgb - want) <= tolerance, axis=2).sum())


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_compare_page_with_a_finished_run_and_the_arena(display, theme, tmp_path):  # noqa: F811
    base = os.environ.get("WORKBENCH_SCREENSHOT_DIR")
    out_dir = (Path(base) if base else tmp_path) / theme
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", WORKBENCH_HOME=str(tmp_path / "home"))
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "tools.screenshots.compare", str(out_dir), "--theme", theme],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads([line for line in result.stdout.splitlines() if line.startswith("{")][-1])
    assert report["platform"] == "xcb" and report["records"] == 4
    assert report["histogram_bins"] >= 3 and report["arena_columns"] == 4 and report["arena_shaded"] >= 1
    assert report["arena_state"].startswith("Done")

    run_png, arena_png = (QImage(f) for f in report["files"])
    width, height = report["window"]
    for image in (run_png, arena_png):
        assert not image.isNull()
        assert (image.width(), image.height()) == (round(width * report["device_pixel_ratio"]),
                                                   round(height * report["device_pixel_ratio"]))
        assert distinct_colours(image) > 64
        corner = image.pixelColor(5, image.height() // 2).lightness()
        assert (corner < 128) == (theme == "dark")
    # The plots' points and the histogram's bars are drawn in the variant colour.
    assert colour_pixels(run_png, VARIANT_COLOR) > 5000
    assert colour_pixels(arena_png, VARIANT_COLOR) < colour_pixels(run_png, VARIANT_COLOR) / 10
