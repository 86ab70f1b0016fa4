"""Streams one reply from the loaded session on a worker thread and turns
the runtime's events into signals on the GUI thread.

Stop sets the worker's cancel token; the session hands it to the model
worker, which stops within one token and still sends Done (stop reason
"cancelled"), so a stopped reply keeps its text and its stats.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from runtimes.base import Session
from runtimes.errors import WorkerCrashed
from runtimes.events import Done, Error, Token
from runtimes.requests import Request
from ui.chat.model_loader import failure_details
from ui.shell.workers import GeneratorWorker, start_worker


def crash_message(exc: WorkerCrashed) -> str:
    return f"The model stopped unexpectedly. Its worker process was {exc.reason}. Reload the model to continue."


def error_event_message(event: Error) -> str:
    if event.kind == "context":
        # The runtime words this for the CLI ("raise -c"); say what to do here.
        return (
            "The conversation no longer fits in the model's context window. "
            "Start a new chat, edit an earlier message, or reload with a larger context."
        )
    return f"The model could not answer: {event.message.rstrip('.')}."


class ChatGeneration(QObject):
    token = Signal(str, int)  # text, tokens it stands for (0 for a trailing flush of held-back text)
    done = Signal(object)  # GenerationStats
    failed = Signal(str, str, bool)  # readable message, details, True if the model worker died
    ended = Signal()  # after done or failed: the session is free again
    event = Signal(object)  # every runtime event, before the signals above (e.g. Token.drafted, Metrics)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: GeneratorWorker | None = None

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start(self, session: Session, request: Request) -> None:
        if self.running:
            raise RuntimeError("a reply is already being generated")

        def job(cancel):
            try:
                yield from session.run(request, cancel)
            except WorkerCrashed:
                session.close()  # the worker is dead: release its pipe here, off the GUI thread
                raise

        self._worker = start_worker(job, on_yield=self._on_event, on_error=self._on_error, on_finish=self._on_finish)

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.quit()

    def _on_event(self, event: Any) -> None:
        self.event.emit(event)
        if isinstance(event, Token):
            self.token.emit(event.text, 0 if event.token_id is None else 1)
        elif isinstance(event, Done):
            self.done.emit(event.stats)
        elif isinstance(event, Error):
            self.failed.emit(error_event_message(event), event.message, False)

    def _on_error(self, exc: Exception, traceback_text: str) -> None:
        if isinstance(exc, WorkerCrashed):
            self.failed.emit(crash_message(exc), failure_details(exc, traceback_text), True)
        else:
            message = str(exc) or type(exc).__name__
            self.failed.emit(f"The reply failed: {message}.", traceback_text, False)

    def _on_finish(self) -> None:
        self._worker = None
        self.ended.emit()
