"""The workbench command, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli.main import main

# llama-bench's JSON fields that workbench fills the same way.
LLAMA_BENCH_FIELDS = {
    "build_commit", "build_number", "cpu_info", "gpu_info", "backends", "model_filename", "model_type",
    "model_size", "model_n_params", "n_batch", "n_ubatch", "n_threads", "cpu_mask", "cpu_strict", "poll",
    "type_k", "type_v", "n_gpu_layers", "split_mode", "main_gpu", "no_kv_offload", "flash_attn",
    "tensor_split", "embeddings", "n_prompt", "n_gen", "n_depth", "test_time", "avg_ns", "stddev_ns",
    "avg_ts", "stddev_ts", "samples_ns", "samples_ts",
}  # fmt: skip


def workbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args], capture_output=True, text=True, timeout=120
    )


def test_bench_json_has_llama_bench_fields(demo_model, capsys):
    assert main(["bench", str(demo_model), "-p", "32", "-n", "8", "-r", "2", "-t", "2", "-o", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["n_prompt"], r["n_gen"]) for r in records] == [(32, 0), (0, 8)]
    for record in records:
        assert LLAMA_BENCH_FIELDS <= record.keys()
        assert len(record["samples_ts"]) == 2
        assert record["avg_ts"] > 0
        assert len(record["samples_cpu_ns"]) == 2 and record["cpu_ms_per_token"] > 0
        assert record["n_threads"] == 2
        assert record["model_filename"] == str(demo_model)


def test_generate_json_is_deterministic_with_a_seed(demo_model, capsys):
    args = ["generate", str(demo_model), "-p", "Hi", "-n", "10", "--seed", "5", "-c", "256", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["text"] == second["text"]
    assert first["stats"]["n_gen"] == 10


def test_generate_streams_text_and_prints_a_stats_line(demo_model):
    result = workbench("generate", str(demo_model), "-p", "Hi", "-n", "6", "-c", "256", "--temp", "0")
    assert result.returncode == 0
    assert "TTFT" in result.stderr and "gen" in result.stderr and "peak RSS" in result.stderr
    assert "ms/tok" in result.stderr  # the worker's CPU time per generated token


def test_inspect_json(demo_model, capsys):
    assert main(["inspect", str(demo_model), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["architecture"] == "llama"
    assert info["file_type_name"] == "Q4_K_M"
    assert info["chat_template"]


def test_runtimes_lists_llama_cpp_with_cpu(capsys):
    assert main(["runtimes", "--json"]) == 0
    runtimes = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert runtimes["llama.cpp"]["available"]
    assert "text-generation" in runtimes["llama.cpp"]["capabilities"]
    assert any(d["kind"] == "cpu" for d in runtimes["llama.cpp"]["devices"])


def test_runtimes_text_shows_each_device_memory(capsys, monkeypatch):
    import app.cli.runtimes_cmd as runtimes_cmd

    device = {"id": "vulkan0", "kind": "vulkan", "description": "llvmpipe", "memory_total": 2 * 2**30,
              "available": True, "reason": ""}
    unknown = {**device, "id": "cpu", "kind": "cpu", "description": "Xeon", "memory_total": None}
    monkeypatch.setattr(runtimes_cmd, "describe", lambda: [
        {"name": "llama.cpp", "available": True, "reason": "ok", "capabilities": [], "devices": [device, unknown]}])

    assert main(["runtimes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  device vulkan0 (vulkan): llvmpipe, 2048 MiB" in lines
    assert "  device cpu (cpu): Xeon" in lines


def test_demo_models_command(tmp_path, capsys):
    assert main(["demo-models", str(tmp_path), "--quants", "Q8_0"]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.gguf")) == ["workbench-tiny-F32.gguf", "workbench-tiny-Q8_0.gguf"]


@pytest.mark.parametrize(
    "args",
    [
        ("inspect", "/nonexistent/model.gguf"),
        ("generate", "__BAD__", "-p", "x"),
        ("bench", "__BAD__", "-r", "1"),
    ],
)
def test_bad_files_give_one_line_and_nonzero_exit(tmp_path, args):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"NOPE" + bytes(64))
    result = workbench(*(str(bad) if a == "__BAD__" else a for a in args))
    assert result.returncode == 1
    assert result.stderr.startswith("workbench: error:")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args", [("generate",), ("bench", "m.gguf", "-p", "abc"), ("generate", "m.gguf", "-p", "x", "-ctk", "q9")]
)
def test_bad_arguments_exit_2_without_traceback(args):
    result = workbench(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_quantized_v_cache_without_flash_attention_is_refused(demo_model):
    result = workbench("generate", str(demo_model), "-p", "x", "-ctv", "q8_0")
    assert result.returncode == 1
    assert "flash attention" in result.stderr
