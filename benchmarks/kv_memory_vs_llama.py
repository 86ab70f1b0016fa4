"""Compare's KV-cache figures against llama.cpp's own allocation.

For each model, context and K/V type pair, loads the model with llama.cpp
(verbose, so it logs ``llama_kv_cache: size = X MiB`` per cache; Gemma 3 logs
a full-attention and a sliding-window cache) and compares the sum with
``app.compare.kv.memory.kv_cache_bytes``, the figure the Compare table shows.

    .venv/bin/python benchmarks/kv_memory_vs_llama.py [--model GGUF ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GEMMA = Path.home() / ".cache/workbench/real-models/gemma-3-270m-q4_k_m.gguf"
PAIRS = [("f16", "f16"), ("q8_0", "q8_0"), ("q4_0", "q4_0"), ("q8_0", "f16"), ("f16", "q5_1")]
CONTEXTS = (512, 3000)
_LINE = re.compile(r"llama_kv_cache: size = +([\d.]+) MiB")
_LOAD = """
import sys, llama_cpp
m, n_ctx, k, v = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t = lambda s: getattr(llama_cpp, "GGML_TYPE_" + s.upper())
llama_cpp.Llama(m, n_ctx=n_ctx, type_k=t(k), type_v=t(v), flash_attn=v != "f16", verbose=True, n_threads=1)
"""


def llama_cpp_mib(model: Path, n_ctx: int, k: str, v: str) -> float:
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(model), str(n_ctx), k, v], capture_output=True, text=True)
    sizes = [float(s) for s in _LINE.findall(proc.stderr + proc.stdout)]
    if proc.returncode != 0 or not sizes:
        raise RuntimeError(f"llama.cpp did not load {model.name}: {proc.stderr[-800:]}")
    return sum(sizes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append")
    args = parser.parse_args()

    from app.compare.kv.memory import kv_cache_bytes
    from models.demo.factory import build_demo_models

    models = args.model or [m for m in (GEMMA,) if m.is_file()]
    models.append(next(m.path for m in build_demo_models(Path(tempfile.mkdtemp()), spec="small", seed=0)
                       if m.quant == "Q4_K_M"))
    print("| model | ctx | K/V | workbench MiB | llama.cpp log MiB | diff MiB |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    worst = 0.0
    for model in models:
        for n_ctx in CONTEXTS:
            for k, v in PAIRS:
                ours = kv_cache_bytes(model, n_ctx, k, v)["total"] / 2**20
                theirs = llama_cpp_mib(model, n_ctx, k, v)
                worst = max(worst, abs(ours - theirs))
                print(f"| {model.name} | {n_ctx} | {k}/{v} | {ours:.3f} | {theirs:.2f} | {ours - theirs:+.3f} |",
                      flush=True)
    print(f"\nlargest difference: {worst:.3f} MiB (llama.cpp logs 2 decimals per cache)")
    return 0 if worst <= 0.011 else 1


if __name__ == "__main__":
    sys.exit(main())
