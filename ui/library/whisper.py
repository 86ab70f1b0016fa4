"""The Library's "Speech models" tab: whisper.cpp's catalog (the Voice page's
suggested models first) with each file's size and whether it is on disk, and a
Download that goes through app.voice.models.download (the Hub's SHA-256, then
whisper.cpp's SHA-1) on a worker, with progress and Cancel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.download.jobs import JobDone, JobProgress
from models.whisper.catalog import CATALOG, SUGGESTED, WhisperCatalogEntry, locate
from ui.common.transfer_text import error_text

# The Voice page's suggestions first, then whisper.cpp's list in its own order.
ENTRIES: tuple[WhisperCatalogEntry, ...] = tuple(sorted(CATALOG, key=lambda e: e.name not in SUGGESTED))
COLUMNS = ("Model", "Size", "Language", "On disk", "")
# run(func, on_yield, on_error) -> worker with quit(): the page's worker helper
Runner = Callable[..., object]


def on_disk(models_dir: Path, cache_dir: Path) -> dict[str, Path]:
    """name -> downloaded file, for every catalog entry found (read on a worker)."""
    found = {e.name: locate(e, models_dir, cache_dir) for e in ENTRIES}
    return {name: path for name, path in found.items() if path is not None}


class LibraryWhisper(QWidget):
    """Public hooks (tests): ``table``, ``download_button(name)``, ``cancel_button``,
    ``progress``, ``status``, ``paths`` (name -> file on disk), ``refresh()``."""

    def __init__(self, run: Runner, client: Callable, models_dir: Callable[[], Path],
                 cache_dir: Callable[[], Path]) -> None:
        super().__init__()
        self._run, self._client, self._models_dir, self._cache_dir = run, client, models_dir, cache_dir
        self.paths: dict[str, Path] = {}
        self._worker = None
        self._buttons: dict[str, QPushButton] = {}
        self.table = QTableWidget(len(ENTRIES), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, entry in enumerate(ENTRIES):
            name = entry.name + ("  (suggested)" if entry.name in SUGGESTED else "")
            cells = (name, f"{entry.approx_bytes / 2**20:.0f} MiB", "English" if entry.english_only else "multilingual",
                     "…")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{entry.file} from {entry.repo}" if col == 0 else text)
                self.table.setItem(row, col, item)
            button = QPushButton("Download")
            button.setToolTip(f"Download {entry.file}, verified (the Hub's SHA-256"
                              + (" and whisper.cpp's SHA-1)" if entry.sha1 else "; whisper.cpp lists no SHA-1)"))
            button.clicked.connect(lambda _=False, n=entry.name: self.download(n))
            self.table.setCellWidget(row, 4, button)
            self._buttons[entry.name] = button
        self.progress = QProgressBar()
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QLabel("whisper.cpp models for the Voice page's speech to text, from ggerganov/whisper.cpp.")
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def download_button(self, name: str) -> QPushButton:
        return self._buttons[name]

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def refresh(self) -> None:
        models_dir, cache_dir = self._models_dir(), self._cache_dir()

        def work(cancel):
            yield on_disk(models_dir, cache_dir)

        self._run(work, on_yield=self._show_on_disk,
                  on_error=lambda e, _tb: self.status.setText(f"Could not look for the files: {error_text(e)}"))

    def _show_on_disk(self, paths: dict[str, Path]) -> None:
        self.paths = paths
        for row, entry in enumerate(ENTRIES):
            path = paths.get(entry.name)
            item = self.table.item(row, 3)
            item.setText("on disk" if path else "—")
            item.setToolTip(str(path) if path else "not downloaded")
            self._buttons[entry.name].setEnabled(path is None and not self.busy)

    def download(self, name: str) -> None:
        if self.busy:
            return
        # Looked up at call time: tests replace download_whisper.
        from app.voice.models import download as voice_download

        cache_dir = self._cache_dir()

        def work(cancel):
            yield from voice_download.download_whisper(name, cancel, self._client(), cache_dir)
            yield None  # the end: after JobDone, or a cancelled download that stopped quietly

        self._set_busy(True)
        self.progress.setValue(0)
        self.status.setText(f"Downloading whisper {name}…")
        self._worker = self._run(work, on_yield=lambda event: self._on_event(name, event),
                                 on_error=lambda e, _tb: self._failed(name, e))

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.quit()
            self.status.setText("Cancelling… (the partial file is kept: Download resumes it)")

    def _on_event(self, name: str, event: JobProgress | JobDone | None) -> None:
        if event is None and self.busy:
            self._set_busy(False)
            self.status.setText(f"whisper {name}: cancelled; the partial file is kept and Download resumes it")
            self.refresh()
        elif isinstance(event, JobProgress) and event.total:
            self.progress.setValue(int(100 * event.done / event.total))
        elif isinstance(event, JobDone):
            self._set_busy(False)
            sha1 = next(e.sha1 for e in ENTRIES if e.name == name)
            how = "the Hub's SHA-256 and whisper.cpp's SHA-1" if sha1 else \
                "the Hub's SHA-256; whisper.cpp lists no SHA-1"
            self.status.setText(f"whisper {name}: downloaded and verified ({how})")
            self.refresh()

    def _failed(self, name: str, exc: Exception) -> None:
        cancelled = self._worker is not None and self._worker.cancel.cancelled
        self._set_busy(False)
        self.status.setText(f"whisper {name}: cancelled; the partial file is kept and Download resumes it"
                            if cancelled else f"whisper {name} not downloaded: {error_text(exc)}")
        self.refresh()

    def _set_busy(self, busy: bool) -> None:
        if not busy:
            self._worker = None
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        for entry_name, button in self._buttons.items():
            button.setEnabled(not busy and entry_name not in self.paths)

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.quit()
