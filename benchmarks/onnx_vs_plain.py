"""Does running an ONNX model through Workbench cost latency?

Times one inference on the same model and the same inputs three ways:

* plain   — ``onnxruntime.InferenceSession.run(None, feed)``, the session built
            with the same SessionOptions Workbench uses (threads, optimization);
* session — Workbench's OnnxSession in this process: ``run(TensorRequest(feed))``
            consumed to its Done event (input checks, Metrics and Done events);
* worker  — the same request through the model's worker process
            (``runtime.load``): adds pickling the arrays both ways and the pipe.

Two phases, each alternating call by call (which side goes first is drawn
at random for every pair) so slow spells from other load on the machine hit
both sides alike:

1. plain vs session, back to back: the median of the paired ratios
   session/plain is the figure checked against the 5% bar;
2. plain vs worker, each call after an idle gap (``--gap-ms``): waiting on the
   worker puts this process to sleep, and a scheduler shared with other work
   favours a process that has just slept, so without the gap the call after a
   worker call would run faster than the rest. The difference of the medians
   is the worker's IPC overhead per request, reported on its own: it is a
   fixed cost per request, not a slower model.

Also printed: each mode's fastest call, an estimate free of interference
(other load only ever slows a call down).

    .venv/bin/python benchmarks/onnx_vs_plain.py [--model M.onnx ...] [--runs 300] [--rounds 5] [-t 1] [--gap-ms 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from runtimes.events import Done  # noqa: E402
from runtimes.onnx.options import OnnxLoadOptions  # noqa: E402
from runtimes.onnx.session import session_options  # noqa: E402
from runtimes.onnx.vad.model import example_feed, silero_vad_path  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import TensorRequest  # noqa: E402

BAR = 0.05


def default_cases() -> list[tuple[str, Path, dict[str, np.ndarray]]]:
    """Real Silero VAD (one 32 ms window) and the demo convnet at batch 1 and 16."""
    from models.demo.onnx import build_demo_onnx

    files = dict(build_demo_onnx(Path(tempfile.gettempdir()) / "workbench-bench-onnx", None))
    rng = np.random.default_rng(0)
    image = files["ONNX convnet"]
    return [
        ("silero_vad, 1 window", silero_vad_path(), example_feed("random", 0)),
        ("demo convnet, batch 1", image, {"image": rng.standard_normal((1, 3, 64, 64)).astype(np.float32)}),
        ("demo convnet, batch 16", image, {"image": rng.standard_normal((16, 3, 64, 64)).astype(np.float32)}),
    ]


def model_cases(paths: list[Path]) -> list[tuple[str, Path, dict[str, np.ndarray]]]:
    """Each --model with random inputs made the way Workbench makes them."""
    runtime = get_runtime("onnxruntime")
    cases = []
    for path in paths:
        with runtime.open_session(path, OnnxLoadOptions()) as session:
            cases.append((path.name, path, session.feed(TensorRequest())))
    return cases


def timed(call: Callable[[], Any], runs: int, gap_s: float = 0.0) -> list[float]:
    samples = []
    for _ in range(runs):
        if gap_s:
            time.sleep(gap_s)
        t0 = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - t0) / 1e3)
    return samples


def through(session: Any, request: TensorRequest) -> Callable[[], None]:
    def call() -> None:
        for event in session.run(request):
            last = event
        if not isinstance(last, Done):
            raise RuntimeError(f"the session answered {last}")

    return call


def measure(name: str, path: Path, feed: dict[str, np.ndarray], args: argparse.Namespace) -> dict[str, float]:
    import onnxruntime

    options = OnnxLoadOptions(n_threads=args.threads)
    runtime = get_runtime("onnxruntime")
    plain = onnxruntime.InferenceSession(str(path), session_options(options), providers=["CPUExecutionProvider"])
    local = runtime.open_session(path, options)
    remote = runtime.load(path, options)
    request = TensorRequest(dict(feed))
    calls = {
        "plain": lambda: plain.run(None, feed),
        "session": through(local, request),
        "worker": through(remote, request),
    }
    samples: dict[str, list[float]] = {mode: [] for mode in calls}
    worker_plain: list[float] = []
    try:
        for call in calls.values():
            timed(call, max(args.runs // 10, 5))  # warm up: allocator, kernel choice, page faults
        coin = random.Random(0)
        for _ in range(args.rounds * args.runs):
            for mode in coin.sample(("plain", "session"), 2):
                samples[mode] += timed(calls[mode], 1)
        gap = args.gap_ms / 1000
        for _ in range(args.rounds * args.runs):
            for mode in coin.sample(("plain", "worker"), 2):
                (worker_plain if mode == "plain" else samples["worker"]).extend(timed(calls[mode], 1, gap))
        plain_out = plain.run(None, feed)
        done = [e for e in local.run(request) if isinstance(e, Done)][-1]
        for expected, got in zip(plain_out, done.result.values(), strict=True):
            np.testing.assert_array_equal(expected, got)  # same model, same inputs, same answer
    finally:
        local.close()
        remote.close()
    result: dict[str, Any] = {"case": name}
    for mode, values in samples.items():
        result[mode] = statistics.median(values)
        result[f"{mode}_best"] = min(values)
        result[f"{mode}_p10"] = float(np.percentile(values, 10))
    result["paired_ratio"] = statistics.median(s / p for s, p in zip(samples["session"], samples["plain"], strict=True))
    result["worker_ipc"] = result["worker"] - statistics.median(worker_plain)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", default=[], help="an .onnx file (repeatable)")
    parser.add_argument("--runs", type=int, default=300, help="calls per mode per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-t", "--threads", type=int, default=1, help="intra-op threads, the same for all modes")
    parser.add_argument("--gap-ms", type=float, default=2.0, help="idle time before every timed call")
    args = parser.parse_args()
    cases = model_cases(args.model) if args.model else default_cases()
    print(f"µs per call over {args.rounds} x {args.runs} calls, {args.threads} thread(s): median / p10 / fastest")
    print(f"{'case':<24} {'plain':>22} {'session':>22} {'session/plain':>15} {'worker':>22} {'worker IPC':>11}")
    failed = False
    for name, path, feed in cases:
        m = measure(name, path, feed, args)
        ratio = m["paired_ratio"]
        failed |= ratio > 1 + BAR
        verdict = "PASS" if ratio <= 1 + BAR else "FAIL"
        cells = {mode: f"{m[mode]:8.1f} /{m[mode + '_p10']:6.0f} /{m[mode + '_best']:6.0f}"
                 for mode in ("plain", "session", "worker")}
        print(f"{name:<24}{cells['plain']}{cells['session']} {ratio:9.3f} {verdict}{cells['worker']} "
              f"{m['worker_ipc']:7.0f} µs")
    print("session/plain: median of paired ratios; worker IPC: worker median - plain median, both after a "
          f"{args.gap_ms:g} ms idle gap")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
