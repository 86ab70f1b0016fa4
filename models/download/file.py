"""Download one repo file into the Hugging Face cache, verified.

The bytes go to blobs/<sha256>.part, reach blobs/<sha256> only after the
SHA-256 matches the Hub's LFS oid, and a mismatch moves the file to the
repo's quarantine/ folder. A blob already in the cache (any tool's) is reused.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from models.download.fetch import RetryPolicy, StopFlag, fetch_to_part
from models.download.paths import blob_path, link_snapshot, repo_folder, snapshot_path, write_ref
from models.download.progress import DownloadProgress
from models.errors import DownloadCancelled, HashMismatch, NotEnoughDisk, WorkbenchError
from models.hub.client import HubClient
from models.hub.files import HubFile, RepoFiles

DISK_MARGIN = 64 << 20  # leave room for the OS and the app's own files


@dataclass(frozen=True)
class DownloadTarget:
    repo: RepoFiles
    file: HubFile
    revision: str = "main"


def download_file(client: HubClient, target: DownloadTarget, cache_dir: Path,
                  progress=None, stop: StopFlag | None = None,
                  retry: RetryPolicy | None = None) -> Path:
    """Return the snapshot path of the verified file."""
    repo, f = target.repo, target.file
    snapshot = snapshot_path(cache_dir, repo.repo_id, repo.commit, f.path)  # refuses ../ names
    blob = blob_path(cache_dir, repo.repo_id, f.sha256 or f.blob_id or _no_id(f))
    if blob.is_file() and blob.stat().st_size == f.size:
        _publish(cache_dir, target, blob, snapshot)
        return snapshot
    part = blob.with_name(blob.name + ".part")
    check_disk_space(blob.parent, f.size - (part.stat().st_size if part.exists() else 0))
    stop = stop or StopFlag()
    retry = retry or RetryPolicy()
    url = client.file_url(repo.repo_id, f.path, repo.commit)
    try:
        actual = fetch_to_part(client.open_download, url, part, f.size, f.path,
                               progress, stop, retry)
    except DownloadCancelled:
        if stop.reason != "pause":
            part.unlink(missing_ok=True)
        raise
    if f.sha256:
        if progress:
            progress(DownloadProgress(f.path, f.size, f.size, 0.0, "verifying"))
        if actual != f.sha256:
            where = quarantine(cache_dir, repo.repo_id, part, f.path)
            raise HashMismatch(f"{f.path}: SHA-256 mismatch (expected {f.sha256[:12]}…, got {actual[:12]}…); "
                               f"the file was moved to {where} and will not be used")
    os.replace(part, blob)
    _publish(cache_dir, target, blob, snapshot)
    return snapshot


def check_disk_space(folder: Path, needed: int) -> None:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed + DISK_MARGIN > free:
        raise NotEnoughDisk(f"not enough disk space in {probe}: the download needs {needed / 2**30:.2f} GiB "
                            f"more, {free / 2**30:.2f} GiB free (keeping {DISK_MARGIN >> 20} MiB spare)")


def quarantine(cache_dir: Path, repo_id: str, part: Path, filename: str) -> Path:
    folder = repo_folder(cache_dir, repo_id) / "quarantine"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / (part.name.removesuffix(".part")[:16] + "-" + Path(filename).name)
    os.replace(part, dest)
    return dest


def _publish(cache_dir: Path, target: DownloadTarget, blob: Path, snapshot: Path) -> None:
    link_snapshot(blob, snapshot)
    write_ref(cache_dir, target.repo.repo_id, target.revision, target.repo.commit)


def _no_id(f: HubFile) -> str:
    raise WorkbenchError(f"{f.path}: the Hub gave no hash for this file, so it cannot be verified")
