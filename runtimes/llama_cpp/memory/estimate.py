"""A local file's RAM/VRAM need from llama.cpp's own accounting (memory_plan), in the
shape of models.gguf.fit_estimate's MemoryEstimate.

llama.cpp counts what it allocates; the worker's peak RSS differs from that sum in
ways this module spells out:
  - the worker maps the file (MAP_POPULATE), so all stored weights are resident, and
    repacked copies (CPU_REPACK, AMX) come on top of them;
  - llama.cpp reserves its compute buffer for logits of a whole prompt batch, but the
    worker asks for the last token's logits only, so the pages it touches are those of
    that smaller graph (which memory_plan measures with n_outputs_max = 1);
  - the process itself, the tokenizer's tables and the output buffer are outside
    every ggml buffer (models.gguf.fit_estimate.fixed_overhead_bytes), and so is the CPU
    backend's work buffer without flash attention (cpu_work_buffer_bytes).
"""

from __future__ import annotations

import functools
from pathlib import Path

from models.gguf.fit_estimate import (
    GPU_CONTEXT_OVERHEAD,
    FitRequest,
    MemoryEstimate,
    ModelShape,
    cpu_work_buffer_bytes,
    fixed_overhead_bytes,
    shape_from_file,
)
from runtimes.llama_cpp.memory.plan import MemoryPlan, plan_memory


def estimate_local(path: str | Path, req: FitRequest, use_mmap: bool = True) -> MemoryEstimate:
    """Ask llama.cpp (no_alloc, in a spawned process) what ``req`` needs for this file; PlanFailed if it cannot.

    Remembered per file version and settings: a compare run asks for the same models again.
    """
    stat = Path(path).stat()
    return _estimate(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, req, use_mmap)


@functools.lru_cache(maxsize=64)
def _estimate(path: str, _size: int, _mtime_ns: int, req: FitRequest, use_mmap: bool) -> MemoryEstimate:
    plan = plan_memory(path, req.n_ctx, req.kv_type, req.uses_flash_attn, req.n_gpu_layers)
    return estimate_from_plan(plan, req, shape_from_file(path), use_mmap)


def estimate_from_plan(plan: MemoryPlan, req: FitRequest, shape: ModelShape,
                       use_mmap: bool = True) -> MemoryEstimate:
    weights_vram = plan.device_bytes("model")
    repack = plan.repack_bytes
    if use_mmap:
        weights_ram = plan.file_weights_bytes - weights_vram  # mapped and populated
    else:
        weights_ram = plan.model_bytes - weights_vram - repack  # read into the CPU buffer
    kv_vram = plan.device_bytes("context")
    kv_ram = plan.kv_bytes - kv_vram
    compute_vram = plan.device_bytes("compute")
    compute_ram = min(plan.compute_last_token_bytes, plan.compute_bytes - compute_vram)
    if not compute_vram and not req.uses_flash_attn:
        compute_ram += cpu_work_buffer_bytes(shape, req.n_ctx, req.kv_type)
    overhead = fixed_overhead_bytes(shape.n_vocab)
    ram = weights_ram + repack + kv_ram + compute_ram + overhead
    on_gpu = weights_vram + kv_vram + compute_vram
    vram = on_gpu + (GPU_CONTEXT_OVERHEAD if on_gpu else 0)
    n_gpu_layers = req.n_gpu_layers if on_gpu else 0
    return MemoryEstimate(ram, vram, weights_ram, weights_vram, repack, kv_ram, kv_vram, compute_ram,
                          compute_vram, overhead, n_gpu_layers, source="llama.cpp no_alloc")

