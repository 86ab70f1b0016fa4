"""KV-cache bytes for a model, a context and a K/V type pair, as llama.cpp allocates them.

llama.cpp pads the context to 256 cells and gives every attention layer a K
tensor of ``n_head_kv x head_dim_k`` and a V tensor of ``n_head_kv x
head_dim_v`` elements per cell, each stored as rows of the cache type (a row
is blocks of that type). Sliding-window layers get the full size too, because
the Python binding asks for ``swa_full`` (its default). ``benchmarks`` and the
tests check these figures against llama.cpp's own ``llama_kv_cache: size =``
log line.
"""

from __future__ import annotations

from pathlib import Path

import gguf

from models.gguf.fit_estimate import shape_from_file


def _row_bytes(kv_type: str, n: int) -> int:
    block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[kv_type.upper()]]
    return n // block * size


def padded_context(n_ctx: int) -> int:
    return -(-n_ctx // 256) * 256


def kv_cache_bytes(model: Path, n_ctx: int, type_k: str = "f16", type_v: str = "f16") -> dict[str, int]:
    """{"k": bytes, "v": bytes, "total": bytes} for one sequence of ``n_ctx`` tokens."""
    shape = shape_from_file(model)
    cells = padded_context(n_ctx) * shape.n_layers * shape.n_head_kv
    k = cells * _row_bytes(type_k, shape.head_dim_k)
    v = cells * _row_bytes(type_v, shape.head_dim_v)
    return {"k": k, "v": v, "total": k + v}
