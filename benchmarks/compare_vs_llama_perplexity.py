"""Fidelity of ``workbench compare`` against llama.cpp's llama-perplexity.

Builds (or reuses) llama-perplexity from the pinned sdist (benchmarks/llama_tools.py)
and the demo ladder, then on the same text, chunk size, chunk count and threads:

    llama-perplexity -m REF -f TEXT -c CTX -b CTX --chunks N -fa off --kl-divergence-base BASE
    llama-perplexity -m VARIANT -c CTX -b CTX -fa off --kl-divergence-base BASE --kl-divergence
    workbench compare (CompareRunner, in a fresh data folder so nothing is cached)

and prints PPL, mean KLD and same-top % side by side with pass/fail (PPL and KLD
within 1 % relative, same top within 0.2 points) and the evaluation tokens/s
ratio (target >= 0.9). ``-b CTX`` makes llama-perplexity decode one chunk per
batch, as Workbench does; ``-fa off`` matches Workbench's default attention.

    .venv/bin/python benchmarks/compare_vs_llama_perplexity.py --spec small --ctx 512 --chunks 4 -t 2
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


_WALL: list[float] = []  # wall seconds of each llama-perplexity process


def _llama(tool: Path, args: list[str]) -> str:
    t0 = time.perf_counter()
    proc = subprocess.run([str(tool), *args], capture_output=True, text=True)
    _WALL.append(time.perf_counter() - t0)
    if proc.returncode != 0:
        raise RuntimeError(f"{tool.name} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout + proc.stderr


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    if not match:
        raise RuntimeError(f"pattern {pattern!r} not found in llama-perplexity output")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", default="small", choices=("tiny", "small"))
    parser.add_argument("--quants", default="Q8_0,Q4_K_M,Q2_K")
    parser.add_argument("--ctx", type=int, default=512)
    parser.add_argument("--chunks", type=int, default=4)
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("--text", type=Path, default=REPO / "assets" / "compare-default.txt")
    parser.add_argument("--parallel", type=int, default=1,
                        help="variants at once in workbench (default 1: one model at a time, as llama-perplexity)")
    args = parser.parse_args()

    from llama_tools import tool_path

    from models.demo_factory import build_demo_models

    perplexity = tool_path("llama-perplexity")
    quants = args.quants.split(",")
    ladder = {m.quant: m.path for m in build_demo_models(REPO / ".cache" / "demo-models" / args.spec,
                                                          spec=args.spec, quants=quants)}
    common = ["-c", str(args.ctx), "-b", str(args.ctx), "-t", str(args.threads), "-fa", "off"]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "llama.kld-base"
        ref_out = _llama(perplexity, ["-m", str(ladder["F32"]), "-f", str(args.text), "--chunks", str(args.chunks),
                                      "--kl-divergence-base", str(base), *common])
        llama = {"F32": {"ppl": _number(r"Final estimate: PPL = ([\d.]+)", ref_out), "kld_mean": 0.0,
                         "same_top_pct": 100.0}}
        for q in quants:
            out = _llama(perplexity, ["-m", str(ladder[q]), "--kl-divergence-base", str(base), "--kl-divergence",
                                      *common])
            llama[q] = {"ppl": _number(r"Mean PPL\(Q\)\s*:\s*([\d.]+)", out),
                        "kld_mean": _number(r"Mean\s+KLD:\s*([\d.]+)", out),
                        "same_top_pct": _number(r"Same top p:\s*([\d.]+)", out)}

        os.environ["WORKBENCH_HOME"] = str(Path(tmp) / "home")  # nothing cached from earlier runs
        from app.cli.compare_cmd import read_text
        from app.compare.runner import CompareRunner, CompareSpec

        text, name = read_text(args.text)
        spec = CompareSpec(ladder["F32"], [ladder[q] for q in quants], text, name, args.ctx, args.chunks,
                           args.threads, speed=False, max_parallel=args.parallel)
        t0 = time.perf_counter()
        records = CompareRunner(spec).run().records
        ours_wall = time.perf_counter() - t0
        ours = dict(zip(["F32", *quants], records, strict=True))

    print(f"spec={args.spec} ctx={args.ctx} chunks={args.chunks} threads={args.threads} text={args.text.name}\n")
    print("| model | PPL llama | PPL ours | KLD llama | KLD ours | same top llama | same top ours | pass |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    all_ok = True
    for q in ["F32", *quants]:
        a, b = llama[q], ours[q]
        ok = abs(b["ppl"] - a["ppl"]) <= 0.01 * a["ppl"]
        ok &= abs(b["kld_mean"] - a["kld_mean"]) <= 0.01 * a["kld_mean"] + 1e-9
        ok &= abs(b["same_top_pct"] - a["same_top_pct"]) <= 0.2
        all_ok &= ok
        print(f"| {q} | {a['ppl']:.4f} | {b['ppl']:.4f} | {a['kld_mean']:.6f} | {b['kld_mean']:.6f}"
              f" | {a['same_top_pct']:.3f} | {b['same_top_pct']:.3f} | {'PASS' if ok else 'FAIL'} |")
    tokens = (1 + len(quants)) * args.chunks * args.ctx
    llama_tps, ours_tps = tokens / sum(_WALL), tokens / ours_wall
    print(f"\nnumbers: {'PASS' if all_ok else 'FAIL'}")
    print(f"end-to-end eval tokens/s (load + tokenize + all chunks, {1 + len(quants)} models): "
          f"llama-perplexity {llama_tps:.1f}, workbench {ours_tps:.1f}, "
          f"ratio {ours_tps / llama_tps:.2f} (target >= 0.9)")
    # llama-perplexity prints no llama_perf timings in this build, so whole-process wall time it is.
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
