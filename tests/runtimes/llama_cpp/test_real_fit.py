"""Fit estimates on real models (Gemma 3 270M: gemma3 with SWA and a 262k vocabulary;
SmolLM2-135M: llama): the local-file estimate is llama.cpp's own accounting, and the
header formula stays within 10% of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models.gguf.fit_estimate import FitRequest, estimate, shape_from_file
from runtimes.llama_cpp.memory.estimate import estimate_local
from runtimes.llama_cpp.memory.plan import parse_log, plan_memory
from tests.support.paths import REPO_ROOT

MiB = 2**20
ROOT = REPO_ROOT
LOAD = ("import sys, llama_cpp; llama_cpp.Llama(sys.argv[1], n_ctx=int(sys.argv[2]), n_gpu_layers=0, "
        "verbose=True)")


def _real_load_log(model: Path, n_ctx: int) -> list[str]:
    out = subprocess.run([sys.executable, "-c", LOAD, str(model), str(n_ctx)], capture_output=True, text=True,
                         cwd=ROOT, timeout=300, check=True)
    return out.stderr.splitlines()


def _buffers(lines: list[str], kind: str) -> dict[str, float]:
    """{buffer name: MiB} of llama.cpp's '<name> <kind> buffer size = X MiB' lines."""
    found: dict[str, float] = {}
    for line in lines:
        words = line.split()
        if f"{kind} buffer size =" in line:
            name = words[words.index(kind) - 1]
            found[name] = found.get(name, 0.0) + float(words[-2])
    return found


def test_no_alloc_plan_is_what_a_real_load_allocates(gemma_model):
    plan = plan_memory(gemma_model, 2048)
    assert plan.source == "breakdown"  # read from llama_get_memory_breakdown, not guessed from the log
    log = _real_load_log(gemma_model, 2048)
    model = _buffers(log, "model")
    # The mapped buffer spans every stored weight; repacked ones get a second copy in CPU_REPACK.
    assert plan.file_weights_bytes / MiB == pytest.approx(model["CPU_Mapped"], abs=0.01)
    assert plan.repack_bytes / MiB == pytest.approx(model.get("CPU_REPACK", model.get("AMX", 0.0)), abs=0.01)
    assert plan.kv_bytes / MiB == pytest.approx(sum(_buffers(log, "KV").values()), abs=0.01)
    assert plan.compute_bytes / MiB == pytest.approx(parse_log(log)["compute"] / MiB, abs=0.01)
    assert plan.swa_cells == 2048  # llama-cpp-python keeps swa_full: the SWA cache is full-sized


def test_sliding_window_cache_is_window_sized_without_swa_full(gemma_model):
    full = plan_memory(gemma_model, 8192)
    window = plan_memory(gemma_model, 8192, swa_full=False)
    assert window.swa_cells == 1024  # pad(512-token window + 512-token ubatch, 256)
    # 3 of 18 layers keep all 8192 cells, 15 keep 1024: f16 K+V is 2 * 256 * 2 bytes per cell
    assert window.kv_bytes == (3 * 8192 + 15 * 1024) * 1024 < full.kv_bytes


def test_local_estimate_uses_llama_cpps_accounting(gemma_model):
    req = FitRequest(2048, "f16", 0)
    est = estimate_local(gemma_model, req)
    plan = plan_memory(gemma_model, 2048)
    assert est.source == "llama.cpp no_alloc"
    assert est.kv_ram == plan.kv_bytes and est.repack_bytes == plan.repack_bytes
    # Only the last token's logits, plus the CPU's softmax work buffer (n_ub * n_kv * n_head * 2 bytes).
    assert est.compute_ram == plan.compute_last_token_bytes + 512 * 2048 * 4 * 2 < plan.compute_bytes


@pytest.mark.parametrize("n_ctx,kv", [(2048, "f16"), (8192, "f16"), (4096, "q8_0"), (8192, "q8_0")])
@pytest.mark.parametrize("which", ["gemma", "smollm"])
def test_header_formula_is_within_10_percent_of_llama_cpp(which, n_ctx, kv, request):
    model = request.getfixturevalue(f"{which}_model")
    req = FitRequest(n_ctx, kv, 0)
    llama = estimate_local(model, req)
    formula = estimate(shape_from_file(model), req)
    assert formula.ram_bytes == pytest.approx(llama.ram_bytes, rel=0.10)
    assert formula.kv_ram == llama.kv_ram  # the KV cache is exact
    assert formula.compute_ram == pytest.approx(llama.compute_ram, rel=0.10)


def test_cli_fit_on_gemma_is_llama_cpps_figure(gemma_model, capsys, monkeypatch):
    from app.cli import fit_cmd
    from app.cli.main import main
    from models.gguf.fit_estimate import Machine

    monkeypatch.setattr(fit_cmd, "machine_memory", lambda: Machine(8 * 2**30, 0))
    assert main(["fit", str(gemma_model), "--ctx", "2048", "-ngl", "0"]) == 0
    out = capsys.readouterr().out
    ram = estimate_local(gemma_model, FitRequest(2048, "f16", 0)).ram_bytes
    assert f"RAM {ram / MiB:10.1f} MiB" in out and "llama.cpp's own accounting" in out
    assert "VRAM" not in out and "--ctx 32768" in out  # the training context fits in 8 GiB
