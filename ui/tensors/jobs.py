"""The Tensors page's work as generators for ``start_worker``: describing a
model, running it once, benchmarking it per device. Everything goes through
the registry (``runtime_for``), so ONNX and Core ML files take the same path.
No Qt here; all of it does file I/O or inference, so it runs off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.tensors.run import TensorOutcome, bench_tensor, run_tensor
from runtimes.base import Availability, CancelToken, Capability, Device
from runtimes.registry import runtime_for
from ui.errors import NotATensorModel


@dataclass(frozen=True)
class TensorModel:
    """What the page shows about a picked file before running anything."""

    path: Path
    runtime: str
    availability: Availability
    devices: tuple[Device, ...]
    bench_columns: tuple[str, ...]
    description: dict[str, Any]


def describe_job(path: Path):
    def job(_cancel: CancelToken) -> Iterator[TensorModel]:
        runtime = runtime_for(path)
        if Capability.TENSOR_INFERENCE not in runtime.capabilities:
            kinds = ", ".join(sorted(c.value for c in runtime.capabilities))
            raise NotATensorModel(f"{path.name} is a {runtime.name} model ({kinds}), not a tensor model")
        description = runtime.describe_model(path)
        availability = runtime.availability()
        devices = tuple(runtime.devices()) if availability.ok else ()
        yield TensorModel(path, runtime.name, availability, devices, runtime.bench_columns, description)

    return job


def run_job(path: Path, fill: str, device: str, seed: int = 0):
    def job(cancel: CancelToken) -> Iterator[TensorOutcome]:
        yield run_tensor(path, fill=fill, seed=seed, device=device, cancel=cancel)

    return job


def bench_job(path: Path, devices: list[str], repetitions: int):
    """Yields bench_tensor's ("progress", ...), ("record", ...), ("error", ...) items."""

    def job(cancel: CancelToken) -> Iterator[tuple[Any, ...]]:
        yield from bench_tensor(path, devices, repetitions, None, cancel)

    return job
