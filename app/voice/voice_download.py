"""Download a catalog TTS voice (Kokoro, Piper) with the Library's downloader:
resumable, SHA-256 verified, into the Hugging Face cache where
``locate_voice`` finds it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from models.download_paths import default_cache_dir
from models.download_queue import DownloadJob, JobDone, JobProgress, stream_job
from models.errors import WorkbenchError
from models.hub_client import HubClient
from models.hub_token import get_token
from models.tts_catalog import voice_entry
from runtimes.base import CancelToken


def download_voice(engine: str, cancel: CancelToken | None = None, client: HubClient | None = None,
                   cache_dir: Path | None = None) -> Iterator[JobProgress | JobDone]:
    """Progress events, then JobDone with the downloaded paths (model first)."""
    voice = voice_entry(engine)
    client = client or HubClient(token=get_token())
    repo = client.repo_files(voice.repo)
    by_path = {f.path: f for f in repo.files}
    missing = [name for name in voice.files if name not in by_path]
    if missing:
        raise WorkbenchError(f"{voice.repo} no longer has {', '.join(missing)}; the voice catalog needs an update")
    job = DownloadJob(repo, [by_path[name] for name in voice.files], cache_dir or default_cache_dir())
    for event in stream_job(client, job):
        if cancel is not None and cancel.cancelled:
            job.stop.stop("pause")  # keep the .part: a later download resumes it
        yield event
