"""workbench demo-models DIR: build tiny models so every page works offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.progress import progress_bar
from app.paths import demo_models_dir
from models.demo.catalog import DEMO_KINDS, REAL_VOCAB, demo_builder
from models.demo.factory import QUANT_LADDER, SPECS, build_demo_models
from models.errors import WorkbenchError

HELP = "write small demo models (a GGUF K-quant ladder, and the other runtimes' kinds) with no download"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo-models", help=HELP, description=HELP)
    parser.add_argument("dir", type=Path, nargs="?", default=None, help=f"output folder (default: {demo_models_dir()})")
    parser.add_argument("--spec", choices=sorted(SPECS), default="tiny", help="text model size")
    parser.add_argument("--quants", default=",".join(QUANT_LADDER), help="comma-separated quant types")
    parser.add_argument("--seed", type=int, default=0)
    kinds = ", ".join(sorted(DEMO_KINDS)) or "none yet"
    parser.add_argument(
        "--kinds", default="text", help=f"comma-separated: text, {kinds}, or all (default: text)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out_dir = args.dir or demo_models_dir()
    wanted = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if "all" in wanted:
        wanted = ["text", *sorted(DEMO_KINDS)]
    builders = [(k, demo_builder(k)) for k in wanted if k != "text"]  # unknown kinds fail before any work
    if "text" in wanted:
        _build_text(args, out_dir)
    for kind, builder in builders:
        extra = {"vocab_file": real_vocab_file(REAL_VOCAB[kind])} if kind in REAL_VOCAB else {}
        update, close = progress_bar()
        try:
            files = builder(Path(out_dir), update, **extra)
        finally:
            close()
        for label, path in files:
            print(f"{label:>16}  {_size(path) / 2**20:8.2f} MiB  {path}")
    return 0


def real_vocab_file(name: str) -> Path:
    """llama.cpp's models/ggml-vocab-NAME.gguf from the pinned llama-cpp-python sdist."""
    from runtimes.errors import BuildError
    from runtimes.llama_cpp.native_build import sdist_root

    try:
        return sdist_root() / "vendor" / "llama.cpp" / "models" / f"ggml-vocab-{name}.gguf"
    except BuildError as exc:
        raise WorkbenchError(f"no llama.cpp vocabulary ggml-vocab-{name}.gguf here: {exc}") from exc


def _build_text(args: argparse.Namespace, out_dir: Path) -> None:
    quants = tuple(q.strip() for q in args.quants.split(",") if q.strip())
    update, close = progress_bar()
    try:
        models = build_demo_models(out_dir, spec=args.spec, quants=quants, seed=args.seed, progress=update)
    finally:
        close()
    for model in models:
        print(f"{model.quant:>16}  {model.size_bytes / 2**20:8.2f} MiB  {model.path}")


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
