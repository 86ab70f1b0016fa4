"""How close are the fit estimates to the worker's real peak RSS, on real models?

For Gemma 3 270M (gemma3, sliding-window attention, 262k vocabulary) and
SmolLM2-135M (llama) at three context lengths, f16 and q8_0 KV (q8_0 V needs flash
attention): load each in a fresh worker (llama.cpp, CPU), evaluate a prompt that
fills most of the context (>= 70 %), generate a few tokens, and compare with the
worker's peak RSS (VmHWM) two predictions:

  no_alloc  llama.cpp's own accounting (runtimes.llama_cpp.memory.plan), the estimate
            `workbench fit` gives for a local file;
  header    the header-only formula (models.gguf.fit_estimate), used for remote files.

    .venv/bin/python benchmarks/fit_accuracy.py [--contexts 2048 4096 8192] [--json]
        [--save-peaks FILE | --peaks FILE]

Measuring takes long on a small machine (an 8192-token prompt per case), so the
peaks can be saved as JSON lines and reused to recompute the predictions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.gguf.fit_estimate import FitRequest, estimate, shape_from_file  # noqa: E402
from runtimes.events import Done  # noqa: E402
from runtimes.llama_cpp.options import LlamaLoadOptions  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import Sampling, TextRequest  # noqa: E402
from tests.support.real_models import gemma3_270m, smollm2_135m  # noqa: E402

KV_TYPES = ("f16", "q8_0")
FILL = 0.85  # of the context, in prompt tokens
N_GEN = 16
BASELINE_SNIPPET = ("import llama_cpp, runtimes.worker.child, runtimes.llama_cpp.session; "
                    "from runtimes.memory import own_peak_rss; print(own_peak_rss())")


def measure_baseline() -> int:
    out = subprocess.run([sys.executable, "-c", BASELINE_SNIPPET], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    return int(out.stdout.strip().splitlines()[-1])


def filler(path: Path, n_tokens: int) -> str:
    """A prompt of about n_tokens tokens for this model's tokenizer."""
    import llama_cpp

    vocab = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
    unit = " the quick brown fox jumps over the lazy dog."
    per_unit = len(vocab.tokenize(unit.encode(), add_bos=False))
    return unit * max(1, n_tokens // per_unit)


def measure(path: Path, n_ctx: int, kv: str) -> tuple[int, int]:
    """(peak RSS in bytes, prompt tokens) of a worker that filled the context."""
    opts = LlamaLoadOptions(n_ctx=n_ctx, type_k=kv, type_v=kv, flash_attn=kv != "f16", n_threads=2)
    session = get_runtime("llama.cpp").load(path, opts)
    try:
        request = TextRequest(prompt=filler(path, int(n_ctx * FILL)), sampling=Sampling(max_tokens=N_GEN, seed=1))
        peak, n_prompt = session.stats.peak_rss_bytes, 0
        for event in session.run(request):
            if isinstance(event, Done):
                peak, n_prompt = max(peak, event.stats.peak_rss_bytes), event.stats.n_prompt
        return peak, n_prompt
    finally:
        session.close()


def predict(path: Path, n_ctx: int, kv: str) -> tuple[int, int]:
    """(no_alloc-based, header-formula) RAM predictions in bytes."""
    from runtimes.llama_cpp.memory.estimate import estimate_local

    req = FitRequest(n_ctx=n_ctx, kv_type=kv, n_gpu_layers=0)
    return estimate_local(path, req).ram_bytes, estimate(shape_from_file(path), req).ram_bytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, nargs="+", default=[2048, 4096, 8192])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--save-peaks", type=Path, help="append each measured peak to this JSON-lines file")
    parser.add_argument("--peaks", type=Path, help="reuse peaks saved by --save-peaks instead of measuring")
    args = parser.parse_args()
    saved = {}
    if args.peaks:
        for line in args.peaks.read_text().splitlines():
            r = json.loads(line)
            saved[(r["model"], r["n_ctx"], r["kv"])] = (r["peak"], r["n_prompt"])
    rows = []
    for key, name, model in (("gemma", "gemma-3-270m Q4_K_M", gemma3_270m()),
                             ("smollm", "SmolLM2-135M Q4_1", smollm2_135m())):
        for n_ctx in args.contexts:
            for kv in KV_TYPES:
                if args.peaks and (key, n_ctx, kv) not in saved:
                    continue  # not measured in that run
                noalloc, header = predict(model, n_ctx, kv)
                if args.peaks:
                    measured, n_prompt = saved[(key, n_ctx, kv)]
                else:
                    measured, n_prompt = measure(model, n_ctx, kv)
                if args.save_peaks:
                    with args.save_peaks.open("a") as f:
                        f.write(json.dumps({"model": key, "n_ctx": n_ctx, "kv": kv, "peak": measured,
                                            "n_prompt": n_prompt}) + "\n")
                rows.append({"model": name, "n_ctx": n_ctx, "kv": kv, "n_prompt": n_prompt, "measured": measured,
                             "noalloc": noalloc, "header": header,
                             "noalloc_err": 100 * (noalloc - measured) / measured,
                             "header_err": 100 * (header - measured) / measured})
    baseline = measure_baseline()
    if args.json:
        print(json.dumps({"baseline_rss": baseline, "rows": rows}, indent=2))
        return 0
    mib = 2**20
    print(f"worker baseline RSS (python + llama_cpp import): {baseline / mib:.1f} MiB\n")
    print("| model | n_ctx | KV | prompt tokens | peak RSS MiB | no_alloc MiB | error | header MiB | error |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['model']} | {r['n_ctx']} | {r['kv']} | {r['n_prompt']} | {r['measured'] / mib:.1f} | "
              f"{r['noalloc'] / mib:.1f} | {r['noalloc_err']:+.1f}% | "
              f"{r['header'] / mib:.1f} | {r['header_err']:+.1f}% |")
    for key in ("noalloc_err", "header_err"):
        print(f"worst {key.split('_')[0]} error: {max(abs(r[key]) for r in rows):.1f}% (target 10%, aim 5%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
