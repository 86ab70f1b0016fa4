"""A one-line, plain-language pick from a comparison's records.

The rule: the smallest variant whose mean KL divergence from the reference
stays within a tolerance. KLD mean is the metric that tracks "does it still
answer like the original" best, and size is what the user is trading it for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_TOLERANCE = 0.01


def variant_name(record: dict[str, Any]) -> str:
    """The quant name when the file says it, else the file's stem."""
    return record.get("quant") or Path(record["file"]).stem


def recommend(records: list[dict[str, Any]], tolerance: float = DEFAULT_TOLERANCE) -> str:
    variants = [r for r in records if r.get("role") != "reference" and r.get("kld_mean") is not None]
    if not variants:
        return ""
    within = [r for r in variants if r["kld_mean"] <= tolerance]
    if within:
        best = min(within, key=lambda r: r["size_bytes"])
        return (
            f"{variant_name(best)} is the smallest variant within {tolerance:g} KLD of the reference "
            f"(KLD {best['kld_mean']:.4f}, {_size(best['size_bytes'])})."
        )
    closest = min(variants, key=lambda r: r["kld_mean"])
    return (
        f"No variant is within {tolerance:g} KLD of the reference; the closest is "
        f"{variant_name(closest)} (KLD {closest['kld_mean']:.4f}, {_size(closest['size_bytes'])})."
    )


def _size(n_bytes: int) -> str:
    mib = n_bytes / 2**20
    return f"{mib:.1f} MiB" if mib < 1024 else f"{mib / 1024:.2f} GiB"
