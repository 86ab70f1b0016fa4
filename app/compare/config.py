"""What a comparison measures (CompareConfig) and the small pieces the runner
shares with its callers: the worker loader, the outcome, a combined cancel."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken, Session
from runtimes.llama_cpp.bench import BenchRequest
from runtimes.llama_cpp.options import LlamaLoadOptions


@dataclass
class CompareConfig:
    reference: Path
    variants: list[Path]
    text: bytes
    text_name: str = "text"
    n_ctx: int = 512
    n_chunks: int | None = None
    n_threads: int | None = None
    # On, as llama-perplexity's default (-fa auto) picks on CPU, CUDA, Metal and Vulkan: the attention
    # kernel changes the logits (Gemma 3 270M: PPL 27.387 off vs 27.369 on), so both tools must agree.
    flash_attn: bool = True
    speed: bool = True  # also measure pp/tg tokens/s (llama-bench style, small sizes)
    bench_prompt: int = 128
    bench_gen: int = 32
    bench_reps: int = 2
    bench_depth: int = 0  # speed at this context: tokens already in the KV cache (llama-bench -d)
    max_parallel: int | None = None  # variants at once, memory permitting; None: one per core, at most 4
    n_gpu_layers: int = 0
    rpc: tuple[str, ...] = ()  # rpc-server endpoints (llama.cpp's --rpc); each serves one model at a time
    remeasure: bool = False  # measure every model again instead of reusing this run's saved records

    def load_options(self, n_threads: int | None = None) -> LlamaLoadOptions:
        return LlamaLoadOptions(n_ctx=self.session_ctx(), n_batch=min(2048, self.n_ctx),
                                n_threads=n_threads or self.n_threads, flash_attn=self.flash_attn,
                                n_gpu_layers=self.n_gpu_layers, rpc=self.rpc)

    def session_ctx(self) -> int:
        """The chunk size, or more when the speed test runs deeper into the context."""
        if not self.speed or not self.bench_depth:
            return self.n_ctx
        return max(self.n_ctx, self.bench_depth + self.bench_prompt + self.bench_gen)

    def logits_tag(self) -> str:
        return f"fa={int(self.flash_attn)}"

    def bench_request(self) -> BenchRequest:
        return BenchRequest((min(self.bench_prompt, self.n_ctx),), (min(self.bench_gen, self.n_ctx),),
                            self.bench_reps, n_depth=self.bench_depth)


def default_loader(model: Path, options: LlamaLoadOptions) -> Session:
    from runtimes.registry import get_runtime

    return get_runtime("llama.cpp").load(model, options)


@dataclass
class CompareOutcome:
    records: list[dict[str, Any]]
    run_dir: Path
    cancelled: bool = False
    evaluated: list[str] = field(default_factory=list)


class AnyCancel:
    """Cancelled when the caller cancels or a sibling worker failed."""

    def __init__(self, outer: CancelToken | None) -> None:
        self.outer, self.inner = outer, CancelToken()

    @property
    def cancelled(self) -> bool:
        return self.inner.cancelled or (self.outer is not None and self.outer.cancelled)
