"""workbench arena MODEL... -p PROMPT: the same prompt(s), seed and sampling
for every variant; each output with its speed and memory, and where it first
differs from the reference's output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.format import mib
from app.cli.load_args import add_load_args, add_sampling_args, load_options, sampling
from app.cli.spec_args import add_spec_args
from app.compare.arena.board import ArenaBoard, ArenaOutput
from app.compare.arena.run import DEFAULT_SEED, ArenaConfig, ArenaError, ArenaFinished, read_prompts, run_arena
from app.speculative.report import spec_summary
from runtimes.base import CancelToken

HELP = "run variants side by side on the same prompts and show where their outputs diverge"
MARK = "⟪"  # printed where an output first differs from the reference's (when not on a terminal)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("arena", help=HELP, description=HELP)
    parser.add_argument("models", type=Path, nargs="+", help="GGUF variants of one model")
    parser.add_argument("--reference", "-R", type=Path, help="reference GGUF (default: the largest file given)")
    prompts = parser.add_mutually_exclusive_group(required=True)
    prompts.add_argument("-p", "--prompt", help="one prompt")
    prompts.add_argument("-f", "--file", type=Path, help="prompt set: a JSON list of strings or one per line")
    parser.add_argument("--chat", action="store_true", help="send prompts through each model's chat template")
    parser.add_argument("--parallel", type=int, default=None,
                        help="models at once, memory permitting (default: one per core, at most 4)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    add_load_args(parser, n_ctx_default=2048)
    add_sampling_args(parser)
    add_spec_args(parser)  # every variant can speculate with one draft (or prompt lookup)
    # Greedy with a fixed seed: outputs then differ only where the weights do.
    parser.set_defaults(temp=0.0, seed=DEFAULT_SEED, n_predict=128, handler=run)


def run(args: argparse.Namespace) -> int:
    models = list(args.models)
    reference = args.reference or max(models, key=lambda p: p.stat().st_size)
    if len(set(models) | {reference}) < 2:
        raise ValueError("give at least two models (a reference and a variant)")
    if args.parallel is not None and args.parallel < 1:
        raise ValueError("--parallel must be at least 1")
    prompts = [args.prompt] if args.prompt is not None else read_prompts(args.file)
    spec = ArenaConfig(reference, models, prompts, sampling(args), load_options(args), args.chat, args.parallel)
    board = ArenaBoard([str(m) for m in spec.models], str(reference), prompts)
    cancel = CancelToken()
    try:
        for event in run_arena(spec, cancel):
            board.feed(event)
            if isinstance(event, ArenaFinished | ArenaError):
                state = "failed" if isinstance(event, ArenaError) else f"{event.stats['n_gen']} tokens"
                print(f"arena: {Path(event.model).name} prompt {event.prompt_index + 1}/{len(prompts)}: {state}",
                      file=sys.stderr)
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    if args.output == "json":
        print(json.dumps(records(board), indent=2))
    else:
        print(render_text(board, sys.stdout.isatty()))
    return 1 if any(o.error for o in board.outputs.values()) else 0


def records(board: ArenaBoard) -> list[dict[str, Any]]:
    rows = []
    for index, prompt in enumerate(board.prompts):
        for model in board.models:
            out = board.output(model, index)
            where = board.divergence(model, index)
            rows.append({"prompt_index": index, "prompt": prompt, **out.facts,
                         "role": "reference" if model == board.reference else "variant", "text": out.text,
                         "diverge_token": None if where is None else where.token_index,
                         "diverge_char": None if where is None else where.char_offset,
                         "concurrent": out.concurrent, "error": out.error, **(out.stats or {})})
    return rows


def render_text(board: ArenaBoard, colour: bool) -> str:
    blocks = []
    for index, prompt in enumerate(board.prompts):
        blocks.append(f"== prompt {index + 1}/{len(board.prompts)}: {prompt!r}")
        for model in board.models:
            blocks.append(_column(board, model, index, colour))
    return "\n\n".join(blocks)


def _column(board: ArenaBoard, model: str, index: int, colour: bool) -> str:
    out: ArenaOutput = board.output(model, index)
    facts, stats = out.facts, out.stats or {}
    name = facts.get("quant") or Path(model).stem
    head = [f"-- {name}" + (" (reference)" if model == board.reference else ""),
            f"{Path(model).name}", f"{mib(facts.get('size_bytes'))}"]
    if facts.get("bpw"):
        head.append(f"{facts['bpw']:.2f} bpw")
    where = board.divergence(model, index)
    if model != board.reference:
        head.append("same as the reference" if where is None else f"diverges at token {where.token_index + 1}")
    lines = [" · ".join(head)]
    if out.error:
        lines.append(f"error: {out.error}")
    if stats:
        shared = f" (ran alongside {out.concurrent - 1} other(s))" if out.concurrent > 1 else ""
        lines.append(f"TTFT {stats['ttft_s'] * 1000:.0f} ms · prompt {stats['prompt_tps']:.1f} t/s · "
                     f"gen {stats['gen_tps']:.1f} t/s · {stats['n_gen']} tokens · "
                     f"peak RSS {mib(stats['peak_rss_bytes'])}{shared}")
        if stats.get("speculative"):
            lines.append(spec_summary(stats["speculative"]))
    text = out.text
    if where is not None:
        cut = where.char_offset
        text = (text[:cut] + "\x1b[7m" + text[cut:] + "\x1b[0m") if colour else (text[:cut] + MARK + text[cut:])
    lines.append(text)
    return "\n".join(lines)
