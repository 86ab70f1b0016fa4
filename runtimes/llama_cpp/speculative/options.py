"""Speculative-decoding settings for the llama.cpp runtime.

They are load options (``LlamaLoadOptions.speculative``) because a draft
model is loaded next to the target, in the same worker process. A session
loaded with them speculates on every TextRequest; wrap a request in
``PlainRequest`` to run the same session without speculation (the A/B
baseline of ``workbench spec-bench``).
"""

from __future__ import annotations

from dataclasses import dataclass

from runtimes.requests import TextRequest

MODES = ("draft", "lookup")
MAX_DRAFT = 64  # more drafted tokens per round only waste target compute


@dataclass
class SpeculativeOptions:
    mode: str = "draft"  # "draft": a small model proposes; "lookup": n-grams of the context do
    draft_model: str | None = None  # GGUF path, for mode "draft"
    draft_max: int = 8  # tokens drafted per round (the ceiling when adaptive)
    draft_min: int = 1  # the floor when adaptive
    adaptive: bool = True  # grow K while drafts are accepted, shrink it on rejections
    # The draft's own placement: "cpu", or a GPU device id from runtime.devices()
    # ("cuda0", "vulkan1"...), with its own number of offloaded layers.
    draft_device: str = "cpu"
    draft_n_gpu_layers: int = 0
    draft_n_threads: int | None = None  # None: the target's thread count
    lookup_ngram_max: int = 3  # longest context n-gram prompt lookup tries to match
    lookup_ngram_min: int = 1
    # Speculate only where batched verification reproduces one-token decoding's logits
    # (runtimes/llama_cpp/speculative/batch_exact.py); False: speculate anyway, output may drift from plain.
    require_exact: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown speculative mode {self.mode!r}; choose from {', '.join(MODES)}")
        if self.mode == "draft" and not self.draft_model:
            raise ValueError("draft mode needs a draft model (--draft FILE)")
        if not 1 <= self.draft_max <= MAX_DRAFT:
            raise ValueError(f"draft_max must be between 1 and {MAX_DRAFT}, got {self.draft_max}")
        if not 1 <= self.draft_min <= self.draft_max:
            raise ValueError(f"draft_min must be between 1 and draft_max ({self.draft_max}), got {self.draft_min}")
        if not 1 <= self.lookup_ngram_min <= self.lookup_ngram_max <= 16:
            raise ValueError("lookup n-gram sizes must satisfy 1 <= min <= max <= 16")
        if self.draft_n_threads is not None and self.draft_n_threads < 1:
            raise ValueError("draft_n_threads must be >= 1")

    @property
    def label(self) -> str:
        """Short description for stats lines, e.g. 'draft tiny.gguf, K≤8'."""
        k = f"K≤{self.draft_max}" if self.adaptive else f"K={self.draft_max}"
        if self.mode == "lookup":
            return f"prompt lookup, {k}"
        from pathlib import Path

        return f"draft {Path(self.draft_model or '').name}, {k}"


@dataclass
class PlainRequest:
    """Run ``request`` on a speculative session with plain decoding."""

    request: TextRequest


def check_speculative(model: str, options: SpeculativeOptions | None) -> list[str]:
    """Before loading: refuse a draft whose tokenizer differs from the
    target's (IncompatibleDraft names the difference); return warnings."""
    if options is None or options.mode != "draft":
        return []
    from models.gguf.vocab_compat import require_compatible_draft

    return require_compatible_draft(model, options.draft_model or "").warnings
