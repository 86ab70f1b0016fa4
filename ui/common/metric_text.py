"""Short, human-readable metric values for labels."""

from __future__ import annotations

DASH = "—"


def memory_text(n_bytes: int | None) -> str:
    if n_bytes is None:
        return DASH
    mib = n_bytes / 2**20
    return f"{mib:.0f} MiB" if mib < 1024 else f"{mib / 1024:.1f} GiB"


def rate_text(tokens_per_s: float | None) -> str:
    return DASH if tokens_per_s is None else f"{tokens_per_s:.1f} tok/s"
