"""Save PNGs of the Compare page after a real (demo) comparison: the results
table, both plots, the per-token KLD histogram, the recommendation, and the
arena with streamed outputs shaded where they leave the reference's.

    python -m tools.screenshots.compare OUT_DIR [--theme light|dark]

Builds the demo quant ladder in a temp folder and uses a temp WORKBENCH_HOME
unless one is set (random weights: the arena's text is noise, but every number
is measured). Writes compare-run.png and compare-arena.png; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

SIZE = (1280, 860)
QUANTS = ("F32", "Q8_0", "Q4_K_M", "Q2_K")


def _wait(app, condition, timeout_s: float = 420.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the Compare page did not finish in time")
        app.processEvents()
        time.sleep(0.01)


def _settle(app) -> None:
    for _ in range(30):  # let layouts, charts and paints settle
        app.processEvents()
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--theme", default=None)
    args = parser.parse_args(argv)
    if args.theme:
        os.environ["WORKBENCH_THEME"] = args.theme
    work = Path(tempfile.mkdtemp(prefix="workbench-compare-shot-"))
    os.environ.setdefault("WORKBENCH_HOME", str(work / "home"))  # never into the user's history

    from PySide6.QtWidgets import QApplication

    from models.demo.factory import build_demo_models
    from ui.shell.app import create_window

    ladder = {m.quant: m.path for m in build_demo_models(work / "models", spec="tiny", seed=0)}
    app = QApplication.instance() or QApplication(["workbench-compare-shot"])
    window = create_window()
    window.resize(*SIZE)
    window.show()
    try:
        report = _stage_and_capture(app, window, ladder, args.out_dir)
    finally:
        window.close()  # stops the pages' work and the metrics sampler
    print(json.dumps(report))
    return 0


def _stage_and_capture(app, window, ladder: dict, out_dir: Path) -> dict:
    window.show_page("Compare")
    page = window.pages["Compare"]
    _wait(app, lambda: not page.busy)

    page.setup.add_files([ladder[q] for q in QUANTS])
    page.setup.ctx_spin.setValue(128)
    page.setup.chunks_spin.setValue(4)
    page.run()
    _wait(app, lambda: not page.busy)
    if page.error_banner.message:
        raise RuntimeError(f"the comparison failed: {page.error_banner.message}")
    page.tabs.setCurrentWidget(page.arena)
    page.arena.prompt_edit.setText("The lighthouse keeper wrote in her ledger")
    page.arena.max_tokens.setValue(60)
    page.arena.run()
    _wait(app, lambda: not page.busy)

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, tab in (("compare-run", 0), ("compare-arena", 1)):
        page.tabs.setCurrentIndex(tab)
        _settle(app)
        paths[name] = out_dir / f"{name}.png"
        if not window.grab().save(str(paths[name]), "PNG"):
            raise OSError(f"could not write {paths[name]}")
    size = window.size()
    return {
        "files": [str(p) for p in paths.values()],
        "platform": app.platformName(),
        "window": [size.width(), size.height()],
        "device_pixel_ratio": window.devicePixelRatio(),
        "records": len(page.records),
        "histogram_bins": len(page.histogram.chart.shown_counts()),
        "arena_columns": len(page.arena.columns),
        "arena_shaded": sum(c.shaded_from() is not None for c in page.arena.columns.values()),
        "arena_state": page.arena.state.text(),
    }


if __name__ == "__main__":
    sys.exit(main())
