"""Frozen bundle vs source install: bundle size, cold start to first window,
and time to first token on the demo model. Target: the frozen app reaches its
first window no more than 1.5x later than the source install.

    .venv/bin/python packaging/build.py --target linux-dir   # makes dist/cpu/workbench
    .venv/bin/python benchmarks/frozen_vs_source.py [--bundle dist/cpu/workbench] [--runs 5]

Cold start uses the app's startup probe (WORKBENCH_STARTUP_PROBE=1, as
benchmarks/cold_start.py). Time to first token is measured two ways: wall time
of `workbench generate -n 1` from launch (interpreter start, worker spawn, model
load, first token) and the engine's own ttft_s from its --json stats.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 1.5


def first_window_s(executable: list[str], home: str) -> float:
    env = dict(os.environ, WORKBENCH_STARTUP_PROBE="1", WORKBENCH_HOME=home)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    started = time.time()
    out = subprocess.run(executable, env=env, capture_output=True, text=True, timeout=120, check=True).stdout
    return float(next(line for line in out.splitlines() if line.startswith("first-window-at")).split()[1]) - started


def first_token(executable: list[str], model: Path, home: str) -> tuple[float, float]:
    """(launch-to-first-token wall seconds, engine ttft_s) for one generated token."""
    cmd = [*executable, "generate", str(model), "-p", "Once upon a time", "-n", "1", "-c", "256", "-s", "1", "--json"]
    started = time.perf_counter()
    out = subprocess.run(cmd, env=dict(os.environ, WORKBENCH_HOME=home), capture_output=True, text=True,
                         timeout=120, check=True).stdout
    wall = time.perf_counter() - started
    return wall, json.loads(out)["stats"]["ttft_s"]


def median_of(runs: int, measure) -> float:
    measure()  # warm the OS file cache; not counted
    return statistics.median(measure() for _ in range(runs))


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "cpu" / "workbench")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    frozen = [str(args.bundle / "workbench")]
    source = [str(Path(sys.executable).with_name("workbench"))]
    if not Path(frozen[0]).is_file():
        print(f"no bundle at {args.bundle}: run packaging/build.py --target linux-dir first", file=sys.stderr)
        return 2
    from models.demo.factory import build_demo_models

    rows = {}
    with tempfile.TemporaryDirectory() as home:
        model = build_demo_models(Path(home) / "models", spec="tiny", quants=("Q4_K_M",))[-1].path
        for name, exe in (("source", source), ("frozen", frozen)):
            window = median_of(args.runs, lambda exe=exe: first_window_s(exe, home))
            tokens = [first_token(exe, model, home) for _ in range(args.runs + 1)][1:]
            rows[name] = (window, statistics.median(t[0] for t in tokens), statistics.median(t[1] for t in tokens))
    print(f"bundle size: {folder_size(args.bundle) / 2**20:.0f} MiB ({args.bundle})")
    print(f"{'':8} {'first window':>13} {'launch->1st token':>18} {'engine ttft':>12}")
    for name, (window, wall, ttft) in rows.items():
        print(f"{name:8} {window:12.3f}s {wall:17.3f}s {ttft * 1000:10.1f}ms")
    ratio = rows["frozen"][0] / rows["source"][0]
    verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
    print(f"frozen/source first window: {ratio:.2f}x (target <= {RATIO_TARGET}x): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
