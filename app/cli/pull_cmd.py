"""workbench pull REPO [FILE | --quant Q4_K_M]: download a verified GGUF into the HF cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from models.download.fetch import StopFlag
from models.download.file import DownloadTarget, download_file
from models.download.paths import default_cache_dir
from models.download.progress import DownloadProgress
from models.errors import WorkbenchError
from models.hub.client import HubClient
from models.hub.quants import group_quants, pick
from models.hub.token import get_token

HELP = "download a GGUF from Hugging Face (resumable, SHA-256 verified)"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pull", help=HELP, description=HELP)
    parser.add_argument("repo", help="owner/name on huggingface.co")
    parser.add_argument("file", nargs="?", help="file in the repo (default: pick by --quant)")
    parser.add_argument("--quant", default="Q4_K_M", help="quant type to pick when FILE is not given")
    parser.add_argument("--revision", default="main")
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: the Hugging Face hub cache")
    parser.add_argument("--mmproj", action="store_true", help="also fetch the repo's vision projector")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    client = HubClient(token=get_token())
    repo = client.repo_files(args.repo, args.revision)
    files = _choose(repo.files, args)
    cache = args.cache_dir or default_cache_dir()
    for f in files:
        bar = tqdm(total=f.size, unit="B", unit_scale=True, unit_divisor=1024, desc=f.path, file=sys.stderr)

        def show(p: DownloadProgress, bar: tqdm = bar) -> None:
            bar.n = p.done
            bar.set_postfix_str(p.state if p.state != "downloading" else "", refresh=False)
            bar.refresh()

        try:
            path = download_file(client, DownloadTarget(repo, f, args.revision), cache, show, StopFlag())
        finally:
            bar.close()
        print(path)
    return 0


def _choose(files, args: argparse.Namespace):
    by_name = {f.path: f for f in files}
    if args.file:
        if args.file not in by_name:
            raise WorkbenchError(f"{args.repo} has no file {args.file!r}")
        return [by_name[args.file]]
    options = group_quants(list(files))
    option = pick(options, args.quant)
    if option is None:
        have = ", ".join(sorted({o.quant for o in options})) or "no GGUF files"
        raise WorkbenchError(f"{args.repo} has no {args.quant} GGUF (available: {have})")
    return option.files + ([option.mmproj] if args.mmproj and option.mmproj else [])
