"""Plain-decoding speed per model, so a speculative reply can show its speedup.

Fed by plain chat replies and by speculative A/B runs (the Speculative page);
read when a speculative reply finishes. Kept for the app's lifetime only: a
baseline from another day (other load, other machine state) would mislead.
"""

from __future__ import annotations

import threading
from pathlib import Path

_lock = threading.Lock()
_plain_tps: dict[tuple[str, int], float] = {}


def _key(model: Path | str, n_gpu_layers: int) -> tuple[str, int]:
    return str(Path(model).resolve()), int(n_gpu_layers)


def record_plain(model: Path | str, n_gpu_layers: int, tps: float) -> None:
    if tps > 0:
        with _lock:
            _plain_tps[_key(model, n_gpu_layers)] = tps


def plain_baseline(model: Path | str, n_gpu_layers: int) -> float | None:
    with _lock:
        return _plain_tps.get(_key(model, n_gpu_layers))


def forget_all() -> None:
    with _lock:
        _plain_tps.clear()
