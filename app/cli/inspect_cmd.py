"""workbench inspect MODEL: GGUF metadata, validated before anything else."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from models.gguf_info import GGUFInfo, read_gguf_info

HELP = "show a GGUF file's architecture, size, quantization and template"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inspect", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help="GGUF file")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    info = read_gguf_info(args.model)
    print(json.dumps(info.to_dict(), indent=2) if args.json else render(info))
    return 0


def _fmt(value: object) -> str:
    return "unknown" if value is None else str(value)


def render(info: GGUFInfo) -> str:
    bpw = f"{info.bits_per_weight:.2f}" if info.bits_per_weight else "unknown"
    rows = [
        ("file", info.path),
        ("size", f"{info.file_size / 2**20:.2f} MiB"),
        ("GGUF version", info.gguf_version),
        ("architecture", info.architecture),
        ("name", _fmt(info.name)),
        ("parameters", f"{info.parameter_count / 1e6:.2f} M"),
        ("file type", _fmt(info.file_type_name)),
        ("bits per weight", bpw),
        ("layers", _fmt(info.n_layers)),
        ("heads / KV heads", f"{_fmt(info.n_heads)} / {_fmt(info.n_kv_heads)}"),
        ("embedding width", _fmt(info.n_embd)),
        ("context length", _fmt(info.context_length)),
        ("tokenizer", f"{_fmt(info.tokenizer_model)} ({_fmt(info.vocab_size)} tokens)"),
        ("chat template", "yes" if info.chat_template else "no"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("tensor types:")
    for name, count in info.tensor_type_histogram.items():
        lines.append(f"  {name:<8} {count:>4} tensors  {info.tensor_type_bytes.get(name, 0) / 2**20:9.2f} MiB")
    return "\n".join(lines)
