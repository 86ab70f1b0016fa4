"""The one loaded chat model, shared by every page (GPT4All's single model
store). Loading is blocking, so the UI calls ``load`` from a worker thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken, Session
from runtimes.registry import get_runtime


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    runtime: str
    device: str
    options: Any
    session: Session

    @property
    def pid(self) -> int | None:
        return self.session.stats.pid


class ModelHost:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: LoadedModel | None = None

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def load(self, runtime: str, path: Path, options: Any, cancel: CancelToken | None = None) -> LoadedModel:
        """Replace the current model with ``path``; the old worker is closed first
        so two models never compete for memory."""
        self.unload()
        session = get_runtime(runtime).load(Path(path), options, cancel)
        loaded = LoadedModel(Path(path), runtime, getattr(options, "device", "cpu"), options, session)
        with self._lock:
            self._current = loaded
        return loaded

    def unload(self) -> None:
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current.session.close()
