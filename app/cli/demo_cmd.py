"""workbench demo-models DIR: build tiny models so every page works offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.progress import progress_bar
from app.paths import demo_models_dir
from models.demo_factory import QUANT_LADDER, SPECS, build_demo_models

HELP = "write small demo GGUFs (F32 plus a K-quant ladder) with no download"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo-models", help=HELP, description=HELP)
    parser.add_argument("dir", type=Path, nargs="?", default=None, help=f"output folder (default: {demo_models_dir()})")
    parser.add_argument("--spec", choices=sorted(SPECS), default="tiny", help="model size")
    parser.add_argument("--quants", default=",".join(QUANT_LADDER), help="comma-separated quant types")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out_dir = args.dir or demo_models_dir()
    quants = tuple(q.strip() for q in args.quants.split(",") if q.strip())
    update, close = progress_bar()
    try:
        models = build_demo_models(out_dir, spec=args.spec, quants=quants, seed=args.seed, progress=update)
    finally:
        close()
    for model in models:
        print(f"{model.quant:>7}  {model.size_bytes / 2**20:8.2f} MiB  {model.path}")
    return 0
