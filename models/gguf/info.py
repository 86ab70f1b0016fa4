"""Summary of a GGUF model's metadata, for display and JSON output.

Built from the header that validate_gguf has already parsed and checked, so
the file is read once and its tensor data is never touched.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import gguf

from models.gguf.validate import GGUFArray, GGUFHeader, validate_gguf


@dataclass(frozen=True)
class GGUFInfo:
    path: str
    file_size: int
    gguf_version: int
    architecture: str
    name: str | None
    parameter_count: int
    tensor_count: int
    tensor_data_bytes: int
    bits_per_weight: float | None
    n_layers: int | None
    n_heads: int | None
    n_kv_heads: int | None
    n_embd: int | None
    context_length: int | None
    file_type: int | None
    file_type_name: str | None  # e.g. "Q4_K_M"
    tensor_type_histogram: dict[str, int]  # ggml type name -> tensor count
    tensor_type_bytes: dict[str, int]  # ggml type name -> data bytes
    chat_template: str | None
    tokenizer_model: str | None
    vocab_size: int | None
    bos_token_id: int | None
    eos_token_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_gguf_info(path: str | os.PathLike[str], header: GGUFHeader | None = None) -> GGUFInfo:
    """Validate `path` and summarise its metadata; raise ModelFileError.
    Pass ``header`` when the caller has already validated it (read once)."""
    header = header or validate_gguf(path)
    meta = header.metadata
    arch = header.architecture
    counts, type_bytes, parameter_count = _tensor_totals(header)
    data_bytes = sum(type_bytes.values())
    n_heads = _int(meta, f"{arch}.attention.head_count")
    n_kv_heads = _int(meta, f"{arch}.attention.head_count_kv")
    file_type = _int(meta, "general.file_type")
    tokens = meta.get("tokenizer.ggml.tokens")
    return GGUFInfo(
        path=str(path),
        file_size=header.file_size,
        gguf_version=header.version,
        architecture=arch,
        name=_str(meta, "general.name"),
        parameter_count=parameter_count,
        tensor_count=header.tensor_count,
        tensor_data_bytes=data_bytes,
        bits_per_weight=round(8 * data_bytes / parameter_count, 4) if parameter_count else None,
        n_layers=_int(meta, f"{arch}.block_count"),
        n_heads=n_heads,
        n_kv_heads=n_heads if n_kv_heads is None else n_kv_heads,
        n_embd=_int(meta, f"{arch}.embedding_length"),
        context_length=_int(meta, f"{arch}.context_length"),
        file_type=file_type,
        file_type_name=None if file_type is None else _file_type_name(file_type),
        tensor_type_histogram=counts,
        tensor_type_bytes=type_bytes,
        chat_template=_str(meta, "tokenizer.chat_template"),
        tokenizer_model=_str(meta, "tokenizer.ggml.model"),
        vocab_size=tokens.length if isinstance(tokens, GGUFArray) else None,
        bos_token_id=_int(meta, "tokenizer.ggml.bos_token_id"),
        eos_token_id=_int(meta, "tokenizer.ggml.eos_token_id"),
    )


def _tensor_totals(header: GGUFHeader) -> tuple[dict[str, int], dict[str, int], int]:
    """Tensor count and bytes per ggml type (biggest share first), and parameters."""
    counts: dict[str, int] = {}
    type_bytes: dict[str, int] = {}
    for t in header.tensors:
        type_name = t.ggml_type.name
        counts[type_name] = counts.get(type_name, 0) + 1
        type_bytes[type_name] = type_bytes.get(type_name, 0) + t.n_bytes
    order = sorted(type_bytes, key=lambda k: (-type_bytes[k], k))
    parameter_count = sum(t.n_elements for t in header.tensors)
    return {k: counts[k] for k in order}, {k: type_bytes[k] for k in order}, parameter_count


def _str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    return value if isinstance(value, str) else None


def _int(meta: dict[str, Any], key: str) -> int | None:
    value = meta.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # Per-layer arrays (e.g. head counts of hybrid models): report the largest.
    if isinstance(value, GGUFArray) and value.values:
        ints = [v for v in value.values if isinstance(v, int) and not isinstance(v, bool)]
        return max(ints) if len(ints) == len(value.values) else None
    return None


def _file_type_name(value: int) -> str | None:
    try:
        name = gguf.LlamaFileType(value).name
    except ValueError:
        return None
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")
