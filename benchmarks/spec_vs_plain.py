"""Speculative vs plain decoding on the demo pair, and vs llama.cpp's llama-speculative-simple.

    python benchmarks/spec_vs_plain.py [-n 256] [-t 1] [--rounds 3] [--scales 0.005,0.02,0.08]
    python benchmarks/spec_vs_plain.py --lookup [--model GGUF] [--inexact] [-n 128] [--rounds 3]

--lookup runs prompt lookup on a real model instead (the Gemma 3 270M file by
default), per prompt: see benchmarks/spec_lookup.py. Without it:

1. Writes the demo target/draft pair (models/demo/draft_pair.py, F32) for each
   agreement scale into .cache/spec-pair/ and measures what one token costs
   each model (plain greedy decoding in this process): the target must cost
   >= 8x the draft.
2. For each scale, runs app.speculative.bench (the code behind `workbench spec-bench`:
   worker process, plain and speculative alternately on the same prompts at
   temperature 0) and reports acceptance, mean accepted length, speedup and
   whether the outputs were identical.
3. On the first scale (the high-agreement pair), runs llama-speculative-simple
   (built from the pinned llama-cpp-python's vendor/llama.cpp by
   llama_tools.example_tool_path) with the same prompts, threads, -n and a draft
   of at most K tokens, alternating with Workbench for --rounds rounds.

Bars (exit status 1 if missed): on the high-agreement pair (target >= 8x the
draft, greedy acceptance >= 90%) speculative >= 2.0x plain tokens/s, and
>= 0.9x llama-speculative-simple's tokens/s. Both tools' tokens/s is decode
speed in wall time: generated tokens / (request time - prompt evaluation).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_tools  # noqa: E402
import spec_lookup  # noqa: E402

from app.speculative.bench import DEFAULT_PROMPTS, ModeResult, run_spec_bench  # noqa: E402
from models.demo.draft_pair import write_pair  # noqa: E402
from runtimes.llama_cpp.options import LlamaLoadOptions  # noqa: E402
from runtimes.llama_cpp.speculative.options import SpeculativeOptions  # noqa: E402

CACHE = llama_tools.REPO_ROOT / ".cache" / "spec-pair"
MIN_COST_RATIO, MIN_ACCEPTANCE, MIN_SPEEDUP, MIN_VS_LLAMA = 8.0, 0.90, 2.0, 0.90


def token_cost_ms(model: Path, threads: int, n: int = 64) -> float:
    """Milliseconds per generated token, plain greedy decoding, in this process."""
    from runtimes.events import Done
    from runtimes.llama_cpp.session import LlamaSession
    from runtimes.requests import Sampling, TextRequest

    session = LlamaSession(model, LlamaLoadOptions(n_ctx=512, n_threads=threads), verbose=False)
    try:
        request = TextRequest(prompt=DEFAULT_PROMPTS[0], sampling=Sampling(temperature=0, max_tokens=n))
        list(session.run(request))  # warm-up: fault the weights in
        costs = []
        for _ in range(3):
            done = [e for e in session.run(request) if isinstance(e, Done)][0]
            costs.append(1000.0 / done.stats.gen_tps)
        return min(costs)  # other load only ever slows a run down
    finally:
        session.close()


def workbench_run(target: Path, draft: Path, prompts: list[str], n: int, threads: int, k: int) -> ModeResult:
    options = SpeculativeOptions(mode="draft", draft_model=str(draft), draft_max=k)
    load = LlamaLoadOptions(n_ctx=2048, n_threads=threads)
    results = [r for r in run_spec_bench(target, [options], prompts, n, 42, load) if isinstance(r, ModeResult)]
    return results[0]


def llama_spec_simple(binary: Path, target: Path, draft: Path, prompt: str, n: int, threads: int,
                      k: int) -> dict[str, float]:
    command = [str(binary), "-m", str(target), "-md", str(draft), "-p", prompt, "-n", str(n),
               "--temp", "0", "--top-k", "1", "--seed", "42", "-c", "2048", "-ngl", "0", "-ngld", "0",
               "-t", str(threads), "-tb", str(threads), "-td", str(threads), "-tbd", str(threads),
               "--spec-type", "draft-simple", "--spec-draft-n-max", str(k)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    log = out.stdout + out.stderr
    decoded = re.search(r"decoded\s+(\d+) tokens in\s+([\d.]+) seconds, speed:\s+([\d.]+) t/s", log)
    drafted, accepted = re.search(r"n_drafted\s*=\s*(\d+)", log), re.search(r"n_accept\s*=\s*(\d+)", log)
    if out.returncode != 0 or not (decoded and drafted and accepted):
        raise RuntimeError(f"llama-speculative-simple failed ({out.returncode}):\n{log[-2000:]}")
    return {"n": int(decoded[1]), "seconds": float(decoded[2]), "tps": float(decoded[3]),
            "drafted": int(drafted[1]), "accepted": int(accepted[1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=256, help="tokens per prompt")
    parser.add_argument("-t", "--threads", type=int, default=1)
    parser.add_argument("-k", "--draft-max", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scales", default="0.005,0.02,0.08", help="agreement knob per level; the first is checked")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--lookup", action="store_true", help="prompt lookup on a real model, per prompt")
    parser.add_argument("--model", default=None, help="with --lookup: the GGUF (default: the Gemma 3 270M file)")
    parser.add_argument("--inexact", action="store_true", help="with --lookup: speculate even where not exact")
    args = parser.parse_args(argv)
    if args.lookup:
        return spec_lookup.main_lookup(args)
    prompts = list(DEFAULT_PROMPTS)
    scales = [float(s) for s in args.scales.split(",")]
    report: dict[str, Any] = {"threads": args.threads, "n": args.n, "draft_max": args.draft_max, "levels": []}

    pairs = {scale: write_pair(CACHE, "small", scale) for scale in scales}
    draft, target = pairs[scales[0]]
    draft_ms, target_ms = token_cost_ms(draft, args.threads), token_cost_ms(target, args.threads)
    report["draft_ms_per_token"], report["target_ms_per_token"] = draft_ms, target_ms
    report["cost_ratio"] = target_ms / draft_ms
    print(f"cost per token: draft {draft_ms:.2f} ms, target {target_ms:.2f} ms -> target = "
          f"{report['cost_ratio']:.1f}x the draft")

    for scale in scales:
        d, t = pairs[scale]
        result = workbench_run(t, d, prompts, args.n, args.threads, args.draft_max)
        level = {"scale": scale, **{k: v for k, v in result.as_dict().items() if k != "prompts"}}
        report["levels"].append(level)
        print(f"scale {scale:g}: acceptance {result.acceptance_rate:.1%}, mean accepted "
              f"{result.mean_accepted_len:.2f}, plain {result.plain_tps:.1f} t/s, spec {result.spec_tps:.1f} t/s, "
              f"speedup {result.speedup:.2f}x, identical {result.identical}")

    binary = llama_tools.example_tool_path("llama-speculative-simple")
    rounds = []
    for r in range(args.rounds):
        ours = workbench_run(target, draft, prompts, args.n, args.threads, args.draft_max)
        theirs = [llama_spec_simple(binary, target, draft, p, args.n, args.threads, args.draft_max) for p in prompts]
        their_tps = sum(x["n"] for x in theirs) / sum(x["seconds"] for x in theirs)
        their_acc = sum(x["accepted"] for x in theirs) / max(1, sum(x["drafted"] for x in theirs))
        rounds.append({"workbench_tps": ours.spec_tps, "workbench_plain_tps": ours.plain_tps,
                       "llama_spec_tps": their_tps, "llama_acceptance": their_acc,
                       "workbench_acceptance": ours.acceptance_rate})
        print(f"round {r + 1}: workbench {ours.spec_tps:.1f} t/s (plain {ours.plain_tps:.1f}), "
              f"llama-speculative-simple {their_tps:.1f} t/s (acceptance {their_acc:.1%}), "
              f"ratio {ours.spec_tps / their_tps:.2f}")
        time.sleep(0.5)
    report["rounds"] = rounds
    # Medians of per-round ratios: the two sides of a round ran back to back, so
    # the machine's drift between rounds cancels out.
    report["vs_llama_ratio"] = statistics.median(r["workbench_tps"] / r["llama_spec_tps"] for r in rounds)
    report["speedup"] = statistics.median(r["workbench_tps"] / r["workbench_plain_tps"] for r in rounds)
    first = report["levels"][0]
    checks = {
        f"target costs >= {MIN_COST_RATIO:g}x the draft": report["cost_ratio"] >= MIN_COST_RATIO,
        f"greedy acceptance >= {MIN_ACCEPTANCE:.0%}": first["acceptance_rate"] >= MIN_ACCEPTANCE,
        "speculative output identical to plain": all(level["identical"] for level in report["levels"]),
        f"speculative >= {MIN_SPEEDUP:g}x plain": report["speedup"] >= MIN_SPEEDUP,
        f"speculative >= {MIN_VS_LLAMA:g}x llama-speculative-simple": report["vs_llama_ratio"] >= MIN_VS_LLAMA,
    }
    report["checks"] = checks
    print(f"\nmedian of {args.rounds} per-round ratios: speedup {report['speedup']:.2f}x plain, "
          f"{report['vs_llama_ratio']:.2f}x llama-speculative-simple")
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
