"""Real model: Workbench's Compare gives llama-perplexity's numbers to the printed digit.

Gemma 3 270M Q4_K_M is the reference (sliding-window attention, 262k vocabulary);
its Q8_0 variant is made with llama-quantize --allow-requantize. Both tools run
2 chunks of 512 tokens of the bundled text with their defaults (flash attention
as llama-perplexity's -fa auto picks it on CPU), and Workbench's PPL, mean KLD and
same-top % must equal what llama-perplexity prints, at the precision it prints.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from app.cli.compare_cmd import read_text
from app.compare.runner import CompareConfig, CompareRunner
from runtimes.llama_cpp.native_build import find_tool
from tests.support.paths import REPO_ROOT

CTX, CHUNKS, THREADS = 512, 2, 2
TEXT = REPO_ROOT / "assets" / "compare-default.txt"


def _tool(name: str) -> Path:
    path = find_tool(name)
    if path is None:
        pytest.skip(f"{name} is not built (runtimes/llama_cpp/native_build.py); this check compares against it")
    return path


def _llama(tool: Path, *args: str) -> str:
    proc = subprocess.run([str(tool), *args, "-c", str(CTX), "-t", str(THREADS)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout + proc.stderr


def _number(pattern: str, out: str) -> float:
    match = re.search(pattern, out)
    assert match, f"{pattern!r} not in llama-perplexity's output"
    return float(match.group(1))


def parse_reference(out: str) -> dict[str, float]:
    return {"ppl": _number(r"Final estimate: PPL = ([\d.]+)", out)}


def parse_variant(out: str) -> dict[str, float]:
    return {"ppl": _number(r"Mean PPL\(Q\)\s*:\s*([\d.]+)", out),
            "kld_mean": _number(r"Mean\s+KLD:\s*([\d.]+)", out),
            "same_top_pct": _number(r"Same top p:\s*([\d.]+)", out)}


def test_compare_equals_llama_perplexity_on_gemma(gemma_model, tmp_path):
    perplexity, quantize = _tool("llama-perplexity"), _tool("llama-quantize")
    variant = tmp_path / "gemma-q8_0.gguf"
    subprocess.run([str(quantize), "--allow-requantize", str(gemma_model), str(variant), "Q8_0"],
                   check=True, capture_output=True)
    base = tmp_path / "llama.kld-base"
    theirs_ref = parse_reference(_llama(perplexity, "-m", str(gemma_model), "-f", str(TEXT), "--chunks", str(CHUNKS),
                                        "--kl-divergence-base", str(base)))
    theirs = parse_variant(_llama(perplexity, "-m", str(variant), "--kl-divergence-base", str(base),
                                  "--kl-divergence"))
    base.unlink()  # ~270 MB: the 262k-token vocabulary

    text, name = read_text(TEXT)
    spec = CompareConfig(gemma_model, [variant], text, name, CTX, CHUNKS, THREADS, speed=False, max_parallel=1)
    ref, ours = CompareRunner(spec, root=tmp_path / "runs").run().records

    assert f"{ref['ppl']:.4f}" == f"{theirs_ref['ppl']:.4f}"  # "Final estimate: PPL = %.4lf"
    assert f"{ours['ppl']:.6f}" == f"{theirs['ppl']:.6f}"  # "Mean PPL(Q) : %10.6lf"
    assert f"{ours['kld_mean']:.6f}" == f"{theirs['kld_mean']:.6f}"  # "Mean KLD: %10.6f"
    assert f"{ours['same_top_pct']:.3f}" == f"{theirs['same_top_pct']:.3f}"  # "Same top p: %6.3lf"
    assert ours["kld_mean"] > 0 and ours["same_top_pct"] < 100  # a real difference was measured
