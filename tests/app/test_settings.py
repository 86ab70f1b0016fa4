"""Settings: defaults, round trip, v1 migration, env overrides, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.paths import models_dir
from app.settings import SCHEMA_VERSION, Settings, load_settings, save_settings, settings_path


@pytest.fixture(autouse=True)
def _no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODELS_DIR", "THEME", "N_CTX", "N_GPU_LAYERS", "N_THREADS"):
        monkeypatch.delenv(f"WORKBENCH_{name}", raising=False)


def write_json(data: object) -> Path:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_defaults_when_no_file_exists():
    assert not settings_path().exists()
    settings = load_settings()
    assert settings == Settings()
    assert settings.theme == "system"
    assert settings.n_ctx == 4096
    assert settings.n_gpu_layers == 0
    assert settings.n_threads == 0
    assert settings.models_dir == str(models_dir())
    assert settings.recent_models == []


def test_settings_live_under_workbench_home(tmp_path):
    assert settings_path() == tmp_path / "workbench-home" / "config" / "settings.json"


def test_round_trip_keeps_every_field():
    settings = Settings(models_dir="/data/gguf", theme="dark", n_ctx=8192, n_gpu_layers=-1, n_threads=6)
    settings.add_recent("/data/gguf/a.gguf")
    settings.add_recent("/data/gguf/b.gguf")
    save_settings(settings)

    stored = json.loads(settings_path().read_text(encoding="utf-8"))
    assert stored["version"] == SCHEMA_VERSION
    loaded = load_settings()
    assert loaded == settings
    assert loaded.recent_models == ["/data/gguf/b.gguf", "/data/gguf/a.gguf"]


def test_save_leaves_no_temporary_file():
    save_settings(Settings(theme="light"))
    assert [p.name for p in settings_path().parent.iterdir()] == ["settings.json"]


def test_v1_file_is_migrated():
    write_json({"version": 1, "context_length": 2048, "theme": "light", "models_dir": "/old/models"})
    settings = load_settings()
    assert settings.n_ctx == 2048
    assert settings.theme == "light"
    assert settings.models_dir == "/old/models"


def test_file_without_version_is_treated_as_v1():
    write_json({"context_length": 1024})
    assert load_settings().n_ctx == 1024


def test_migrated_file_is_saved_as_current_version():
    write_json({"version": 1, "context_length": 2048})
    save_settings(load_settings())
    stored = json.loads(settings_path().read_text(encoding="utf-8"))
    assert stored["version"] == SCHEMA_VERSION
    assert stored["n_ctx"] == 2048
    assert "context_length" not in stored


def test_env_overrides_a_stored_value(monkeypatch):
    save_settings(Settings(theme="light", n_ctx=2048))
    monkeypatch.setenv("WORKBENCH_THEME", "dark")
    monkeypatch.setenv("WORKBENCH_N_CTX", "512")
    settings = load_settings()
    assert settings.theme == "dark"
    assert settings.n_ctx == 512


def test_malformed_env_override_is_ignored(monkeypatch):
    save_settings(Settings(theme="light", n_ctx=2048))
    monkeypatch.setenv("WORKBENCH_THEME", "purple")
    monkeypatch.setenv("WORKBENCH_N_CTX", "lots")
    settings = load_settings()
    assert settings.theme == "light"
    assert settings.n_ctx == 2048


def test_env_override_is_not_written_back(monkeypatch):
    save_settings(Settings(theme="light", n_ctx=2048))
    monkeypatch.setenv("WORKBENCH_THEME", "dark")
    settings = load_settings()
    settings.n_ctx = 1024  # the user changes something else and saves
    save_settings(settings)

    monkeypatch.delenv("WORKBENCH_THEME")
    reloaded = load_settings()
    assert reloaded.theme == "light"
    assert reloaded.n_ctx == 1024


def test_user_change_to_an_overridden_field_is_saved(monkeypatch):
    save_settings(Settings(theme="light"))
    monkeypatch.setenv("WORKBENCH_THEME", "dark")
    settings = load_settings()
    settings.theme = "system"
    save_settings(settings)

    monkeypatch.delenv("WORKBENCH_THEME")
    assert load_settings().theme == "system"


@pytest.mark.parametrize("content", ["{not json", "", "[1, 2, 3]", "null", '"dark"', '{"version": "x"}'])
def test_corrupt_file_falls_back_to_defaults(content):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    assert load_settings() == Settings()


def test_bad_values_fall_back_field_by_field():
    write_json(
        {
            "version": SCHEMA_VERSION,
            "theme": "neon",
            "n_ctx": "huge",
            "n_gpu_layers": -5,
            "n_threads": True,
            "recent_models": "not-a-list",
            "models_dir": "/kept/models",
        }
    )
    settings = load_settings()
    assert settings.theme == "system"
    assert settings.n_ctx == 4096
    assert settings.n_gpu_layers == 0
    assert settings.n_threads == 0
    assert settings.recent_models == []
    assert settings.models_dir == "/kept/models"


def test_unknown_keys_are_ignored():
    write_json({"version": SCHEMA_VERSION, "theme": "dark", "from_the_future": 1})
    assert load_settings().theme == "dark"


def test_each_models_prompt_format_is_kept_and_a_malformed_map_is_dropped():
    settings = Settings(prompt_formats={"/m/gemma.gguf": "gemma", "/m/base.gguf": "completion"})
    save_settings(settings)
    assert load_settings().prompt_formats == {"/m/gemma.gguf": "gemma", "/m/base.gguf": "completion"}
    write_json({"version": SCHEMA_VERSION, "prompt_formats": {"/m/a.gguf": 3}, "theme": "dark"})
    loaded = load_settings()
    assert loaded.prompt_formats == {} and loaded.theme == "dark"  # only the bad field is lost


def test_rpc_endpoints_round_trip_and_bad_ones_fall_back(monkeypatch):
    settings = load_settings()
    assert settings.rpc_endpoints == []
    settings.rpc_endpoints = ["10.0.0.2:50052", "10.0.0.3:50052"]
    save_settings(settings)
    assert load_settings().rpc_endpoints == ["10.0.0.2:50052", "10.0.0.3:50052"]
    write_json({"version": SCHEMA_VERSION, "rpc_endpoints": ["nohost"], "n_ctx": 2048})
    assert load_settings().rpc_endpoints == [] and load_settings().n_ctx == 2048  # only the bad field resets
    monkeypatch.setenv("WORKBENCH_RPC_ENDPOINTS", "127.0.0.1:5001, 127.0.0.1:5002")
    assert load_settings().rpc_endpoints == ["127.0.0.1:5001", "127.0.0.1:5002"]
