"""Bound the set of models loaded at once by memory, not only by --models-max: each served model's
fit estimate (models.gguf.fit_estimate, for the served context) is summed over what the router has loaded,
and past the budget the longest-loaded models other than the newest are unloaded via /models/unload."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from models.gguf.fit_estimate import FitRequest, estimate, shape_from_file

RESIDENT = ("loaded", "loading")


def model_ram_estimate(path: Path, ctx: int) -> int:
    """What one instance needs in RAM (CPU build: no layers offloaded)."""
    return estimate(shape_from_file(path), FitRequest(n_ctx=ctx)).ram_bytes


@dataclass
class MemoryBudget:
    budget_bytes: int
    estimates: dict[str, int]  # served name -> bytes
    _order: list[str] = field(default_factory=list)  # resident names, oldest first

    def too_big(self) -> list[str]:
        """Names that cannot load even alone; the page and `serve` say so."""
        return sorted(n for n, b in self.estimates.items() if b > self.budget_bytes)

    def to_unload(self, statuses: dict[str, str]) -> list[str]:
        """Given each model's router status, the models to unload (oldest first) to get under budget."""
        resident = [n for n, s in statuses.items() if s in RESIDENT]
        self._order = [n for n in self._order if n in resident] + [n for n in resident if n not in self._order]
        used = sum(self.estimates.get(n, 0) for n in self._order)
        victims = []
        for name in self._order[:-1]:  # the newest stays: it is what a client just asked for
            if used <= self.budget_bytes:
                break
            victims.append(name)
            used -= self.estimates.get(name, 0)
        return victims

    def used_bytes(self, statuses: dict[str, str]) -> int:
        return sum(self.estimates.get(n, 0) for n, s in statuses.items() if s in RESIDENT)
