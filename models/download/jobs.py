"""Download jobs for a UI: one job = one quant's files (split parts, mmproj),
run as an iterator of progress events so any front end can show them.

download_file reports progress through a callback on its own thread; a UI
worker wants a generator. stream_job bridges the two with a queue and a
helper thread, and throttles events so a fast link does not flood the UI.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from models.download.fetch import RetryPolicy, StopFlag
from models.download.file import DownloadTarget, download_file
from models.download.paths import blob_path
from models.download.progress import DownloadProgress
from models.hub.client import HubClient
from models.hub.files import HubFile, RepoFiles

EVENT_INTERVAL_S = 0.1


@dataclass(frozen=True)
class JobProgress:
    """Progress over the whole job: done/total are summed over every file."""

    file_index: int
    file_count: int
    current: DownloadProgress
    done: int
    total: int


@dataclass(frozen=True)
class JobDone:
    paths: tuple[Path, ...]


@dataclass
class DownloadJob:
    repo: RepoFiles
    files: list[HubFile]
    cache_dir: Path
    revision: str = "main"
    stop: StopFlag = field(default_factory=StopFlag)

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def label(self) -> str:
        return f"{self.repo.repo_id}/{self.files[0].path}"

    def restart(self) -> None:
        """A fresh stop flag for Resume; the .part files carry the bytes over."""
        self.stop = StopFlag()

    def part_files(self) -> list[Path]:
        return [_part_of(self, f) for f in self.files]

    def kept_bytes(self) -> int:
        """What the .part files hold: where Resume continues from."""
        return sum(p.stat().st_size for p in self.part_files() if p.exists())

    def discard_partials(self) -> None:
        """Cancel after Pause: nothing is downloading, so remove the kept .part files here."""
        for part in self.part_files():
            part.unlink(missing_ok=True)


def _part_of(job: DownloadJob, f: HubFile) -> Path:
    blob = blob_path(job.cache_dir, job.repo.repo_id, f.sha256 or f.blob_id or "unknown")
    return blob.with_name(blob.name + ".part")


def stream_job(client: HubClient, job: DownloadJob,
               retry: RetryPolicy | None = None) -> Iterator[JobProgress | JobDone]:
    """Download every file of the job in order; raises what download_file raises."""
    paths: list[Path] = []
    finished = 0
    for index, f in enumerate(job.files):
        target = DownloadTarget(job.repo, f, job.revision)
        for event in _stream_file(client, target, job, retry):
            if isinstance(event, Path):
                paths.append(event)
            else:
                yield JobProgress(index, len(job.files), event, finished + event.done, job.total)
        finished += f.size
    yield JobDone(tuple(paths))


def _stream_file(client: HubClient, target: DownloadTarget, job: DownloadJob,
                 retry: RetryPolicy | None) -> Iterator[DownloadProgress | Path]:
    """Progress events, then the snapshot path as the last item."""
    events: queue.Queue = queue.Queue()
    last = [0.0]

    def progress(p: DownloadProgress) -> None:
        now = time.monotonic()
        # Always pass state changes (retrying, verifying) and the final byte.
        if p.state != "downloading" or p.done == p.total or now - last[0] >= EVENT_INTERVAL_S:
            last[0] = now
            events.put(("progress", p))

    def run() -> None:
        try:
            path = download_file(client, target, job.cache_dir, progress, job.stop, retry)
            events.put(("done", path))
        except BaseException as e:  # handed to the consumer, which re-raises it
            events.put(("error", e))

    threading.Thread(target=run, name="download", daemon=True).start()
    while True:
        kind, value = events.get()
        if kind == "progress":
            yield value
        elif kind == "done":
            yield value
            return
        else:
            raise value
