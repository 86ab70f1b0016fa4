"""Predict how much RAM/VRAM llama.cpp needs for a GGUF, from its header alone.

Works on a local file or on a header read over HTTP (models.hub.header), so the
library can say "fits" before anything is downloaded. For a local file `workbench fit`
asks llama.cpp itself instead (runtimes.llama_cpp.memory.plan, its no_alloc
simulation); this formula is calibrated against that accounting on gemma3 (SWA, 262k
vocabulary) and llama (SmolLM2), see tests/runtimes/llama_cpp/test_real_fit.py. What it predicts is the
worker's peak RSS once a prompt has filled the context. The pieces, all in bytes:

  weights   sum of tensor sizes; with -ngl N the last N repeating blocks (and the
            output layer once N > n_layers) move to VRAM, token_embd never does.
            The worker maps the file with MAP_POPULATE, so every page is resident.
  repack    llama.cpp's CPU backend copies Q4_0/Q4_K/IQ4_NL matrices into an
            interleaved layout (CPU_REPACK buffer) and the mapped originals stay
            resident too, so those tensors count twice in RSS.
  kv        n_layers x n_kv x (n_embd_k_gqa + n_embd_v_gqa) x bytes/element of the
            cache type (q8_0: 34 bytes per 32, q4_0: 18 per 32, f16: 2); n_kv is n_ctx
            padded to 256. SWA layers are full-sized too: the worker (llama-cpp-python)
            keeps llama.cpp's swa_full default.
  compute   llama.cpp reserves its compute buffer for a prompt batch (n_ubatch = 512)
            that returns logits for every token; the worker asks for the last token's
            logits only, so only that graph's share of the buffer is ever touched:
              no flash-attn: n_ub*n_kv*4*(n_head + n_masks) + n_ub*4*(2*n_ff + n_embd_gqa)
              flash-attn:    n_ub*n_kv*2*n_masks        + n_ub*4*(4*n_ff + n_embd)
            plus one row of logits (4*n_vocab); n_masks is 2 with sliding-window
            attention (one mask per cache). The reserved size (VRAM on a GPU, where
            all of it is allocated) is the larger of that and n_ub*4*(n_vocab + 3*n_embd).
  work      without flash attention the CPU backend converts the f32 softmax(KQ)
            to the V cache's type for the KQV product, in a work buffer outside
            llama.cpp's accounting: n_ub*n_kv*n_head*bytes(V).
  output    the host output buffer: one row of logits, 4*n_vocab.
  tokenizer llama.cpp's vocabulary tables: 12 MiB + 121 bytes per token, measured
            with vocab-only loads of Gemma 3 (262k tokens) and SmolLM2 (49k).
  overhead  the worker's own RSS before any model: Python + llama_cpp import +
            ggml CPU backend, measured by benchmarks/fit_accuracy.py.
  gpu       a CUDA context costs VRAM before any tensor; not calibrated here
            (no GPU on the build machine), a commonly observed figure.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import gguf

from models.gguf.validate import GGUFArray, GGUFHeader, validate_gguf

MiB = 1 << 20
PROCESS_OVERHEAD = 60 * MiB  # measured worker baseline, see benchmarks/fit_accuracy.py
GPU_CONTEXT_OVERHEAD = 400 * MiB
N_UBATCH = 512
TOKENIZER_FIXED = 12 * MiB
TOKENIZER_PER_TOKEN = 121
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
    sliding_window: int | None = None  # SWA models (gemma3...): a second cache, and a second mask

    @property
    def n_masks(self) -> int:
        return 2 if self.sliding_window else 1

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
    overhead_bytes: int  # the worker process, the tokenizer's tables and the output buffer
    n_gpu_layers: int  # effective, after clamping
    source: str = "header formula"  # or "llama.cpp no_alloc" for a local file


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
                      repack if _cpu_repacks() else 0, _int(meta, f"{arch}.attention.sliding_window"))


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
    compute_vram = compute_buffer_bytes(shape, req.n_ctx, req.uses_flash_attn) if gpu_layers else 0
    # With layers on the GPU the CPU still holds the embeddings' activations.
    compute_ram = (compute_in_use_bytes(shape, req.n_ctx, req.uses_flash_attn) if not gpu_layers
                   else N_UBATCH * 4 * (shape.n_embd + shape.n_vocab))
    if not gpu_layers and not req.uses_flash_attn:
        compute_ram += cpu_work_buffer_bytes(shape, req.n_ctx, req.kv_type)
    overhead = fixed_overhead_bytes(shape.n_vocab)
    ram = w_ram + repack + (kv_total - kv_vram) + compute_ram + overhead
    vram = w_vram + kv_vram + compute_vram + (GPU_CONTEXT_OVERHEAD if gpu_layers else 0)
    return MemoryEstimate(ram, vram, w_ram, w_vram, repack, kv_total - kv_vram, kv_vram,
                          compute_ram, compute_vram, overhead, ngl)


def fixed_overhead_bytes(n_vocab: int) -> int:
    """What a loaded model costs besides weights, KV and compute: process, tokenizer, output buffer."""
    return PROCESS_OVERHEAD + TOKENIZER_FIXED + TOKENIZER_PER_TOKEN * n_vocab + 4 * n_vocab


def kv_cache_bytes(shape: ModelShape, n_ctx: int, kv_type: str) -> int:
    n_kv = _padded_ctx(n_ctx)
    per_token = shape.n_head_kv * (shape.head_dim_k + shape.head_dim_v)
    return int(shape.n_layers * n_kv * per_token * KV_BYTES_PER_ELEMENT[kv_type])


def compute_buffer_bytes(shape: ModelShape, n_ctx: int, flash_attn: bool) -> int:
    """The compute buffer llama.cpp reserves (its "compute buffer size" log line)."""
    return max(compute_in_use_bytes(shape, n_ctx, flash_attn), N_UBATCH * 4 * (shape.n_vocab + 3 * shape.n_embd))


def compute_in_use_bytes(shape: ModelShape, n_ctx: int, flash_attn: bool) -> int:
    """The part of the compute buffer a prompt batch that wants only the last token's logits uses."""
    n_kv, n_ub = _padded_ctx(n_ctx), N_UBATCH
    if flash_attn:
        scores = n_ub * n_kv * 2 * shape.n_masks
        return scores + n_ub * 4 * (4 * shape.n_ff + shape.n_embd) + 4 * shape.n_vocab
    n_embd_gqa = shape.n_head_kv * shape.head_dim_k
    scores = n_ub * n_kv * 4 * (shape.n_head + shape.n_masks)
    return scores + n_ub * 4 * (2 * shape.n_ff + n_embd_gqa) + 4 * shape.n_vocab


def cpu_work_buffer_bytes(shape: ModelShape, n_ctx: int, kv_type: str) -> int:
    """The CPU backend's scratch for softmax(KQ) converted to the V type (no flash attention).

    Outside every buffer llama.cpp counts: the RSS that grows with n_ctx beyond them
    (benchmarks/fit_accuracy.py: without it f16 runs came out 4% low at 8192 tokens).
    """
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


def judge(shape: ModelShape, req: FitRequest, machine: Machine, measured: MemoryEstimate | None = None) -> FitVerdict:
    """Verdict for the requested settings plus the best settings that fit.

    ``measured``: llama.cpp's own figure for exactly these settings (a local file); the
    verdict uses it, and the searches for other settings shift the formula by the
    difference so that they agree with it at the requested settings.
    """
    est_of = _estimator(shape, req, measured)
    est = est_of(req)
    best_ngl = best_gpu_layers(shape, req, machine, est_of)
    all_layers = shape.n_layers + 1
    cpu = est_of(_with(req, n_gpu_layers=0))
    if est.vram_bytes <= machine.free_vram and est.ram_bytes <= machine.free_ram and est.n_gpu_layers >= all_layers:
        verdict, reason = "gpu", f"fits on the GPU: {_gib(est.vram_bytes)} of {_gib(machine.free_vram)} free VRAM"
    elif machine.free_vram and best_ngl > 0:
        best = est_of(_with(req, n_gpu_layers=best_ngl))
        if best_ngl >= all_layers:
            verdict, reason = "gpu", f"fits on the GPU with -ngl {best_ngl}: {_gib(best.vram_bytes)} VRAM"
        else:
            verdict = "partial"
            reason = (f"partial offload: {min(best_ngl, shape.n_layers)} of {shape.n_layers} layers on the GPU "
                      f"({_gib(best.vram_bytes)} VRAM), {_gib(best.ram_bytes)} RAM")
    elif cpu.ram_bytes <= machine.free_ram:
        verdict, reason = "cpu", f"CPU only: needs {_gib(cpu.ram_bytes)} of {_gib(machine.free_ram)} free RAM"
    else:
        verdict = "no"
        reason = (f"will not fit: needs {_gib(cpu.ram_bytes)} RAM, {_gib(machine.free_ram)} free"
                  + (f", and {_gib(machine.free_vram)} free VRAM" if machine.free_vram else ""))
    ngl_for_ctx = best_ngl if verdict in ("gpu", "partial") else 0
    suggested = largest_context(shape, _with(req, n_gpu_layers=ngl_for_ctx), machine, est_of)
    return FitVerdict(verdict, reason, est, ngl_for_ctx, suggested, machine)


def best_gpu_layers(shape: ModelShape, req: FitRequest, machine: Machine, est_of: Any = None) -> int:
    """Most layers (n_layers + 1 = with the output layer) whose VRAM and RAM fit; 0 if none."""
    est_of = est_of or (lambda r: estimate(shape, r))
    if not machine.free_vram:
        return 0
    for ngl in range(shape.n_layers + 1, 0, -1):
        est = est_of(_with(req, n_gpu_layers=ngl))
        if est.vram_bytes <= machine.free_vram and est.ram_bytes <= machine.free_ram:
            return ngl
    return 0


def largest_context(shape: ModelShape, req: FitRequest, machine: Machine, est_of: Any = None) -> int:
    """Largest context that fits, up to the training context; 0 if none.

    A multiple of 256 (llama.cpp pads to that), or the requested context itself when
    that fits and is larger (not a multiple of 256, or past the training context), so
    a suggestion never reads "use less" for a context that fits.
    """
    est_of = est_of or (lambda r: estimate(shape, r))

    def fits(n_ctx: int) -> bool:
        est = est_of(_with(req, n_ctx=n_ctx))
        return est.ram_bytes <= machine.free_ram and (est.vram_bytes == 0 or est.vram_bytes <= machine.free_vram)

    limit = shape.context_length or 131072
    lo, hi = 0, limit // 256
    while lo < hi:  # binary search on multiples of 256: memory grows with n_ctx
        mid = (lo + hi + 1) // 2
        if fits(mid * 256):
            lo = mid
        else:
            hi = mid - 1
    if lo * 256 < req.n_ctx and fits(req.n_ctx):
        return req.n_ctx
    return lo * 256


def _estimator(shape: ModelShape, req: FitRequest, measured: MemoryEstimate | None) -> Any:
    if measured is None:
        return lambda r: estimate(shape, r)
    formula = estimate(shape, req)
    d_ram, d_vram = measured.ram_bytes - formula.ram_bytes, measured.vram_bytes - formula.vram_bytes

    def est_of(r: FitRequest) -> MemoryEstimate:
        if r == req:
            return measured
        e = estimate(shape, r)
        vram = max(0, e.vram_bytes + d_vram) if e.vram_bytes else 0
        return replace(e, ram_bytes=e.ram_bytes + d_ram, vram_bytes=vram)

    return est_of


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
