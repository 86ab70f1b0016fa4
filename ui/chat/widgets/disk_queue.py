"""Run the chat page's disk work (SQLite, settings file) in order on one
background thread; results and errors come back on the GUI thread.

One thread, not the pool: saves of the same conversation must land in the
order they were made, and the GUI thread must never wait on the disk.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot


class DiskQueue(QObject):
    # Emitted from the worker thread; Qt queues them to this object's (GUI) thread.
    _finished = Signal(object, object)  # callback or None, result
    _failed = Signal(object, object, str)  # callback or None, exception, traceback
    failed = Signal(object, str)  # a task without its own on_error failed: exception, traceback

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-chat-disk")
        self._finished.connect(self._deliver)
        self._failed.connect(self._deliver_error)
        self.pending = 0  # tasks submitted whose callbacks have not run yet

    def submit(
        self,
        func: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception, str], None] | None = None,
    ) -> None:
        self.pending += 1

        def task() -> None:
            try:
                result = func(*args)
            except Exception as exc:  # reported on the GUI thread
                self._failed.emit(on_error, exc, traceback.format_exc())
            else:
                self._finished.emit(on_done, result)

        self._executor.submit(task)

    @Slot(object, object)
    def _deliver(self, callback: Callable[[Any], None] | None, result: Any) -> None:
        self.pending -= 1
        if callback is not None:
            callback(result)

    @Slot(object, object, str)
    def _deliver_error(self, callback: Callable[[Exception, str], None] | None, exc: Exception, details: str) -> None:
        self.pending -= 1
        if callback is not None:
            callback(exc, details)
        else:
            self.failed.emit(exc, details)
