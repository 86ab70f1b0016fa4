"""K/V cache type pairs for the comparison's KV axis, and what llama.cpp runs slowly.

``f16,q8_0,q4_0`` gives pairs with K and V of the same type; ``q8_0/f16``
is a mixed pair (K/V written in that order). A quantized V cache needs flash
attention in llama.cpp, so such pairs run with it on. On CUDA the fast
flash-attention kernels cover only f16, q4_0 and q8_0 with K and V of the same
type; other pairs fall back to a slow path unless llama.cpp was built with
GGML_CUDA_FA_ALL_QUANTS. On the CPU every pair has a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtimes.llama_cpp.options import KV_CACHE_TYPES

_FLOAT = ("f32", "f16", "bf16")
_CUDA_FAST = ("f16", "q4_0", "q8_0")


@dataclass(frozen=True)
class KvPair:
    k: str = "f16"
    v: str = "f16"

    @property
    def label(self) -> str:
        return self.k if self.k == self.v else f"{self.k}/{self.v}"

    @property
    def needs_flash_attn(self) -> bool:
        return self.v not in _FLOAT

    @property
    def is_default(self) -> bool:
        return self.k == "f16" and self.v == "f16"


DEFAULT = KvPair()


def parse_kv_types(text: str) -> list[KvPair]:
    """``f16,q8_0,q8_0/f16`` -> pairs, f16 first (the reference row is always f16 KV), no repeats."""
    pairs = [DEFAULT]
    for item in (part.strip().lower() for part in text.split(",")):
        if not item:
            continue
        k, _, v = item.partition("/")
        v = v or k
        for name in (k, v):
            if name not in KV_CACHE_TYPES:
                raise ValueError(f"unknown KV-cache type {name!r}; choose from {', '.join(KV_CACHE_TYPES)}")
        if KvPair(k, v) not in pairs:
            pairs.append(KvPair(k, v))
    return pairs


def slow_path(pair: KvPair, backends: tuple[str, ...], fa_all_quants: bool = False) -> str | None:
    """Why llama.cpp runs this pair through a slow path on these backends, or None when it has a fast one."""
    if "CUDA" in backends and not fa_all_quants and (pair.k != pair.v or pair.k not in _CUDA_FAST):
        what = "mixed K/V types" if pair.k != pair.v else f"{pair.k} K/V"
        return (f"{what}: not in CUDA's fast flash-attention kernels (llama.cpp built without "
                "GGML_CUDA_FA_ALL_QUANTS)")
    return None


def current_backends() -> tuple[str, ...]:
    """The backends the installed llama.cpp has (e.g. ("CUDA", "CPU")); ("CPU",) when unknown."""
    try:
        from runtimes.llama_cpp.backends import build_info

        return tuple(build_info().backends)
    except Exception:  # noqa: BLE001 - a note is optional; never fail a comparison over it
        return ("CPU",)
