"""Load options for the whisper.cpp runtime."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from runtimes.base import LoadOptions

_DEVICE = re.compile(r"^(cpu|gpu)(?::(\d+))?$")


@dataclass
class WhisperLoadOptions(LoadOptions):
    """``device`` is "cpu", "gpu" or "gpu:N" (whisper.cpp's GPU backend, when the build has one).

    ``n_threads`` defaults to the physical core count; a TranscribeRequest may
    override it per request. ``beam_size`` > 1 switches from greedy decoding
    (pywhispercpp's default) to beam search; ``temperature_fallback`` False is
    whisper-cli's --no-fallback (decode once at temperature 0, never resample).
    """

    flash_attn: bool | None = None  # None keeps whisper.cpp's default (on since 1.8)
    beam_size: int = 0
    temperature_fallback: bool = True

    def __post_init__(self) -> None:
        if not _DEVICE.match(self.device):
            raise ValueError(f"unknown whisper.cpp device {self.device!r}; use cpu, gpu or gpu:N")
        if self.n_threads is not None and self.n_threads < 1:
            raise ValueError("n_threads must be >= 1")
        if self.beam_size < 0:
            raise ValueError("beam_size must be >= 0 (0 or 1: greedy)")

    @property
    def use_gpu(self) -> bool:
        return self.device != "cpu"

    @property
    def gpu_index(self) -> int:
        match = _DEVICE.match(self.device)
        return int(match.group(2) or 0) if match else 0

    @classmethod
    def from_params(cls, params: dict[str, Any], n_threads: int | None) -> WhisperLoadOptions:
        """Options from the bench CLI's load flags: -ngl other than 0 asks for the GPU; -fa asks for
        flash attention, which whisper.cpp 1.8 already uses by default."""
        gpu = bool(params.get("n_gpu_layers"))
        return cls(device="gpu" if gpu else "cpu", n_threads=n_threads, flash_attn=params.get("flash_attn") or None)
