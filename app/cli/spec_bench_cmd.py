"""workbench spec-bench TARGET [--draft DRAFT] [--lookup]: speculative vs plain decoding, A/B."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.load_args import add_load_args, load_options
from app.cli.spec_args import add_spec_args, spec_options
from app.speculative.bench import DEFAULT_PROMPTS, BenchProgress, ModeResult, read_prompts, run_spec_bench
from runtimes.base import CancelToken
from runtimes.llama_cpp.speculative.options import check_speculative

HELP = "compare speculative decoding (a draft model, prompt lookup) with plain decoding on one model"
DESCRIPTION = HELP + "; exits with status 2 if any speculative output differs from the plain one"
COLUMNS = ("mode", "plain_tps", "spec_tps", "speedup", "acceptance_rate", "mean_accepted_len", "identical")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("spec-bench", help=HELP, description=DESCRIPTION)
    parser.add_argument("target", type=Path, help="the target model (GGUF)")
    parser.add_argument("-n", "--n-predict", type=int, default=256, help="tokens to generate per prompt")
    parser.add_argument("--prompts", type=Path, default=None, help="text file, one prompt per line (\\n = newline)")
    parser.add_argument("-s", "--seed", type=int, default=42)
    parser.add_argument("-o", "--output", choices=("md", "json"), default="md")
    parser.add_argument("--no-warmup", action="store_true")
    add_spec_args(parser)
    add_load_args(parser, n_ctx_default=2048)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    modes = [spec_options(args, mode) for mode, wanted in (("draft", args.draft), ("lookup", args.lookup)) if wanted]
    if not modes:
        raise ValueError("give --draft DRAFT, --lookup, or both")
    for options in modes:
        for warning in check_speculative(str(args.target), options):
            print(f"workbench: warning: {warning}", file=sys.stderr)
    prompts = read_prompts(args.prompts) if args.prompts else list(DEFAULT_PROMPTS)
    # Each mode sets its own speculative options; the shared load flags come without any.
    base = load_options(argparse.Namespace(**(vars(args) | {"draft": None, "lookup": False})))
    results: list[ModeResult] = []
    cancel = CancelToken()
    try:
        for item in run_spec_bench(args.target, modes, prompts, args.n_predict, args.seed,
                                   base, cancel, warmup=not args.no_warmup):
            if isinstance(item, ModeResult):
                results.append(item)
            elif isinstance(item, BenchProgress) and sys.stderr.isatty():
                print(f"\r[{item.done}/{item.total}] {item.label:<60}", end="", file=sys.stderr, flush=True)
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)
    if args.output == "json":
        print(json.dumps({"target": str(args.target), "n_predict": args.n_predict, "seed": args.seed,
                          "n_prompts": len(prompts), "modes": [r.as_dict() for r in results]}, indent=2))
    else:
        print(markdown(results))
    return 0 if all(r.identical for r in results) else 2


def markdown(results: list[ModeResult]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for r in results:
        lines.append(
            f"| {r.label} | {r.plain_tps:.1f} | {r.spec_tps:.1f} | {r.speedup:.2f}× | {r.acceptance_rate:.1%} "
            f"| {r.mean_accepted_len:.2f} | {'yes' if r.identical else 'NO'} |"
        )
    lines += [f"\n{r.label}: speculation off, {r.off} (--spec-inexact speculates anyway)" for r in results if r.off]
    return "\n".join(lines)
