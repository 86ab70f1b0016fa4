"""The Server page's two tables: loaded models with their memory, and the request log."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.server.monitor import ServerSnapshot
from app.server.request_log import RequestRecord

MiB = 2**20


def _setup(table: QTableWidget, headers: list[str]) -> None:
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)


class LoadedTable(QTableWidget):
    HEADERS = ["Model", "State", "Memory (RSS)", "Slots busy"]

    def __init__(self) -> None:
        super().__init__(0, len(self.HEADERS))
        _setup(self, self.HEADERS)

    def show_snapshot(self, snapshot: ServerSnapshot | None) -> None:
        rows = snapshot.loaded if snapshot else []
        self.setRowCount(len(rows))
        for row, model in enumerate(rows):
            memory = f"{model.rss_bytes / MiB:.0f} MiB" if model.rss_bytes else "—"
            slots = f"{model.slots_busy} / {model.slots_total}" if model.slots_total else "—"
            for col, text in enumerate((model.name, model.status, memory, slots)):
                self.setItem(row, col, QTableWidgetItem(text))


class RequestTable(QTableWidget):
    """Newest first. Client is blank: llama-server's log does not record the address."""

    HEADERS = ["Time", "Client", "Model", "Prompt tok", "Generated tok", "TTFT (ms)", "t/s", "Status"]

    def __init__(self) -> None:
        super().__init__(0, len(self.HEADERS))
        _setup(self, self.HEADERS)
        self.horizontalHeaderItem(1).setToolTip("llama-server does not log client addresses")
        self.horizontalHeaderItem(3).setToolTip("prompt tokens evaluated; those reused from the slot's cache are not")

    def add_records(self, records: list[RequestRecord], limit: int = 500) -> None:
        for record in records:
            self.insertRow(0)
            values = (time.strftime("%H:%M:%S"), "—", record.model, str(record.prompt_tokens),
                      str(record.generated_tokens), f"{record.prompt_ms:.0f}", f"{record.tokens_per_second:.1f}",
                      record.status)
            for col, text in enumerate(values):
                self.setItem(0, col, QTableWidgetItem(text))
        while self.rowCount() > limit:
            self.removeRow(self.rowCount() - 1)
