"""Request types, one per capability. Plain dataclasses: they cross the pipe."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sampling:
    """Sampling settings with llama.cpp's defaults (llama-cli's)."""

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    seed: int = 0xFFFFFFFF  # llama.cpp's LLAMA_DEFAULT_SEED: random
    max_tokens: int = 256
    stop: list[str] = field(default_factory=list)


@dataclass
class TextRequest:
    """Plain completion when ``prompt`` is set, chat when ``messages`` is.

    ``messages`` are {"role": ..., "content": ...} dicts rendered with the
    model's own chat template.
    """

    prompt: str | None = None
    messages: list[dict[str, str]] | None = None
    sampling: Sampling = field(default_factory=Sampling)

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give exactly one of prompt or messages")
