"""Tensor models (ONNX, Core ML, ...) run and benchmarked through the
registry: whichever runtime claims the file does the work, in a worker
process. ``workbench infer`` and the Tensors page both use this, so neither
branches on the runtime.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import TensorRunError
from models.errors import WorkbenchError
from runtimes.base import BenchSpec, CancelToken, LoadOptions
from runtimes.events import Done, Error, Metrics
from runtimes.registry import runtime_for
from runtimes.requests import TensorRequest


@dataclass
class TensorOutcome:
    runtime: str
    device: str
    outputs: dict[str, np.ndarray]
    metrics: dict[str, float] = field(default_factory=dict)  # e.g. latency_ms
    load_s: float = 0.0
    peak_rss_bytes: int = 0


def array_summary(array: np.ndarray) -> str:
    """"min … max … mean …" for numbers, a count otherwise."""
    if array.size == 0:
        return "empty"
    if array.dtype.kind in "fiub":
        values = array.astype(np.float64)
        return f"min {values.min():.4g}  max {values.max():.4g}  mean {values.mean():.4g}"
    return f"{array.size} values"


def array_preview(array: np.ndarray, count: int = 8) -> str:
    """The first ``count`` values, flattened: "[0.137, 0.0254, …]"."""
    flat = array.reshape(-1)[:count]
    cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in flat.tolist()]
    return "[" + ", ".join(cells) + (", …]" if array.size > count else "]")


def outcome_lines(outcome: TensorOutcome, preview: int = 8) -> list[str]:
    """Each output's type, shape, range and first values, then the timing."""
    lines = []
    for name, value in outcome.outputs.items():
        array = np.asarray(value)
        lines.append(f"{name}  {array.dtype.name} {list(array.shape)}  {array_summary(array)}")
        lines.append(f"    {array_preview(array, preview)}")
    timing = [f"{k.removesuffix('_ms')} {v:.3f} ms" for k, v in outcome.metrics.items() if k.endswith("_ms")]
    timing.append(f"load {outcome.load_s:.2f} s")
    if outcome.peak_rss_bytes:
        timing.append(f"worker peak RSS {outcome.peak_rss_bytes / 2**20:.0f} MiB")
    return lines + [", ".join(timing)]


def read_npy(path: Path) -> np.ndarray:
    """A .npy file as an array; anything else is one clear error."""
    path = Path(path)
    if not path.is_file():
        raise TensorRunError(f"{path}: no such .npy file")
    with path.open("rb") as file:
        if file.read(6) != b"\x93NUMPY":  # numpy would call anything else "pickled data"
            raise TensorRunError(f"{path}: not a .npy file (it lacks the NUMPY header; save arrays with numpy.save)")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise TensorRunError(f"{path}: not a .npy array file ({exc})") from exc
    if not isinstance(array, np.ndarray):  # .npz archives load as NpzFile
        raise TensorRunError(f"{path}: give one array per .npy file, not an .npz archive")
    return array


def run_tensor(
    model: Path,
    inputs: dict[str, np.ndarray] | None = None,
    fill: str = "random",
    seed: int = 0,
    device: str = "cpu",
    n_threads: int | None = None,
    cancel: CancelToken | None = None,
) -> TensorOutcome:
    """Load ``model`` in a worker on ``device``, run it once, close it."""
    runtime = runtime_for(model)
    session = runtime.load(Path(model), LoadOptions(device=device, n_threads=n_threads), cancel)
    metrics: dict[str, float] = {}
    try:
        for event in session.run(TensorRequest(dict(inputs or {}), fill, seed), cancel):
            if isinstance(event, Metrics):
                metrics.update(event.values)
            elif isinstance(event, Error):
                raise TensorRunError(event.message)
            elif isinstance(event, Done):
                return TensorOutcome(runtime.name, device, dict(event.result or {}), metrics,
                                     session.stats.load_seconds, event.stats.peak_rss_bytes)
    finally:
        session.close()
    raise TensorRunError("the run was cancelled")


def bench_tensor(
    model: Path, devices: list[str] | None, repetitions: int, n_threads: int | None, cancel: CancelToken
) -> Iterator[tuple[Any, ...]]:
    """Benchmark ``model`` on each of ``devices`` (None: every available one).

    Yields ("progress", label, done, total), ("record", dict) per finished
    device, and ("error", label, message) for a device that failed; the other
    devices still run. ``devices`` go to the runtime as BenchSpec.params
    ["devices"] (device ids from ``runtime.devices()``).
    """
    runtime = runtime_for(model)
    params = {"devices": list(devices)} if devices else {}
    for step in runtime.bench_runs(Path(model), BenchSpec(repetitions, True, n_threads, params)):
        if cancel.cancelled:
            return
        yield ("progress", step.label, 0, 0)
        try:
            yield from _bench_step(runtime, Path(model), step, cancel)
        except WorkbenchError as exc:  # load failure, worker crash: report it, go on with the next device
            if cancel.cancelled:
                return
            yield ("error", step.label, str(exc))


def _bench_step(runtime: Any, model: Path, step: Any, cancel: CancelToken) -> Iterator[tuple[Any, ...]]:
    session = runtime.load(model, step.options, cancel)
    try:
        for event in session.run(step.request, cancel):
            if isinstance(event, Metrics) and "total" in event.values:
                yield ("progress", step.label, event.values["done"], event.values["total"])
            elif isinstance(event, Error):
                yield ("error", step.label, event.message)
            elif isinstance(event, Done):
                for record in event.result or []:
                    yield ("record", record)
    finally:
        session.close()
