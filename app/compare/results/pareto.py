"""Quality per GiB over the whole chain: which file x KV-type rows are worth their memory.

A row is on the Pareto front when no other row is both smaller (file plus KV
cache) and closer to the reference (lower mean KLD); everything else is
beaten on both counts by something on the front.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.compare.results.recommend import memory_bytes, variant_name


@dataclass(frozen=True)
class ParetoPoint:
    label: str
    gib: float
    kld: float
    on_front: bool
    is_reference: bool


def pareto_points(records: list[dict[str, Any]]) -> list[ParetoPoint]:
    rows = [r for r in records if r.get("kld_mean") is not None]
    points = []
    for r in rows:
        mem, kld = memory_bytes(r), r["kld_mean"]
        beaten = any(memory_bytes(o) <= mem and o["kld_mean"] <= kld
                     and (memory_bytes(o) < mem or o["kld_mean"] < kld) for o in rows)
        points.append(ParetoPoint(variant_name(r), mem / 2**30, kld, not beaten, r.get("role") == "reference"))
    return points
