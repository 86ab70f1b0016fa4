"""Library page: find GGUF models on the Hugging Face Hub, see which quant
fits this machine, download them (resumable, verified), and manage the
models already on disk.

A thin adapter over models.hub.client, hub_quants, hub_header, fit_estimate,
the download manager and library_scan (the same calls `workbench pull`/`fit` make).
Every Hub request, header read, scan, delete and demo build runs on a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from app.paths import demo_models_dir
from models.download.fetch import RetryPolicy
from models.download.jobs import DownloadJob
from models.download.paths import default_cache_dir
from models.gguf.fit_estimate import FitRequest, Machine, judge, machine_memory, shape_from_header
from models.hub.client import HubClient
from models.hub.files import RepoFiles
from models.hub.header import read_remote_header
from models.hub.quants import QuantOption, group_quants
from models.library.scan import LibraryEntry, default_sources, delete_model, scan_library
from ui.common.demo_models_build import DemoModelsBuild
from ui.common.offline_banner import OfflineBanner, is_offline_error
from ui.common.transfer_text import error_text
from ui.library.downloads import LibraryDownloads
from ui.library.first_run import LibraryFirstRun
from ui.library.local import LibraryLocal
from ui.library.quants import LibraryQuants, fit_level
from ui.library.search import LibrarySearch
from ui.library.whisper import LibraryWhisper
from ui.quantize.library_action import LibraryQuantize
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker

FIT_CONTEXT = 4096  # the context the fit column assumes (the Chat page's default)
STYLE = """
QLabel#sectionTitle { font-weight: 600; padding: 2px 0 4px 0; }
QFrame#firstRunHint { border: 1px solid palette(mid); border-radius: 6px; }
"""


class LibraryPage(QWidget):
    """The Library page.

    Public hooks (tests): ``search_panel`` (LibrarySearch), ``quants``
    (LibraryQuants), ``downloads`` (LibraryDownloads: ``rows``), ``local``
    (LibraryLocal: ``entries``), ``quantizer`` (LibraryQuantize: making K-quants
    of a local F32/F16/BF16 model), ``first_run`` (LibraryFirstRun), ``speech``
    (LibraryWhisper: whisper.cpp's catalog, download and verify), ``tabs``;
    ``search(text, author, sort)``, ``rescan()``; ``retry`` (RetryPolicy for
    new downloads), ``machine`` (callable giving free RAM/VRAM),
    ``demo_quants``; ``shutdown()``.
    """

    title = "Library"
    icon = "library"

    def __init__(self, ctx: AppContext, hub: HubClient | None = None, cache_dir: Path | None = None,
                 home: Path | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._hub = hub
        self.cache_dir = cache_dir
        self.home = home
        self.retry: RetryPolicy | None = None
        self.machine: Callable[[], Machine] = machine_memory
        self.demo_build = DemoModelsBuild(self)
        self._repo: RepoFiles | None = None
        self._workers: set[GeneratorWorker] = set()
        self._fit_worker: GeneratorWorker | None = None
        self._build()
        QTimer.singleShot(0, self.rescan)
        QTimer.singleShot(0, self._restore_downloads)
        QTimer.singleShot(0, self.speech.refresh)

    def _build(self) -> None:
        self.search_panel = LibrarySearch()
        self.quants = LibraryQuants()
        self.downloads = LibraryDownloads()
        self.local = LibraryLocal()
        self.first_run = LibraryFirstRun()
        self.first_run.hide()
        self.quantizer = LibraryQuantize(self.ctx)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.quants)
        right.addWidget(self.downloads)
        right.setSizes([420, 280])
        discover = QSplitter(Qt.Orientation.Horizontal)
        discover.addWidget(self.search_panel)
        discover.addWidget(right)
        discover.setStretchFactor(1, 1)
        discover.setSizes([340, 860])
        self.tabs = QTabWidget()
        self.tabs.addTab(discover, "Discover")
        local_tab = QWidget()
        local_layout = QVBoxLayout(local_tab)
        local_layout.setContentsMargins(0, 0, 0, 0)
        local_layout.addWidget(self.local, 1)
        local_layout.addWidget(self.quantizer)
        self.tabs.addTab(local_tab, "Local models")
        self.speech = LibraryWhisper(self._run, self._client, lambda: Path(self.ctx.settings.models_dir), self._cache)
        self.tabs.addTab(self.speech, "Speech models")
        self.setStyleSheet(STYLE)
        self.offline = OfflineBanner()
        self.offline.retry_clicked.connect(lambda: self.search(*self._last_search))
        self.offline.local_clicked.connect(lambda: (self.offline.hide(), self.tabs.setCurrentIndex(1)))
        self.offline.demo_clicked.connect(lambda: (self.offline.hide(), self._build_demos()))
        self._last_search = ("", "", "downloads")
        layout = QVBoxLayout(self)
        layout.addWidget(self.offline)
        layout.addWidget(self.first_run)
        layout.addWidget(self.tabs, 1)

        self.search_panel.search_requested.connect(self.search)
        self.search_panel.repo_selected.connect(self._list_repo)
        self.quants.download_requested.connect(self._download_option)
        self.downloads.finished.connect(lambda _paths: self.rescan())
        self.local.rescan_requested.connect(self.rescan)
        self.local.open_requested.connect(self._open_in_chat)
        self.local.delete_requested.connect(self._delete)
        self.local.quantize_requested.connect(self.quantizer.ask)
        self.quantizer.busy_changed.connect(self.local.set_quantizing)
        self.quantizer.made.connect(lambda _paths: self.rescan())
        self._has_local = False
        # A model loaded from anywhere (Browse…, a drop) means this computer has one: no "no models" banner.
        self.ctx.model_loaded.connect(self._update_first_run)
        self.ctx.model_unloaded.connect(self._update_first_run)
        self.first_run.download_requested.connect(self._download_named)
        self.first_run.demo_requested.connect(self._build_demos)
        self.demo_build.progress.connect(self.first_run.set_busy)
        self.demo_build.failed.connect(self.first_run.set_done)
        self.demo_build.built.connect(self.ctx.demo_models_built)
        self.ctx.demo_models_built.connect(self._demos_built)  # built here or from Chat's empty state
        self.ctx.models_dir_changed.connect(lambda _folder: (self.rescan(), self.speech.refresh()))  # new folder

    @property
    def demo_quants(self) -> tuple[str, ...]:
        return self.demo_build.quants

    @demo_quants.setter
    def demo_quants(self, quants: tuple[str, ...]) -> None:
        self.demo_build.quants = tuple(quants)

    # --------------------------------------------------------------- helpers

    def _client(self) -> HubClient:
        """Made on a worker: reading the token may touch the keyring or disk."""
        if self._hub is None:
            from models.hub.token import get_token

            self._hub = HubClient(token=get_token())
        return self._hub

    def _cache(self) -> Path:
        return self.cache_dir or default_cache_dir()

    def _run(self, func, on_yield=None, on_error=None) -> GeneratorWorker:
        holder: list[GeneratorWorker] = []
        worker = start_worker(func, on_yield=on_yield, on_error=on_error,
                              on_finish=lambda: self._workers.discard(holder[0]) if holder else None)
        holder.append(worker)
        self._workers.add(worker)
        return worker

    # ---------------------------------------------------------------- search

    def search(self, text: str = "", author: str = "", sort: str = "downloads") -> None:
        def work(cancel):
            yield self._client().search(text, author or None, sort)

        self._last_search = (text, author, sort)
        self.offline.hide()
        self._run(work, on_yield=self.search_panel.show_results, on_error=self._search_failed)

    def _search_failed(self, exc: Exception, _details: str) -> None:
        if is_offline_error(exc):
            self.offline.show_offline(error_text(exc))
            self.search_panel.show_error("Offline: see the banner above.")
        else:
            self.search_panel.show_error(error_text(exc))

    def _list_repo(self, repo_id: str) -> None:
        if self._fit_worker is not None:
            self._fit_worker.quit()  # stop reading headers of the previous repo
        self.quants.show_loading(repo_id)

        def work(cancel):
            client = self._client()
            repo = client.repo_files(repo_id)
            options = group_quants(list(repo.files))
            yield ("files", repo, options)
            machine = self.machine()
            for row, option in enumerate(options):
                if cancel.cancelled:
                    return
                yield ("fit", repo_id, row, *self._fit(client, repo, option, machine))

        def on_error(e, _tb):
            if self.quants.repo_id == repo_id:
                self.quants.show_error(repo_id, error_text(e))

        self._fit_worker = self._run(work, on_yield=self._on_repo_event, on_error=on_error)

    @staticmethod
    def _fit(client: HubClient, repo: RepoFiles, option: QuantOption, machine: Machine) -> tuple[str, str]:
        try:
            header = read_remote_header(client, repo.repo_id, option.first.path, option.first.size, repo.commit)
            shape = shape_from_header(header, total_weights=option.size if len(option.files) > 1 else None)
            verdict = judge(shape, FitRequest(FIT_CONTEXT, n_gpu_layers=-1), machine)
        except Exception as e:  # noqa: BLE001 - any failure here only means "we cannot tell"
            return "unknown", f"fit unknown: could not read the header ({error_text(e)})"
        return fit_level(verdict), verdict.reason

    def _on_repo_event(self, event: tuple) -> None:
        if event[0] == "files":
            _, repo, options = event
            if repo.repo_id == self.quants.repo_id:
                self._repo = repo
                self.quants.show_options(repo.repo_id, options)
        elif event[1] == self.quants.repo_id:
            _, _, row, level, reason = event
            self.quants.set_fit(row, level, reason)

    # ------------------------------------------------------------- downloads

    def _download_option(self, option: QuantOption) -> None:
        if self._repo is not None:
            self.downloads.add(self._client(), DownloadJob(self._repo, list(option.files), self._cache()), self.retry)

    def _restore_downloads(self) -> None:
        """List the downloads an earlier run left unfinished (read on a worker)."""

        def work(cancel):
            jobs = self.downloads.unfinished()
            if jobs:
                yield self._client(), jobs

        self._run(work, on_yield=lambda found: self.downloads.restore(*found, self.retry))

    def _download_named(self, repo_id: str, filename: str) -> None:
        self.first_run.status.setText(f"Looking up {repo_id}…")

        def work(cancel):
            repo = self._client().repo_files(repo_id)
            match = [f for f in repo.files if f.path == filename]
            if not match:
                raise LookupError(f"{repo_id} no longer has {filename}")
            yield DownloadJob(repo, match, self._cache())

        def on_job(job: DownloadJob) -> None:
            self.first_run.status.setText("Downloading: see Discover → Downloads")
            self.tabs.setCurrentIndex(0)
            self.downloads.add(self._client(), job, self.retry)

        self._run(work, on_yield=on_job, on_error=lambda e, _tb: self.first_run.status.setText(error_text(e)))

    # ---------------------------------------------------------- local models

    def rescan(self) -> None:
        sources = default_sources(Path(self.ctx.settings.models_dir), self._cache(), self.home)
        sources.insert(1, ("workbench", demo_models_dir(), False))

        def work(cancel):
            yield scan_library(sources)

        self._run(work, on_yield=self._show_local,
                  on_error=lambda e, _tb: self.local.status.setText(f"Scan failed: {error_text(e)}"))

    def _show_local(self, entries: list[LibraryEntry]) -> None:
        self.local.show_entries(entries)
        self._has_local = bool(entries)
        self._update_first_run()
        self.tabs.setTabText(1, f"Local models ({sum(not e.is_projector for e in entries)})")  # mmproj: not a model

    def _update_first_run(self, *_args) -> None:
        self.first_run.setVisible(not self._has_local and self.ctx.loaded is None)

    def _open_in_chat(self, path: str) -> None:
        show_page = getattr(self.window(), "show_page", None)
        if show_page is not None:
            show_page("Chat")
        self.ctx.open_model_requested.emit(path)

    def _delete(self, entry: LibraryEntry) -> None:
        def work(cancel):
            delete_model(entry, confirmed=True)  # the widget asked the user first
            yield entry

        self._run(work, on_yield=lambda _e: self.rescan(),
                  on_error=lambda e, _tb: self.local.status.setText(f"Not deleted: {error_text(e)}"))

    def _build_demos(self) -> None:
        self.demo_build.start()

    def _demos_built(self, _paths: list[Path]) -> None:
        self.first_run.set_done(f"Demo models are in {demo_models_dir()}")
        self.rescan()

    def shutdown(self) -> None:
        self.downloads.shutdown()
        self.quantizer.shutdown()
        self.demo_build.cancel()
        self.speech.shutdown()
        for worker in list(self._workers):
            worker.quit()
