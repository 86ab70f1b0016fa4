"""workbench quantize SRC --to Q4_K_M,Q5_K_M [-o DIR]: llama.cpp's quantizer."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.progress import progress_bar
from app.quantize.job import TARGETS, quantize_many
from app.quantize.recipe_store import all_recipes, recipe_from_arg, save_recipe
from app.quantize.recipes import Recipe
from runtimes.base import CancelToken

HELP = "quantize an F32/F16/BF16 GGUF to K-quants (Q8_0 ... Q2_K, IQ4_XS)"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quantize", help=HELP, description=HELP)
    parser.add_argument("source", type=Path, nargs="?", help="F32, F16 or BF16 GGUF")
    parser.add_argument("--to", help=f"comma-separated types: {','.join(TARGETS)}")
    parser.add_argument("--recipe", help="keep some tensors at a higher type: a recipe's name (see --list-recipes) "
                        "or rules like 'output.weight=q8_0,token_embd=q8_0,attn_=+1' (llama-quantize --tensor-type)")
    parser.add_argument("--save-recipe", metavar="NAME", help="save the --recipe rules under NAME for later use")
    parser.add_argument("--list-recipes", action="store_true", help="list the shipped and saved recipes and exit")
    parser.add_argument("--imatrix", type=Path,
                        help="importance matrix from llama-imatrix (GGUF or legacy .dat), as llama-quantize --imatrix")
    parser.add_argument("-o", "--out-dir", type=Path, default=None, help="output folder (default: next to SRC)")
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.list_recipes:
        for item in all_recipes():
            print(f"{item.name:14} {item.text():60} {item.description}")
        return 0
    recipe = recipe_from_arg(args.recipe) if args.recipe else None
    if args.save_recipe:
        if recipe is None:
            raise ValueError("--save-recipe needs --recipe RULES")
        recipe = Recipe(args.save_recipe, recipe.rules)
        print(f"saved recipe {recipe.name} in {save_recipe(recipe)}")
    if args.source is None or not args.to:
        if args.save_recipe:
            return 0
        raise ValueError("give the SOURCE model and --to TYPES")
    targets = [t.strip().upper() for t in args.to.split(",") if t.strip()]
    update, close = progress_bar(unit="file")
    cancel = CancelToken()
    try:
        outputs = quantize_many(args.source, targets, args.out_dir or args.source.parent, args.threads,
                                update, cancel, imatrix=args.imatrix, recipe=recipe)
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    finally:
        close()
    for path in outputs:
        print(path)
    return 0
