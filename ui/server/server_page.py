"""Server page: start/stop llama-server for other programs, its key and names, loaded models with
their memory next to the Chat page's model, throughput and busy slots, the request log and snippets.
Every blocking call (library scan, start, stop, poll) runs in a worker; the GUI thread only draws."""

from __future__ import annotations

from pathlib import Path

import psutil
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.server.config import exposure_warning
from app.server.controller import ServerController
from app.server.library import library_models
from ui.server.live_view import LiveView
from ui.server.snippets_panel import SnippetsPanel
from ui.shell.context import AppContext
from ui.shell.workers import start_worker

MiB = 2**20


class ServerPage(QWidget):
    title = "Server"
    icon = "server"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.controller = ServerController()
        self.models_provider = lambda: library_models(Path(ctx.settings.models_dir))
        self._busy = False  # a start/stop is in flight
        self._polling = False
        self._workers: list = []
        self._build()
        self.timer = QTimer(self, interval=1000, timeout=self._poll)
        self._show_state("Stopped. Other programs can use the library once the server runs.")

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.toggle = QPushButton("Start server", clicked=self._toggle)
        self.port = QSpinBox(minimum=1, maximum=65535, value=self.controller.config.port)
        self.port.valueChanged.connect(self.controller.set_port)
        self.url = QLabel()
        self.status = QLabel()
        self.open_log = QPushButton("Open log", clicked=self._open_log, enabled=False)
        for widget in (self.toggle, QLabel("Port"), self.port, self.url, self.status):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.open_log)
        layout.addLayout(top)
        keys = QHBoxLayout()
        self.key = QLineEdit(self.controller.config.api_key, readOnly=True)
        self.copy_key = QPushButton("Copy", clicked=lambda: QGuiApplication.clipboard().setText(self.key.text()))
        self.regenerate = QPushButton("Regenerate", clicked=self._regenerate)
        for widget in (QLabel("API key"), self.key, self.copy_key, self.regenerate):
            keys.addWidget(widget)
        layout.addLayout(keys)
        self.crash = QLabel(wordWrap=True, visible=False)
        self.crash.setStyleSheet("color: #dc2626;")
        layout.addWidget(self.crash)
        grid = QGridLayout()
        self.names = QListWidget()
        self.live = LiveView()
        self.loaded, self.memory, self.chart, self.requests = (
            self.live.loaded, self.live.memory, self.live.chart, self.live.requests)
        self.snippets = SnippetsPanel()
        grid.addWidget(QLabel("Served names (the \"model\" field)"), 0, 0)
        grid.addWidget(self.names, 1, 0)
        grid.addWidget(QLabel("Loaded models"), 0, 1)
        grid.addWidget(self.loaded, 1, 1)
        grid.addWidget(self.memory, 2, 0, 1, 2)
        grid.addWidget(self.chart, 3, 0)
        grid.addWidget(self.snippets, 3, 1)
        grid.addWidget(QLabel("Requests (from llama-server's log)"), 4, 0, 1, 2)
        grid.addWidget(self.requests, 5, 0, 1, 2)
        grid.setRowStretch(1, 2)
        grid.setRowStretch(3, 3)
        grid.setRowStretch(5, 3)
        layout.addLayout(grid, 1)
        self._refresh_snippets()

    # -- start / stop -------------------------------------------------------------------------------------
    def _toggle(self) -> None:
        if self._busy:
            return
        self._busy = True
        self.toggle.setEnabled(False)
        if self.controller.running:
            self._show_state("Stopping…")
            self._run(self._stop_job, self._after_stop)
        else:
            self._show_state("Scanning the library and starting llama-server…")
            self.crash.setVisible(False)
            self._run(self._start_job, self._after_start)

    def _start_job(self, cancel):
        self.controller.start(self.models_provider())
        yield True

    def _stop_job(self, cancel):
        self.controller.stop()
        yield True

    def _run(self, job, done) -> None:
        worker = start_worker(job, on_yield=lambda _: done(), on_error=self._failed)
        self._workers.append(worker)
        worker.signals.finished.connect(lambda w=worker: self._workers.remove(w))

    def _after_start(self) -> None:
        self._busy = False
        config = self.controller.config
        self.names.clear()
        self.names.addItems([f"{m.name}    ({m.quant}, {m.size_bytes / MiB:.0f} MiB)" for m in self.controller.models])
        self._refresh_snippets()
        self._show_state("Running" + (f" — {w}" if (w := exposure_warning(config.host)) else ""))
        self.live.reset()
        self.timer.start()

    def _after_stop(self) -> None:
        self._busy = False
        self.timer.stop()
        self.live.reset()
        self._show_state("Stopped.")

    def _failed(self, exc: Exception, _trace: str) -> None:
        self._busy = False
        self.crash.setText(f"Could not start the server: {exc}")
        self.crash.setVisible(True)
        self._show_state("Stopped.")

    def _regenerate(self) -> None:
        self.key.setText(self.controller.regenerate_key())
        self._refresh_snippets()

    def _open_log(self) -> None:
        if self.controller.session is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.controller.session.log_path)))

    # -- live view ----------------------------------------------------------------------------------------
    def _poll(self) -> None:
        if self._polling or not self.controller.running:
            return
        self._polling = True
        chat = self.ctx.loaded

        def job(cancel):
            snapshot = self.controller.poll()
            yield snapshot, _rss(chat.pid if chat else None)

        worker = start_worker(job, on_yield=self._show_snapshot, on_error=lambda *_: None)
        self._workers.append(worker)
        worker.signals.finished.connect(lambda w=worker: (self._workers.remove(w), setattr(self, "_polling", False)))

    def _show_snapshot(self, result) -> None:
        snapshot, chat_rss = result
        if snapshot is None:
            return
        self.live.show(snapshot, chat_rss, self.controller.throughput)
        crashes = [e for e in self.controller.events if e.kind in ("crashed", "failed")]
        if crashes:
            self.crash.setText(crashes[-1].message.splitlines()[0] + " — restarted; see the log for details")
            self.crash.setVisible(True)
        if snapshot.error:
            self.status.setText(snapshot.error)

    def _show_state(self, text: str) -> None:
        running = self.controller.running
        self.status.setText(text)
        self.toggle.setText("Stop server" if running else "Start server")
        self.toggle.setEnabled(not self._busy)
        self.port.setEnabled(not running)
        self.regenerate.setEnabled(not running)
        self.regenerate.setToolTip("stop the server to change its key" if running else "make a new key")
        self.open_log.setEnabled(running)
        self.url.setText(f"<code>{self.controller.config.base_url}</code>")

    def _refresh_snippets(self) -> None:
        model = self.controller.models[0].name if self.controller.models else "MODEL-NAME"
        self.snippets.show_for(self.controller.config.base_url, self.controller.config.api_key, model)

    def shutdown(self) -> None:
        self.timer.stop()
        self.controller.stop()


def _rss(pid: int | None) -> int:
    try:
        return psutil.Process(pid).memory_info().rss if pid else 0
    except psutil.Error:
        return 0
