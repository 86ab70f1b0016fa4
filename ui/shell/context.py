"""State and signals shared by the window's pages.

Pages talk to each other only through this object: the chat page announces
a loaded model or a streamed token, the monitor page and status bar listen.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal

from app.model_host import LoadedModel, ModelHost
from app.monitor.sampler import MetricsSampler, TokenMeter
from app.settings import Settings, load_settings, save_settings
from ui.shell import gui_gc


class AppContext(QObject):
    model_loaded = Signal(object)  # LoadedModel
    model_unloaded = Signal()
    model_failed = Signal(str)  # readable message
    worker_died = Signal(object, object)  # LoadedModel, WorkerCrashed: its worker died while loaded
    generation_started = Signal()
    token_streamed = Signal(int)  # tokens in this event (usually 1)
    generation_finished = Signal(object)  # GenerationStats or None
    open_model_requested = Signal(str)  # a path, e.g. from drag and drop
    settings_changed = Signal()
    models_dir_changed = Signal(str)  # the saved models folder is a different one: rescan it
    demo_models_built = Signal(object)  # list[Path]: offline demo models were (re)built
    metrics_sampled = Signal(object)  # MetricsSample, emitted from the sampler thread

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        gui_gc.install()
        self.settings = settings or load_settings()
        self.models = ModelHost(on_worker_died=self.worker_died.emit)  # emitted on the watcher thread
        self.token_meter = TokenMeter()
        self.token_streamed.connect(self.token_meter.add)
        self.sampler = MetricsSampler(self.metrics_sampled.emit, self._worker_pid, self.token_meter)
        self.sampler.start()
        # One writer thread: saves stay ordered and the GUI thread never does file I/O.
        self._settings_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="settings-writer")
        self._models_dir = self.settings.models_dir

    def _worker_pid(self) -> int | None:
        loaded = self.models.current
        return loaded.pid if loaded else None

    @property
    def loaded(self) -> LoadedModel | None:
        return self.models.current

    def save_settings(self) -> None:
        snapshot = copy.deepcopy(self.settings)
        try:
            self._settings_writer.submit(save_settings, snapshot)
        except RuntimeError:  # after shutdown (window closing): write directly
            save_settings(snapshot)
        self.settings_changed.emit()
        if self.settings.models_dir != self._models_dir:
            self._models_dir = self.settings.models_dir
            self.models_dir_changed.emit(self._models_dir)

    def flush_settings(self) -> None:
        """Block until queued settings writes are on disk (tests, shutdown)."""
        try:
            self._settings_writer.submit(lambda: None).result(timeout=10)
        except RuntimeError:
            pass  # already shut down, so already flushed

    def shutdown(self) -> None:
        self._settings_writer.shutdown(wait=True)  # pending saves reach the disk
        self.sampler.stop()
        self.models.unload()
