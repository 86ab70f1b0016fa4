"""A target/draft pair for speculative decoding, with agreement you can dial.

The target is the draft's layers (the very same weights) followed by extra
layers whose output projections (``attn_output`` and ``ffn_down``) are
multiplied by ``scale``. Each extra layer costs a full layer of compute, but
adds only ``scale`` × its output to the residual stream, so at scale 0 the
target predicts exactly the draft's tokens and raising the scale lowers the
agreement. Embeddings, norms and the output head are shared, and so is the
tokenizer (the demo vocabulary).

Weights are drawn per tensor from a generator seeded by (seed, tensor name),
so the draft's tensors and the target's copies of them are bit-identical.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.demo.factory import _atomic_output
from models.demo.vocab import build_vocab
from models.demo.weights import FORMAT_VERSION, KEY_FORMAT, KEY_SEED, KEY_SPEC, LOGIT_SCALE, DemoSpec, write_llama_gguf
from models.errors import WorkbenchError

# Scale of the extra layers' output projections for the default pair: greedy
# acceptance stays above 90% (benchmarks/spec_vs_plain.py measures it).
DEFAULT_SCALE = 0.005


@dataclass(frozen=True)
class PairSpec:
    draft: DemoSpec
    extra_layers: int
    dtype: str = "F16"

    def target(self, scale: float) -> DemoSpec:
        d = self.draft
        return DemoSpec(f"{d.name}-target-x{self.extra_layers}-s{scale:g}", d.n_embd,
                        d.n_layers + self.extra_layers, d.n_head, d.n_head_kv, d.n_ff, d.n_ctx_train)


PAIR_SPECS: dict[str, PairSpec] = {
    # Benchmarks and the demo folder: the target costs well over 8x the draft.
    # F32: on CPUs a batched F32 decode costs little more than a one-token one
    # (F16 and Q8_0 batches cost several times more here), which is what
    # speculative verification relies on.
    "small": PairSpec(DemoSpec("pair-draft", n_embd=512, n_layers=2, n_head=8, n_head_kv=8, n_ff=1536,
                               n_ctx_train=4096), extra_layers=22, dtype="F32"),
    # Tests: builds in well under a second.
    "tiny": PairSpec(DemoSpec("pair-tiny-draft", n_embd=256, n_layers=1, n_head=4, n_head_kv=4, n_ff=512,
                              n_ctx_train=2048), extra_layers=3, dtype="F32"),
}


def _tensor(name: str, shape: tuple[int, ...], seed: int, first_extra: int, scale: float) -> np.ndarray:
    if len(shape) == 1:
        return np.ones(shape, dtype=np.float32)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    w = rng.standard_normal(shape, dtype=np.float32)
    if name == "output.weight":
        readable = np.array(build_vocab().readable, dtype=np.float32)
        w *= (readable * np.float32(LOGIT_SCALE / math.sqrt(shape[1])))[:, None]
    elif name != "token_embd.weight":
        w *= np.float32(1.0 / math.sqrt(shape[1]))
        layer = int(name.split(".")[1])
        if layer >= first_extra and name.endswith(("attn_output.weight", "ffn_down.weight")):
            w *= np.float32(scale)
    return w


def _write(path: Path, spec: DemoSpec, seed: int, dtype: str, first_extra: int, scale: float) -> None:
    # The same tokenizer as every demo model: a draft must share it.
    write_llama_gguf(path, spec, seed, dtype, build_vocab(),
                     lambda plan: (_tensor(name, shape, seed, first_extra, scale) for name, shape in plan))


def _is_current(path: Path, spec: DemoSpec, seed: int) -> bool:
    """A complete file from this exact spec (its name carries the scale) and seed."""
    from models.gguf.validate import validate_gguf

    try:
        meta = validate_gguf(path).metadata
    except WorkbenchError:
        return False
    return meta.get(KEY_SPEC) == spec.name and meta.get(KEY_SEED) == seed and meta.get(KEY_FORMAT) == FORMAT_VERSION


def pair_file_names(kind: str, scale: float) -> tuple[str, str]:
    spec = PAIR_SPECS[kind]
    return f"workbench-{spec.draft.name}.gguf", f"workbench-{spec.target(scale).name}.gguf"


def write_pair(out_dir: str | os.PathLike[str], kind: str = "small", scale: float = DEFAULT_SCALE,
               seed: int = 0, progress: Callable[[int, int, str], Any] | None = None) -> tuple[Path, Path]:
    """Write (draft, target) into ``out_dir``; files already current are kept."""
    if kind not in PAIR_SPECS:
        raise WorkbenchError(f"unknown pair {kind!r}; valid: {', '.join(PAIR_SPECS)}")
    if not math.isfinite(scale) or scale < 0:
        raise WorkbenchError(f"the pair's scale must be a finite number >= 0, got {scale!r}")
    pair = PAIR_SPECS[kind]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    draft_name, target_name = pair_file_names(kind, scale)
    steps = [(out / draft_name, pair.draft, "draft"), (out / target_name, pair.target(scale), "target")]
    for done, (path, spec, label) in enumerate(steps):
        if progress is not None:
            progress(done, len(steps), label)
        if not _is_current(path, spec, seed):
            with _atomic_output(path) as part:
                _write(part, spec, seed, pair.dtype, pair.draft.n_layers, scale)
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return steps[0][0], steps[1][0]


def build_demo_pair(out_dir: Path, progress: Callable[[int, int, str], Any] | None = None) -> list[tuple[str, Path]]:
    """The demo catalog's "spec-pair" kind: the small draft and its target."""
    draft, target = write_pair(out_dir, "small", DEFAULT_SCALE, progress=progress)
    return [("spec-draft", draft), ("spec-target", target)]

