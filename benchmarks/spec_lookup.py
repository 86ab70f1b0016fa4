"""Prompt lookup vs plain decoding on a real model, per prompt (``spec_vs_plain.py --lookup``).

Runs app.speculative.bench (the code behind ``workbench spec-bench --lookup``: the
model in its worker process, plain and speculative alternately on each prompt
at temperature 0; plain first in odd rounds, speculative first in even ones)
for --rounds rounds. The table shows each prompt's best plain and best
speculative tokens/s (other load only ever slows a run) and, as the ratio,
the median of the per-round ratios (each round's pair ran back to back).
Prompts where lookup can help (code and lists that repeat their context) and
ones where it cannot (free prose).

Bars (exit status 1 if missed): every output identical to plain decoding, and
no prompt below 0.95x plain tokens/s. With --inexact the speculator is told to
speculate even where batched verification is not exact on the model
(SpeculativeOptions.require_exact=False): then only the speed bar is checked,
and the identical column shows how often the output drifts.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from app.speculative.bench import ModeResult, run_spec_bench
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.speculative.options import SpeculativeOptions

GEMMA = Path.home() / ".cache" / "workbench" / "real-models" / "gemma-3-270m-q4_k_m.gguf"
MIN_RATIO = 0.95
PROMPTS = {
    "code (repeats)": "".join(f"def get_{n}(record):\n    return record.get('{n}', None)\n\n"
                              for n in ("name", "email", "phone", "city", "country", "zip")) + "def get_",
    "list (repeats)": "Copy the list exactly.\nList: apple, banana, cherry, grape, lemon, mango, orange, peach, "
                      "pear, plum\nCopy: apple, banana, cherry,",
    "counting": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,",
    "story (prose)": "Once upon a time, in a small village by the sea,",
    "history (prose)": "The three most important things to know about the history of Rome are",
}


def best_of(rounds: list[ModeResult]) -> list[dict[str, Any]]:
    rows = []
    for i, name in enumerate(PROMPTS):
        runs = [r.prompts[i] for r in rounds]
        plain, spec = max(p.plain_tps for p in runs), max(p.spec_tps for p in runs)
        drafted, accepted = sum(p.drafted for p in runs), sum(p.accepted for p in runs)
        # The ratio pairs runs that went back to back: the machine's drift between rounds cancels.
        ratio = statistics.median(p.spec_tps / p.plain_tps for p in runs)
        rows.append({"prompt": name, "plain_tps": plain, "spec_tps": spec, "ratio": ratio,
                     "acceptance": accepted / drafted if drafted else 0.0, "drafted": drafted,
                     "identical": all(p.identical for p in runs), "n_gen": runs[0].n_gen})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| prompt | plain t/s (best) | spec t/s (best) | ratio (median) | acceptance (drafted) | identical |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['prompt']} | {r['plain_tps']:.1f} | {r['spec_tps']:.1f} | {r['ratio']:.2f}× "
                     f"| {r['acceptance']:.0%} ({r['drafted']}) | {'yes' if r['identical'] else 'NO'} |")
    return "\n".join(lines)


def main_lookup(args: argparse.Namespace) -> int:
    model = Path(args.model) if args.model else GEMMA
    if not model.is_file():
        print(f"no model at {model}: give --model FILE (scripts/setup.sh test installs the Gemma file)")
        return 1
    options = SpeculativeOptions(mode="lookup", draft_max=args.draft_max, require_exact=not args.inexact)
    load = LlamaLoadOptions(n_ctx=2048, n_threads=args.threads)
    rounds = []
    for r in range(args.rounds):
        bench = run_spec_bench(model, [options], list(PROMPTS.values()), args.n, 42, load, spec_first=r % 2 == 1)
        result = [x for x in bench if isinstance(x, ModeResult)][0]
        rounds.append(result)
        print(f"round {r + 1}/{args.rounds}: plain {result.plain_tps:.1f} t/s, spec {result.spec_tps:.1f} t/s")
    rows = best_of(rounds)
    print(f"\n{model.name}, prompt lookup ({options.label}{', inexact allowed' if args.inexact else ''}), "
          f"-n {args.n}, -t {args.threads}, {args.rounds} rounds\n")
    print(table(rows))
    checks = {f"no prompt below {MIN_RATIO:g}x plain": all(r["ratio"] >= MIN_RATIO for r in rows)}
    if not args.inexact:
        checks["speculative output identical to plain"] = all(r["identical"] for r in rows)
    print()
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    if args.json_out:
        args.json_out.write_text(json.dumps({"model": str(model), "inexact": args.inexact, "n": args.n,
                                             "rows": rows, "checks": checks}, indent=2) + "\n")
    return 0 if all(checks.values()) else 1
