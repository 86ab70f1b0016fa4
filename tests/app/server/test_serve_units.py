"""The Qt-free control-plane pieces without a server: names, preset INI, safe defaults, log parsing,
the memory budget and metrics parsing."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from app.server.budget import MemoryBudget
from app.server.config import ServeConfig, exposure_warning, resolve_api_key
from app.server.control import parse_metrics
from app.server.names import ServedModel, select, served_models
from app.server.preset import preset_text
from app.server.request_log import RequestLogParser
from models.gguf.info import GGUFInfo
from models.library.scan import LibraryEntry


def _entry(name: str, source: str = "workbench", quant: str | None = "Q4_K_M", size: int = 100) -> LibraryEntry:
    info = GGUFInfo(f"/m/{name}", size, 3, "llama", None, 1, 1, size, None, 1, 1, 1, 64, 128, 15, quant, {}, {},
                    None, "gpt2", 256, 1, 2)
    return LibraryEntry(Path(f"/m/{name}"), source, False, name, info)


def test_served_names_follow_the_library():
    models = served_models([_entry("Llama-3.2-1B-Instruct-Q4_K_M.gguf"), _entry("qwen3:0.6b", "ollama", "Q8_0"),
                            _entry("llama-3.2-1b-instruct.Q4_K_M.gguf")])
    assert [m.name for m in models] == ["llama-3.2-1b-instruct:Q4_K_M", "llama-3.2-1b-instruct:Q4_K_M-2",
                                        "qwen3:0.6b"]
    assert models[0].alias == "Llama-3.2-1B-Instruct-Q4_K_M" and models[2].alias is None


def test_select_unknown_name_lists_valid_names():
    models = served_models([_entry("gemma-3-270m-Q4_K_M.gguf")])
    assert select(models, ["gemma-3-270m-Q4_K_M"]) == models  # by alias too
    with pytest.raises(ValueError, match=r"no model named 'nope'.*valid names: gemma-3-270m:Q4_K_M"):
        select(models, ["nope"])


def test_preset_ini_has_a_section_per_name():
    model = ServedModel("gemma-3-270m:Q4_K_M", Path("/m/g.gguf"), 1, "Q4_K_M", "workbench", "g")
    ini = configparser.ConfigParser()
    ini.read_string("[top]\n" + preset_text([model], 4096, 4, embeddings=True, idle_seconds=60))
    assert ini["*"]["c"] == "4096" and ini["*"]["sleep-idle-seconds"] == "60" and ini["*"]["pooling"] == "mean"
    assert ini["gemma-3-270m:Q4_K_M"]["model"] == "/m/g.gguf" and ini["gemma-3-270m:Q4_K_M"]["alias"] == "g"
    assert "sleep-idle-seconds" not in preset_text([model], 4096, 4, embeddings=False, idle_seconds=0)
    remote = configparser.ConfigParser()
    remote.read_string("[top]\n" + preset_text([model], 4096, 4, False, 0, rpc=("127.0.0.1:5001", "127.0.0.1:5002"),
                                                  n_gpu_layers=99))
    assert remote["*"]["rpc"] == "127.0.0.1:5001,127.0.0.1:5002" and remote["*"]["n-gpu-layers"] == "99"
    with pytest.raises(ValueError, match="newline"):
        preset_text([ServedModel("bad]\nname", Path("/m/x"), 1, "?", "file", None)], 4096, 1, False, 0)


def test_safe_defaults(monkeypatch):
    monkeypatch.delenv("WORKBENCH_API_KEY", raising=False)
    key, generated = resolve_api_key(None)
    assert generated and len(key) > 20 and resolve_api_key(None)[0] != key
    monkeypatch.setenv("WORKBENCH_API_KEY", "from-env")
    assert resolve_api_key(None) == ("from-env", False) and resolve_api_key("given") == ("given", False)
    config = ServeConfig("k")
    assert config.host == "127.0.0.1" and config.base_url == "http://127.0.0.1:1234/v1"
    assert exposure_warning("127.0.0.1") is None and exposure_warning("::1") is None
    assert "not loopback" in exposure_warning("0.0.0.0")
    with pytest.raises(ValueError, match="API key is required"):
        ServeConfig("")


LOG = """\
0.02.022.959 I srv          load: spawning server instance with name=smol:Q4_1 on port 54159
[54159] 0.01.085.312 I slot launch_slot_: id  1 | task 0 | processing task, is_child = 0
[54159] 0.06.578.431 I slot print_timing: id  1 | task 0 | prompt eval time =    2421.84 ms /    31 tokens (   78.12 ms per token,    12.80 tokens per second)
[54159] 0.06.578.464 I slot print_timing: id  1 | task 0 |        eval time =    3071.23 ms /     8 tokens (  438.75 ms per token,     2.28 tokens per second)
[54159] 0.06.578.550 I slot      release: id  1 | task 0 | stop processing: n_tokens = 38, truncated = 1
"""  # noqa: E501 - llama-server's own lines


def test_request_log_from_llama_server_lines():
    parser = RequestLogParser()
    records = [r for line in LOG.splitlines() for r in parser.feed(line)]
    assert len(records) == 1
    r = records[0]
    assert (r.model, r.prompt_tokens, r.prompt_ms, r.generated_tokens, r.tokens_per_second, r.status) == (
        "smol:Q4_1", 31, 2421.84, 8, 2.28, "truncated")


def test_budget_unloads_oldest_but_never_the_newest():
    budget = MemoryBudget(300, {"a": 200, "b": 200, "c": 50, "huge": 400})
    assert budget.to_unload({"a": "loaded"}) == []
    assert budget.to_unload({"a": "loaded", "c": "loaded"}) == []
    assert budget.to_unload({"a": "loaded", "c": "loaded", "b": "loading"}) == ["a"]
    assert budget.too_big() == ["huge"]
    assert MemoryBudget(100, {"huge": 400}).to_unload({"huge": "loaded"}) == []


def test_metrics_parse_llama_cpp_names():
    text = ("# HELP llamacpp:tokens_predicted_total x\n# TYPE llamacpp:tokens_predicted_total counter\n"
            "llamacpp:tokens_predicted_total 42\n# TYPE llamacpp:requests_processing gauge\n"
            "llamacpp:requests_processing 3\n")
    assert parse_metrics(text) == {"tokens_predicted_total": 42.0, "requests_processing": 3.0}
