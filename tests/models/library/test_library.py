"""Local library: scan our folders, import LM Studio/Ollama read-only, group quants, delete safely."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from models.errors import WorkbenchError
from models.library.scan import default_sources, delete_model, group_siblings, name_stem, scan_library


@pytest.fixture
def folders(tmp_path, demo_ladder):
    home, models, cache = tmp_path / "home", tmp_path / "models", tmp_path / "hf"
    models.mkdir()
    shutil.copy(demo_ladder["Q8_0"], models / "workbench-tiny-Q8_0.gguf")
    (models / "broken.gguf").write_bytes(b"not a gguf")
    lms = home / ".lmstudio" / "models" / "pub" / "repo"
    lms.mkdir(parents=True)
    shutil.copy(demo_ladder["Q4_K_M"], lms / "workbench-tiny-Q4_K_M.gguf")
    data = demo_ladder["Q2_K"].read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    ollama = home / ".ollama" / "models"
    (ollama / "blobs").mkdir(parents=True)
    (ollama / "blobs" / f"sha256-{digest}").write_bytes(data)
    manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "tiny" / "q2"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"layers": [{"mediaType": "application/vnd.ollama.image.model",
                                                "digest": f"sha256:{digest}"}]}))
    return default_sources(models, cache, home)


def test_scan_finds_all_sources_with_metadata(folders):
    entries = {e.display_name: e for e in scan_library(folders)}
    assert entries["workbench-tiny-Q8_0.gguf"].source == "workbench"
    lms = entries["workbench-tiny-Q4_K_M.gguf"]
    assert lms.source == "lmstudio" and lms.read_only
    assert entries["tiny:q2"].source == "ollama" and entries["tiny:q2"].info.file_type_name == "Q2_K"
    assert entries["broken.gguf"].info is None and "bad magic" in entries["broken.gguf"].problem


def test_quants_of_one_model_are_siblings(folders):
    groups = group_siblings(scan_library(folders))
    tiny = [g for g in groups.values() if len(g) > 1]
    assert len(tiny) == 1 and {e.source for e in tiny[0]} == {"workbench", "lmstudio"}  # ollama's name differs


def test_name_stem():
    assert name_stem("Llama-3.2-1B-Instruct-Q4_K_M.gguf") == "llama-3.2-1b-instruct"
    assert name_stem("big-Q8_0-00001-of-00002.gguf") == "big"


def test_delete_refuses_imports_and_needs_confirmation(folders):
    entries = {e.display_name: e for e in scan_library(folders)}
    with pytest.raises(WorkbenchError, match="imported read-only"):
        delete_model(entries["tiny:q2"], confirmed=True)
    assert entries["tiny:q2"].path.exists()
    ours = entries["workbench-tiny-Q8_0.gguf"]
    with pytest.raises(WorkbenchError, match="not confirmed"):
        delete_model(ours, confirmed=False)
    delete_model(ours, confirmed=True)
    assert not ours.path.exists()
