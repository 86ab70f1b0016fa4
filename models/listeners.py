"""A Qt-free signal: plain callbacks to call when something happens.

State objects (the download manager, the chat session) announce changes with
these, so they stay testable without Qt and the UI observes them through a thin
adapter. Callbacks run at once, in the order they were connected, on the
emitting thread. By default an exception in one reaches the emitter; with
``isolate_errors`` it is logged and the others still run (a download observer's
bug must not stop a download).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Listeners:
    def __init__(self, *, isolate_errors: bool = False) -> None:
        self._callbacks: list[Callable[..., Any]] = []
        self._isolate_errors = isolate_errors

    def connect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):  # a callback may connect another; it hears the next emit
            if not self._isolate_errors:
                callback(*args)
                continue
            try:
                callback(*args)
            except Exception:
                log.exception("observer %r failed", callback)
