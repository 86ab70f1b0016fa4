"""The library scan links vision models to their projectors, as loading with "Auto" would."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.gguf.validate import validate_gguf
from models.library.scan import group_siblings, scan_library
from runtimes.llama_cpp.vision.setup import AUTO, plan_vision
from tests.support.library_vision_files import build_vision_library, plain_text_model  # noqa: F401 (fixture)
from tests.support.vision_fixtures import demo_vlm  # noqa: F401 (fixture)


@pytest.fixture
def library(tmp_path: Path, demo_vlm, plain_text_model):  # noqa: F811
    files = build_vision_library(tmp_path / "models", tmp_path / "lmstudio", demo_vlm, plain_text_model)
    entries = scan_library([("workbench", tmp_path / "models", False), ("lmstudio", tmp_path / "lmstudio", True)])
    return files, {e.display_name: e for e in entries}


def test_models_with_a_projector_beside_them_are_paired(library):
    files, entries = library
    paired = {name: e.projector.name for name, e in entries.items() if e.projector is not None}
    assert paired == {
        "workbench-vlm-tiny-F32.gguf": "mmproj-workbench-vlm-tiny-F32.gguf",
        "gemma-3-4b-it-Q4_K_M.gguf": "mmproj-F16.gguf",
        "gemma-3-4b-it-Q8_0.gguf": "mmproj-F16.gguf",
    }
    assert entries["workbench-vlm-tiny-F32.gguf"].vision_note == "its name matches"
    assert entries["gemma-3-4b-it-Q8_0.gguf"].vision_note == "it ships in the model's folder"
    assert entries["mmproj-F16.gguf"].serves == (files["gemma-3-4b-it-Q4_K_M.gguf"], files["gemma-3-4b-it-Q8_0.gguf"])


def test_projectors_are_recognised_and_not_chat_models(library):
    _, entries = library
    projectors = {name for name, e in entries.items() if e.is_projector}
    assert projectors == {"mmproj-workbench-vlm-tiny-F32.gguf", "vision-encoder.gguf", "mmproj-F16.gguf",
                          "mmproj-other-vlm-F16.gguf"}
    assert all(entries[name].sibling_key is None for name in projectors)
    assert not any(e.info.architecture == "clip" for group in group_siblings(list(entries.values())).values()
                   for e in group)
    assert "does not say mmproj" in entries["vision-encoder.gguf"].vision_note  # Auto never picks it


def test_a_projector_of_another_width_is_not_paired(library):
    _, entries = library
    assert entries["other-vlm-Q4_K_M.gguf"].projector is None  # its name matches, its width does not
    mismatched = entries["mmproj-other-vlm-F16.gguf"]
    assert mismatched.serves == ()
    assert "produces 512-wide embeddings but the model's embedding width is 256" in mismatched.vision_note


def test_a_plain_model_next_to_a_projector_is_not_paired(library):
    _, entries = library
    assert entries["workbench-tiny-F32.gguf"].projector is None
    assert entries["workbench-tiny-F32.gguf"].vision_note is None


def test_the_library_says_what_auto_will_load(library):
    """A model marked in the library loads with that projector; an unmarked one loads text only."""
    files, entries = library
    for name, entry in entries.items():
        if entry.is_projector:
            continue
        plan = plan_vision(files[name], validate_gguf(files[name]), AUTO)
        assert (plan.mmproj.path if plan.mmproj else None) == entry.projector, name
