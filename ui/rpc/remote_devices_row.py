"""The "Remote devices" row of the load options: rpc-server endpoints, and their devices on demand.

Listing asks the servers from a throwaway process (runtimes.llama_cpp.rpc.devices.probe), in a
pool thread, so a dead or busy server never blocks the window; it answers within its timeout.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from runtimes.base import CancelToken, Device
from runtimes.errors import RpcEndpointError
from runtimes.llama_cpp.rpc.devices import probe
from runtimes.llama_cpp.rpc.endpoints import parse_endpoints
from ui.shell.workers import GeneratorWorker, start_worker


def remote_devices(endpoints: tuple[str, ...]) -> list[Device]:
    return [Device(id=d.name.lower(), kind="rpc", description=f"{d.endpoint} (remote)",
                   memory_total=d.memory_total, memory_free=d.memory_free) for d in probe(endpoints)]


class RemoteDevicesRow(QWidget):
    devices_listed = Signal(list)  # list[Device], kind "rpc"

    def __init__(self, endpoints: list[str]) -> None:
        super().__init__()
        self.edit = QLineEdit(", ".join(endpoints))
        self.edit.setPlaceholderText("none · host:port, … (see workbench rpc-host)")
        self.edit.setToolTip("rpc-server endpoints whose devices take offloaded layers (--rpc). "
                             "RPC has no authentication: use it on trusted networks only.")
        self.list_button = QPushButton("List devices")
        self.list_button.clicked.connect(self.list_devices)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self._worker: GeneratorWorker | None = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.list_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(row)
        box.addWidget(self.status)

    def endpoints(self) -> tuple[str, ...]:
        """The endpoints typed; raises RpcEndpointError on a malformed one."""
        return parse_endpoints(self.edit.text())

    @Slot()
    def list_devices(self) -> None:
        try:
            endpoints = self.endpoints()
        except RpcEndpointError as exc:
            self.status.setText(str(exc))
            return
        if not endpoints or self._worker is not None:
            self.status.setText("" if not endpoints else self.status.text())
            return
        self.list_button.setEnabled(False)
        self.status.setText(f"Asking {', '.join(endpoints)}…")

        def job(_cancel: CancelToken) -> Iterator[list[Device]]:
            yield remote_devices(endpoints)

        self._worker = start_worker(job, on_yield=self._listed, on_error=self._failed, on_finish=self._finished)

    @Slot(object)
    def _listed(self, devices: list[Device]) -> None:
        self.status.setText(" · ".join(f"{d.id.upper()} {d.description}: {(d.memory_free or 0) / 2**30:.1f} GiB free"
                                       for d in devices))
        self.devices_listed.emit(devices)

    @Slot(object, str)
    def _failed(self, exc: Exception, _traceback: str) -> None:
        self.status.setText(str(exc))

    @Slot()
    def _finished(self) -> None:
        self._worker = None
        self.list_button.setEnabled(True)
