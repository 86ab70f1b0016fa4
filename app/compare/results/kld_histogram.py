"""Per-token KL divergences binned on a log scale, for the histogram.

Token KLDs span many decades (most tokens near 0, a few far out), so bins are
equal steps of log10, starting at the decade of the 1st percentile (never
below FLOOR); everything below the first edge (including exact 0) goes in one
"below" bin, so no token is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FLOOR = 1e-6  # smaller divergences are noise of the 16-bit reference storage


@dataclass(frozen=True)
class KldHistogram:
    edges: list[float]  # bin i holds floor edges[i] <= kld < edges[i + 1]
    counts: list[int]  # one per bin, the first being "< edges[0]"
    n_tokens: int

    def labels(self) -> list[str]:
        first = [f"<{_short(self.edges[0])}"]
        return first + [_short(e) for e in self.edges[:-1]]


def log_histogram(kld: np.ndarray, per_decade: int = 2, floor: float = FLOOR) -> KldHistogram:
    values = np.asarray(kld, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no per-token values")
    positive = values[values > 0]
    if positive.size:  # start at the decade of the 1st percentile: no row of empty bars on the left
        floor = max(floor, 10 ** math.floor(math.log10(float(np.percentile(positive, 1)))))
    top = max(float(values.max()), floor * 10)
    n_bins = max(1, math.ceil(per_decade * math.log10(top / floor) + 1e-9))
    edges = [floor * 10 ** (k / per_decade) for k in range(n_bins + 1)]
    below = int(np.count_nonzero(values < edges[0]))
    inner, _ = np.histogram(np.clip(values[values >= edges[0]], edges[0], edges[-1]), bins=edges)
    return KldHistogram(edges, [below, *map(int, inner)], int(values.size))


def _short(value: float) -> str:
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = value / 10**exponent
    return f"1e{exponent}" if abs(mantissa - 1) < 1e-6 else f"{mantissa:.1f}e{exponent}"
