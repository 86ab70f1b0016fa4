"""Benchmark records as a table of the runtime's ``bench_columns`` (ONNX:
provider and latency p50/p95/p99; Core ML: compute unit and the same)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

UNITS = {"_ms": " (ms)", "_rps": " (runs/s)", "_mib": " (MiB)", "_s": " (s)"}


def cell_text(value: Any) -> str:
    """Plain decimals, never an exponent: 11,390 runs/s, not 1.139e+04."""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def header_text(column: str) -> str:
    """"latency_p50_ms" -> "latency p50 (ms)": every number's unit is in its header."""
    for suffix, unit in UNITS.items():
        if column.endswith(suffix):
            return column[: -len(suffix)].replace("_", " ") + unit
    return column.replace("_", " ")


class BenchTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, 0)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.columns: tuple[str, ...] = ()
        self.records: list[dict[str, Any]] = []

    def reset(self, columns: tuple[str, ...]) -> None:
        self.columns = tuple(columns)
        self.records = []
        self.setRowCount(0)
        self.setColumnCount(len(self.columns))
        self.setHorizontalHeaderLabels([header_text(c) for c in self.columns])

    def add_record(self, record: dict[str, Any]) -> None:
        if not self.columns:  # a runtime without bench_columns: show what the record has
            self.reset(tuple(k for k, v in record.items() if not isinstance(v, list | dict)))
        self.records.append(record)
        row = self.rowCount()
        self.insertRow(row)
        for column, key in enumerate(self.columns):
            self.setItem(row, column, QTableWidgetItem(cell_text(record.get(key))))

    def text(self, row: int, column_key: str) -> str:
        return self.item(row, self.columns.index(column_key)).text()
