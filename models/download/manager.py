"""The download queue, shared by the Library page and `workbench pull`.

Jobs (models.download.jobs) wait in the order they were added; at most
``max_active`` download at once (more only split the same bandwidth). Each
runs stream_job on a worker thread of its own. Pause and Cancel set the job's
StopFlag (checked between chunks); Resume queues the job again and it
continues from its kept .part files. Started jobs stay in the journal until
they finish or are cancelled, so the next start can list them again, paused,
with their bytes. Journal writes run on one background thread, in order (a
fast job's "forget" must not overtake its "remember") and off the caller's
thread (a GUI's).

Observers subscribe to ``events`` (models.download.events). Events are sent
while the manager's lock is held, so every observer sees them in ``seq``
order; a callback may call the manager back from the same thread.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from models.download.events import (
    SETTLED,
    DownloadAdded,
    DownloadProgressed,
    DownloadState,
    DownloadStateChanged,
    DownloadWaiting,
)
from models.download.fetch import RetryPolicy
from models.download.jobs import DownloadJob, JobDone, stream_job
from models.download.journal import DownloadJournal
from models.errors import DownloadCancelled
from models.hub.client import HubClient
from models.listeners import Listeners

MAX_ACTIVE = 2
WAIT_SLICE_S = 0.2  # wait() wakes this often, so Ctrl-C reaches a CLI's main thread


class Download:
    """One job in the queue. Only the manager changes it (under its lock); observers read it."""

    def __init__(self, client: HubClient, job: DownloadJob, retry: RetryPolicy | None,
                 state: DownloadState = DownloadState.QUEUED) -> None:
        self.client, self.job, self.retry = client, job, retry
        self.state = state
        self.error: Exception | None = None
        self.paths: tuple[Path, ...] = ()
        self._thread: threading.Thread | None = None
        self._fresh = state is DownloadState.QUEUED  # never started nor restored: it has no .part bytes of its own

    @property
    def running(self) -> bool:
        """A worker thread (downloading, or removing a cancelled job's bytes) has not ended yet."""
        return self._thread is not None


class DownloadManager:
    def __init__(self, journal: DownloadJournal | None = None, max_active: int = MAX_ACTIVE) -> None:
        self.journal = journal
        self.max_active = max_active
        self.events = Listeners(isolate_errors=True)  # an observer's bug must not stop a download
        self._downloads: list[Download] = []  # oldest first: the order they start in
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._seq = itertools.count(1)
        self._closed = False
        self._journal_io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="download-journal")

    @property
    def downloads(self) -> list[Download]:
        with self._lock:
            return list(self._downloads)

    @property
    def active(self) -> int:
        with self._lock:
            return sum(d.state is DownloadState.DOWNLOADING for d in self._downloads)

    # ------------------------------------------------------------ requests

    def add(self, client: HubClient, job: DownloadJob, retry: RetryPolicy | None = None) -> Download:
        """Queue a job; it starts now if a slot is free."""
        with self._lock:
            download = Download(client, job, retry)
            self._downloads.append(download)
            self._write_journal(lambda: self.journal.remember(job))
            self.events.emit(DownloadAdded(next(self._seq), download, download.state))
            self._start_queued()
            return download

    def restore(self, client: HubClient, jobs: list[DownloadJob],
                retry: RetryPolicy | None = None) -> list[Download]:
        """Jobs from the journal: listed paused; resume() continues from their .part files."""
        with self._lock:
            restored = []
            for job in jobs:
                download = Download(client, job, retry, DownloadState.PAUSED)
                self._downloads.append(download)
                self.events.emit(DownloadAdded(next(self._seq), download, download.state))
                restored.append(download)
            return restored

    def resume(self, download: Download) -> None:
        """A paused or failed download joins the queue again (and starts if a slot is free)."""
        with self._lock:
            if download.state in (DownloadState.PAUSED, DownloadState.FAILED):
                self._set(download, DownloadState.QUEUED)
                self._start_queued()

    def pause(self, download: Download) -> bool:
        """Ask a running download to stop and keep its bytes; True if it was running."""
        with self._lock:
            if download.state is not DownloadState.DOWNLOADING:
                return False
            download.job.stop.stop("pause")
            return True

    def cancel(self, download: Download) -> bool:
        """The one way to drop a download, in any state; its .part bytes go too.

        True if it was running: it turns CANCELLED when its worker sees the
        stop (download_file deletes the .part). Otherwise it is CANCELLED now.
        """
        with self._lock:
            if download.state is DownloadState.DOWNLOADING:
                download.job.stop.stop("cancel")
                return True
            if download.state in (DownloadState.QUEUED, DownloadState.PAUSED, DownloadState.FAILED):
                keeps_bytes = not download._fresh
                self._set(download, DownloadState.CANCELLED)
                if keeps_bytes:  # nothing is downloading: remove the kept .part files here
                    self._spawn(download, download.job.discard_partials)
            return False

    def shutdown(self) -> None:
        """Closing: running downloads pause (their bytes and journal entries stay), nothing new starts."""
        with self._lock:
            self._closed = True
            for download in self._downloads:
                if download.state is DownloadState.DOWNLOADING:
                    download.job.stop.stop("pause")

    def wait(self, download: Download, timeout: float | None = None) -> bool:
        """Block until the download is settled (paused, cancelled, failed, done) and its worker ended.

        A download still queued at shutdown() counts as settled: it will not start.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not self._settled(download) or download.running:
                left = WAIT_SLICE_S if deadline is None else min(WAIT_SLICE_S, deadline - time.monotonic())
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def _settled(self, download: Download) -> bool:
        stays_queued = self._closed and download.state is DownloadState.QUEUED  # shut down before its turn
        return download.state in SETTLED or stays_queued

    def flush_journal(self, timeout: float | None = 10) -> None:
        """Wait for the journal writes asked for so far."""
        self._journal_io.submit(lambda: None).result(timeout)

    # ------------------------------------------------------------ the queue

    def _start_queued(self) -> None:
        """Start queued downloads, oldest first, while slots are free (lock held)."""
        if self._closed:
            return
        active = self.active
        for download in self._downloads:
            if download.state is not DownloadState.QUEUED:
                continue
            if active >= self.max_active:
                self.events.emit(DownloadWaiting(next(self._seq), download, active))
                continue
            download.job.restart()
            download._fresh = False
            self._set(download, DownloadState.DOWNLOADING)
            self._spawn(download, lambda d=download: self._download(d))
            active += 1

    def _download(self, download: Download) -> None:
        """On the download's worker thread."""
        try:
            for event in stream_job(download.client, download.job, download.retry):
                with self._lock:
                    if isinstance(event, JobDone):
                        self._settle(download, DownloadState.DONE, paths=event.paths)
                    else:
                        self.events.emit(DownloadProgressed(next(self._seq), download, event))
        except DownloadCancelled:
            stopped = DownloadState.PAUSED if download.job.stop.reason == "pause" else DownloadState.CANCELLED
            with self._lock:
                self._settle(download, stopped)
        except Exception as error:  # the observers show it; resume() retries
            with self._lock:
                self._settle(download, DownloadState.FAILED, error=error)

    def _settle(self, download: Download, state: DownloadState, **result) -> None:
        self._set(download, state, **result)
        self._start_queued()  # a slot is free

    def _set(self, download: Download, state: DownloadState, error: Exception | None = None,
             paths: tuple[Path, ...] = ()) -> None:
        """Every state change goes through here (lock held)."""
        previous = download.state
        download.state, download.error = state, error
        if state is DownloadState.DONE:
            download.paths = paths
        if state in (DownloadState.DONE, DownloadState.CANCELLED):
            self._write_journal(lambda: self.journal.forget(download.job))
        self.events.emit(DownloadStateChanged(next(self._seq), download, state, previous, error, paths))
        self._changed.notify_all()

    def _spawn(self, download: Download, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=self._work, args=(download, work), name="download", daemon=True)
        download._thread = thread
        thread.start()

    def _work(self, download: Download, work: Callable[[], None]) -> None:
        try:
            work()
        finally:
            with self._lock:
                if download._thread is threading.current_thread():  # a Resume may have started another
                    download._thread = None
                self._changed.notify_all()

    def _write_journal(self, write: Callable[[], None]) -> None:
        if self.journal is not None:
            self._journal_io.submit(write)
