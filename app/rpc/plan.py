"""Plan a model across local and remote (RPC) devices: which layers go where, and whether each fits.

Placement follows llama.cpp's own rule (runtimes.llama_cpp.rpc.layer_split); the bytes per
device come from the fit estimator's pieces: a device holds the weights and the KV cache of its
blocks, the output layer if it is last, and one compute buffer. The CPU keeps the token
embeddings and whatever is not offloaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.gguf.fit_estimate import (
    FitRequest,
    ModelShape,
    compute_buffer_bytes,
    estimate,
    kv_cache_bytes,
)
from runtimes.llama_cpp.rpc.layer_split import CPU, DeviceShare, layer_devices, summarize


@dataclass(frozen=True)
class DevicePlan:
    device: str
    holds: str  # "blocks 0-9 + output", "token embeddings", ...
    weights: int
    kv: int
    compute: int
    memory_free: int

    @property
    def total(self) -> int:
        return self.weights + self.kv + self.compute

    @property
    def fits(self) -> bool:
        return self.total <= self.memory_free


def plan_split(shape: ModelShape, req: FitRequest, devices: Sequence[DeviceShare], free_ram: int,
               tensor_split: Sequence[float] | None = None) -> list[DevicePlan]:
    """One DevicePlan for the CPU and for each offload device, in llama.cpp's device order."""
    names = layer_devices(shape.n_layers, req.n_gpu_layers, devices, tensor_split)
    kv_per_layer = kv_cache_bytes(shape, req.n_ctx, req.kv_type) / max(shape.n_layers, 1)
    compute = compute_buffer_bytes(shape, req.n_ctx, req.uses_flash_attn)
    runs = _group(summarize(names))
    plans = []
    for device, free in [(CPU, free_ram), *((d.name, d.memory_free) for d in devices)]:
        blocks = [i for i, name in enumerate(names[:-1]) if name == device]
        has_output = names[-1] == device
        weights = sum(shape.layer_bytes[i] for i in blocks) + (output_weights(shape) if has_output else 0)
        kv = int(kv_per_layer * len(blocks))
        if device == CPU:
            cpu = estimate(shape, FitRequest(req.n_ctx, req.kv_type, shape.n_layers + 1 - names.count(CPU),
                                             req.flash_attn))
            weights += shape.embd_bytes + cpu.repack_bytes
            plans.append(DevicePlan(CPU, " + ".join(filter(None, ["token embeddings", runs.get(CPU, "")])),
                                    weights, kv, cpu.compute_ram + cpu.overhead_bytes, free))
        else:
            plans.append(DevicePlan(device, runs.get(device, "nothing"), weights, kv,
                                    compute if blocks or has_output else 0, free))
    return plans


def output_weights(shape: ModelShape) -> int:
    """Bytes the output layer puts on its device. Without an output.weight (tied embeddings, e.g. Gemma)
    llama.cpp gives the output device its own copy of token_embd: seen as RPC1's model buffer in the log."""
    smallest_matrix = shape.n_embd * shape.n_vocab // 8  # the output matrix at even 1 bit per weight
    return shape.output_bytes if shape.output_bytes >= smallest_matrix else shape.output_bytes + shape.embd_bytes


def _group(runs: list[tuple[str, str]]) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    for what, device in runs:
        grouped.setdefault(device, []).append(what)
    return {device: ", ".join(parts) for device, parts in grouped.items()}


def offload_devices_for(endpoints: Sequence[str]) -> list[DeviceShare]:
    """Remote devices (asked from their rpc-servers) then this machine's GPUs: llama.cpp's order."""
    from runtimes.llama_cpp.backends import list_devices
    from runtimes.llama_cpp.rpc.devices import probe

    remote = [DeviceShare(d.name, d.memory_free) for d in probe(tuple(endpoints))] if endpoints else []
    local = [DeviceShare(d.id.upper(), d.memory_free or 0) for d in list_devices() if d.kind != "cpu"]
    return remote + local


def plan_lines(plans: Sequence[DevicePlan]) -> list[str]:
    mib = 2**20
    lines = []
    for p in plans:
        verdict = "fits" if p.fits else "DOES NOT FIT"
        lines.append(f"    {p.device:<8} {p.holds:<28} weights {p.weights / mib:8.1f} + KV {p.kv / mib:7.1f} + compute "
                     f"{p.compute / mib:7.1f} = {p.total / mib:8.1f} MiB of {p.memory_free / mib:9.0f} free  {verdict}")
    return lines
