"""Save a PNG of every page of the main window.

Used by the screenshot test (under Xvfb) and by hand::

    python -m tools.screenshots.pages [OUT_DIR] [--size 1280x720]   # default: $WORKBENCH_SCREENSHOT_DIR or a temp dir

Pages that load data in the background expose ``busy``; each page is captured
once it is no longer busy, so the picture shows the page's real content.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

SETTLE_MS = 250  # lets layouts, fonts and first paints finish after a page switch
BUSY_TIMEOUT_S = 60.0


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait_until_idle(page, timeout_s: float = BUSY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while getattr(page, "busy", False) and time.monotonic() < deadline:
        _wait(50)


def _wait_until_exposed(window: QMainWindow, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not (window.windowHandle() and window.windowHandle().isExposed()) and time.monotonic() < deadline:
        _wait(20)


def page_file_name(index: int, title: str) -> str:
    return f"{index + 1}-{title.lower().replace(' ', '-')}.png"


def save_page_screenshots(window: QMainWindow, out_dir: Path) -> list[Path]:
    """Show each page of ``window`` (a MainWindow) in turn and save it as a PNG."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not window.isVisible():
        window.show()
    _wait_until_exposed(window)
    paths = []
    for index, (title, page) in enumerate(window.pages.items()):
        window.show_page(title)
        _wait(SETTLE_MS)
        _wait_until_idle(page)
        _wait(SETTLE_MS)
        path = out_dir / page_file_name(index, title)
        if not window.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    from ui.shell.app import create_window

    argv = list(sys.argv[1:] if argv is None else argv)
    size = None
    if "--size" in argv:
        at = argv.index("--size")
        size = tuple(int(v) for v in argv[at + 1].split("x"))
        del argv[at:at + 2]
    target = argv[0] if argv else os.environ.get("WORKBENCH_SCREENSHOT_DIR")
    out_dir = Path(target) if target else Path(tempfile.mkdtemp(prefix="workbench-screens-"))
    app = QApplication.instance() or QApplication(["workbench-screenshots"])
    window = create_window()
    if size:
        window.resize(*size)
    paths = save_page_screenshots(window, out_dir)
    size = window.size()
    # One JSON line on stdout so a test can check the files against the window.
    print(
        json.dumps(
            {
                "platform": app.platformName(),
                "window": [size.width(), size.height()],
                "device_pixel_ratio": window.devicePixelRatio(),
                "files": [str(p) for p in paths],
            }
        )
    )
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
