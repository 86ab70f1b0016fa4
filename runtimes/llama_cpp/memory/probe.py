"""The in-process half of memory_plan: load with no_alloc, build the context, read the sizes.

Only ever run inside the short subprocess memory_plan.plan_memory starts (llama.cpp may
abort, and the log callback is process-wide).
"""

from __future__ import annotations

import ctypes
import re

from runtimes.errors import PlanFailed
from runtimes.llama_cpp.memory.breakdown import read_breakdown
from runtimes.llama_cpp.memory.plan import MemoryPlan, parse_log

_SWA_CELLS = re.compile(r"creating +SWA KV cache, size = (\d+) cells")


def simulate(model: str, n_ctx: int, kv_type: str, flash_attn: bool, n_gpu_layers: int,
             n_batch: int, n_ubatch: int, swa_full: bool) -> MemoryPlan:
    import llama_cpp as L

    from runtimes.llama_cpp.session import _ggml_type

    lines: list[str] = []

    @ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
    def on_log(level: int, text: bytes, user: ctypes.c_void_p) -> None:
        lines.append(text.decode(errors="replace"))

    L.llama_log_set(on_log, None)
    L.llama_backend_init()
    mparams = L.llama_model_default_params()
    mparams.no_alloc = True
    mparams.load_mode = L.LLAMA_LOAD_MODE_NONE  # as llama.cpp's fit does: no_alloc cannot map the file
    mparams.n_gpu_layers = n_gpu_layers
    handle = L.llama_model_load_from_file(model.encode(), mparams)
    if not handle:
        raise PlanFailed(_last_error(lines, "the model did not load"))

    def context(n_outputs_max: int) -> tuple[ctypes.c_void_p, list[str]]:
        start = len(lines)
        cparams = L.llama_context_default_params()
        cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = n_ctx, n_batch, n_ubatch
        cparams.type_k = cparams.type_v = _ggml_type(kv_type)
        cparams.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attn else L.LLAMA_FLASH_ATTN_TYPE_DISABLED
        cparams.swa_full = swa_full
        cparams.n_outputs_max = n_outputs_max
        ctx = L.llama_init_from_model(handle, cparams)
        if not ctx:
            raise PlanFailed(_last_error(lines, "the context could not be created"))
        return ctx, lines[start:]

    ctx, ctx_log = context(0)  # 0: as the worker runs it, outputs up to n_batch
    logged = parse_log(ctx_log)
    buffers = read_breakdown(ctx)
    L.llama_free(ctx)
    last_ctx, last_log = context(1)
    compute_last = parse_log(last_log)["compute"]
    last = read_breakdown(last_ctx)
    if last:
        compute_last = sum(b.compute for b in last)
    L.llama_free(last_ctx)
    file_weights = model_bytes = int(L.llama_model_size(handle))
    L.llama_model_free(handle)
    swa = [int(m.group(1)) for line in ctx_log if (m := _SWA_CELLS.search(line))]
    if buffers:
        kv = sum(b.context for b in buffers)
        compute = sum(b.compute for b in buffers)
        model_bytes = sum(b.model for b in buffers)
    else:
        kv, compute = int(logged["kv_total"]), int(logged["compute"])
    return MemoryPlan(model_bytes=model_bytes, file_weights_bytes=file_weights, kv_bytes=kv,
                      output_bytes=int(logged["output"]),
                      compute_bytes=compute, compute_last_token_bytes=int(compute_last),
                      swa_cells=swa[0] if swa else None, buffers=tuple(buffers),
                      source="breakdown" if buffers else "log", log=lines)


def _last_error(lines: list[str], default: str) -> str:
    errors = [line.strip() for line in lines if "error" in line.lower() or "failed" in line.lower()]
    return errors[-1] if errors else default
