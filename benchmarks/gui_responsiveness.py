"""GUI responsiveness while a demo model streams at full speed.

Opens the real window (offscreen unless DISPLAY is set), loads the tiny demo
model on the Chat page, and streams one 1,000-token reply. Reports:
* the longest stall of the GUI event loop, from a 5 ms QTimer probe (target < 50 ms);
* whether every token reached the chat view (count and text);
* how far the view fell behind: per token, the time between the worker
  thread receiving it from the model process and the GUI handling it
  (target: max < 100 ms).

    .venv/bin/python benchmarks/gui_responsiveness.py [-n 1000] [-t THREADS]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class StallProbe:
    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QTimer

        self.interval_s = interval_ms / 1000
        self.longest_gap = 0.0
        self._last = None
        self.timer = QTimer(interval=interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.longest_gap = max(self.longest_gap, now - self._last)
        self._last = now

    @property
    def longest_stall_s(self) -> float:
        return max(0.0, self.longest_gap - self.interval_s)


def wait_until(app, condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("-t", "--threads", type=int, default=1)
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="workbench-bench-")

    from PySide6.QtWidgets import QApplication

    from models.demo.factory import build_demo_models
    from ui.shell.app import create_window
    from ui.shell.context import AppContext

    app = QApplication([])
    model = next(m.path for m in build_demo_models(Path(tempfile.gettempdir()) / "workbench-bench-models",
                                                    quants=("Q4_K_M",)) if m.quant == "Q4_K_M")
    window = create_window(AppContext())
    window.show()
    page = window.pages["Chat"]
    page.load_options.ctx_spin.setValue(args.n + 256)
    page.load_options.threads_spin.setValue(args.threads)
    page.sampling_form.max_tokens.setValue(args.n)
    page.load_model(model)
    wait_until(app, lambda: window.ctx.loaded is not None and not page.is_loading, 60)

    # Timestamp tokens where the worker thread receives them, and where the GUI handles them.
    session = window.ctx.loaded.session
    received: list[float] = []
    original_run = session.run

    def timed_run(request, cancel=None):
        for event in original_run(request, cancel):
            if type(event).__name__ == "Token" and event.token_id is not None:
                received.append(time.perf_counter())
            yield event

    session.run = timed_run
    handled: list[float] = []
    texts: list[str] = []
    def on_token(text: str, n: int) -> None:
        if n:
            handled.append(time.perf_counter())
            texts.append(text)

    page.generation.token.connect(on_token)
    stats = []
    window.ctx.generation_finished.connect(stats.append)

    probe = StallProbe()
    probe.timer.start()
    t0 = time.perf_counter()
    page.send("Tell me a long story.")
    wait_until(app, lambda: bool(stats) and not page.is_generating, 120)
    wall = time.perf_counter() - t0
    wait_until(app, lambda: True, 0)
    probe.timer.stop()

    n_gen = stats[0].n_gen if stats[0] else -1
    shown = page.messages_view.last_message().text()
    lags = [h - r for h, r in zip(handled, received, strict=False)]
    all_shown = len(handled) == n_gen and shown.strip() == "".join(texts).strip()
    print(f"streamed {n_gen} tokens in {wall:.2f} s ({stats[0].gen_tps:.0f} t/s in the model worker)")
    print(f"tokens handled by the GUI: {len(handled)} / {n_gen}; text in the view matches: {all_shown}")
    print(f"longest event-loop stall: {probe.longest_stall_s * 1000:.1f} ms "
          f"({'PASS' if probe.longest_stall_s < 0.05 else 'FAIL'} < 50 ms)")
    print(f"view lag behind the worker: max {max(lags) * 1000:.1f} ms, "
          f"median {sorted(lags)[len(lags) // 2] * 1000:.1f} ms ({'PASS' if max(lags) < 0.1 else 'FAIL'} < 100 ms)")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
