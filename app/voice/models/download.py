"""Download a catalog TTS voice (Kokoro, Piper) or a whisper.cpp model with the
Library's downloader: resumable, SHA-256 verified against the Hub, into the
Hugging Face cache where ``locate_voice`` / ``whisper_catalog.locate`` find it.
A whisper file is also checked against the SHA-1 whisper.cpp publishes, where
it lists one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from models.download.jobs import DownloadJob, JobDone, JobProgress, stream_job
from models.download.paths import default_cache_dir
from models.errors import WorkbenchError
from models.hub.client import HubClient
from models.voice.tts_catalog import voice_entry
from models.whisper.catalog import catalog_entry
from runtimes.base import CancelToken


def _download(repo_id: str, names: list[str], what: str, cancel: CancelToken | None, client: HubClient | None,
              cache_dir: Path | None) -> Iterator[JobProgress | JobDone]:
    if client is None:
        from models.hub.token import get_token

        client = HubClient(token=get_token())
    repo = client.repo_files(repo_id)
    by_path = {f.path: f for f in repo.files}
    missing = [name for name in names if name not in by_path]
    if missing:
        raise WorkbenchError(f"{repo_id} no longer has {', '.join(missing)}; the {what} catalog needs an update")
    job = DownloadJob(repo, [by_path[name] for name in names], cache_dir or default_cache_dir())
    for event in stream_job(client, job):
        if cancel is not None and cancel.cancelled:
            job.stop.stop("pause")  # keep the .part: a later download resumes it
        yield event


def download_voice(engine: str, cancel: CancelToken | None = None, client: HubClient | None = None,
                   cache_dir: Path | None = None) -> Iterator[JobProgress | JobDone]:
    """Progress events, then JobDone with the downloaded paths (model first)."""
    voice = voice_entry(engine)
    yield from _download(voice.repo, list(voice.files), "voice", cancel, client, cache_dir)


def download_whisper(name: str, cancel: CancelToken | None = None, client: HubClient | None = None,
                     cache_dir: Path | None = None) -> Iterator[JobProgress | JobDone]:
    """Progress events, then JobDone with the whisper file; raises WorkbenchError if its
    SHA-1 is not the one whisper.cpp publishes (the file is then removed)."""
    entry = catalog_entry(name)
    for event in _download(entry.repo, [entry.file], "whisper", cancel, client, cache_dir):
        if isinstance(event, JobDone) and entry.sha1 and event.paths:
            path = Path(event.paths[0])
            digest = _sha1(path)
            if digest != entry.sha1:
                path.unlink(missing_ok=True)
                raise WorkbenchError(f"{entry.file} failed verification: SHA-1 {digest}, whisper.cpp lists "
                                     f"{entry.sha1}; the file was removed")
        yield event


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()  # noqa: S324 - whisper.cpp publishes SHA-1; the Hub's SHA-256 was checked too
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
