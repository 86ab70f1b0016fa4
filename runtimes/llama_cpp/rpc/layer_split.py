"""Which device each layer lands on, by llama.cpp's own rule (src/llama-model.cpp, load_tensors).

Devices are ordered as llama.cpp orders them: RPC devices first ("to minimize network
transfers"), then local GPUs. The last ``n_gpu_layers`` of the ``n_layers + 1`` slots
(repeating blocks, then the output layer) are offloaded; slot ``i`` of those goes to the
first device whose cumulative share exceeds ``i / offloaded``. Shares come from
--tensor-split when given, else from each device's free memory. The input embedding
always stays on the CPU.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

CPU = "CPU"


@dataclass(frozen=True)
class DeviceShare:
    name: str
    memory_free: int


def layer_devices(n_layers: int, n_gpu_layers: int, devices: Sequence[DeviceShare],
                  tensor_split: Sequence[float] | None = None) -> list[str]:
    """Device name for blocks 0..n_layers-1 and then the output layer (n_layers + 1 entries)."""
    n_slots = n_layers + 1
    if n_gpu_layers < 0:  # -1: all, as in the CLI
        n_gpu_layers = n_slots
    if not devices or n_gpu_layers == 0:
        return [CPU] * n_slots
    if tensor_split and any(tensor_split):
        if len(tensor_split) > len(devices):
            raise ValueError(f"--tensor-split has {len(tensor_split)} values but there are {len(devices)} devices")
        shares = [*tensor_split, *[0.0] * (len(devices) - len(tensor_split))]
    else:
        shares = [float(d.memory_free) for d in devices]
    total = sum(shares)
    if total <= 0:
        shares, total = [1.0] * len(devices), float(len(devices))
    bounds, running = [], 0.0
    for share in shares:
        running += share
        bounds.append(running / total)
    first = max(n_slots - n_gpu_layers, 0)
    offloaded = min(n_gpu_layers, n_slots)
    names = []
    for slot in range(n_slots):
        if slot < first:
            names.append(CPU)
            continue
        index = bisect.bisect_right(bounds, (slot - first) / offloaded)  # std::upper_bound
        names.append(devices[min(index, len(devices) - 1)].name)
    return names


def summarize(names: Sequence[str]) -> list[tuple[str, str]]:
    """[("blocks 0-3", "RPC0"), ("blocks 4-7 + output", "RPC1")]: runs of one device."""
    runs: list[tuple[str, int, int]] = []
    for slot, name in enumerate(names):
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1], slot)
        else:
            runs.append((name, slot, slot))
    n_layers = len(names) - 1
    out = []
    for name, start, end in runs:
        last_block = min(end, n_layers - 1)
        parts = []
        if start <= last_block:
            parts.append(f"block {start}" if start == last_block else f"blocks {start}-{last_block}")
        if end == n_layers:
            parts.append("output")
        out.append((" + ".join(parts), name))
    return out
