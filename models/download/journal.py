"""Unfinished downloads, remembered across app restarts and reboots.

The bytes survive in the cache's ``.part`` files; this journal remembers which
jobs they belong to (repo, commit, files with their hashes), so the Library
can list them again as paused on the next start and resume without asking the
Hub first. One small JSON file, rewritten atomically on every change.

The file's place is the caller's to choose (the app keeps it in its data
folder, app.paths.download_journal_path), so this module needs nothing above it.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict
from pathlib import Path

from models.download.jobs import DownloadJob
from models.hub.files import HubFile, RepoFiles

VERSION = 1

# Two managers in one process (two Library pages in the tests) may share a file:
# each read-modify-write runs alone.
_rewrite = threading.Lock()


class DownloadJournal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def remember(self, job: DownloadJob) -> None:
        with _rewrite:
            entries = [e for e in _read(self.path) if e.get("key") != _key(job)]
            _write(self.path, [*entries, _entry(job)])

    def forget(self, job: DownloadJob) -> None:
        with _rewrite:
            entries = _read(self.path)
            kept = [e for e in entries if e.get("key") != _key(job)]
            if len(kept) != len(entries):
                _write(self.path, kept)

    def unfinished(self) -> list[DownloadJob]:
        """Jobs that were started and never finished or cancelled, oldest first."""
        jobs = []
        for e in _read(self.path):
            try:
                files = [HubFile(**f) for f in e["files"]]
                repo = RepoFiles(e["repo_id"], e["commit"], tuple(files))
                jobs.append(DownloadJob(repo, files, Path(e["cache_dir"]), e.get("revision", "main")))
            except (KeyError, TypeError):
                continue  # an entry from a damaged file: skip it, keep the rest
        return jobs


def _key(job: DownloadJob) -> str:
    return f"{job.repo.repo_id}@{job.repo.commit}:" + ",".join(f.path for f in job.files)


def _entry(job: DownloadJob) -> dict:
    return {
        "key": _key(job),
        "repo_id": job.repo.repo_id,
        "commit": job.repo.commit,
        "revision": job.revision,
        "cache_dir": str(job.cache_dir),
        "files": [asdict(f) for f in job.files],
    }


def _read(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []  # a damaged journal only loses the list; the .part bytes stay in the cache
    return data.get("jobs", []) if isinstance(data, dict) and data.get("version") == VERSION else []


def _write(path: Path, entries: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"version": VERSION, "jobs": entries}, indent=1), encoding="utf-8")
    os.replace(tmp, path)
