"""Runtimes-page panel: share this machine's devices with llama.cpp's rpc-server (workbench rpc-host).

A thin view over app.rpc.supervisor.RpcHost: starting (up to its ready timeout) runs in a pool
thread; a timer notices when the server dies and shows why. Loopback by default; another
address needs the confirmation box, and the panel then shows llama.cpp's warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
)

from app.errors import RpcHostError
from app.rpc.supervisor import UNAUTHENTICATED_WARNING, RpcHost, RpcHostConfig
from runtimes.base import CancelToken
from runtimes.llama_cpp.rpc.endpoints import DEFAULT_PORT
from runtimes.network import is_loopback
from ui.shell.workers import GeneratorWorker, start_worker


class RpcHostPanel(QGroupBox):
    def __init__(self) -> None:
        super().__init__("Share this machine's devices (llama.cpp rpc-server)")
        self.host: RpcHost | None = None
        self._worker: GeneratorWorker | None = None
        self.host_edit = QLineEdit("127.0.0.1")
        self.port_spin = QSpinBox(minimum=1, maximum=65535, value=DEFAULT_PORT)
        self.allow_network = QCheckBox("Allow other machines to connect (no authentication: trusted networks only)")
        self.warning = QLabel(objectName="errorBanner")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.toggle)
        self.status = QLabel("Stopped. Other machines use it with --rpc HOST:PORT or Settings → Remote devices.")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.host_edit, 1)
        row.addWidget(self.port_spin)
        row.addWidget(self.start_button)
        form = QFormLayout(self)
        form.addRow("Bind", row)
        form.addRow(self.allow_network)
        form.addRow(self.warning)
        form.addRow(self.status)
        self.host_edit.textChanged.connect(self._show_warning)
        self.allow_network.toggled.connect(self._show_warning)
        self._watch = QTimer(self, interval=1000)
        self._watch.timeout.connect(self._check_alive)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def config(self) -> RpcHostConfig:
        return RpcHostConfig(self.host_edit.text().strip(), self.port_spin.value(),
                             allow_network=self.allow_network.isChecked())

    @Slot()
    def _show_warning(self) -> None:
        host = self.host_edit.text().strip()
        exposed = bool(host) and not is_loopback(host)
        self.warning.setText(UNAUTHENTICATED_WARNING.format(endpoint=f"{host}:{self.port_spin.value()}"))
        self.warning.setVisible(exposed)

    @Slot()
    def toggle(self) -> None:
        if self.host is not None:
            self.stop()
            return
        if self._worker is not None:
            return
        try:
            host = RpcHost(self.config())  # refuses a non-loopback bind without the box ticked
        except RpcHostError as exc:
            self.status.setText(str(exc))
            return
        self.start_button.setEnabled(False)
        self.status.setText(f"Starting rpc-server on {host.config.endpoint}…")

        def job(_cancel: CancelToken) -> Iterator[RpcHost]:
            host.start()
            yield host

        self._worker = start_worker(job, on_yield=self._started, on_error=self._failed, on_finish=self._finished)

    @Slot(object)
    def _started(self, host: RpcHost) -> None:
        self.host = host
        devices = ", ".join(f"{d.name}: {d.memory_free / 2**30:.1f} of {d.memory_total / 2**30:.1f} GiB free"
                            for d in host.devices)
        self.status.setText(f"Serving on {host.config.endpoint} (pid {host.process.pid}) · {devices}")
        self.start_button.setText("Stop")
        self._watch.start()

    @Slot(object, str)
    def _failed(self, exc: Exception, _traceback: str) -> None:
        self.status.setText(f"Could not start: {exc}")

    @Slot()
    def _finished(self) -> None:
        self._worker = None
        self.start_button.setEnabled(True)

    @Slot()
    def _check_alive(self) -> None:
        if self.host is None or self.host.running():
            return
        code = self.host.process.returncode
        tail = self.host.log_tail(3)
        self.stop()
        self.status.setText(f"rpc-server stopped (exit {code}){': ' + tail[-1] if tail else ''}. Start it again?")

    @Slot()
    def stop(self) -> None:
        self._watch.stop()
        host, self.host = self.host, None
        if host is not None:
            host.stop()
            self.status.setText("Stopped.")
        self.start_button.setText("Start")
