"""Run a generator function off the GUI thread; what it yields arrives as a
Qt signal on the GUI thread (napari's ``thread_worker`` pattern).

The function receives a CancelToken; ``quit()`` sets it, and the generator is
expected to check it between items.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from runtimes.base import CancelToken


class WorkerSignals(QObject):
    started = Signal()
    yielded = Signal(object)
    errored = Signal(object, str)  # exception, formatted traceback (shown only on request)
    finished = Signal()


class GeneratorWorker(QRunnable):
    def __init__(self, func: Callable[[CancelToken], Iterator[Any]]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps it; signals must outlive run()
        self.signals = WorkerSignals()
        self.cancel = CancelToken()
        self._func = func
        self.running = False

    def run(self) -> None:
        self.running = True
        self.signals.started.emit()
        try:
            for value in self._func(self.cancel):
                self.signals.yielded.emit(value)
        except Exception as exc:  # surfaced to the UI as a readable error
            self.signals.errored.emit(exc, traceback.format_exc())
        finally:
            self.running = False
            self.signals.finished.emit()

    def quit(self) -> None:
        self.cancel.cancel()


def pool() -> QThreadPool:
    instance = QThreadPool.globalInstance()
    instance.setMaxThreadCount(max(instance.maxThreadCount(), 8))
    return instance


def start_worker(
    func: Callable[[CancelToken], Iterator[Any]],
    *,
    on_yield: Callable[[Any], None] | None = None,
    on_error: Callable[[Exception, str], None] | None = None,
    on_finish: Callable[[], None] | None = None,
) -> GeneratorWorker:
    worker = GeneratorWorker(func)
    if on_yield:
        worker.signals.yielded.connect(on_yield)
    if on_error:
        worker.signals.errored.connect(on_error)
    if on_finish:
        worker.signals.finished.connect(on_finish)
    pool().start(worker)
    return worker
