"""A local file's RAM/VRAM need from llama.cpp's own accounting (memory_plan), in the
shape of models.fit_estimate's MemoryEstimate.

llama.cpp counts what it allocates; the worker's peak RSS differs from that sum in
ways this module spells out:
  - the worker maps the file (MAP_POPULATE), so all stored weights are resident, and
    repacked copies (CPU_REPACK, AMX) come on top of them;
  - llama.cpp reserves its compute buffer for logits of a whole prompt batch, but the
    worker asks for the last token's logits only, so the pages it touches are those of
    that smaller graph (which memory_plan measures with n_outputs_max = 1);
  - the process itself, the tokenizer's tables and the output buffer are outside
    every ggml buffer (models.fit_estimate.fixed_overhead_bytes).
"""

from __future__ import annotations

from pathlib import Path

from models.fit_estimate import GPU_CONTEXT_OVERHEAD, FitRequest, MemoryEstimate, fixed_overhead_bytes
from runtimes.llama_cpp.memory_plan import MemoryPlan, plan_memory


def estimate_local(path: str | Path, req: FitRequest, use_mmap: bool = True) -> MemoryEstimate:
    """Ask llama.cpp (no_alloc, in a subprocess) what ``req`` needs for this file; PlanFailed if it cannot."""
    plan = plan_memory(path, req.n_ctx, req.kv_type, req.uses_flash_attn, req.n_gpu_layers)
    return estimate_from_plan(plan, req, n_vocab_of(path), use_mmap)


def estimate_from_plan(plan: MemoryPlan, req: FitRequest, n_vocab: int, use_mmap: bool = True) -> MemoryEstimate:
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
    overhead = fixed_overhead_bytes(n_vocab)
    ram = weights_ram + repack + kv_ram + compute_ram + overhead
    on_gpu = weights_vram + kv_vram + compute_vram
    vram = on_gpu + (GPU_CONTEXT_OVERHEAD if on_gpu else 0)
    n_gpu_layers = req.n_gpu_layers if on_gpu else 0
    return MemoryEstimate(ram, vram, weights_ram, weights_vram, repack, kv_ram, kv_vram, compute_ram,
                          compute_vram, overhead, n_gpu_layers, source="llama.cpp no_alloc")


def n_vocab_of(path: str | Path) -> int:
    from models.fit_estimate import shape_from_file

    return shape_from_file(path).n_vocab
