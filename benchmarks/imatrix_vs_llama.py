"""``workbench imatrix`` against llama.cpp's llama-imatrix run by hand.

Same model, text, chunk size, chunk count and threads. Reports the largest
relative difference of the stored values (sums/counts, as llama-quantize reads
them) and whether a quant made with either matrix is byte-identical (both
matrices are placed at the same path in turn, because the quant records the
matrix's path in its metadata).

    .venv/bin/python benchmarks/imatrix_vs_llama.py [--model GGUF] [--chunks 8] [-c 256] [--types Q4_K_M,IQ4_XS]
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

GEMMA = Path.home() / ".cache/workbench/real-models/gemma-3-270m-q4_k_m.gguf"


def _tool(name: str) -> Path:
    from runtimes.llama_cpp.native_build import find_tool

    found = find_tool(name)
    if found is not None:
        return found
    from llama_tools import tool_path

    return tool_path(name)


def _max_rel_diff(a: Path, b: Path) -> tuple[float, int]:
    from app.quantize.imatrix_file import load_imatrix

    ours, theirs = load_imatrix(a).entries, load_imatrix(b).entries
    if set(ours) != set(theirs):
        return float("inf"), 0
    worst = 0.0
    for name, values in theirs.items():
        scale = np.maximum(np.abs(values), np.finfo(np.float32).tiny)
        worst = max(worst, float(np.max(np.abs(ours[name] - values) / scale)))
    return worst, len(theirs)


def _compare_matrices(model: Path, text: Path, n_ctx: int, chunks: int, work: Path) -> tuple[Path, Path, dict]:
    from app.quantize.imatrix_job import ImatrixRequest, command, run_imatrix

    request = ImatrixRequest(model, text, work / "ours.gguf", n_ctx, chunks, threads=2)
    theirs = work / "theirs.gguf"
    t0 = time.perf_counter()
    proc = subprocess.run(command(_tool("llama-imatrix"), request, text, theirs), capture_output=True, text=True)
    t_theirs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"llama-imatrix failed: {proc.stdout[-1500:]}")
    t0 = time.perf_counter()
    ours = run_imatrix(request)
    t_ours = time.perf_counter() - t0
    worst, entries = _max_rel_diff(ours, theirs)
    return ours, theirs, {"entries": entries, "max_rel_diff": worst, "s_ours": t_ours, "s_theirs": t_theirs}


def _same_quants(source: Path, ours: Path, theirs: Path, types: list[str], work: Path) -> dict[str, bool]:
    from app.quantize.job import quantize_many

    work.mkdir(parents=True, exist_ok=True)
    shared = work / "imatrix.gguf"  # the quant records the matrix's path: give both the same one
    results = {}
    for target in types:
        made = []
        for label, matrix in (("ours", ours), ("theirs", theirs)):
            shutil.copyfile(matrix, shared)
            made.append(quantize_many(source, [target], work / f"q-{label}", n_threads=2, imatrix=shared)[0])
        results[target] = filecmp.cmp(made[0], made[1], shallow=False)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help=f"default: {GEMMA.name} if present")
    parser.add_argument("-c", "--ctx", type=int, default=256)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--types", default="Q4_K_M,IQ4_XS,Q2_K")
    args = parser.parse_args()

    from models.demo.factory import build_demo_models

    work = Path(tempfile.mkdtemp(prefix="imatrix-vs-llama-"))
    text = REPO / "assets" / "compare-default.txt"
    demo = next(m.path for m in build_demo_models(work / "demo", spec="small", seed=0) if m.quant == "F32")
    models = [m for m in (args.model or (GEMMA if GEMMA.is_file() else None), demo) if m is not None]
    failures = 0
    print("| model | chunks x ctx | entries | max rel. diff | workbench s | llama-imatrix s |")
    print("| --- | --- | --- | --- | --- | --- |")
    matrices = {}
    for model in models:
        folder = work / model.stem
        folder.mkdir()
        ours, theirs, r = _compare_matrices(model, text, args.ctx, args.chunks, folder)
        matrices[model] = (ours, theirs)
        failures += not r["max_rel_diff"] <= 1e-5
        print(f"| {model.name} | {args.chunks} x {args.ctx} | {r['entries']} | {r['max_rel_diff']:.2e} "
              f"| {r['s_ours']:.2f} | {r['s_theirs']:.2f} |")
    print()
    print("| source | type | quant with workbench's vs llama-imatrix's matrix |")
    print("| --- | --- | --- |")
    for target, same in _same_quants(demo, *matrices[demo], args.types.split(","), work / "quants").items():
        failures += not same
        print(f"| {demo.name} | {target} | {'byte-identical' if same else 'DIFFERENT'} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
