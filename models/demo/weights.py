"""Writes a tiny llama-architecture GGUF with deterministic random weights.

Pure gguf + numpy (no llama_cpp), streamed tensor by tensor so even the
"small" spec never holds the whole model in memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGUFWriter, LlamaFileType

from models.demo.vocab import DemoVocab, build_vocab

# Marker keys: let the factory recognise its own files (and their seed) so a
# rebuild can skip them. The quantizer copies them into every quant.
KEY_SPEC = "workbench.demo.spec"
KEY_SEED = "workbench.demo.seed"
KEY_FORMAT = "workbench.demo.format"
FORMAT_VERSION = 1  # bump when the written model changes, to invalidate old files

# Logit std for readable tokens; unreadable ones get 0 weight (logit 0), so
# at this scale they are practically never chosen, and sampling is peaked
# enough to look like a model yet still differs between seeds.
LOGIT_SCALE = 3.5

BASE_DTYPES = {"F32": LlamaFileType.ALL_F32, "F16": LlamaFileType.MOSTLY_F16}

TensorPlan = list[tuple[str, tuple[int, ...]]]  # (name, numpy shape) in file order


@dataclass(frozen=True)
class DemoSpec:
    name: str
    n_embd: int
    n_layers: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_ctx_train: int

    def __post_init__(self) -> None:
        # K-quants work on 256-wide rows: every 2D tensor's row length
        # (n_embd or n_ff) must be a multiple of 256 or llama.cpp falls back.
        if self.n_embd % 256 or self.n_ff % 256:
            raise ValueError(f"{self.name}: n_embd and n_ff must be multiples of 256")
        if self.n_embd % self.n_head or self.n_head % self.n_head_kv:
            raise ValueError(f"{self.name}: heads must divide n_embd and be a multiple of n_head_kv")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


def tensor_plan(spec: DemoSpec, n_vocab: int) -> TensorPlan:
    """(name, numpy shape) in file order. numpy shapes are (out, in), the
    reverse of ggml's ne, so ne[0] = fan-in = the quantized row length."""
    d, kv, ff = spec.n_embd, spec.n_head_kv * spec.head_dim, spec.n_ff
    plan: list[tuple[str, tuple[int, ...]]] = [("token_embd.weight", (n_vocab, d))]
    for i in range(spec.n_layers):
        b = f"blk.{i}"
        plan += [
            (f"{b}.attn_norm.weight", (d,)),
            (f"{b}.attn_q.weight", (d, d)),
            (f"{b}.attn_k.weight", (kv, d)),
            (f"{b}.attn_v.weight", (kv, d)),
            (f"{b}.attn_output.weight", (d, d)),
            (f"{b}.ffn_norm.weight", (d,)),
            (f"{b}.ffn_gate.weight", (ff, d)),
            (f"{b}.ffn_up.weight", (ff, d)),
            (f"{b}.ffn_down.weight", (d, ff)),
        ]
    plan += [("output_norm.weight", (d,)), ("output.weight", (n_vocab, d))]
    return plan


def _tensor_data(plan: TensorPlan, seed: int, dtype: str) -> Iterator[np.ndarray]:
    """Weights ~ N(0, 1/fan_in) keep activations O(1), so output is varied
    rather than one token repeated; embeddings use std 1 so the token
    identity is not drowned by the residual stream. Norms are 1 and stay F32,
    as llama.cpp expects 1D tensors to be."""
    rng = np.random.default_rng(seed)
    readable = np.array(build_vocab().readable, dtype=np.float32)
    for name, shape in plan:
        if len(shape) == 1:
            yield np.ones(shape, dtype=np.float32)
            continue
        w = rng.standard_normal(shape, dtype=np.float32)
        if name == "output.weight":
            w *= (readable * np.float32(LOGIT_SCALE / math.sqrt(shape[1])))[:, None]
        elif name != "token_embd.weight":
            w *= np.float32(1.0 / math.sqrt(shape[1]))
        yield w


def write_gguf(path: Path, spec: DemoSpec, seed: int, dtype: str, name: str | None = None) -> None:
    """Write the model straight to `path` (callers handle atomic renames)."""
    write_llama_gguf(path, spec, seed, dtype, build_vocab(), lambda plan: _tensor_data(plan, seed, dtype), name)


def write_llama_gguf(path: Path, spec: DemoSpec, seed: int, dtype: str, vocab: DemoVocab,
                     tensors: Callable[[TensorPlan], Iterable[np.ndarray]], name: str | None = None) -> None:
    """A llama GGUF of `spec` with the demo tokenizer `vocab`; `tensors(plan)`
    yields F32 arrays in plan order (2D ones are stored as F16 when dtype is F16).
    The speculative-decoding pair writes its models through this too."""
    n_vocab = len(vocab.tokens)
    w = GGUFWriter(path, "llama")
    w.add_name(name or f"Workbench demo {spec.name}")
    w.add_file_type(int(BASE_DTYPES[dtype]))
    w.add_context_length(spec.n_ctx_train)
    w.add_embedding_length(spec.n_embd)
    w.add_block_count(spec.n_layers)
    w.add_feed_forward_length(spec.n_ff)
    w.add_head_count(spec.n_head)
    w.add_head_count_kv(spec.n_head_kv)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(spec.head_dim)
    w.add_vocab_size(n_vocab)

    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")  # llama-vocab.cpp maps it to the GPT-2 regex
    w.add_token_list(list(vocab.tokens))
    w.add_token_types(list(vocab.token_types))
    w.add_token_merges(list(vocab.merges))
    w.add_bos_token_id(vocab.bos_id)
    w.add_eos_token_id(vocab.eos_id)
    # Explicit, or llama.cpp guesses "<|endoftext|>" as end-of-turn.
    w.add_eot_token_id(vocab.eos_id)
    w.add_pad_token_id(vocab.bos_id)
    w.add_add_bos_token(True)
    w.add_chat_template(vocab.chat_template)

    w.add_string(KEY_SPEC, spec.name)
    w.add_uint32(KEY_SEED, seed)
    w.add_uint32(KEY_FORMAT, FORMAT_VERSION)

    plan = tensor_plan(spec, n_vocab)
    stored = [np.dtype(np.float16 if dtype == "F16" and len(shape) == 2 else np.float32) for _, shape in plan]
    for (tensor_name, shape), np_dtype in zip(plan, stored, strict=True):
        w.add_tensor_info(tensor_name, shape, np_dtype, math.prod(shape) * np_dtype.itemsize)
    try:
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        for data, np_dtype in zip(tensors(plan), stored, strict=True):
            w.write_tensor_data(data.astype(np_dtype, copy=False))
    finally:
        w.close()
