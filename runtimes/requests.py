"""Request types, one per capability, and :data:`Request`, every type a session runs.
Plain dataclasses: they cross the pipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, Union

if TYPE_CHECKING:
    from runtimes.coreml.bench import CoreMLBenchRequest
    from runtimes.llama_cpp.bench import BenchRequest
    from runtimes.llama_cpp.scoring.logits_eval import LogitsEvalRequest
    from runtimes.llama_cpp.speculative.options import PlainRequest
    from runtimes.onnx.bench import OnnxBenchRequest
    from runtimes.whisper_cpp.bench import WhisperBenchRequest


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
class Image:
    """An image for a vision model: a file path, or the file's bytes (PNG,
    JPEG or WebP, e.g. pasted from the clipboard). Decoded in the worker."""

    path: str | None = None
    data: bytes | None = None
    name: str = ""  # shown in messages; defaults to the file name

    def __post_init__(self) -> None:
        if (self.path is None) == (self.data is None):
            raise ValueError("give exactly one of path or data")


@dataclass
class TextRequest:
    """Plain completion when ``prompt`` is set, chat when ``messages`` is.

    ``messages`` are {"role": ..., "content": ...} dicts rendered with the
    model's own chat template, or with the llama.cpp built-in template named
    by ``chat_template`` ("" = the model's own; a model without one gets the
    built-in for its architecture). A message may also carry ``"images": [Image,
    ...]``; they are shown to the model before that message's text. (A separate
    key rather than OpenAI-style content parts, so ``content`` stays a string
    for every text-only path, template and store.)

    A plain ``prompt`` is tokenized as llama-cli does: special tokens written
    as text (``<start_of_turn>``) become those tokens.
    """

    prompt: str | None = None
    messages: list[dict[str, Any]] | None = None
    sampling: Sampling = field(default_factory=Sampling)
    chat_template: str = ""

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give exactly one of prompt or messages")


@dataclass
class Audio:
    """Audio for a request: a file path, or float32 mono samples as bytes.

    Runtimes decode and resample what they need (whisper and Silero take
    16 kHz mono), so callers pass audio as they have it.
    """

    path: str | None = None
    samples: bytes | None = None
    sample_rate: int = 16000

    def __post_init__(self) -> None:
        if (self.path is None) == (self.samples is None):
            raise ValueError("give exactly one of path or samples")


@dataclass
class TranscribeRequest:
    """Speech to text (capability: transcription). Yields Segment events;
    Done.result is a dict with at least ``language``, ``audio_s`` and ``rtf``."""

    audio: Audio
    language: str = "auto"  # "auto" detects it
    translate: bool = False  # translate to English
    initial_prompt: str = ""
    n_threads: int | None = None


@dataclass
class VadRequest:
    """Voice activity detection. Yields one Speech event per speech segment."""

    audio: Audio
    threshold: float = 0.5
    min_speech_ms: int = 250
    hangover_ms: int = 100  # silence kept after speech before a segment ends


@dataclass
class TensorRequest:
    """Tensor inference (capability: tensor-inference).

    ``inputs`` maps input names to numpy arrays; names left out are filled as
    ``fill`` says ("random" or "zeros"). Done.result maps output names to arrays.
    """

    inputs: dict[str, Any] = field(default_factory=dict)
    fill: str = "random"
    seed: int = 0


@dataclass
class SynthesisRequest:
    """Text to speech (capability: speech-synthesis). Yields AudioChunk events."""

    text: str
    voice: str = ""
    speed: float = 1.0


# Every request some session runs; each session's ``handlers`` says which of them it takes.
# The runtime-specific ones (benchmarks, scoring) live beside the code that runs them and
# import this module, so they are named here as forward references.
Request: TypeAlias = Union[
    TextRequest,
    TranscribeRequest,
    VadRequest,
    TensorRequest,
    SynthesisRequest,
    "PlainRequest",
    "BenchRequest",
    "LogitsEvalRequest",
    "WhisperBenchRequest",
    "OnnxBenchRequest",
    "CoreMLBenchRequest",
]
