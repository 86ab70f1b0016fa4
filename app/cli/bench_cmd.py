"""workbench bench MODEL: benchmark any model the registry knows, each in its worker.

The runtime that claims the file plans the runs (llama.cpp: llama-bench's pp/tg
tests; whisper: real-time factor; ONNX: latency per provider; Core ML: latency
per compute unit). This command only passes the flags on and prints records.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.load_args import add_load_args
from runtimes.base import BenchSpec, CancelToken, Session
from runtimes.events import Done, Error, Metrics
from runtimes.registry import runtime_for
from runtimes.requests import Request

HELP = "benchmark a model: llama-bench's tests for GGUF, latency or real-time factor for the others"


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("token counts must be >= 0")
    return values


def _str_list(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help="GGUF, whisper .bin, .onnx, .mlpackage or .mlmodel")
    parser.add_argument("-r", "--repetitions", type=int, default=5)
    parser.add_argument("-o", "--output", choices=("md", "json", "jsonl", "csv"), default="md")
    parser.add_argument("--no-warmup", action="store_true")
    text = parser.add_argument_group("text models (GGUF)")
    text.add_argument("-p", "--n-prompt", type=_int_list, default=None, help="prompt sizes, e.g. 512 or 128,512")
    text.add_argument("-n", "--n-gen", type=_int_list, default=None, help="generation lengths")
    other = parser.add_argument_group("speech and tensor models")
    other.add_argument("--audio", type=Path, default=None, help="audio file for speech models (default: generated)")
    other.add_argument("--providers", type=_str_list, default=None, help="ONNX execution providers, e.g. CPU,CUDA")
    other.add_argument("--compute-units", type=_str_list, default=None, help="Core ML compute units, e.g. CPU_ONLY,ALL")
    add_load_args(parser, n_ctx_default=0)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.repetitions < 1:
        raise ValueError("-r must be at least 1")
    runtime = runtime_for(args.model)
    params = {k: v for k, v in vars(args).items() if k not in ("handler", "model")}
    spec = BenchSpec(args.repetitions, not args.no_warmup, args.threads, params)
    records: list[dict[str, Any]] = []
    for step in runtime.bench_runs(args.model, spec):
        session = runtime.load(args.model, step.options)
        try:
            step_records = _collect(session, step.request, step.label)
        finally:
            session.close()
        if step_records is None:
            return 1
        records.extend(step_records)
    print(render(records, args.output, runtime.bench_markdown))
    return 0


def _collect(session: Session, request: Request, label: str) -> list[dict[str, Any]] | None:
    cancel = CancelToken()
    events = session.run(request, cancel)
    try:
        for event in events:
            if isinstance(event, Metrics) and sys.stderr.isatty() and "total" in event.values:
                done, total = event.values["done"], event.values["total"]
                print(f"\rbench {label}: run {done:.0f}/{total:.0f}", end="", file=sys.stderr)
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


def render(records: list[dict[str, Any]], fmt: str, markdown: Any) -> str:
    if fmt == "json":
        return json.dumps(records, indent=2, default=str)
    if fmt == "jsonl":
        return "\n".join(json.dumps(r, default=str) for r in records)
    if fmt == "csv":
        return _csv(records)
    return markdown(records)


def _csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    fields = [k for k, v in records[0].items() if not isinstance(v, list | dict)] if records else []
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().rstrip("\n")
