"""Every kind of demo model ``workbench demo-models`` can write, by name.

Each builder takes (out_dir, progress) and returns the files it wrote as
(label, path) pairs. Builders are imported lazily: some need optional
packages (onnx, coremltools) that only their own kind uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

Progress = Callable[[int, int, str], Any] | None
Builder = Callable[[Path, Progress], list[tuple[str, Path]]]

# kind -> "module:function"; the text-model ladder is built by demo_cmd itself.
DEMO_KINDS: dict[str, str] = {
    "coreml": "models.demo.coreml:build_demo_coreml",
    "gemma3": "models.demo.gemma3:build_demo_gemma3",
    "onnx": "models.demo.onnx:build_demo_onnx",
    "spec-pair": "models.demo.draft_pair:build_demo_pair",
    "vlm": "models.demo.mmproj:build_demo_vlm",
    "whisper": "models.demo.whisper:build_demo_whisper",
}

# Kinds whose tokenizer is one of llama.cpp's models/ggml-vocab-NAME.gguf files: kind -> NAME.
# The caller finds the file (in the pinned sdist) and passes it as vocab_file=.
REAL_VOCAB: dict[str, str] = {"gemma3": "llama-spm"}


def demo_builder(kind: str) -> Builder:
    try:
        module_name, function = DEMO_KINDS[kind].split(":")
    except KeyError:
        raise ValueError(f"unknown demo kind {kind!r}; known: {', '.join(sorted(DEMO_KINDS))}") from None
    return getattr(importlib.import_module(module_name), function)
