"""Shared fixtures: demo models are built once per test session."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def demo_ladder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """quant name -> path, for F32 and the whole K-quant ladder (tiny spec)."""
    from models.demo.factory import build_demo_models

    out = tmp_path_factory.mktemp("demo-models")
    return {m.quant: m.path for m in build_demo_models(out, spec="tiny", seed=0)}


@pytest.fixture(scope="session")
def demo_model(demo_ladder: dict[str, Path]) -> Path:
    return demo_ladder["Q4_K_M"]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real data folder."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "workbench-home"))


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    """Qt objects must be freed on the GUI thread (see ui/shell/gui_gc.py)."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def gemma_model() -> Path:
    """Real Gemma 3 270M Q4_K_M (see tests/support/real_models.py); skips if its packages are missing."""
    from tests.support.real_models import gemma3_270m

    return gemma3_270m()


@pytest.fixture(scope="session")
def smollm_model() -> Path:
    """Real SmolLM2-135M-Instruct Q4_1 (llama architecture with a chat template)."""
    from tests.support.real_models import smollm2_135m

    return smollm2_135m()
