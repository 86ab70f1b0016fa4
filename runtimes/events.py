"""Typed events a Session yields. They are plain picklable dataclasses so they
cross the worker pipe unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Token:
    text: str
    token_id: int | None = None
    drafted: bool = False  # speculative decoding: a draft token the target accepted


@dataclass(frozen=True)
class Segment:
    """A transcription segment (whisper.cpp)."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Speech:
    """A stretch of speech found by voice activity detection."""

    start_s: float
    end_s: float
    probability: float = 1.0


@dataclass(frozen=True)
class AudioChunk:
    """Synthesized audio: float32 mono samples as bytes."""

    samples: bytes
    sample_rate: int


@dataclass(frozen=True)
class Metrics:
    """Periodic progress numbers; keys depend on the runtime."""

    values: dict[str, float]


@dataclass
class GenerationStats:
    n_prompt: int = 0
    n_prompt_eval: int = 0  # prompt tokens actually evaluated (the rest came from the KV cache)
    n_gen: int = 0
    load_s: float = 0.0
    ttft_s: float = 0.0
    prompt_s: float = 0.0
    gen_s: float = 0.0
    gen_cpu_s: float = 0.0  # process CPU time (all threads) over the same span as gen_s
    peak_rss_bytes: int = 0
    vram_bytes: int | None = None
    stop_reason: str = ""  # "eos", "length", "stop", "cancelled"
    # Speculative decoding: SpecCounters.as_dict() (drafted, accepted, ...); None when plain.
    speculative: dict[str, Any] | None = None
    # Vision input: images encoded for this prompt, the context tokens they
    # fill (part of n_prompt), and the encoder's time (not part of prompt_s).
    n_images: int = 0
    n_image_tokens: int = 0
    image_encode_s: float = 0.0

    @property
    def prompt_tps(self) -> float:
        return self.n_prompt_eval / self.prompt_s if self.prompt_s > 0 else 0.0

    @property
    def gen_tps(self) -> float:
        # gen_s spans first to last token: n_gen - 1 intervals.
        return (self.n_gen - 1) / self.gen_s if self.n_gen > 1 and self.gen_s > 0 else 0.0

    @property
    def gen_cpu_ms_per_token(self) -> float:
        return 1000.0 * self.gen_cpu_s / (self.n_gen - 1) if self.n_gen > 1 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_prompt": self.n_prompt,
            "n_prompt_eval": self.n_prompt_eval,
            "n_gen": self.n_gen,
            "load_s": self.load_s,
            "ttft_s": self.ttft_s,
            "prompt_tps": self.prompt_tps,
            "gen_tps": self.gen_tps,
            "gen_cpu_ms_per_token": self.gen_cpu_ms_per_token,
            "peak_rss_bytes": self.peak_rss_bytes,
            "vram_bytes": self.vram_bytes,
            "stop_reason": self.stop_reason,
            **({"speculative": self.speculative} if self.speculative is not None else {}),
            "n_images": self.n_images,
            "n_image_tokens": self.n_image_tokens,
            "image_encode_s": self.image_encode_s,
        }


@dataclass(frozen=True)
class Done:
    stats: GenerationStats = field(default_factory=GenerationStats)
    result: Any = None  # runtime-specific payload, e.g. bench records


@dataclass(frozen=True)
class Error:
    message: str
    kind: str = "error"


Event = Token | Segment | Speech | AudioChunk | Metrics | Done | Error
