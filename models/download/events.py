"""What a DownloadManager tells its observers, and the states a download goes through.

Observers are plain callbacks, no Qt: ``manager.events.connect(callback)``.
A callback runs on the thread that made the change: the caller's (add, resume,
cancel) or a download's worker thread (progress, paused, failed, done). A GUI
must hand events to its own thread (ui/library/downloads.py does, with a Qt
signal). Every event has a ``seq`` that grows in the order the manager made
the changes, so an observer that gets some events at once and others later
can tell a stale one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models.download.jobs import JobProgress

if TYPE_CHECKING:
    from models.download.manager import Download



class DownloadState(enum.StrEnum):
    QUEUED = "queued"  # waiting for a free slot
    DOWNLOADING = "downloading"
    PAUSED = "paused"  # stopped with its .part bytes kept; resume() continues
    CANCELLED = "cancelled"  # stopped for good, bytes removed
    FAILED = "failed"  # stopped by an error; resume() retries from the kept bytes
    DONE = "done"  # every file verified and in the cache


# Nothing more happens to a download in these states until someone asks.
SETTLED = frozenset({DownloadState.PAUSED, DownloadState.CANCELLED, DownloadState.FAILED, DownloadState.DONE})


@dataclass(frozen=True)
class DownloadAdded:
    """A new entry: queued, or paused when it comes from the journal."""

    seq: int
    download: Download
    state: DownloadState


@dataclass(frozen=True)
class DownloadStateChanged:
    seq: int
    download: Download
    state: DownloadState
    previous: DownloadState
    error: Exception | None = None  # set when state is FAILED
    paths: tuple[Path, ...] = ()  # set when state is DONE


@dataclass(frozen=True)
class DownloadProgressed:
    seq: int
    download: Download
    progress: JobProgress


@dataclass(frozen=True)
class DownloadWaiting:
    """Still queued: every slot is taken by a running download."""

    seq: int
    download: Download
    running: int


DownloadEvent = DownloadAdded | DownloadStateChanged | DownloadProgressed | DownloadWaiting
