"""Which models may be loaded at the same time, by the fit estimate.

Each model's RAM and VRAM need comes from llama.cpp's own accounting
(``runtimes.llama_cpp.memory.estimate``, else ``models.gguf.fit_estimate``) for the
load options it will get. Models run together only while the sum of their
estimates fits in the memory available now (less a safety margin);
otherwise they run one after another. A model that does not fit even alone
is refused before anything is loaded, naming the estimate and what is free.

Concurrent workers share the CPU, so each gets an equal share of the
threads (llama.cpp's thread pool spins, and oversubscribed cores stall it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.errors import WillNotFit

# Leave this share of free memory untouched: the estimate is an estimate,
# and the rest of the machine keeps running while we measure.
SAFETY_FRACTION = 0.10
MAX_PARALLEL = 4  # beyond this, workers only split the same cores finer


@dataclass(frozen=True)
class Budget:
    """Memory that may be spent on models right now."""

    ram_bytes: int
    vram_bytes: int = 0

    @classmethod
    def available(cls) -> Budget:
        """Free RAM and VRAM now, less the safety margin."""
        from models.gguf.fit_estimate import machine_memory

        machine = machine_memory()
        keep = 1.0 - SAFETY_FRACTION
        return cls(int(machine.free_ram * keep), int(machine.free_vram * keep))


@dataclass(frozen=True)
class Demand:
    """What one model is estimated to need once loaded."""

    path: Path
    ram_bytes: int
    vram_bytes: int = 0

    def fits(self, budget: Budget) -> bool:
        return self.ram_bytes <= budget.ram_bytes and self.vram_bytes <= budget.vram_bytes


def estimate_demand(path: Path, n_ctx: int, n_gpu_layers: int = 0, kv_type: str = "f16",
                    flash_attn: bool = False) -> Demand:
    """llama.cpp's own accounting (no_alloc, in a subprocess); the header formula if that fails."""
    from models.gguf.fit_estimate import FitRequest, estimate, shape_from_file
    from runtimes.errors import PlanFailed
    from runtimes.llama_cpp.memory.estimate import estimate_local

    req = FitRequest(n_ctx, kv_type, n_gpu_layers, flash_attn)
    try:
        est = estimate_local(path, req)
    except (PlanFailed, OSError, ValueError):
        est = estimate(shape_from_file(path), req)
    return Demand(Path(path), est.ram_bytes, est.vram_bytes)


def refuse_what_cannot_fit(demands: Sequence[Demand], budget: Budget) -> None:
    """Raise WillNotFit naming every model that would not fit even on its own."""
    problems = [_shortfall(d, budget) for d in demands if not d.fits(budget)]
    if problems:
        raise WillNotFit("not loading what will not fit: " + "; ".join(problems))


def next_wave(pending: Sequence[Demand], budget: Budget, max_parallel: int) -> list[Demand]:
    """The models to load together now: first fit, in the given order.

    The first pending model always starts (it was checked to fit alone); each
    later one joins if it still fits in what the wave leaves free.
    """
    if not pending:
        return []
    refuse_what_cannot_fit(pending[:1], budget)
    wave = [pending[0]]
    ram, vram = budget.ram_bytes - pending[0].ram_bytes, budget.vram_bytes - pending[0].vram_bytes
    for demand in pending[1:]:
        if len(wave) >= max_parallel:
            break
        if demand.ram_bytes <= ram and demand.vram_bytes <= vram:
            wave.append(demand)
            ram, vram = ram - demand.ram_bytes, vram - demand.vram_bytes
    return wave


def plan_waves(demands: Sequence[Demand], budget: Budget, max_parallel: int) -> list[list[Demand]]:
    """All waves for a fixed budget (callers that re-measure memory use next_wave)."""
    refuse_what_cannot_fit(demands, budget)
    pending, waves = list(demands), []
    while pending:
        wave = next_wave(pending, budget, max_parallel)
        waves.append(wave)
        pending = [d for d in pending if d not in wave]
    return waves


def default_max_parallel() -> int:
    """One worker per physical core, at most MAX_PARALLEL."""
    import psutil

    cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    return max(1, min(MAX_PARALLEL, cores))


def threads_per_worker(total_threads: int | None, n_workers: int) -> int | None:
    """Each concurrent worker's share of ``total_threads`` (None: each worker's own default)."""
    if n_workers <= 1:
        return total_threads
    if total_threads is None:
        from runtimes.llama_cpp.session import default_threads

        total_threads = default_threads()
    return max(1, total_threads // n_workers)


def _shortfall(demand: Demand, budget: Budget) -> str:
    parts = []
    if demand.ram_bytes > budget.ram_bytes:
        parts.append(f"needs about {_size(demand.ram_bytes)} RAM, {_size(budget.ram_bytes)} available")
    if demand.vram_bytes > budget.vram_bytes:
        parts.append(f"needs about {_size(demand.vram_bytes)} VRAM, {_size(budget.vram_bytes)} available")
    return f"{demand.path.name} " + " and ".join(parts)


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.2f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MiB"
