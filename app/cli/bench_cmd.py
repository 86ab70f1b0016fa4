"""workbench bench MODEL: llama-bench's tests and output fields, via a worker."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.load_args import add_load_args, load_options
from runtimes.base import CancelToken
from runtimes.events import Done, Error, Metrics
from runtimes.llama_cpp.bench import BenchRequest
from runtimes.registry import get_runtime

HELP = "measure prompt and generation speed the way llama-bench does"


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("token counts must be >= 0")
    return values


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help="GGUF file")
    parser.add_argument("-p", "--n-prompt", type=_int_list, default=(512,), help="prompt sizes, e.g. 512 or 128,512")
    parser.add_argument("-n", "--n-gen", type=_int_list, default=(128,), help="generation lengths")
    parser.add_argument("-r", "--repetitions", type=int, default=5)
    parser.add_argument("-o", "--output", choices=("md", "json", "jsonl", "csv"), default="md")
    parser.add_argument("--no-warmup", action="store_true")
    add_load_args(parser, n_ctx_default=0)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.repetitions < 1:
        raise ValueError("-r must be at least 1")
    request = BenchRequest(args.n_prompt, args.n_gen, args.repetitions, not args.no_warmup)
    # llama-bench sizes the context to the longest test.
    n_ctx = max((*args.n_prompt, *args.n_gen, 1))
    session = get_runtime("llama.cpp").load(args.model, load_options(args, n_ctx=n_ctx))
    try:
        records = _collect(session, request)
    finally:
        session.close()
    if records is None:
        return 1
    print(render(records, args.output))
    return 0


def _collect(session: Any, request: BenchRequest) -> list[dict[str, Any]] | None:
    cancel = CancelToken()
    events = session.run(request, cancel)
    try:
        for event in events:
            if isinstance(event, Metrics) and sys.stderr.isatty():
                print(f"\rbench: run {event.values['done']:.0f}/{event.values['total']:.0f}", end="", file=sys.stderr)
            elif isinstance(event, Error):
                print(f"workbench: error: {event.message}", file=sys.stderr)
                return None
            elif isinstance(event, Done):
                return event.result
    except KeyboardInterrupt:
        cancel.cancel()
        for event in events:
            if isinstance(event, Done):
                return event.result
    return None


def render(records: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(records, indent=2)
    if fmt == "jsonl":
        return "\n".join(json.dumps(r) for r in records)
    if fmt == "csv":
        return _csv(records)
    return _markdown(records)


def _csv(records: list[dict[str, Any]]) -> str:
    import io

    out = io.StringIO()
    fields = [k for k in records[0] if k not in ("samples_ns", "samples_ts")] if records else []
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().rstrip("\n")


def bench_test_name(record: dict[str, Any]) -> str:
    """llama-bench's test label: pp512, tg128 or pp512+tg128."""
    if record["n_prompt"] and not record["n_gen"]:
        return f"pp{record['n_prompt']}"
    if record["n_gen"] and not record["n_prompt"]:
        return f"tg{record['n_gen']}"
    return f"pp{record['n_prompt']}+tg{record['n_gen']}"


def _markdown(records: list[dict[str, Any]]) -> str:
    header = "| model | size | params | backend | threads | test | t/s |"
    lines = [header, "| --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for r in records:
        lines.append(
            f"| {r['model_type']} | {r['model_size'] / 2**20:.2f} MiB | {r['model_n_params'] / 1e6:.2f} M"
            f" | {r['backends']} | {r['n_threads']} | {bench_test_name(r)} | {r['avg_ts']:.2f} ± {r['stddev_ts']:.2f} |"
        )
    return "\n".join(lines)
