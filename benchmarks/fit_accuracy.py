"""How close is models.fit_estimate's RAM prediction to the worker's real peak RSS?

For the demo models (tiny and small specs) at three context lengths and two KV
types, load each in a fresh worker (llama.cpp, CPU), evaluate a prompt that
nearly fills the context, generate 128 tokens, and
compare predicted RAM with the worker's measured peak RSS. Also measures the
worker baseline (Python + llama_cpp import) that the estimate adds as a constant.

    .venv/bin/python benchmarks/fit_accuracy.py [--out DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.demo_factory import build_demo_models  # noqa: E402
from models.fit_estimate import FitRequest, estimate, shape_from_file  # noqa: E402
from runtimes.events import Done  # noqa: E402
from runtimes.llama_cpp.options import LlamaLoadOptions  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import Sampling, TextRequest  # noqa: E402

CASES = {"tiny": ("Q8_0", (512, 1024, 2048)), "small": ("Q4_K_M", (1024, 2048, 4096))}
KV_TYPES = ("f16", "q8_0")
BASELINE_SNIPPET = ("import llama_cpp, runtimes.worker.child, runtimes.llama_cpp.session; "
                    "from runtimes.memory import own_peak_rss; print(own_peak_rss())")


def measure_baseline() -> int:
    out = subprocess.run([sys.executable, "-c", BASELINE_SNIPPET], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    return int(out.stdout.strip().splitlines()[-1])


def measure(path: Path, n_ctx: int, kv: str) -> int:
    opts = LlamaLoadOptions(n_ctx=n_ctx, type_k=kv, type_v=kv, flash_attn=kv != "f16", n_threads=2)
    session = get_runtime("llama.cpp").load(path, opts)
    try:
        # Fill the context (prompt + 128 generated tokens): the estimate is for a full
        # context, where attention scores span every cell. "the " is one demo-vocab token.
        n_prompt = n_ctx - 140
        request = TextRequest(prompt="the " * n_prompt, sampling=Sampling(max_tokens=128, seed=1))
        peak = session.stats.peak_rss_bytes
        for event in session.run(request):
            if isinstance(event, Done):
                peak = max(peak, event.stats.peak_rss_bytes)
        return peak
    finally:
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/workbench-fit-models"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for spec, (quant, contexts) in CASES.items():
        model = {m.quant: m.path for m in build_demo_models(args.out, spec=spec, quants=(quant,))}[quant]
        shape = shape_from_file(model)
        for n_ctx in contexts:
            for kv in KV_TYPES:
                predicted = estimate(shape, FitRequest(n_ctx=n_ctx, kv_type=kv)).ram_bytes
                measured = measure(model, n_ctx, kv)
                rows.append({"model": model.name, "n_ctx": n_ctx, "kv": kv, "predicted": predicted,
                             "measured": measured, "error_pct": 100 * (predicted - measured) / measured})
    baseline = measure_baseline()
    if args.json:
        print(json.dumps({"baseline_rss": baseline, "rows": rows}, indent=2))
        return 0
    print(f"worker baseline RSS (python + llama_cpp import): {baseline / 2**20:.1f} MiB\n")
    print("| model | n_ctx | KV | predicted MiB | measured MiB | error |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['model']} | {r['n_ctx']} | {r['kv']} | {r['predicted'] / 2**20:.1f} | "
              f"{r['measured'] / 2**20:.1f} | {r['error_pct']:+.1f}% |")
    worst = max(abs(r["error_pct"]) for r in rows)
    print(f"\nworst error {worst:.1f}% (target 10%, aim 5%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
