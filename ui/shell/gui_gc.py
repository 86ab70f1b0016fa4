"""Run Python's cyclic garbage collector on the GUI thread only.

The collector runs on whichever thread happens to allocate. If it frees a Qt
object on a worker thread, that thread takes Qt's connection lock and then
waits for the GIL, while the GUI thread holds the GIL and waits for the same
lock: a deadlock (seen in the test suite). So automatic collection is turned
off and a timer on the GUI thread collects with the usual thresholds.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from app.deferred_gc import DeferredGc

_collector: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    def __init__(self, interval_ms: int = 500) -> None:
        super().__init__()
        self.collector = DeferredGc()
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start()

    @property
    def thresholds(self) -> tuple[int, ...]:
        return self.collector.thresholds

    def collect_if_due(self) -> None:
        self.collector.collect_if_due()


def install() -> GuiThreadCollector:
    """Idempotent; call on the GUI thread once a QApplication exists."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector()
    return _collector
