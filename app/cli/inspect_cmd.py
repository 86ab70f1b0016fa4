"""workbench inspect MODEL: GGUF metadata, validated before anything else;
any other model kind is described by the runtime that claims it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.tensors.model_facts import fact_text
from models.gguf.info import GGUFInfo, read_gguf_info
from runtimes.errors import UnknownModelKind
from runtimes.registry import runtime_for

HELP = "show a model's facts: GGUF architecture and quantization; ONNX/Core ML inputs, outputs and opset"
LIST_LIMIT = 12  # dict entries (e.g. operator counts) shown on one line before "…"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inspect", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help="GGUF, .onnx, .mlpackage, .mlmodel or another file a runtime loads")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    runtime = _describing_runtime(args.model)
    if runtime is None:
        info = read_gguf_info(args.model)
        print(json.dumps(info.to_dict(), indent=2) if args.json else render(info))
        return 0
    description = runtime.describe_model(args.model)
    print(json.dumps(description, indent=2, default=str) if args.json else render_description(description))
    return 0


def _describing_runtime(model: Path) -> Any:
    """The runtime that describes ``model``; None for GGUF and unclaimed files
    (read as GGUF, whose validation names what is wrong with them)."""
    if model.suffix.lower() == ".gguf":
        return None
    try:
        return runtime_for(model)
    except UnknownModelKind:
        return None


def _tensor_line(tensor: dict[str, Any]) -> str:
    shape = tensor.get("shape")
    shape_text = "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]" if shape is not None else ""
    return f"  {tensor.get('name', '?'):<20} {tensor.get('dtype', tensor.get('kind', '')):<10} {shape_text}"


def render_description(info: dict[str, Any]) -> str:
    """Any runtime's describe_model dict: scalars as aligned rows, lists of
    named tensors (inputs, outputs, ...) as one line each, the rest joined."""
    tensors = {k: v for k, v in info.items() if isinstance(v, list) and v and all(
        isinstance(t, dict) and "name" in t for t in v)}
    rows = [(k.removesuffix("_bytes").replace("_", " "), fact_text(k, v, LIST_LIMIT)) for k, v in info.items()
            if k not in tensors and v not in ("", None, [], {})]
    width = max((len(k) for k, _ in rows), default=0)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    for key, values in tensors.items():
        lines.append(f"{key.replace('_', ' ')}:")
        lines.extend(_tensor_line(t) for t in values)
    return "\n".join(lines)


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
