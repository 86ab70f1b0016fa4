"""A one-line, plain-language pick from a comparison's records.

The rule: the smallest variant whose mean KL divergence from the reference
stays within a tolerance. KLD mean is the metric that tracks "does it still
answer like the original" best, and memory is what the user is trading it
for: the file, plus the KV cache when the run compared KV-cache types (then a
row is a file at one K/V type, and a recipe or a cheaper cache can win).
"""

from __future__ import annotations

from typing import Any

from app.compare.variant_label import variant_label

DEFAULT_TOLERANCE = 0.01


def variant_name(record: dict[str, Any]) -> str:
    """The quant name (with recipe and KV type when known), else the file's stem."""
    return variant_label(record)


def memory_bytes(record: dict[str, Any]) -> int:
    """What the row costs: the file, plus its KV cache when measured."""
    return record["size_bytes"] + (record.get("kv_bytes") or 0)


def recommend(records: list[dict[str, Any]], tolerance: float = DEFAULT_TOLERANCE) -> str:
    variants = [r for r in records if r.get("role") != "reference" and r.get("kld_mean") is not None]
    if not variants:
        return ""
    within = [r for r in variants if r["kld_mean"] <= tolerance]
    if within:
        best = min(within, key=lambda r: (memory_bytes(r), r["kld_mean"]))
        return (
            f"{variant_name(best)} is the smallest variant within {tolerance:g} KLD of the reference "
            f"(KLD {best['kld_mean']:.4f}, {_cost(best)})."
        )
    closest = min(variants, key=lambda r: r["kld_mean"])
    return (
        f"No variant is within {tolerance:g} KLD of the reference; the closest is "
        f"{variant_name(closest)} (KLD {closest['kld_mean']:.4f}, {_cost(closest)})."
    )


def _cost(record: dict[str, Any]) -> str:
    if record.get("kv_bytes") is None:
        return _size(record["size_bytes"])
    return (f"{_size(record['size_bytes'])} file + {_size(record['kv_bytes'])} KV cache "
            f"at {record.get('kv_ctx', '?')} tokens")


def _size(n_bytes: int) -> str:
    mib = n_bytes / 2**20
    return f"{mib:.1f} MiB" if mib < 1024 else f"{mib / 1024:.2f} GiB"
