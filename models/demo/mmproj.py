"""A tiny vision-language demo: a llama text model plus an mmproj (CLIP
encoder + LLaVA "mlp" projector) that llama.cpp's mtmd library loads.

Hyperparameter keys and tensor names follow vendor/llama.cpp/tools/mtmd in the
llama-cpp-python sdist: clip-impl.h (KEY_*, TN_*), clip.cpp load_hparams /
load_tensors, and models/llava.cpp (the graph that uses them). The "mlp"
projector is the simplest one mtmd supports: images are resized to a fixed
square, every patch becomes one token (no merging, pooling or slicing), so an
image adds exactly (image_size / patch_size) ** 2 tokens to the context.

Random weights: the point is that an image really goes through the encoder
and lands in the context, not that the model describes it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUFWriter, LlamaFileType

from models.demo.factory import _atomic_output, _spec
from models.demo.weights import write_gguf

VLM_TEXT_NAME = "workbench-vlm-tiny-F32.gguf"
VLM_MMPROJ_NAME = "mmproj-workbench-vlm-tiny-F32.gguf"
VLM_TEXT_SPEC = "tiny"  # n_embd 256: the projector's output width must match it


@dataclass(frozen=True)
class MmprojSpec:
    image_size: int = 64  # images are resized to this square
    patch_size: int = 8  # 8x8 patches -> 64 image tokens
    n_embd: int = 64  # vision transformer width
    n_head: int = 4
    n_ff: int = 256
    n_layers: int = 2  # llava reads the second-to-last layer, so one runs
    projection_dim: int = 256  # = the text model's embedding width
    mm_hidden: int = 256  # the MLP projector's hidden width

    @property
    def n_patches(self) -> int:
        """Image tokens per image: mtmd's clip_n_output_tokens for PROJECTOR_TYPE_MLP."""
        return (self.image_size // self.patch_size) ** 2


def _tensor_plan(spec: MmprojSpec) -> list[tuple[str, tuple[int, ...]]]:
    """(name, numpy shape); numpy shapes are ggml's ne reversed."""
    d, ff, p = spec.n_embd, spec.n_ff, spec.patch_size
    plan: list[tuple[str, tuple[int, ...]]] = [
        ("v.class_embd", (d,)),
        ("v.patch_embd.weight", (d, 3, p, p)),  # conv2d kernel, ne = [p, p, 3, d]
        ("v.patch_embd.bias", (d,)),
        ("v.position_embd.weight", (spec.n_patches + 1, d)),  # +1: the class token
        ("v.pre_ln.weight", (d,)),
        ("v.pre_ln.bias", (d,)),
    ]
    for i in range(spec.n_layers):
        b = f"v.blk.{i}"
        plan += [(f"{b}.ln1.weight", (d,)), (f"{b}.ln1.bias", (d,))]
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            plan += [(f"{b}.{name}.weight", (d, d)), (f"{b}.{name}.bias", (d,))]
        plan += [
            (f"{b}.ln2.weight", (d,)), (f"{b}.ln2.bias", (d,)),
            (f"{b}.ffn_up.weight", (ff, d)), (f"{b}.ffn_up.bias", (ff,)),
            (f"{b}.ffn_down.weight", (d, ff)), (f"{b}.ffn_down.bias", (d,)),
        ]
    plan += [
        ("mm.0.weight", (spec.mm_hidden, d)), ("mm.0.bias", (spec.mm_hidden,)),
        ("mm.2.weight", (spec.projection_dim, spec.mm_hidden)), ("mm.2.bias", (spec.projection_dim,)),
    ]
    return plan


def _tensor_data(plan: list[tuple[str, tuple[int, ...]]], seed: int) -> Iterator[np.ndarray]:
    """Norm weights 1 and biases 0 (a sane encoder), the rest N(0, 1/fan_in)."""
    rng = np.random.default_rng(seed)
    for name, shape in plan:
        if name.endswith(".bias"):
            yield np.zeros(shape, dtype=np.float32)
        elif ("ln" in name.split(".")[-2]) and len(shape) == 1:
            yield np.ones(shape, dtype=np.float32)
        else:
            fan_in = math.prod(shape[1:]) if len(shape) > 1 else 1
            yield rng.standard_normal(shape, dtype=np.float32) * np.float32(1.0 / math.sqrt(fan_in))


def write_mmproj(path: str | os.PathLike[str], spec: MmprojSpec = MmprojSpec(), seed: int = 0) -> Path:
    """Write the mmproj atomically (architecture "clip", projector "mlp")."""
    dst = Path(path)
    with _atomic_output(dst) as part:
        w = GGUFWriter(part, "clip")
        w.add_name("Workbench demo VLM projector")
        w.add_file_type(int(LlamaFileType.ALL_F32))
        w.add_clip_has_vision_encoder(True)
        w.add_clip_projector_type("mlp")
        w.add_vision_image_size(spec.image_size)
        w.add_vision_patch_size(spec.patch_size)
        w.add_vision_embedding_length(spec.n_embd)
        w.add_vision_feed_forward_length(spec.n_ff)
        w.add_vision_block_count(spec.n_layers)
        w.add_vision_head_count(spec.n_head)
        w.add_vision_attention_layernorm_eps(1e-5)
        w.add_vision_projection_dim(spec.projection_dim)
        w.add_vision_image_mean([0.48145466, 0.4578275, 0.40821073])  # CLIP's
        w.add_vision_image_std([0.26862954, 0.26130258, 0.27577711])
        w.add_vision_use_gelu(True)
        plan = _tensor_plan(spec)
        for (name, _shape), data in zip(plan, _tensor_data(plan, seed), strict=True):
            w.add_tensor(name, data)
        try:
            w.write_header_to_file()
            w.write_kv_data_to_file()
            w.write_tensors_to_file()
        finally:
            w.close()
    return dst


def write_vlm_text_model(path: str | os.PathLike[str], seed: int = 0) -> Path:
    """The tiny llama text model, named so the library sees a vision model."""
    dst = Path(path)
    with _atomic_output(dst) as part:
        write_gguf(part, _spec(VLM_TEXT_SPEC), seed, "F32", name="Workbench demo VLM tiny")
    return dst


def build_demo_vlm(out_dir: Path, progress: Callable[[int, int, str], Any] | None = None) -> list[tuple[str, Path]]:
    """demo_catalog builder: the text model and its matching mmproj."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps = [("vlm text model", out / VLM_TEXT_NAME, write_vlm_text_model),
             ("vlm mmproj", out / VLM_MMPROJ_NAME, write_mmproj)]
    for done, (label, path, write) in enumerate(steps):
        if progress is not None:
            progress(done, len(steps), label)
        write(path)
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return [(label, path) for label, path, _ in steps]
