"""Reference log-probabilities, computed once and reused by every variant and run.

Each entry is a llama.cpp ``--kl-divergence-base`` file (so llama-perplexity
can read it too) plus a small JSON sidecar with the reference's own scores.
Entries are keyed by the reference file's fingerprint, the text, the chunk
size and count, and the load options that change logits.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from app.paths import data_dir

_SAMPLE = 1 << 20


def cache_dir() -> Path:
    return data_dir() / "compare" / "reference-logits"


def file_fingerprint(path: Path) -> str:
    """Size plus hashes of the first and last MiB: cheap for multi-GB models,
    and any re-quantization changes the header or tensor data there."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        h.update(f.read(_SAMPLE))
        f.seek(max(0, size - _SAMPLE))
        h.update(f.read(_SAMPLE))
    return h.hexdigest()[:24]


def reference_key(reference: Path, text: bytes, n_ctx: int, n_chunks: int | None, logits_tag: str) -> str:
    parts = [file_fingerprint(reference), hashlib.sha256(text).hexdigest(), str(n_ctx), str(n_chunks), logits_tag]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


class ReferenceEntry:
    def __init__(self, key: str, root: Path | None = None) -> None:
        self.dir = root or cache_dir()
        self.base_path = self.dir / f"{key}.kld-base"
        self.meta_path = self.dir / f"{key}.json"
        self.nll_path = self.dir / f"{key}.nll.npy"

    def exists(self) -> bool:
        return self.base_path.is_file() and self.meta_path.is_file() and self.nll_path.is_file()

    def save(self, nll: np.ndarray, meta: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        np.save(self.nll_path, nll)
        tmp = self.meta_path.with_suffix(".json.part")
        tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, self.meta_path)  # written last: marks the entry complete

    def load(self) -> tuple[np.ndarray, dict[str, Any]]:
        return np.load(self.nll_path), json.loads(self.meta_path.read_text())
