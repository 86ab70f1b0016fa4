"""Download throughput: Workbench's verified download vs plain curl, same loopback server.

Starts tests/fake_hub.FakeHub on 127.0.0.1 in its own process (in-process, its
thread would share the GIL with the client being measured) serving one random
file (default 512 MiB, 1 MiB writes), then alternates, per round:
  * curl -o FILE URL              (no verification)
  * workbench download_file()     (.part with unbuffered writes, SHA-256 hashed
                                   while receiving, checked, renamed into the cache)
and prints the median MiB/s of each and the ratio. Bar: >= 0.80 of curl.
Both write to the same disk; the page cache is synced before every run.

    .venv/bin/python benchmarks/download_vs_curl.py [--mib 512] [--rounds 7] [--dir /dev/shm]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.download.file import DownloadTarget, download_file  # noqa: E402
from models.hub.client import HubClient  # noqa: E402
from tests.support.fake_hub import FakeHub, FakeRepo  # noqa: E402

REPO = "bench-org/big-GGUF"
NAME = "big-Q4_K_M.gguf"


def run_curl(url: str, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", "-o", str(out), url], check=True)
    return time.perf_counter() - t0


def run_workbench(client: HubClient, cache: Path) -> float:
    repo = client.repo_files(REPO)
    target = DownloadTarget(repo, next(f for f in repo.files if f.path == NAME))
    t0 = time.perf_counter()
    download_file(client, target, cache, progress=lambda p: None)  # the app always reports progress
    return time.perf_counter() - t0


def remove_files(cache: Path) -> None:
    """Delete the downloaded files but keep the cache's folders, as a user's HF cache keeps them."""
    for path in sorted(cache.rglob("*"), reverse=True):
        if path.is_symlink() or path.is_file():
            path.unlink()


def serve(mib: int) -> None:
    """Server process: print the URL once ready, serve until stdin closes."""
    data = os.urandom(mib << 20)
    hub = FakeHub()
    hub.write_size = 1 << 20
    hub.add(FakeRepo(REPO, {NAME: data}))
    hub.sha256(data)  # hash once up front, not inside the first timed request
    hub.start()
    print(hub.url, flush=True)
    sys.stdin.read()
    hub.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where both clients write (default: the temp dir; /dev/shm takes the disk out)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.mib)
        return 0
    if shutil.which("curl") is None:
        print("curl is not installed", file=sys.stderr)
        return 1
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--mib", str(args.mib)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        return measure(HubClient(endpoint=server.stdout.readline().strip(), token=None), args)
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def measure(client: HubClient, args: argparse.Namespace) -> int:
    url = client.file_url(REPO, NAME, "main")
    curl_s, wb_s = [], []
    with tempfile.TemporaryDirectory(prefix="workbench-dl-bench-", dir=args.dir) as tmp:
        for n in range(args.rounds):
            out = Path(tmp) / "curl.bin"
            os.sync()  # neither client pays for writing back the other's file
            curl_s.append(run_curl(url, out))
            out.unlink()
            cache = Path(tmp) / "hf-cache"
            os.sync()
            wb_s.append(run_workbench(client, cache))
            remove_files(cache)
            print(f"round {n + 1}: curl {args.mib / curl_s[-1]:.0f} MiB/s, workbench {args.mib / wb_s[-1]:.0f} MiB/s",
                  flush=True)
    mib = args.mib

    def rate(samples: list[float]) -> float:
        return mib / statistics.median(samples)

    curl, wb = rate(curl_s), rate(wb_s)
    print(f"file {mib} MiB, {args.rounds} rounds, written to {args.dir or tempfile.gettempdir()}, medians")
    print("| client | MiB/s | ratio vs curl |")
    print("| --- | ---: | ---: |")
    print(f"| curl (no verification) | {curl:.0f} | 1.00 |")
    print(f"| workbench (SHA-256 verified, in the HF cache) | {wb:.0f} | {wb / curl:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
