"""Loads a model through ModelHost on a worker thread (loading blocks for
seconds) and reports the outcome on the GUI thread in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.model_host import ModelHost
from models.errors import ModelFileError, WorkbenchError
from runtimes.base import LoadOptions
from runtimes.errors import LoadCancelled, WorkerCrashed
from ui.shell.workers import GeneratorWorker, start_worker


@dataclass(frozen=True)
class LoadRequest:
    path: Path
    runtime: str
    options: LoadOptions


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def load_error_message(exc: BaseException, path: Path) -> str:
    """One readable sentence for a failed load (the traceback goes to Details)."""
    if isinstance(exc, ModelFileError):
        return f"{path.name} cannot be loaded: {exc.problem}."
    if isinstance(exc, WorkerCrashed):
        return f"The model worker died while loading {path.name}: it was {exc.reason}."
    if isinstance(exc, WorkbenchError):
        return _sentence(str(exc))
    return f"{path.name} could not be loaded: {exc or type(exc).__name__}."


def failure_details(exc: BaseException, traceback_text: str) -> str:
    """Log tail of a dead worker (what it printed last) above the traceback."""
    log = getattr(exc, "log_tail", None) or []
    parts = (["Worker log (last lines):", *log, ""] if log else []) + [traceback_text.rstrip()]
    return "\n".join(parts)


class ChatModelLoader(QObject):
    loaded = Signal(object)  # LoadedModel
    failed = Signal(str, str)  # readable message, details
    cancelled = Signal()
    ended = Signal()  # after any of the three above

    def __init__(self, host: ModelHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._host = host
        self._worker: GeneratorWorker | None = None
        self.last_request: LoadRequest | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def load(self, request: LoadRequest) -> None:
        if self.busy:
            raise RuntimeError("a model is already loading")
        self.last_request = request

        def job(cancel):
            yield self._host.load(request.runtime, request.path, request.options, cancel)

        self._worker = start_worker(job, on_yield=self.loaded.emit, on_error=self._on_error, on_finish=self._on_finish)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.quit()

    def _on_error(self, exc: Exception, traceback_text: str) -> None:
        if isinstance(exc, LoadCancelled):
            self.cancelled.emit()
            return
        path = self.last_request.path if self.last_request else Path("model")
        self.failed.emit(load_error_message(exc, path), failure_details(exc, traceback_text))

    def _on_finish(self) -> None:
        self._worker = None
        self.ended.emit()
