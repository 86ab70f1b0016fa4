"""The whisper model catalog, and pulling a whisper file from a Hub look-alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.demo.whisper import write_whisper_model
from models.errors import WorkbenchError
from models.whisper.catalog import CATALOG, WHISPER_REPO, catalog_entry, locate
from runtimes.registry import runtime_for
from tests.support.fake_hub import FakeHub, FakeRepo
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT


def test_every_size_has_its_quantized_variants():
    names = {e.name for e in CATALOG}
    assert len(names) == len(CATALOG) == 30
    for size in ("tiny", "base", "small"):
        assert {size, f"{size}.en", f"{size}-q5_1", f"{size}-q8_0"} <= names
    for size in ("medium", "large-v2", "large-v3-turbo"):
        assert {size, f"{size}-q5_0", f"{size}-q8_0"} <= names
    assert {"large-v1", "large-v3", "large-v3-q5_0"} <= names


def test_entries_describe_the_files():
    entry = catalog_entry("ggml-base.en-q5_1.bin")
    assert (entry.name, entry.model, entry.size, entry.quant, entry.english_only) == (
        "base.en-q5_1", "base.en", "base", "Q5_1", True)
    assert entry.hparams().n_vocab == 51864 and entry.hparams().weight_type.name == "Q5_1"
    turbo = catalog_entry("large-v3-turbo")
    assert (turbo.hparams().n_mels, turbo.hparams().n_vocab, turbo.hparams().n_text_layer) == (128, 51866, 4)
    assert turbo.pull_command() == f"workbench pull {WHISPER_REPO} ggml-large-v3-turbo.bin"
    assert catalog_entry("small.en-tdrz").diarization
    with pytest.raises(WorkbenchError, match="no whisper model 'huge'"):
        catalog_entry("huge")


@pytest.mark.parametrize(("name", "listed_mib"), [
    # whisper.cpp models/README.md, "Available models" (its MiB figures are rounded)
    ("tiny", 75), ("base", 142), ("small", 466), ("large-v3-turbo", 1.5 * 1024), ("large-v3-turbo-q5_0", 547),
])
def test_computed_sizes_match_whisper_cpps_list(name, listed_mib):
    assert catalog_entry(name).approx_bytes / 2**20 == pytest.approx(listed_mib, rel=0.02)


def test_sha1_only_where_whisper_cpp_publishes_one():
    assert catalog_entry("tiny").sha1 == "bd577a113a864445d4c299885e0cb97d4ba92b5f"
    assert catalog_entry("tiny-q5_1").sha1 is None


def test_pull_fetches_a_whisper_file_the_runtime_and_catalog_then_find(tmp_path):
    model_bytes = write_whisper_model(tmp_path / "src" / "ggml-tiny.bin").read_bytes()
    hub = FakeHub()
    hub.add(FakeRepo(WHISPER_REPO, {"ggml-tiny.bin": model_bytes, "README.md": b"# whisper.cpp\n"}))
    hub.start()
    cache = tmp_path / "hf-cache"
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": str(cache), "HF_TOKEN": "",
           "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    try:
        done = subprocess.run([sys.executable, "-m", "app.cli.main", "pull", WHISPER_REPO, "ggml-tiny.bin"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        hub.stop()
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.read_bytes() == model_bytes
    assert runtime_for(path).name == "whisper.cpp"
    assert locate(catalog_entry("tiny"), tmp_path / "models", cache) == path
    assert locate(catalog_entry("base"), tmp_path / "models", cache) is None
