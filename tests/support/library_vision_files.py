"""A small local library with vision models in it, for the library pairing tests.

Real tiny GGUFs from the demo factory: the demo VLM (256-wide text model and
its mmproj), a plain 256-wide text model, and a projector made 512 wide.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.demo.mmproj import MmprojSpec, write_mmproj

MISMATCHED = MmprojSpec(projection_dim=512, mm_hidden=512)  # fits no 256-wide model


@pytest.fixture(scope="session")
def plain_text_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 256-wide demo text model, with no hint of vision in its name or metadata."""
    from models.demo.factory import write_base_model

    return write_base_model(tmp_path_factory.mktemp("plain") / "workbench-tiny-F32.gguf")


def build_vision_library(models_dir: Path, lmstudio_dir: Path, vlm: dict[str, Path], plain: Path) -> dict[str, Path]:
    """File name -> path of every file written.

    models_dir: the demo VLM pair (paired by name), a plain model (same width,
    not paired) and a clip file whose name does not say mmproj (Auto ignores it).
    lmstudio_dir/pub/other-vlm-GGUF: a model and a projector of another width.
    lmstudio_dir/pub/gemma-3-4b-it-GGUF: two quants and one generic mmproj-F16.gguf.
    """
    other = lmstudio_dir / "pub" / "other-vlm-GGUF"
    repo = lmstudio_dir / "pub" / "gemma-3-4b-it-GGUF"
    copies = [
        (vlm["model"], models_dir / "workbench-vlm-tiny-F32.gguf"),
        (vlm["mmproj"], models_dir / "mmproj-workbench-vlm-tiny-F32.gguf"),
        (vlm["mmproj"], models_dir / "vision-encoder.gguf"),
        (plain, models_dir / "workbench-tiny-F32.gguf"),
        (vlm["model"], other / "other-vlm-Q4_K_M.gguf"),
        (vlm["model"], repo / "gemma-3-4b-it-Q4_K_M.gguf"),
        (vlm["model"], repo / "gemma-3-4b-it-Q8_0.gguf"),
        (vlm["mmproj"], repo / "mmproj-F16.gguf"),
    ]
    files = {}
    for src, dst in copies:
        dst.parent.mkdir(parents=True, exist_ok=True)
        files[dst.name] = Path(shutil.copyfile(src, dst))
    files["mmproj-other-vlm-F16.gguf"] = write_mmproj(other / "mmproj-other-vlm-F16.gguf", MISMATCHED)
    return files
