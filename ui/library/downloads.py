"""The download manager: one row per quant being fetched, with a progress
bar, bytes/speed/ETA, Pause/Resume/Cancel and a one-line error.

Each job runs models.download.jobs.stream_job on a worker; Pause and Cancel
set the job's StopFlag (checked between chunks), Resume starts a new worker
that continues from the kept .part files. At most MAX_ACTIVE jobs download at
once (more only split the same bandwidth); the rest wait in order. Started
jobs are kept in app.download_journal until they finish or are cancelled, so a
restart lists them again, paused, with their bytes.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app import download_journal
from models.download.fetch import RetryPolicy
from models.download.jobs import DownloadJob, JobDone, JobProgress, stream_job
from models.errors import DownloadCancelled, HashMismatch
from models.hub.client import HubClient
from ui.library.format import error_text, eta_text, size_text, speed_text
from ui.shell.workers import GeneratorWorker, start_worker

PROGRESS_STEPS = 1000
MAX_ACTIVE = 2


# Journal writes are small but still disk I/O: off the GUI thread, one at a
# time and in order (a fast job's "forget" must not overtake its "remember").
_journal_io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="download-journal")


def in_background(action) -> Future:
    return _journal_io.submit(action)


class DownloadRow(QWidget):
    finished = Signal(object)  # tuple of paths
    state_changed = Signal(str)

    def __init__(self, client: HubClient, job: DownloadJob, retry: RetryPolicy | None) -> None:
        super().__init__(objectName="downloadRow")
        self.client, self.job, self.retry = client, job, retry
        self.state = "queued"  # downloading, paused, cancelled, failed, done
        self.error = ""
        self.paths: tuple[Path, ...] = ()
        self._worker: GeneratorWorker | None = None
        self.title = QLabel(f"<b>{job.repo.repo_id}</b>  {job.files[0].path}"
                            + (f"  (+{len(job.files) - 1} files)" if len(job.files) > 1 else ""))
        self.bar = QProgressBar(maximum=PROGRESS_STEPS, textVisible=False)
        self.bar.setFixedHeight(8)
        self.status = QLabel("Starting…", objectName="statsLine", wordWrap=True)
        self.pause_button = QPushButton("Pause")
        self.cancel_button = QPushButton("Cancel")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.pause_button)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.cancel_button.clicked.connect(self.cancel)

    def start(self) -> None:
        self.job.restart()
        self.state, self.error = "downloading", ""
        self._buttons()
        self.state_changed.emit(self.state)
        self._worker = start_worker(lambda cancel: stream_job(self.client, self.job, self.retry),
                                    on_yield=self._on_event, on_error=self._on_error, on_finish=self._on_finish)

    def pause(self) -> None:
        if self.state == "downloading":
            self.job.stop.stop("pause")
            self.status.setText("Pausing…")

    def cancel(self) -> None:
        if self.state == "downloading":
            self.job.stop.stop("cancel")  # download_file deletes the .part
            self.status.setText("Cancelling…")
        elif self.state == "queued":
            self._set("cancelled", "Cancelled before it started")
        elif self.state in ("paused", "failed"):
            self._worker = start_worker(self._discard, on_finish=lambda: None)
            self._set("cancelled", "Cancelled")

    def shutdown(self) -> None:
        """Window closing: keep the bytes so the next start can resume."""
        if self.state == "downloading":
            self.job.stop.stop("pause")

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.running

    def _discard(self, cancel):
        self.job.discard_partials()
        yield from ()

    def _pause_or_resume(self) -> None:
        if self.state == "downloading":
            self.pause()
        elif self.state in ("paused", "failed"):
            self.start()

    def _on_event(self, event: JobProgress | JobDone) -> None:
        if isinstance(event, JobDone):
            self.paths = event.paths
            self.bar.setValue(PROGRESS_STEPS)
            self._set("done", f"Done: {size_text(self.job.total)}, SHA-256 verified")
            self.finished.emit(event.paths)
            return
        p = event.current
        self.bar.setValue(int(PROGRESS_STEPS * event.done / max(event.total, 1)))
        where = f"file {event.file_index + 1} of {event.file_count}: " if event.file_count > 1 else ""
        if p.state == "verifying":
            self.status.setText(f"{where}verifying SHA-256…")
        elif p.state == "retrying":
            self.status.setText(f"{where}connection problem, retrying… {size_text(event.done)} kept")
        else:
            self.status.setText(f"{where}{size_text(event.done)} of {size_text(event.total)} · "
                                f"{speed_text(p.speed)} · {eta_text(p.eta_s)}")

    def _on_error(self, error: Exception, _traceback: str) -> None:
        if isinstance(error, DownloadCancelled):
            if self.job.stop.reason == "pause":
                self._set("paused", f"Paused at {size_text(self._kept())}; Resume continues from there")
            else:
                self._set("cancelled", "Cancelled")
            return
        self.error = error_text(error)
        prefix = "Quarantined: " if isinstance(error, HashMismatch) else "Failed: "
        self._set("failed", prefix + self.error)

    def _on_finish(self) -> None:
        self._buttons()
        self.state_changed.emit(self.state)  # a slot is free again

    def _kept(self) -> int:
        return sum(p.stat().st_size for p in self.job.part_files() if p.exists())

    def _set(self, state: str, text: str) -> None:
        self.state = state
        self.status.setText(text)
        self.status.setProperty("error", state == "failed")
        self.status.setStyleSheet("color: #ea4335;" if state == "failed" else "")
        self._buttons()
        self.state_changed.emit(state)

    def _buttons(self) -> None:
        self.pause_button.setText("Resume" if self.state in ("paused", "failed") else "Pause")
        self.pause_button.setVisible(self.state in ("downloading", "paused", "failed"))
        self.cancel_button.setVisible(self.state in ("queued", "downloading", "paused", "failed"))


class LibraryDownloads(QWidget):
    """The list of download rows, newest first; finished emits a completed job's paths."""

    finished = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DownloadRow] = []
        self._starting = False
        self.empty = QLabel("No downloads yet. Pick a quant and press Download.", objectName="statsLine")
        inner = QWidget()
        self._list = QVBoxLayout(inner)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.addWidget(self.empty)
        self._list.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Downloads", objectName="sectionTitle"))
        layout.addWidget(scroll, 1)

    def add(self, client: HubClient, job: DownloadJob, retry: RetryPolicy | None = None) -> DownloadRow:
        row = self._row(client, job, retry)
        in_background(lambda: download_journal.remember(job))
        self._start_waiting()
        return row

    def restore(self, client: HubClient, jobs: list[DownloadJob], retry: RetryPolicy | None = None) -> None:
        """Jobs from the journal: listed paused, with what their .part files kept."""
        for job in jobs:
            row = self._row(client, job, retry)
            row._set("paused", f"Interrupted last time with {size_text(row._kept())} of "
                     f"{size_text(job.total)}; Resume continues from there")

    def _row(self, client: HubClient, job: DownloadJob, retry: RetryPolicy | None) -> DownloadRow:
        row = DownloadRow(client, job, retry)
        row.finished.connect(self.finished)
        row.state_changed.connect(lambda state, row=row: self._state_changed(row, state))
        self.rows.insert(0, row)
        self.empty.hide()
        self._list.insertWidget(0, row)
        return row

    def _state_changed(self, row: DownloadRow, state: str) -> None:
        if state in ("done", "cancelled"):
            in_background(lambda: download_journal.forget(row.job))
        self._start_waiting()

    def _start_waiting(self) -> None:
        if self._starting:  # row.start() reports its new state back here
            return
        self._starting = True
        try:
            self._start_in_order()
        finally:
            self._starting = False

    def _start_in_order(self) -> None:
        active = sum(r.state == "downloading" for r in self.rows)
        for row in reversed(self.rows):  # oldest first
            if row.state != "queued":
                continue
            if active >= MAX_ACTIVE:
                row.status.setText(f"Waiting: {active} downloads running")
                continue
            row.start()
            active += 1

    def shutdown(self) -> None:
        for row in self.rows:
            row.shutdown()
