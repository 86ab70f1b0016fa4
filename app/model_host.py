"""The one loaded chat model, shared by every page (GPT4All's single model
store). Loading is blocking, so the UI calls ``load`` from a worker thread.

A watcher thread per loaded model waits on its worker process, so a worker
that dies while idle is reported at once (``on_worker_died``, called on that
thread) instead of surfacing as a failure of the next request."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtimes.base import CancelToken, LoadOptions, Session
from runtimes.errors import WorkerCrashed
from runtimes.registry import get_runtime


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    runtime: str
    device: str
    options: LoadOptions
    session: Session

    @property
    def pid(self) -> int | None:
        return self.session.stats.pid


class ModelHost:
    def __init__(self, on_worker_died: Callable[[LoadedModel, WorkerCrashed], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._current: LoadedModel | None = None
        self.on_worker_died = on_worker_died

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def load(self, runtime: str, path: Path, options: LoadOptions, cancel: CancelToken | None = None) -> LoadedModel:
        """Replace the current model with ``path``; the old worker is closed first
        so two models never compete for memory."""
        self.unload()
        session = get_runtime(runtime).load(Path(path), options, cancel)
        loaded = LoadedModel(Path(path), runtime, getattr(options, "device", "cpu"), options, session)
        with self._lock:
            self._current = loaded
        self._watch(loaded)
        return loaded

    def _watch(self, loaded: LoadedModel) -> None:
        wait_for_exit = getattr(loaded.session, "wait_for_exit", None)
        if wait_for_exit is None:  # an in-process session has no worker to lose
            return

        def watch() -> None:
            crash = wait_for_exit()  # None when the session was closed on purpose
            if crash is not None and self.on_worker_died is not None:
                self.on_worker_died(loaded, crash)

        threading.Thread(target=watch, name=f"watch-{loaded.path.name}", daemon=True).start()

    def unload(self) -> None:
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current.session.close()
