"""workbench pull REPO [FILE | --quant Q4_K_M]: download a verified GGUF into the HF cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from app.paths import download_journal_path
from models.download.events import DownloadEvent, DownloadProgressed, DownloadState, DownloadStateChanged
from models.download.jobs import DownloadJob
from models.download.journal import DownloadJournal
from models.download.manager import DownloadManager
from models.download.paths import default_cache_dir
from models.errors import WorkbenchError
from models.hub.client import HubClient
from models.hub.files import HubFile
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
    """The Library's DownloadManager and journal: an interrupted pull is listed there, paused."""
    client = HubClient(token=get_token())
    repo = client.repo_files(args.repo, args.revision)
    files = _choose(repo.files, args)
    cache = args.cache_dir or default_cache_dir()
    manager = DownloadManager(DownloadJournal(download_journal_path()))
    bars = FileBars(files)
    manager.events.connect(bars.show)
    download = manager.add(client, DownloadJob(repo, files, cache, args.revision))
    try:
        manager.wait(download)
    except KeyboardInterrupt:  # Ctrl-C: stop, keep the .part bytes; the next pull or the Library resumes
        manager.shutdown()
        manager.wait(download)
        raise
    finally:
        bars.close()
        manager.flush_journal()
    if download.state is DownloadState.FAILED and download.error is not None:
        raise download.error
    if download.state is not DownloadState.DONE:
        raise WorkbenchError(f"{repo.repo_id}: download {download.state}")
    for path in download.paths:
        print(path)
    return 0


class FileBars:
    """One tqdm bar per file on stderr; manager events arrive on the download's thread."""

    def __init__(self, files: list[HubFile]) -> None:
        self.files = files
        self.bar: tqdm | None = None
        self.index = -1

    def show(self, event: DownloadEvent) -> None:
        if isinstance(event, DownloadProgressed):
            p = event.progress
            while self.index < p.file_index:
                self._next()
            self.bar.n = p.current.done
            self.bar.set_postfix_str(p.current.state if p.current.state != "downloading" else "", refresh=False)
            self.bar.refresh()
        elif isinstance(event, DownloadStateChanged) and event.state is DownloadState.DONE:
            while self.index < len(self.files) - 1:  # files already in the cache send no progress
                self._next()
                self.bar.n = self.bar.total
                self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def _next(self) -> None:
        self.close()
        self.index += 1
        f = self.files[self.index]
        self.bar = tqdm(total=f.size, unit="B", unit_scale=True, unit_divisor=1024, desc=f.path, file=sys.stderr)


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
