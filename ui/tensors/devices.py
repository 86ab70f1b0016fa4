"""The devices a tensor model can be benchmarked on, as a checklist: every
device the runtime lists, the unavailable ones greyed out with the reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from runtimes.base import Device


class DeviceChecklist(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(["Device", "Status"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setMaximumHeight(150)
        self.devices: list[Device] = []

    def set_devices(self, devices: list[Device] | tuple[Device, ...]) -> None:
        """Available devices start checked; unavailable ones cannot be checked."""
        self.devices = list(devices)
        self.setRowCount(len(self.devices))
        for row, device in enumerate(self.devices):
            name = QTableWidgetItem(device.description or device.id)
            status = QTableWidgetItem(device.reason or ("available" if device.available else "unavailable"))
            status.setToolTip(device.reason)
            name.setToolTip(device.reason)
            if device.available:
                name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                name.setCheckState(Qt.CheckState.Checked)
            else:
                name.setFlags(Qt.ItemFlag.NoItemFlags)  # shown greyed out; the reason says why
                status.setFlags(Qt.ItemFlag.NoItemFlags)
            self.setItem(row, 0, name)
            self.setItem(row, 1, status)

    def checked_ids(self) -> list[str]:
        return [
            device.id
            for row, device in enumerate(self.devices)
            if device.available and self.item(row, 0).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, device_id: str, checked: bool) -> None:
        for row, device in enumerate(self.devices):
            if device.id == device_id and device.available:
                self.item(row, 0).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
