"""The comparison results as a sortable table: a small model over the plain
list of records, sorted numerically through a proxy (SortRole holds numbers)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from app.compare.results.recommend import variant_name
from ui.common.metric_text import DASH

SORT_ROLE = Qt.ItemDataRole.UserRole
MIB = 2**20


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[dict[str, Any]], Any]  # what sorting uses
    text: Callable[[dict[str, Any]], str]
    tip: str = ""


def _num(key: str, digits: int, scale: float = 1.0) -> Column:
    def value(r: dict[str, Any]) -> Any:
        return None if r.get(key) is None else r[key] / scale

    def text(r: dict[str, Any]) -> str:
        v = value(r)
        return DASH if v is None else f"{v:.{digits}f}"

    return Column("", value, text)


def _col(title: str, base: Column, tip: str = "") -> Column:
    return Column(title, base.value, base.text, tip)


def _ppl_text(r: dict[str, Any]) -> str:
    if r.get("ppl") is None:
        return DASH
    digits = 3 if r["ppl"] < 100 else 1 if r["ppl"] < 1000 else 0  # fewer decimals as it grows: same width
    return f"{r['ppl']:.{digits}f} ± {r.get('ppl_err') or 0:.{digits}f}"


def _measured_text(r: dict[str, Any]) -> str:
    """When the row was measured; 'cached' when it was read back from an earlier run."""
    when = r.get("measured_at")
    stamp = time.strftime("%m-%d %H:%M", time.localtime(when)) if when else "?"
    return f"cached · {stamp}" if r.get("cached") else stamp


def _kv_text(r: dict[str, Any]) -> str:
    return (r.get("kv") or "f16") + ("  (slow path)" if r.get("kv_slow_path") else "")


def _name_text(r: dict[str, Any]) -> str:
    return variant_name(r) + ("  (ref)" if r.get("role") == "reference" else "")


COLUMNS = [
    Column("Variant", variant_name, _name_text),
    _col("Size MiB", _num("size_bytes", 1, MIB)),
    _col("BPW", _num("bpw", 2), "bits per weight"),
    Column("PPL", lambda r: r.get("ppl"), _ppl_text, "perplexity on the text, ± standard error"),
    _col("KLD mean", _num("kld_mean", 5), "mean KL divergence from the reference (lower is closer)"),
    _col("KLD med.", _num("kld_median", 5)),
    _col("KLD p99", _num("kld_p99", 4)),
    _col("Top 1 %", _num("same_top_pct", 2), "how often the most likely next token is the reference's (%)"),
    _col("RMS Δp", _num("rms_dp_pct", 3), "RMS of the change in the right token's probability (%)"),
    _col("pp t/s", _num("pp_tps", 1), "prompt processing speed"),
    _col("tg t/s", _num("tg_tps", 1), "generation speed"),
    _col("RSS MiB", _num("peak_rss_bytes", 0, MIB), "peak memory of the model worker"),
    Column("Measured", lambda r: r.get("measured_at") or 0, _measured_text,
           "when these numbers were measured; 'cached' rows come from an earlier run (Re-measure runs them again)"),
    Column("KV", lambda r: r.get("kv") or "f16", _kv_text,
           "K/V cache types (K/V when they differ); 'slow path' marks pairs llama.cpp runs without a fast kernel "
           "on this device"),
    _col("KV MiB", _num("kv_bytes", 2, MIB), "KV cache at the session's context, as llama.cpp allocates it"),
    Column("File", lambda r: Path(r["file"]).name, lambda r: Path(r["file"]).name),
]


class CompareTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] = []

    def set_records(self, records: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record, column = self.records[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == SORT_ROLE:
            value = column.value(record)
            return float("-inf") if value is None else value  # missing values sort first, not as text
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() not in (0, len(COLUMNS) - 1):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return record["file"]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip or None
        return None


class CompareTable(QTableView):
    def __init__(self) -> None:
        super().__init__()
        self.source = CompareTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # biggest (the reference) first
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)  # long file names elide instead of doubling the row height
        # The middle goes: the start names the model, the end (quant, suffix) tells variants apart;
        # the whole path is every cell's tooltip.
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # The File column takes the room left, so a long name elides instead of running off the page.
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.set_records([])  # optional columns (KV, Measured) start hidden

    def set_records(self, records: list[dict[str, Any]]) -> None:
        self.source.set_records(records)
        kv = any(r.get("kv") for r in records)  # the KV columns only when the run compared KV types
        titles = [c.title for c in COLUMNS]
        for title in ("KV", "KV MiB"):
            self.setColumnHidden(titles.index(title), not kv)
        # "Measured" only when some figures are cached: then the date matters (the status line says so too).
        self.setColumnHidden(titles.index("Measured"), not any(r.get("cached") for r in records))
        self._fit_height()

    def _fit_height(self) -> None:
        """Exactly as tall as its rows (at most 8 files, so never long): no
        inner scrolling, and the plots below get the rest of the page."""
        rows = max(len(self.source.records), 3)
        height = (
            self.horizontalHeader().sizeHint().height()
            + rows * self.verticalHeader().defaultSectionSize()
            + self.horizontalScrollBar().sizeHint().height()
            + 2 * self.frameWidth()
        )
        self.setFixedHeight(height)

    def cell(self, row: int, column: str) -> str:
        """Displayed text of a (sorted) row by column title (tests, copy)."""
        col = [c.title for c in COLUMNS].index(column)
        return self.proxy.index(row, col).data()
