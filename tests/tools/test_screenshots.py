"""The real window on a real X server (Xvfb, xcb platform): every page renders.

Screenshots go to $WORKBENCH_SCREENSHOT_DIR (kept, for people to look at) or a
temp dir; one folder per theme.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
PAGES = ("Chat", "Voice", "Library", "Compare", "Speculative", "Tensors", "Monitor", "Server", "Runtimes", "Settings")
SCREEN = "1280x860x24"


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """Xvfb chooses a free display itself (-displayfd) and says which once it is ready."""
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    # Read the whole line: Xvfb writes the number and the newline separately,
    # and closing the pipe in between would kill it with SIGPIPE.
    received = b""
    try:
        while not received.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], 30)
            chunk = os.read(read_fd, 32) if ready else b""
            if not chunk:
                break
            received += chunk
    finally:
        os.close(read_fd)
    number = received.decode().strip()
    if not number.isdigit():
        process.kill()
        _, err = process.communicate(timeout=10)
        raise RuntimeError(f"Xvfb did not start: {err.decode(errors='replace')[-2000:]}")
    return process, f":{number}"


@pytest.fixture(scope="module")
def display():
    if shutil.which("Xvfb") is None:
        pytest.skip("the Xvfb binary is missing (scripts/setup.sh test installs the xvfb package)")
    process, name = start_xvfb()
    yield name
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def distinct_colours(image: QImage) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), dtype=np.uint32, count=image.width() * image.height())
    return len(np.unique(pixels & 0x00FFFFFF))


def take_screenshots(display: str, out_dir: Path, theme: str) -> dict:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", WORKBENCH_THEME=theme)
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "tools.screenshots.pages", str(out_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report_lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert report_lines, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(report_lines[-1])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_renders_under_xvfb(display, theme, tmp_path):
    base = os.environ.get("WORKBENCH_SCREENSHOT_DIR")
    out_dir = (Path(base) if base else tmp_path) / theme
    report = take_screenshots(display, out_dir, theme)

    assert report["platform"] == "xcb"
    width, height = report["window"]
    scale = report["device_pixel_ratio"]
    files = [Path(f) for f in report["files"]]
    assert [f.name for f in files] == [f"{i + 1}-{title.lower()}.png" for i, title in enumerate(PAGES)]
    for path in files:
        assert path.is_file(), path
        image = QImage(str(path))
        assert not image.isNull(), f"{path} does not load as an image"
        assert (image.width(), image.height()) == (round(width * scale), round(height * scale)), path
        assert distinct_colours(image) > 16, f"{path} is (nearly) a single flat colour"
        corner = image.pixelColor(5, image.height() // 2).lightness()  # the navigation list's background
        assert (corner < 128) == (theme == "dark"), f"{path}: the {theme} theme is not applied"
