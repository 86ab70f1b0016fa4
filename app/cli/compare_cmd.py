"""workbench compare --reference REF VARIANT...: quality, speed and memory of
quantized variants, with llama-perplexity's definitions (see app.compare)."""

from __future__ import annotations

import argparse
import sys
import time
from importlib.resources import files
from pathlib import Path

from app.cli.load_args import rpc_endpoints_arg
from app.cli.progress import progress_bar
from app.compare.kv.axis import KvAxisRunner
from app.compare.kv.types import parse_kv_types
from app.compare.results.export import render
from app.compare.results.recommend import recommend
from app.compare.runner import CompareConfig, CompareRunner, list_runs, load_run_records
from app.compare.variant_label import with_recipes
from runtimes.base import CancelToken

HELP = "compare quantized variants: perplexity, KL divergence, speed, memory"
DEFAULT_TEXT = "compare-default.txt"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help=HELP, description=HELP)
    parser.add_argument("variants", type=Path, nargs="*", help="GGUF variants to compare")
    parser.add_argument("--reference", "-r", type=Path, help="reference GGUF (default: the largest file given)")
    parser.add_argument("--text", "-f", type=Path, help=f"evaluation text (default: bundled {DEFAULT_TEXT})")
    parser.add_argument("--ctx", "-c", type=int, default=512, help="chunk size in tokens (llama-perplexity -c)")
    parser.add_argument("--chunks", type=int, default=None, help="at most this many chunks (default: all)")
    parser.add_argument("-t", "--threads", type=int, default=None, help="CPU threads (default: physical cores)")
    parser.add_argument("-fa", "--flash-attn", default="on", choices=("on", "off"),
                        help="flash attention (default on, as llama-perplexity's -fa auto picks on CPU and GPUs; "
                             "give the same setting to both tools)")
    parser.add_argument("--no-speed", action="store_true", help="skip the pp/tg speed test")
    parser.add_argument("--remeasure", action="store_true",
                        help="measure every model again instead of reusing results saved by an earlier run")
    parser.add_argument("--kv-types", default=None, metavar="TYPES",
                        help="also compare KV-cache types: e.g. f16,q8_0,q4_0 or q8_0/f16 for K/V; every file runs "
                             "at each, the reference stays the reference file with f16 KV")
    parser.add_argument("--speed-depth", type=int, default=0, metavar="N",
                        help="measure pp/tg with N tokens already in the KV cache (llama-bench -d; default 0)")
    parser.add_argument("--parallel", type=int, default=None,
                        help="variants evaluated at once when the fit estimate says they fit in memory together "
                             "(default: one per core, at most 4; 1 = one at a time)")
    parser.add_argument("-ngl", "--n-gpu-layers", type=int, default=0, help="layers to offload (-1 = all)")
    parser.add_argument("--rpc", type=rpc_endpoints_arg, default=(), metavar="HOST:PORT,...",
                        help="rpc-server endpoints whose devices take offloaded layers (see workbench rpc-host)")
    parser.add_argument("-o", "--output", choices=("md", "json", "csv"), default="md")
    parser.add_argument("--history", action="store_true", help="list earlier runs and exit")
    parser.add_argument("--show", type=Path, metavar="RUN_DIR", help="print a saved run's results and exit")
    parser.set_defaults(handler=run)


def read_text(path: Path | None) -> tuple[bytes, str]:
    data = (path.read_bytes(), path.name) if path else (files("assets").joinpath(DEFAULT_TEXT).read_bytes(),
                                                         DEFAULT_TEXT)
    # llama-perplexity's -f drops one trailing newline; do the same so tokens match.
    return (data[0][:-1] if data[0].endswith(b"\n") else data[0]), data[1]


def run(args: argparse.Namespace) -> int:
    if args.history:
        for info in list_runs():
            print(f"{info['run_dir']}  ref={Path(info['reference']).name}  ctx={info['n_ctx']}"
                  f"  results={info['n_results']}  variants={len(info.get('variants', []))}")
        return 0
    if args.show:
        print(render(with_recipes(load_run_records(args.show)), args.output))
        return 0
    models = list(args.variants)
    if not models:
        raise ValueError("give at least one variant GGUF")
    reference = args.reference or max(models, key=lambda p: p.stat().st_size)
    variants = [m for m in models if m != reference]
    if not variants:
        raise ValueError("give at least one variant besides the reference")
    if args.ctx < 8 or (args.chunks is not None and args.chunks < 1):
        raise ValueError("--ctx must be >= 8 and --chunks >= 1")
    if args.parallel is not None and args.parallel < 1:
        raise ValueError("--parallel must be at least 1")
    if args.speed_depth < 0:
        raise ValueError("--speed-depth must be >= 0")
    text, text_name = read_text(args.text)
    # rpc-server serves one client at a time: with remote devices the variants run one by one.
    spec = CompareConfig(reference, variants, text, text_name, args.ctx, args.chunks, args.threads,
                       args.flash_attn == "on", speed=not args.no_speed,
                       max_parallel=1 if args.rpc else args.parallel, remeasure=args.remeasure,
                       n_gpu_layers=args.n_gpu_layers, rpc=args.rpc, bench_depth=args.speed_depth)
    runner = KvAxisRunner(spec, parse_kv_types(args.kv_types)) if args.kv_types else CompareRunner(spec)
    cancel = CancelToken()
    update, close = progress_bar(unit="model")
    try:
        outcome = runner.run(lambda done, total, label: update(round(done, 2), total, label), cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        close()
        print(f"workbench: cancelled; finished models are kept in {runner.run_dir} and the same command "
              "resumes", file=sys.stderr)
        return 130
    finally:
        close()
    meta = {"reference": str(reference), "text": text_name, "n_ctx": args.ctx, "run_dir": str(outcome.run_dir)}
    records = with_recipes(outcome.records)
    print(render(records, args.output, meta))
    if args.output == "md" and recommend(records):
        print(f"\n{recommend(records)}")
    note = cached_note(records)
    if note:
        print(f"workbench: {note}; --remeasure measures them again", file=sys.stderr)
    return 0


def cached_note(records: list[dict]) -> str:
    """Which results were read back from an earlier run, and when they were measured ('' if none)."""
    cached = [r for r in records if r.get("cached")]
    if not cached:
        return ""
    names = ", ".join(f"{Path(r['file']).name} ({measured_text(r)})" for r in cached)
    return f"{len(cached)} cached result(s) from earlier runs: {names}"


def measured_text(record: dict) -> str:
    when = record.get("measured_at")
    return "measured " + time.strftime("%Y-%m-%d %H:%M", time.localtime(when)) if when else "date unknown"

