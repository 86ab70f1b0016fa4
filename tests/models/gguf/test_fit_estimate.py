"""Fit estimator: formulas checked against llama.cpp's own logged buffer sizes
for the tiny demo model, verdicts against made-up machines, and the CLI."""

from __future__ import annotations

import json

import pytest

from app.cli.main import main
from models.gguf.fit_estimate import (
    FitRequest,
    Machine,
    compute_buffer_bytes,
    estimate,
    judge,
    kv_cache_bytes,
    shape_from_file,
    shape_from_header,
)
from models.hub.header import read_remote_header
from tests.support.fake_hub import DEMO_REPO as REPO

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixtures

MiB = 2**20
GiB = 2**30


@pytest.fixture
def shape(demo_ladder):
    return shape_from_file(demo_ladder["Q8_0"])


# Values llama.cpp printed for workbench-tiny-Q8_0 ("KV buffer size", "compute buffer size").
@pytest.mark.parametrize("n_ctx,kv,mib", [(512, "f16", 2.00), (2048, "f16", 8.00), (512, "q8_0", 1.0625),
                                          (4096, "q4_0", 4.50)])
def test_kv_cache_matches_llama_cpp(shape, n_ctx, kv, mib):
    assert kv_cache_bytes(shape, n_ctx, kv) == pytest.approx(mib * MiB, rel=0.01)


@pytest.mark.parametrize("n_ctx,flash,mib", [(512, False, 8.51), (2048, False, 23.51), (4096, False, 43.51),
                                             (512, True, 6.54), (4096, True, 10.04)])
def test_compute_buffer_close_to_llama_cpp(shape, n_ctx, flash, mib):
    # The flash-attention formula is coarser (its buffer is small either way): 8%.
    assert compute_buffer_bytes(shape, n_ctx, flash) == pytest.approx(mib * MiB, rel=0.08 if flash else 0.01)


def test_shape_of_demo_model(shape):
    assert (shape.architecture, shape.n_layers, shape.n_embd, shape.n_head, shape.n_head_kv) == ("llama", 4, 256, 4, 4)
    assert shape.weights_bytes == pytest.approx(3.63 * MiB, rel=0.01)  # llama.cpp's "model buffer size"


def test_gpu_layers_move_weights_and_kv(shape):
    cpu = estimate(shape, FitRequest(1024, n_gpu_layers=0))
    half = estimate(shape, FitRequest(1024, n_gpu_layers=2))
    full = estimate(shape, FitRequest(1024, n_gpu_layers=-1))
    assert cpu.vram_bytes == 0 and cpu.weights_ram == shape.weights_bytes
    assert half.weights_vram == sum(shape.layer_bytes[2:]) and half.kv_vram == cpu.kv_ram // 2
    assert full.weights_vram == sum(shape.layer_bytes) + shape.output_bytes
    assert full.weights_ram == shape.embd_bytes  # token embeddings stay on the CPU


def test_quantized_kv_is_smaller_and_enables_flash_attention(shape):
    f16 = estimate(shape, FitRequest(2048, "f16"))
    q4 = estimate(shape, FitRequest(2048, "q4_0"))
    assert q4.kv_ram < f16.kv_ram / 3 and q4.compute_ram < f16.compute_ram
    with pytest.raises(ValueError, match="unknown KV type"):
        FitRequest(2048, "q3")


def test_verdicts(shape):
    need = estimate(shape, FitRequest(2048, n_gpu_layers=0)).ram_bytes
    gpu = judge(shape, FitRequest(2048, n_gpu_layers=-1), Machine(8 * GiB, 8 * GiB))
    assert gpu.verdict == "gpu" and gpu.suggested_gpu_layers == shape.n_layers + 1
    one_layer_vram = estimate(shape, FitRequest(2048, n_gpu_layers=1)).vram_bytes
    partial = judge(shape, FitRequest(2048, n_gpu_layers=-1), Machine(8 * GiB, one_layer_vram))
    assert partial.verdict == "partial" and partial.suggested_gpu_layers == 1
    assert "1 of 4 layers" in partial.reason
    cpu = judge(shape, FitRequest(2048, n_gpu_layers=-1), Machine(need, 0))
    assert cpu.verdict == "cpu" and cpu.suggested_ctx >= 2048
    no = judge(shape, FitRequest(2048), Machine(need - 1, 0))
    assert no.verdict == "no" and "will not fit" in no.reason and no.suggested_ctx < 2048


def test_largest_context_is_the_biggest_that_fits(shape):
    machine = Machine(estimate(shape, FitRequest(1024)).ram_bytes, 0)
    verdict = judge(shape, FitRequest(4096), machine)
    assert verdict.suggested_ctx == 1024  # 1280 would need more, 1024 exactly fits


def test_remote_header_gives_the_same_shape(client, demo_ladder):
    remote = read_remote_header(client, REPO, "workbench-tiny-Q8_0.gguf", demo_ladder["Q8_0"].stat().st_size)
    assert shape_from_header(remote) == shape_from_file(demo_ladder["Q8_0"])


def test_cli_fit_json(demo_ladder, capsys):
    assert main(["fit", str(demo_ladder["Q8_0"]), "--ctx", "1024", "--kv-type", "q8_0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] in ("gpu", "partial", "cpu", "no")
    assert data["estimate"]["kv_ram"] + data["estimate"]["kv_vram"] == pytest.approx(1024 * 4 * 512 * 34 / 32, rel=0.01)


def test_cli_fit_text(demo_ladder, capsys):
    assert main(["fit", str(demo_ladder["Q4_K_M"]), "--ctx", "512", "-ngl", "0"]) == 0
    out = capsys.readouterr().out
    assert "4 layers" in out and "suggested: -ngl" in out


def test_cli_fit_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.gguf")]) == 1
    assert "file not found" in capsys.readouterr().err


@pytest.mark.parametrize("n_ctx", [1500, 3000])
def test_suggested_context_never_contradicts_a_fit(shape, n_ctx):
    # 1500 is no multiple of 256 (llama.cpp pads it to 1536, which fits too);
    # 3000 is past the demo model's 2048-token training context (the search stops there).
    machine = Machine(estimate(shape, FitRequest(n_ctx)).ram_bytes, 0)
    fits = judge(shape, FitRequest(n_ctx), machine)
    assert fits.verdict == "cpu" and n_ctx <= fits.suggested_ctx <= max(n_ctx, 2048)
    tight = judge(shape, FitRequest(n_ctx), Machine(machine.free_ram - 1, 0))
    assert tight.verdict == "no" and tight.suggested_ctx < n_ctx


def test_a_measured_estimate_decides_and_shifts_the_search(shape):
    from dataclasses import replace

    req = FitRequest(2048, n_gpu_layers=0)
    formula = estimate(shape, req)
    measured = replace(formula, ram_bytes=formula.ram_bytes + 10 * MiB, source="llama.cpp no_alloc")
    verdict = judge(shape, req, Machine(formula.ram_bytes + 5 * MiB, 0), measured)
    assert verdict.verdict == "no" and verdict.estimate is measured  # the formula alone would say "cpu"
    assert verdict.suggested_ctx < 2048
    ok = judge(shape, req, Machine(measured.ram_bytes, 0), measured)
    assert ok.verdict == "cpu" and ok.suggested_ctx >= 2048


def test_cli_shows_no_vram_line_without_a_gpu(demo_ladder, capsys, monkeypatch):
    from app.cli import fit_cmd

    monkeypatch.setattr(fit_cmd, "machine_memory", lambda: Machine(8 * GiB, 0))
    assert main(["fit", str(demo_ladder["Q8_0"]), "--ctx", "1024"]) == 0  # -ngl -1 asked, no GPU here
    out = capsys.readouterr().out
    assert "VRAM" not in out and "suggested: -ngl 0 --ctx" in out and "peak RSS" in out
    monkeypatch.setattr(fit_cmd, "machine_memory", lambda: Machine(8 * GiB, 8 * GiB))
    assert main(["fit", str(demo_ladder["Q8_0"]), "--ctx", "1024"]) == 0
    assert "VRAM" in capsys.readouterr().out


def test_llama_cpp_log_sizes_are_parsed():
    from runtimes.llama_cpp.memory.plan import parse_log

    sizes = parse_log(["load_tensors:   CPU_Mapped model buffer size =   235.16 MiB",
                       "load_tensors:   CPU_REPACK model buffer size =    12.66 MiB",
                       "llama_kv_cache:        CPU KV buffer size =     6.00 MiB",
                       "llama_kv_cache: size =    6.00 MiB (  2048 cells,   3 layers,  1/1 seqs)",
                       "sched_reserve:        CPU compute buffer size =   514.50 MiB"])
    assert sizes["model"] == pytest.approx(247.82 * MiB) and sizes["KV"] == sizes["kv_total"] == 6 * MiB
    assert sizes["compute"] == pytest.approx(514.5 * MiB) and sizes["output"] == 0


def test_llama_cpp_refusing_a_file_is_a_clear_error_not_a_crash(tmp_path):
    from runtimes.errors import PlanFailed
    from runtimes.llama_cpp.memory.plan import plan_memory

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(PlanFailed, match="failed to load model"):
        plan_memory(bad, 512)
