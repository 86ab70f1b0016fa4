"""Load options for the llama.cpp runtime (names follow llama-cli's flags)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtimes.base import LoadOptions
from runtimes.llama_cpp.speculative.options import SpeculativeOptions

# KV-cache types llama.cpp accepts for --cache-type-k/-v, by their CLI names.
KV_CACHE_TYPES = ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1")


@dataclass
class LlamaLoadOptions(LoadOptions):
    n_ctx: int = 4096
    n_threads_batch: int | None = None
    n_gpu_layers: int = 0
    n_batch: int = 2048
    n_ubatch: int = 512
    flash_attn: bool = False
    type_k: str = "f16"
    type_v: str = "f16"
    use_mmap: bool = True
    use_mlock: bool = False
    swa_full: bool | None = None  # None: llama.cpp's default (a full-size SWA cache); llama-bench uses False
    speculative: SpeculativeOptions | None = None  # draft model or prompt lookup; None: plain
    # Vision: None (text only), "auto" (the paired mmproj, if any) or a path;
    # chat_handler names a vision_handlers.HANDLERS entry, or "auto".
    mmproj: str | None = None
    chat_handler: str = "auto"
    # Remote devices: rpc-server endpoints ("host:port"), as llama.cpp's --rpc; their devices
    # join -ngl like local GPUs. tensor_split: proportions per device, llama.cpp's --tensor-split.
    rpc: tuple[str, ...] = ()
    tensor_split: tuple[float, ...] | None = None
    rpc_timeout_s: float = 120.0  # a run with RPC devices and no event for this long is stopped
    repack: bool = True  # False: llama.cpp's --no-repack (CPU weights keep the file's layout)

    @property
    def stall_timeout_s(self) -> float | None:
        """Read by the worker host: ggml-rpc has no timeouts of its own, a silent peer blocks forever."""
        return self.rpc_timeout_s if self.rpc else None

    def __post_init__(self) -> None:
        for name in ("type_k", "type_v"):
            value = getattr(self, name)
            if value not in KV_CACHE_TYPES:
                raise ValueError(
                    f"unknown KV-cache type {value!r} for {name}; choose from {', '.join(KV_CACHE_TYPES)}"
                )
        if self.n_ctx < 0:
            raise ValueError("n_ctx must be >= 0 (0 means the model's training context)")
        if self.n_threads is not None and self.n_threads < 1:
            raise ValueError("n_threads must be >= 1")
        from runtimes.llama_cpp.rpc.endpoints import parse_endpoints

        self.rpc = parse_endpoints(self.rpc)
        if self.tensor_split is not None:
            self.tensor_split = tuple(float(x) for x in self.tensor_split)
            if any(x < 0 for x in self.tensor_split) or not any(self.tensor_split):
                raise ValueError("tensor_split takes non-negative proportions, not all zero (e.g. 3,1)")
        if self.type_v != "f16" and not self.flash_attn and self.type_v not in ("f32", "bf16"):
            raise ValueError("a quantized V cache needs flash attention (--flash-attn)")

    @classmethod
    def from_params(cls, params: dict[str, Any], n_ctx: int, n_threads: int | None) -> LlamaLoadOptions:
        """Options from the CLI's load flags by their argparse names (missing ones keep defaults)."""
        names = {
            "n_gpu_layers": "n_gpu_layers",
            "batch_size": "n_batch",
            "ubatch_size": "n_ubatch",
            "flash_attn": "flash_attn",
            "cache_type_k": "type_k",
            "cache_type_v": "type_v",
            "mlock": "use_mlock",
            "rpc": "rpc",
            "tensor_split": "tensor_split",
        }
        values = {field: params[key] for key, field in names.items() if params.get(key) is not None}
        if params.get("no_mmap"):
            values["use_mmap"] = False
        if params.get("no_repack"):
            values["repack"] = False
        return cls(n_ctx=n_ctx, n_threads=n_threads, **values)
