"""A tiny gemma3-architecture GGUF on a real llama.cpp vocabulary, with sliding-window attention.

The llama demo (demo_factory) covers one architecture with a made-up tokenizer; this one
covers a second: gemma3's graph (Q/K norms, post-attention and post-FFN norms, tied
embeddings scaled by sqrt(n_embd), GELU FFN) with interleaved local/global attention.
The window is 64 tokens, so a short test crosses it. The tokenizer is copied from one of
llama.cpp's own models/ggml-vocab-*.gguf files (a SentencePiece vocabulary, as Gemma's is),
so tokenization is real llama.cpp behaviour. Tensor names and keys follow gguf-py and
src/models/gemma3.cpp.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import gguf
import numpy as np

from models.demo.factory import _atomic_output, _is_current, quantize
from models.demo.weights import BASE_DTYPES, FORMAT_VERSION, KEY_FORMAT, KEY_SEED, KEY_SPEC, DemoSpec
from models.errors import WorkbenchError

ARCH = "gemma3"
# A SentencePiece vocabulary from llama.cpp's models/ folder (Gemma's own is 262k tokens: too big).
VOCAB_NAME = "llama-spm"
SPEC = DemoSpec("gemma3-tiny", n_embd=256, n_layers=6, n_head=4, n_head_kv=1, n_ff=512, n_ctx_train=2048)
SLIDING_WINDOW = 64
# llama.cpp's gemma3 default: every 6th layer attends globally, the other five within the window.
SWA_PATTERN = 6
QUANTS: tuple[str, ...] = ("Q8_0", "Q4_K_M")
LOGIT_SCALE = 3.5  # logit std for readable tokens, as in the llama demo
# Embedding row norm. Small, so the residual stream is the layers' output, not a copy of the
# input token (with tied embeddings a large one makes the model repeat its input).
EMBED_SCALE = 0.1
UNREADABLE_SCALE = 0.01  # byte, control and non-ASCII pieces: logits ~0, so practically never sampled


def model_name(quant: str) -> str:
    return f"workbench-{SPEC.name}-{quant}.gguf"


def tensor_plan(spec: DemoSpec, n_vocab: int) -> list[tuple[str, tuple[int, ...]]]:
    """(name, numpy shape (out, in)) in file order; no output.weight: gemma3 ties it to token_embd."""
    d, hd, ff = spec.n_embd, spec.head_dim, spec.n_ff
    plan: list[tuple[str, tuple[int, ...]]] = [("token_embd.weight", (n_vocab, d))]
    for i in range(spec.n_layers):
        b = f"blk.{i}"
        plan += [
            (f"{b}.attn_norm.weight", (d,)),
            (f"{b}.attn_q.weight", (spec.n_head * hd, d)),
            (f"{b}.attn_k.weight", (spec.n_head_kv * hd, d)),
            (f"{b}.attn_v.weight", (spec.n_head_kv * hd, d)),
            (f"{b}.attn_q_norm.weight", (hd,)),
            (f"{b}.attn_k_norm.weight", (hd,)),
            (f"{b}.attn_output.weight", (d, spec.n_head * hd)),
            (f"{b}.post_attention_norm.weight", (d,)),
            (f"{b}.ffn_norm.weight", (d,)),
            (f"{b}.ffn_gate.weight", (ff, d)),
            (f"{b}.ffn_up.weight", (ff, d)),
            (f"{b}.ffn_down.weight", (d, ff)),
            (f"{b}.post_ffw_norm.weight", (d,)),
        ]
    plan.append(("output_norm.weight", (d,)))
    return plan


def readable_tokens(tokens: Sequence[str], types: Sequence[int]) -> np.ndarray:
    """Normal tokens whose piece is printable ASCII ('▁' is SentencePiece's space)."""
    normal = int(gguf.TokenType.NORMAL)
    return np.array(
        [t == normal and piece.replace("\u2581", " ").isascii() and piece.replace("\u2581", " ").isprintable()
         for piece, t in zip(tokens, types, strict=True)],
        dtype=bool,
    )


def _tensor_data(plan: list[tuple[str, tuple[int, ...]]], seed: int, readable: np.ndarray) -> Iterator[np.ndarray]:
    """Weights ~ N(0, 1/fan_in). The embedding doubles as the output layer: its rows have
    norm EMBED_SCALE and output_norm's weight brings the logit spread to LOGIT_SCALE.
    Norm weights are stored as llama.cpp expects gemma's: already 1 + w."""
    rng = np.random.default_rng(seed)
    for name, shape in plan:
        if len(shape) == 1:
            scale = LOGIT_SCALE / EMBED_SCALE if name == "output_norm.weight" else 1.0
            yield np.full(shape, scale, dtype=np.float32)
            continue
        w = rng.standard_normal(shape, dtype=np.float32) * np.float32(1.0 / math.sqrt(shape[1]))
        if name == "token_embd.weight":
            w *= np.where(readable, np.float32(EMBED_SCALE), np.float32(EMBED_SCALE * UNREADABLE_SCALE))[:, None]
        yield w


def _copy_tokenizer(writer: gguf.GGUFWriter, vocab: gguf.GGUFReader) -> tuple[list[str], list[int]]:
    """Copy every tokenizer.* key of the vocabulary file; returns (tokens, token types)."""
    for key, field in vocab.fields.items():
        if not key.startswith("tokenizer."):
            continue
        value_type = field.types[0]
        if value_type == gguf.GGUFValueType.ARRAY:
            writer.add_array(key, field.contents())
        else:
            writer.add_key_value(key, field.contents(), value_type)
    return vocab.get_field("tokenizer.ggml.tokens").contents(), vocab.get_field("tokenizer.ggml.token_type").contents()


def write_gemma3_gguf(path: Path, vocab_file: Path, seed: int = 0) -> None:
    """Write the F32 model straight to `path` (callers handle atomic renames)."""
    spec = SPEC
    w = gguf.GGUFWriter(path, ARCH)
    w.add_name(f"Workbench demo {spec.name}")
    w.add_file_type(int(BASE_DTYPES["F32"]))
    w.add_context_length(spec.n_ctx_train)
    w.add_embedding_length(spec.n_embd)
    w.add_block_count(spec.n_layers)
    w.add_feed_forward_length(spec.n_ff)
    w.add_head_count(spec.n_head)
    w.add_head_count_kv(spec.n_head_kv)
    w.add_key_length(spec.head_dim)
    w.add_value_length(spec.head_dim)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(1_000_000.0)  # global layers; the local ones use freq_base_swa
    w.add_rope_freq_base_swa(10_000.0)
    w.add_sliding_window(SLIDING_WINDOW)
    w.add_sliding_window_pattern(SWA_PATTERN)
    tokens, types = _copy_tokenizer(w, gguf.GGUFReader(vocab_file))
    w.add_string(KEY_SPEC, spec.name)
    w.add_uint32(KEY_SEED, seed)
    w.add_uint32(KEY_FORMAT, FORMAT_VERSION)

    plan = tensor_plan(spec, len(tokens))
    for name, shape in plan:
        w.add_tensor_info(name, shape, np.dtype(np.float32), math.prod(shape) * 4)
    try:
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        for data in _tensor_data(plan, seed, readable_tokens(tokens, types)):
            w.write_tensor_data(data)
    finally:
        w.close()


def build_demo_gemma3(out_dir: str | os.PathLike[str], progress=None, vocab_file: Path | None = None,
                      quants: Sequence[str] = QUANTS, seed: int = 0) -> list[tuple[str, Path]]:
    """Write the F32 model and its quants into out_dir; returns (label, path), F32 first.
    Files already there from the same seed are kept."""
    if vocab_file is None or not Path(vocab_file).is_file():
        raise WorkbenchError(f"the gemma3 demo needs llama.cpp's ggml-vocab-{VOCAB_NAME}.gguf (got {vocab_file})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps = [("F32", out / model_name("F32"))] + [(q, out / model_name(q)) for q in quants]
    for done, (label, path) in enumerate(steps):
        if progress is not None:
            progress(done, len(steps), f"{SPEC.name} {label}")
        if _is_current(path, label, SPEC.name, seed):
            continue
        if label == "F32":
            with _atomic_output(path) as part:
                write_gemma3_gguf(part, Path(vocab_file), seed)
        else:
            quantize(steps[0][1], path, label)
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return [(f"{SPEC.name} {label}", path) for label, path in steps]
