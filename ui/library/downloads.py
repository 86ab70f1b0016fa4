"""The Library's download list: one row per quant being fetched, with a
progress bar, bytes/speed/ETA, Pause/Resume/Cancel and a one-line error.

A thin view of models.download.manager.DownloadManager, which owns the queue,
the concurrency limit, the states and the journal (`workbench pull` uses the
same manager). The manager calls back on whichever thread made a change; the
bridge's signal brings each event to the GUI thread: at once when it is
already there (a click), queued from a download's worker thread. A row drops
an event older than the one it shows (the two ways can cross).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.paths import download_journal_path
from models.download.events import (
    DownloadAdded,
    DownloadEvent,
    DownloadProgressed,
    DownloadState,
    DownloadStateChanged,
    DownloadWaiting,
)
from models.download.fetch import RetryPolicy
from models.download.jobs import DownloadJob, JobProgress
from models.download.journal import DownloadJournal
from models.download.manager import Download, DownloadManager
from models.errors import HashMismatch
from models.hub.client import HubClient
from ui.common.transfer_text import error_text, eta_text, size_text, speed_text

PROGRESS_STEPS = 1000
State = DownloadState


class _Bridge(QObject):
    """Hands manager events (from any thread) to the GUI thread as a Qt signal."""

    event = Signal(object)

    def send(self, event: DownloadEvent) -> None:
        try:
            self.event.emit(event)
        except RuntimeError:  # the list was closed and deleted: nothing left to show
            pass


class DownloadRow(QWidget):
    finished = Signal(object)  # tuple of paths

    def __init__(self, manager: DownloadManager, download: Download) -> None:
        super().__init__(objectName="downloadRow")
        self.manager, self.download = manager, download
        self.state = download.state  # as this row last showed it
        self.error = ""
        self.paths: tuple[Path, ...] = ()
        self._seq = 0
        job = download.job
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

    @property
    def job(self) -> DownloadJob:
        return self.download.job

    @property
    def running(self) -> bool:
        return self.download.running

    def pause(self) -> None:
        if self.manager.pause(self.download):
            self.status.setText("Pausing…")

    def resume(self) -> None:
        self.manager.resume(self.download)

    def cancel(self) -> None:
        if self.manager.cancel(self.download):  # running: download_file deletes the .part
            self.status.setText("Cancelling…")

    def _pause_or_resume(self) -> None:
        if self.state == State.DOWNLOADING:
            self.pause()
        elif self.state in (State.PAUSED, State.FAILED):
            self.resume()

    def show_event(self, event: DownloadEvent) -> None:
        if event.seq <= self._seq:
            return  # a worker's event that a later click already overtook
        self._seq = event.seq
        if isinstance(event, DownloadProgressed):
            self._show_progress(event.progress)
        elif isinstance(event, DownloadWaiting):
            self.status.setText(f"Waiting: {event.running} downloads running")
        elif isinstance(event, DownloadAdded) and event.state == State.PAUSED:  # from the journal
            self._set(State.PAUSED, f"Interrupted last time with {size_text(self.job.kept_bytes())} of "
                      f"{size_text(self.job.total)}; Resume continues from there")
        elif isinstance(event, DownloadAdded):
            self._set(event.state, "Starting…")
        elif isinstance(event, DownloadStateChanged):
            self._show_state(event)

    def _show_progress(self, event: JobProgress) -> None:
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

    def _show_state(self, event: DownloadStateChanged) -> None:
        state = event.state
        if state == State.DONE:
            self.paths = event.paths
            self.bar.setValue(PROGRESS_STEPS)
            self._set(state, f"Done: {size_text(self.job.total)}, SHA-256 verified")
            self.finished.emit(event.paths)
        elif state == State.PAUSED:
            self._set(state, f"Paused at {size_text(self.job.kept_bytes())}; Resume continues from there")
        elif state == State.CANCELLED:
            self._set(state, "Cancelled before it started" if event.previous == State.QUEUED else "Cancelled")
        elif state == State.FAILED:
            self.error = error_text(event.error)
            prefix = "Quarantined: " if isinstance(event.error, HashMismatch) else "Failed: "
            self._set(state, prefix + self.error)
        else:  # queued again, or starting
            self.error = ""
            self._set(state, "Starting…")

    def _set(self, state: DownloadState, text: str) -> None:
        self.state = state
        self.status.setText(text)
        self.status.setProperty("error", state == State.FAILED)
        self.status.setStyleSheet("color: #ea4335;" if state == State.FAILED else "")
        self.pause_button.setText("Resume" if state in (State.PAUSED, State.FAILED) else "Pause")
        self.pause_button.setVisible(state in (State.DOWNLOADING, State.PAUSED, State.FAILED))
        self.cancel_button.setVisible(state in (State.QUEUED, State.DOWNLOADING, State.PAUSED, State.FAILED))


class LibraryDownloads(QWidget):
    """The list of download rows, newest first; finished emits a completed job's paths."""

    finished = Signal(object)

    def __init__(self, manager: DownloadManager | None = None) -> None:
        super().__init__()
        self.manager = manager or DownloadManager(DownloadJournal(download_journal_path()))
        self.rows: list[DownloadRow] = []
        self._row_of: dict[Download, DownloadRow] = {}
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
        self._bridge = _Bridge(self)  # a child: deleted with the list, on the GUI thread
        self._bridge.event.connect(self._on_event)
        self.manager.events.connect(self._bridge.send)

    def add(self, client: HubClient, job: DownloadJob, retry: RetryPolicy | None = None) -> DownloadRow:
        """On the GUI thread: the manager's "added" event has made the row by the time this returns."""
        return self._row_of[self.manager.add(client, job, retry)]

    def unfinished(self) -> list[DownloadJob]:
        """The journal's unfinished jobs (disk I/O: call it on a worker)."""
        return self.manager.journal.unfinished() if self.manager.journal else []

    def restore(self, client: HubClient, jobs: list[DownloadJob], retry: RetryPolicy | None = None) -> None:
        """Jobs from the journal: listed paused, with what their .part files kept."""
        self.manager.restore(client, jobs, retry)

    def shutdown(self) -> None:
        self.manager.shutdown()

    def _on_event(self, event: DownloadEvent) -> None:
        if isinstance(event, DownloadAdded):
            self._add_row(event.download)
        row = self._row_of.get(event.download)
        if row is not None:
            row.show_event(event)

    def _add_row(self, download: Download) -> None:
        row = DownloadRow(self.manager, download)
        row.finished.connect(self.finished)
        self._row_of[download] = row
        self.rows.insert(0, row)
        self.empty.hide()
        self._list.insertWidget(0, row)
