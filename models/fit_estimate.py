"""Predict how much RAM/VRAM llama.cpp needs for a GGUF, from its header alone.

Works on a local file or on a header read over HTTP (models.hub_header), so the
library can say "fits" before anything is downloaded. The pieces, all in bytes:

  weights   sum of tensor sizes; with -ngl N the last N repeating blocks (and the
            output layer once N > n_layers) move to VRAM, token_embd never does.
  repack    llama.cpp's CPU backend copies Q4_0/Q4_K/IQ4_NL matrices into an
            interleaved layout (CPU_REPACK buffer) and the mmapped original pages
            stay resident too, so those tensors count twice in RSS.
  kv        n_layers x n_ctx x (n_embd_k_gqa + n_embd_v_gqa) x bytes/element of
            the cache type (q8_0: 34 bytes per 32, q4_0: 18 per 32, f16: 2).
  compute   calibrated on the demo models against llama.cpp's own
            "compute buffer size" log line (n_ubatch = 512):
              no flash-attn: n_ub*n_kv*(n_head+1)*4 + n_ub*4*(max(2*n_ff, n_vocab) + n_embd_gqa)
              flash-attn:    n_ub*n_kv*2          + n_ub*4*(max(4*n_ff, n_vocab) + n_embd)
            (the first term is the f32 KQ scores plus mask, or only the f16 mask
            with flash attention; the second is the widest FFN/logits activation.)
  work      without flash attention the CPU backend converts the f32 softmax(KQ)
            to the V cache's type for the KQV product, in a work buffer outside
            the compute buffer: n_ub*n_kv*n_head*bytes(V). Seen as the RSS that
            grew with n_ctx beyond the logged buffers (benchmarks/fit_accuracy.py).
  overhead  the worker's own RSS before any model: Python + llama_cpp import +
            ggml CPU backend, measured by benchmarks/fit_accuracy.py.
  gpu       a CUDA context costs VRAM before any tensor; not calibrated here
            (no GPU on the build machine), a commonly observed figure.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import gguf

from models.gguf_validate import GGUFArray, GGUFHeader, validate_gguf

MiB = 1 << 20
PROCESS_OVERHEAD = 60 * MiB  # measured worker baseline, see benchmarks/fit_accuracy.py
GPU_CONTEXT_OVERHEAD = 400 * MiB
N_UBATCH = 512
KV_BYTES_PER_ELEMENT = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32,
                        "q4_1": 20 / 32, "iq4_nl": 18 / 32, "q5_0": 22 / 32, "q5_1": 24 / 32}
_REPACKED = {gguf.GGMLQuantizationType.Q4_0, gguf.GGMLQuantizationType.Q4_K,
             gguf.GGMLQuantizationType.IQ4_NL}
_BLOCK = re.compile(r"^blk\.(\d+)\.")


@dataclass(frozen=True)
class ModelShape:
    """What the estimate needs from a header; split models pass the sum of all parts' weights."""

    architecture: str
    n_layers: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim_k: int
    head_dim_v: int
    n_ff: int
    n_vocab: int
    context_length: int | None
    layer_bytes: tuple[int, ...]  # weights of each repeating block
    output_bytes: int  # output.weight + output_norm
    embd_bytes: int  # token_embd and anything else that stays on the CPU
    repack_bytes: int

    @property
    def weights_bytes(self) -> int:
        return sum(self.layer_bytes) + self.output_bytes + self.embd_bytes


@dataclass(frozen=True)
class FitRequest:
    n_ctx: int
    kv_type: str = "f16"
    n_gpu_layers: int = 0  # -1 = all
    flash_attn: bool | None = None  # None: on when the KV type is quantized (llama.cpp needs it)

    def __post_init__(self) -> None:
        if self.kv_type not in KV_BYTES_PER_ELEMENT:
            raise ValueError(f"unknown KV type {self.kv_type!r}; choose from {', '.join(KV_BYTES_PER_ELEMENT)}")
        if self.n_ctx < 1:
            raise ValueError("context length must be at least 1")

    @property
    def uses_flash_attn(self) -> bool:
        return self.flash_attn if self.flash_attn is not None else self.kv_type not in ("f16", "f32", "bf16")


@dataclass(frozen=True)
class MemoryEstimate:
    ram_bytes: int
    vram_bytes: int
    weights_ram: int
    weights_vram: int
    repack_bytes: int
    kv_ram: int
    kv_vram: int
    compute_ram: int
    compute_vram: int
    overhead_bytes: int
    n_gpu_layers: int  # effective, after clamping


@dataclass(frozen=True)
class Machine:
    free_ram: int
    free_vram: int  # 0 without a GPU


@dataclass(frozen=True)
class FitVerdict:
    verdict: str  # "gpu", "partial", "cpu", "no"
    reason: str
    estimate: MemoryEstimate
    suggested_gpu_layers: int
    suggested_ctx: int
    machine: Machine
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def shape_from_header(header: GGUFHeader, total_weights: int | None = None) -> ModelShape:
    """`total_weights`: for split files, the summed size of every part's tensors."""
    meta, arch = header.metadata, header.architecture
    n_layers = _int(meta, f"{arch}.block_count") or 0
    n_embd = _int(meta, f"{arch}.embedding_length") or 0
    n_head = _int(meta, f"{arch}.attention.head_count") or 1
    n_head_kv = _int(meta, f"{arch}.attention.head_count_kv") or n_head
    head_dim_k = _int(meta, f"{arch}.attention.key_length") or n_embd // n_head
    head_dim_v = _int(meta, f"{arch}.attention.value_length") or n_embd // n_head
    tokens = meta.get("tokenizer.ggml.tokens")
    n_vocab = _int(meta, f"{arch}.vocab_size") or (tokens.length if isinstance(tokens, GGUFArray) else 0)
    layer = [0] * n_layers
    output = embd = repack = 0
    for t in header.tensors:
        m = _BLOCK.match(t.name)
        if m and int(m.group(1)) < n_layers:
            layer[int(m.group(1))] += t.n_bytes
        elif t.name.startswith("output"):
            output += t.n_bytes
        else:
            embd += t.n_bytes
        if _is_repacked(t.name, t.ggml_type, t.shape):
            repack += t.n_bytes
    listed = sum(layer) + output + embd
    if total_weights and total_weights > listed and listed:
        # Split model: only part 1's tensors are known; scale the layers to the total.
        scale = (total_weights - output - embd) / max(sum(layer), 1)
        per_layer = (total_weights - output - embd) // max(n_layers, 1)
        layer = [int(b * scale) for b in layer] if sum(layer) else [per_layer] * n_layers
        repack = int(repack * total_weights / listed)
    return ModelShape(arch, n_layers, n_embd, n_head, n_head_kv, head_dim_k, head_dim_v,
                      _int(meta, f"{arch}.feed_forward_length") or 4 * n_embd, n_vocab,
                      _int(meta, f"{arch}.context_length"), tuple(layer), output, embd,
                      repack if _cpu_repacks() else 0)


def shape_from_file(path: str | os.PathLike[str]) -> ModelShape:
    return shape_from_header(validate_gguf(path))


def estimate(shape: ModelShape, req: FitRequest) -> MemoryEstimate:
    n_layers = shape.n_layers
    ngl = n_layers + 1 if req.n_gpu_layers < 0 else min(req.n_gpu_layers, n_layers + 1)
    gpu_layers = min(ngl, n_layers)
    first_gpu = n_layers - gpu_layers
    w_vram = sum(shape.layer_bytes[first_gpu:]) + (shape.output_bytes if ngl > n_layers else 0)
    w_ram = shape.weights_bytes - w_vram
    # Repacking is a CPU-backend thing: only the layers left on the CPU repack.
    repack = int(shape.repack_bytes * (first_gpu / n_layers)) if n_layers else shape.repack_bytes
    kv_total = kv_cache_bytes(shape, req.n_ctx, req.kv_type)
    kv_vram = kv_total * gpu_layers // n_layers if n_layers else 0
    compute = compute_buffer_bytes(shape, req.n_ctx, req.uses_flash_attn)
    compute_vram = compute if gpu_layers else 0
    # With layers on the GPU the CPU still holds the embeddings' activations.
    compute_ram = compute if not gpu_layers else N_UBATCH * 4 * (shape.n_embd + shape.n_vocab)
    if not gpu_layers and not req.uses_flash_attn:
        compute_ram += cpu_work_buffer_bytes(shape, req.n_ctx, req.kv_type)
    ram = w_ram + repack + (kv_total - kv_vram) + compute_ram + PROCESS_OVERHEAD
    vram = w_vram + kv_vram + compute_vram + (GPU_CONTEXT_OVERHEAD if gpu_layers else 0)
    return MemoryEstimate(ram, vram, w_ram, w_vram, repack, kv_total - kv_vram, kv_vram,
                          compute_ram, compute_vram, PROCESS_OVERHEAD, ngl)


def kv_cache_bytes(shape: ModelShape, n_ctx: int, kv_type: str) -> int:
    n_kv = _padded_ctx(n_ctx)
    per_token = shape.n_head_kv * (shape.head_dim_k + shape.head_dim_v)
    return int(shape.n_layers * n_kv * per_token * KV_BYTES_PER_ELEMENT[kv_type])


def compute_buffer_bytes(shape: ModelShape, n_ctx: int, flash_attn: bool) -> int:
    n_kv, n_ub = _padded_ctx(n_ctx), N_UBATCH
    if flash_attn:
        return n_ub * n_kv * 2 + n_ub * 4 * (max(4 * shape.n_ff, shape.n_vocab) + shape.n_embd)
    n_embd_gqa = shape.n_head_kv * shape.head_dim_k
    return n_ub * n_kv * (shape.n_head + 1) * 4 + n_ub * 4 * (max(2 * shape.n_ff, shape.n_vocab) + n_embd_gqa)


def cpu_work_buffer_bytes(shape: ModelShape, n_ctx: int, kv_type: str) -> int:
    """The CPU backend's scratch for softmax(KQ) converted to the V type (no flash attention)."""
    if kv_type == "f32":
        return 0  # an f32 V needs no conversion
    return int(N_UBATCH * _padded_ctx(n_ctx) * shape.n_head * KV_BYTES_PER_ELEMENT[kv_type])


def machine_memory() -> Machine:
    import psutil

    return Machine(psutil.virtual_memory().available, free_vram())


def free_vram() -> int:
    """Free bytes on the first NVIDIA GPU, 0 without NVML or a GPU."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            if pynvml.nvmlDeviceGetCount() < 1:
                return 0
            return int(pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(0)).free)
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # noqa: BLE001 - no driver, no library, no device: all mean "no GPU"
        return 0


def judge(shape: ModelShape, req: FitRequest, machine: Machine) -> FitVerdict:
    """Verdict for the requested settings plus the best settings that fit."""
    est = estimate(shape, req)
    best_ngl = best_gpu_layers(shape, req, machine)
    all_layers = shape.n_layers + 1
    if est.vram_bytes <= machine.free_vram and est.ram_bytes <= machine.free_ram and est.n_gpu_layers >= all_layers:
        verdict, reason = "gpu", f"fits on the GPU: {_gib(est.vram_bytes)} of {_gib(machine.free_vram)} free VRAM"
    elif machine.free_vram and best_ngl > 0:
        best = estimate(shape, _with(req, n_gpu_layers=best_ngl))
        if best_ngl >= all_layers:
            verdict, reason = "gpu", f"fits on the GPU with -ngl {best_ngl}: {_gib(best.vram_bytes)} VRAM"
        else:
            verdict = "partial"
            reason = (f"partial offload: {min(best_ngl, shape.n_layers)} of {shape.n_layers} layers on the GPU "
                      f"({_gib(best.vram_bytes)} VRAM), {_gib(best.ram_bytes)} RAM")
    elif estimate(shape, _with(req, n_gpu_layers=0)).ram_bytes <= machine.free_ram:
        cpu = estimate(shape, _with(req, n_gpu_layers=0))
        verdict, reason = "cpu", f"CPU only: needs {_gib(cpu.ram_bytes)} of {_gib(machine.free_ram)} free RAM"
    else:
        cpu = estimate(shape, _with(req, n_gpu_layers=0))
        verdict = "no"
        reason = (f"will not fit: needs {_gib(cpu.ram_bytes)} RAM, {_gib(machine.free_ram)} free"
                  + (f", and {_gib(machine.free_vram)} free VRAM" if machine.free_vram else ""))
    ngl_for_ctx = best_ngl if verdict in ("gpu", "partial") else 0
    return FitVerdict(verdict, reason, est, ngl_for_ctx,
                      largest_context(shape, _with(req, n_gpu_layers=ngl_for_ctx), machine), machine)


def best_gpu_layers(shape: ModelShape, req: FitRequest, machine: Machine) -> int:
    """Most layers (n_layers + 1 = with the output layer) whose VRAM and RAM fit; 0 if none."""
    for ngl in range(shape.n_layers + 1, 0, -1):
        est = estimate(shape, _with(req, n_gpu_layers=ngl))
        if est.vram_bytes <= machine.free_vram and est.ram_bytes <= machine.free_ram:
            return ngl
    return 0


def largest_context(shape: ModelShape, req: FitRequest, machine: Machine) -> int:
    """Largest context (a multiple of 256, up to the training context) that fits; 0 if none."""
    limit = shape.context_length or 131072
    lo, hi = 0, limit // 256
    while lo < hi:  # binary search on multiples of 256: memory grows with n_ctx
        mid = (lo + hi + 1) // 2
        est = estimate(shape, _with(req, n_ctx=mid * 256))
        if est.ram_bytes <= machine.free_ram and (est.vram_bytes == 0 or est.vram_bytes <= machine.free_vram):
            lo = mid
        else:
            hi = mid - 1
    return lo * 256


def _with(req: FitRequest, **changes: Any) -> FitRequest:
    return FitRequest(**{**asdict(req), **changes})


def _padded_ctx(n_ctx: int) -> int:
    return -(-n_ctx // 256) * 256  # llama.cpp pads the KV cache to 256 cells


def _is_repacked(name: str, ggml_type: Any, shape: tuple[int, ...]) -> bool:
    # token_embd is read with get_rows, which the repacked layout does not support.
    return (ggml_type in _REPACKED and name != "token_embd.weight" and len(shape) == 2
            and shape[1] % 8 == 0)


def _cpu_repacks() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64", "arm64", "aarch64")


def _int(meta: dict[str, Any], key: str) -> int | None:
    value = meta.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, GGUFArray) and value.values:
        ints = [v for v in value.values if isinstance(v, int)]
        return max(ints) if ints else None
    return None


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / MiB:.0f} MiB"
