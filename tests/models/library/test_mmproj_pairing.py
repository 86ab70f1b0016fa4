"""Pairing projectors with models, and picking the prompt handler, from metadata alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.demo.factory import write_base_model
from models.demo.mmproj import MmprojSpec, write_mmproj
from models.errors import WorkbenchError
from models.gguf.validate import validate_gguf
from models.library.mmproj_pairing import (
    MmprojInfo,
    auto_pair,
    find_mmproj_files,
    mmproj_stem,
    pair_library,
    read_mmproj,
    vision_hint,
)
from runtimes.llama_cpp.vision.handlers import choose_handler
from tests.support.vision_fixtures import demo_vlm  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def plain_model(tmp_path_factory) -> Path:
    """The 256-wide demo text model, with no hint of vision in its name or metadata."""
    return write_base_model(tmp_path_factory.mktemp("plain") / "workbench-tiny-F32.gguf")


def place(src: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(src, folder / name))


def pair(model: Path, candidates=None):
    return auto_pair(model, validate_gguf(model), candidates)


def test_mmproj_stem():
    assert mmproj_stem("mmproj-Qwen2.5-VL-7B-Instruct-f16.gguf") == "qwen2.5-vl-7b-instruct"
    assert mmproj_stem("gemma-3-4b-it-mmproj-F16.gguf") == "gemma-3-4b-it"
    assert mmproj_stem("mmproj-F16.gguf") == ""  # generic: pairs by folder, not by name


def test_read_mmproj_finds_width_from_tensors(demo_vlm):  # noqa: F811
    info = read_mmproj(demo_vlm["mmproj"])
    assert (info.projector_type, info.output_width, info.image_size, info.patch_size) == ("mlp", 256, 64, 8)


def test_mixed_folder_pairs_by_name_only(demo_vlm, plain_model, tmp_path: Path):  # noqa: F811
    folder = tmp_path / "models"
    vlm = place(demo_vlm["model"], folder, "workbench-vlm-tiny-F32.gguf")
    place(demo_vlm["mmproj"], folder, "mmproj-workbench-vlm-tiny-F32.gguf")
    text = place(plain_model, folder, "workbench-tiny-Q4_K_M.gguf")
    assert pair(vlm).mmproj.path.name == "mmproj-workbench-vlm-tiny-F32.gguf"
    assert pair(text) is None  # same folder and width, but another model's projector


def test_repository_folder_pairs_its_generic_projector(demo_vlm, tmp_path: Path):  # noqa: F811
    repo = tmp_path / "lmstudio-community" / "gemma-3-4b-it-GGUF"
    q4 = place(demo_vlm["model"], repo, "gemma-3-4b-it-Q4_K_M.gguf")
    place(demo_vlm["model"], repo, "gemma-3-4b-it-Q8_0.gguf")
    place(demo_vlm["mmproj"], repo, "mmproj-F16.gguf")
    choice = pair(q4)
    assert choice.mmproj.path.name == "mmproj-F16.gguf" and "model's folder" in choice.reason


def test_a_projector_of_another_width_is_never_paired(demo_vlm, tmp_path: Path):  # noqa: F811
    repo = tmp_path / "repo"
    model = place(demo_vlm["model"], repo, "workbench-vlm-tiny-Q4_K_M.gguf")
    write_mmproj(repo / "mmproj-workbench-vlm-tiny-F16.gguf", MmprojSpec(projection_dim=512, mm_hidden=512))
    assert pair(model) is None


def test_width_alone_pairs_only_a_vision_model_with_one_candidate(demo_vlm, plain_model, tmp_path: Path):  # noqa: F811
    elsewhere = find_mmproj_files(demo_vlm["mmproj"].parent)
    vlm = place(demo_vlm["model"], tmp_path / "a", "my-vlm-Q4_K_M.gguf")
    text = place(plain_model, tmp_path / "b", "my-text-Q4_K_M.gguf")
    assert "only mmproj" in pair(vlm, elsewhere).reason
    assert pair(text, elsewhere) is None
    two = elsewhere + [MmprojInfo(tmp_path / "x.gguf", "mlp", 256, 64, 8, None)]
    assert pair(vlm, two) is None  # ambiguous: let the user choose


def test_pair_library(demo_vlm, plain_model):  # noqa: F811
    models = [(p, validate_gguf(p)) for p in (demo_vlm["model"], plain_model)]
    pairs = pair_library(models, [read_mmproj(demo_vlm["mmproj"])])
    assert list(pairs) == [demo_vlm["model"]]


def test_vision_hints(demo_vlm, plain_model):  # noqa: F811
    assert "VLM" in vision_hint(demo_vlm["model"], validate_gguf(demo_vlm["model"]))
    assert vision_hint(plain_model, validate_gguf(plain_model)) is None
    assert "Qwen2.5-VL" in vision_hint(Path("Qwen2.5-VL-7B-Instruct-Q4_K_M.gguf"), validate_gguf(plain_model))


def _info(projector: str, pinpoints: bool = False) -> MmprojInfo:
    return MmprojInfo(Path("mmproj.gguf"), projector, 4096, 336, 14, None, pinpoints)


@pytest.mark.parametrize(
    ("meta", "projector", "pinpoints", "expected"),
    [
        ({"tokenizer.chat_template": "{{ x }}"}, "mlp", False, "mtmd"),
        ({}, "mlp", False, "llava-1.5"),
        ({}, "mlp", True, "llava-1.6"),
        ({}, "resampler", False, "minicpm-v-2.6"),
        ({}, "qwen2.5vl_merger", False, "qwen2.5-vl"),
        ({"general.name": "moondream2"}, "mlp", False, "moondream"),
        ({"tokenizer.chat_template": "{{ x }}"}, "gemma3", False, "mtmd"),
    ],
)
def test_handler_from_metadata(meta, projector, pinpoints, expected):
    assert choose_handler(meta, _info(projector, pinpoints))[0] == expected


def test_handler_override_and_unknown_name():
    chosen = choose_handler({"tokenizer.chat_template": "x"}, _info("mlp"), "llava-1.6")
    assert chosen == ("llava-1.6", "chosen by hand")
    with pytest.raises(WorkbenchError, match="unknown chat handler 'llava-9'.*llava-1.5"):
        choose_handler({}, _info("mlp"), "llava-9")
