"""One line of text per fact from ``Runtime.describe_model``, shared by
``workbench inspect`` and the Tensors page."""

from __future__ import annotations

from typing import Any


def fact_text(key: str, value: Any, list_limit: int) -> str:
    """Sizes in MiB; dicts (e.g. operator counts) as "k v" pairs, cut after ``list_limit`` with "…"."""
    if key.endswith("_bytes") and isinstance(value, int):
        return f"{value / 2**20:.2f} MiB"
    if isinstance(value, dict):
        items = [f"{k} {v}" for k, v in value.items()]
        return ", ".join(items[:list_limit]) + (" …" if len(items) > list_limit else "")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
