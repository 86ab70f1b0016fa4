"""Building the offline demo models from any page (Library's first-run banner,
its offline banner, Chat's empty state): one quant per step on a worker, so
progress shows between files and the GUI thread never waits."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.paths import demo_models_dir
from models.demo.factory import QUANT_LADDER, build_demo_models
from ui.shell.workers import GeneratorWorker, start_worker


class DemoModelsBuild(QObject):
    progress = Signal(str)  # "Building demo models… 2 of 6"
    built = Signal(object)  # list[Path]: the quantized demo models, in the order asked
    failed = Signal(str)  # readable message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.quants: tuple[str, ...] = QUANT_LADDER
        self._worker: GeneratorWorker | None = None
        self._paths: list[Path] = []

    @property
    def busy(self) -> bool:
        return self._worker is not None

    @staticmethod
    def folder() -> Path:
        return demo_models_dir()

    def start(self) -> None:
        if self._worker is not None:
            return
        quants, out = self.quants, demo_models_dir()
        self._paths = []
        self.progress.emit("Building demo models…")

        def work(cancel):
            for i, quant in enumerate(quants, 1):  # one quant per call: progress between files
                models = build_demo_models(out, quants=(quant,), cancel=cancel)
                yield (f"Building demo models… {i} of {len(quants)}", models[-1].path)

        self._worker = start_worker(work, on_yield=self._step, on_error=self._error, on_finish=self._finish)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.quit()

    def _step(self, step: tuple[str, Path]) -> None:
        text, path = step
        self._paths.append(path)
        self.progress.emit(text)

    def _error(self, exc: Exception, _details: str) -> None:
        self._paths = []
        self.failed.emit(f"Demo models failed: {exc}")

    def _finish(self) -> None:
        self._worker = None
        if self._paths:
            self.built.emit(list(self._paths))
