"""A synthetic whisper.cpp model in the ggml layout (models/whisper_format).

Tiny dimensions, so it loads in milliseconds and transcribes a clip in a
fraction of a second: tests exercise loading, decoding and segment streaming
end to end through real whisper.cpp. Every piece is what whisper_model_load
expects: hparams, a proper mel filterbank, a vocabulary, every tensor with its
shape and type.

The weights are random except the first decoder MLP, which is set up as a
lookup table (see ``script``): whatever the audio, each 30 s window decodes
to one segment, "synthetic demo output" from 0.0 to 2.0 s, and language
detection answers "en". That makes the model confident, so whisper.cpp never
falls back to slow high-temperature resampling, and makes its output obviously
not a transcription.

``DemoWhisperSpec.bench()`` gives tiny-sized layers (384 wide, 4+4 layers)
for benchmarks, where compute rather than overhead should dominate.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from gguf.constants import GGMLQuantizationType

from models.whisper.format import (
    FTYPE_WEIGHT_TYPE,
    GGML_MAGIC,
    N_FFT_BINS,
    N_VOCAB_MULTILINGUAL,
    QNT_VERSION_FACTOR,
    WhisperHParams,
    expected_tensors,
)

SAMPLE_RATE = 16000
N_FFT = 400
N_TEXT_TOKENS = 50257  # ids 0..50256 as in whisper's GPT-2 vocabulary; 50256 is <|endoftext|>
_CONSONANTS = "bdfgklmnprstvz"
EMBED_NORM = 4.0  # token embedding row norm: sets how sharp the output distribution is
LOOKUP_GAIN = 20.0  # how far the script's MLP pushes the residual stream towards the next token
DECODER_OUT_SCALE = 0.1  # other decoder outputs (attention, cross-attention) stay small beside it
_VOWELS = "aeiou"


@dataclass(frozen=True)
class DemoWhisperSpec:
    n_state: int = 64
    n_head: int = 2
    n_audio_layer: int = 1
    n_text_layer: int = 1
    n_text_ctx: int = 64
    n_audio_ctx: int = 1500  # 30 s windows, as every real whisper model
    n_mels: int = 80
    weight_type: str = "F16"  # F32, F16, or a quantization real whisper files use: Q5_0, Q5_1, Q8_0...

    @classmethod
    def bench(cls) -> DemoWhisperSpec:
        return replace(cls(), n_state=384, n_head=6, n_audio_layer=4, n_text_layer=4, n_text_ctx=448)

    def hparams(self) -> WhisperHParams:
        return WhisperHParams(
            n_vocab=N_VOCAB_MULTILINGUAL, n_audio_ctx=self.n_audio_ctx, n_audio_state=self.n_state,
            n_audio_head=self.n_head, n_audio_layer=self.n_audio_layer, n_text_ctx=self.n_text_ctx,
            n_text_state=self.n_state, n_text_head=self.n_head, n_text_layer=self.n_text_layer,
            n_mels=self.n_mels, ftype=_ftype(self.weight_type),
        )


def _ftype(weight_type: str) -> int:
    """The stored ftype: whisper's quantize tool adds GGML_QNT_VERSION (2) * 1000 to quantized types."""
    by_type = {t.name: ftype for ftype, t in FTYPE_WEIGHT_TYPE.items()}
    if weight_type not in by_type:
        raise ValueError(f"unknown weight type {weight_type!r}; choose from {', '.join(by_type)}")
    quantized = weight_type not in ("F32", "F16", "BF16")
    return by_type[weight_type] + (2 * QNT_VERSION_FACTOR if quantized else 0)


def mel_filters(n_mels: int, sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT) -> np.ndarray:
    """Slaney-style triangular mel filterbank, (n_mels, 1 + n_fft/2), as librosa and whisper use."""
    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=np.float64)
        linear = f / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(f >= 1000.0, log, linear)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        linear = m * (200.0 / 3)
        log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
        return np.where(m >= 15.0, log, linear)

    bins = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2), n_mels + 2))
    lower = (bins[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    upper = (edges[2:, None] - bins[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # Slaney normalisation: equal area
    return weights.astype(np.float32)


SCRIPT_WORDS = (" synthetic", " demo", " output")


def demo_tokens() -> list[bytes]:
    """Byte tokens, the script's words, made-up syllable words (" bako"...), then <|endoftext|>."""
    tokens = [bytes([b]) for b in range(256)] + [w.encode() for w in SCRIPT_WORDS]
    syllables = [c + v for c in _CONSONANTS for v in _VOWELS]
    words = (a + b for a in syllables for b in syllables)
    longer = (a + b + c for a in syllables for b in syllables for c in syllables)
    for word in (*words, *longer):
        if len(tokens) == N_TEXT_TOKENS - 1:
            break
        tokens.append((" " + word).encode())
    tokens.append(b"<|endoftext|>")
    return tokens


def write_whisper_model(path: Path, spec: DemoWhisperSpec | None = None, seed: int = 0) -> Path:
    """Write a synthetic whisper ggml model for ``spec`` to ``path``."""
    spec = spec or DemoWhisperSpec()
    hp = spec.hparams()
    rng = np.random.default_rng(seed)
    tokens = demo_tokens()
    embedding = _token_embedding(hp, rng)
    scripted = {"decoder.token_embedding.weight": embedding, **_script_lookup(hp, embedding, rng)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<I", GGML_MAGIC))
        f.write(struct.pack(f"<{len(hp.as_dict())}i", *hp.as_dict().values()))
        f.write(struct.pack("<2i", hp.n_mels, N_FFT_BINS))
        f.write(mel_filters(hp.n_mels).tobytes())
        f.write(struct.pack("<i", len(tokens)))
        for token in tokens:
            f.write(struct.pack("<I", len(token)) + token)
        for name, (shape, ggml_type) in expected_tensors(hp).items():
            data = scripted[name] if name in scripted else _random_values(name, shape, rng)
            _write_tensor(f, name, shape, ggml_type, data)
    tmp.replace(path)
    return path


def script(hp: WhisperHParams) -> dict[int, int]:
    """Token -> the token the model predicts after it.

    sot -> <|en|> (language detection decodes [sot]); the task token (after
    whisper.cpp's prompt [sot, lang, task]) -> <|0.00|> " synthetic" " demo"
    " output" <|2.00|> end of text: one segment per 30 s window.
    """
    sot = 50258 if hp.multilingual else 50257
    eot, english = sot - 1, sot + 1
    n_languages = hp.n_vocab - 51765 - (1 if hp.multilingual else 0)
    translate, transcribe, beg = sot + n_languages + 1, sot + n_languages + 2, sot + n_languages + 7
    synthetic, demo, output = (256 + i for i in range(len(SCRIPT_WORDS)))
    return {sot: english, transcribe: beg, translate: beg, beg: synthetic, synthetic: demo, demo: output,
            output: beg + 100, beg + 100: eot}


def _token_embedding(hp: WhisperHParams, rng: np.random.Generator) -> np.ndarray:
    """(n_vocab, n_state) random directions of norm EMBED_NORM: the tied input and output embedding."""
    e = rng.standard_normal((hp.n_vocab, hp.n_text_state))
    return (EMBED_NORM * e / np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)


def _script_lookup(hp: WhisperHParams, embedding: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The first decoder MLP as a lookup table for ``script``: hidden unit i fires when
    the current token is key i and writes a large multiple of value i's embedding
    into the residual stream, so the output layer predicts value i with near
    certainty. A confident model passes whisper.cpp's log-probability check and
    never falls back to five-decoder sampling at higher temperatures (which a
    plain random model does, costing seconds per window)."""
    n, hidden = hp.n_text_state, 4 * hp.n_text_state
    w1 = rng.standard_normal((hidden, n)) / np.sqrt(n)
    b1 = np.zeros(hidden)
    w2 = rng.standard_normal((n, hidden)) * (DECODER_OUT_SCALE / np.sqrt(hidden))
    for unit, (key, value) in enumerate(script(hp).items()):
        direction = embedding[key] - embedding[key].mean()  # layer norm centres its input
        w1[unit] = direction / np.linalg.norm(direction)
        b1[unit] = -0.5 * np.sqrt(n)  # layer norm scales to norm sqrt(n): fires above cosine 0.5
        w2[:, unit] = LOOKUP_GAIN * embedding[value] / np.sqrt(n)
    prefix = "decoder.blocks.0.mlp."
    return {prefix + "0.weight": w1.astype(np.float32), prefix + "0.bias": b1.astype(np.float32),
            prefix + "2.weight": w2.astype(np.float32)}


def _random_values(name: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    numpy_shape = tuple(reversed(shape))  # ggml lists the fastest dimension first
    if name.endswith("ln.weight") or name.endswith("ln_post.weight"):
        return np.ones(numpy_shape, dtype=np.float32)
    if name.endswith(".bias"):
        return np.zeros(numpy_shape, dtype=np.float32)
    fan_in = shape[0] * (shape[1] if ".conv" in name else 1)
    scale = 0.1 if "positional_embedding" in name else 1.0 / np.sqrt(fan_in)
    if name.startswith("decoder.") and (".out.weight" in name or "mlp.2.weight" in name):
        scale *= DECODER_OUT_SCALE  # the audio nudges the decoder but never overrides the script
    return (rng.standard_normal(numpy_shape) * scale).astype(np.float32)


def _write_tensor(f: Any, name: str, shape: tuple[int, ...], ggml_type: GGMLQuantizationType,
                  data: np.ndarray) -> None:
    encoded = name.encode()
    f.write(struct.pack("<3i", len(shape), len(encoded), ggml_type.value))
    f.write(struct.pack(f"<{len(shape)}i", *shape))
    f.write(encoded)
    if ggml_type in (GGMLQuantizationType.F16, GGMLQuantizationType.F32):
        dtype = np.float16 if ggml_type == GGMLQuantizationType.F16 else np.float32
        f.write(data.astype(dtype).tobytes())
    else:
        from gguf.quants import quantize

        f.write(quantize(data.astype(np.float32), ggml_type).tobytes())


def build_demo_whisper(out_dir: Path, progress: Any = None) -> list[tuple[str, Path]]:
    """The demo catalog's builder (``workbench demo-models --kinds whisper``)."""
    path = Path(out_dir) / "whisper-demo-tiny.bin"
    if progress:
        progress(0, 1, "whisper demo model")
    write_whisper_model(path)
    if progress:
        progress(1, 1, "whisper demo model")
    return [("whisper", path)]
