"""One repo's GGUF quants in a table: size, bits per weight, parts, projector,
a fit colour with its reason, and a Download button per row."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.gguf.fit_estimate import FitVerdict
from models.hub.quants import QuantOption
from ui.common.transfer_text import size_text

FIT_COLOURS = {"green": "#34a853", "yellow": "#f9ab00", "red": "#ea4335", "unknown": "#9aa0a6"}
TIGHT = 0.85  # using more than this share of free memory leaves little for the rest of the machine
COLUMNS = ("Quant", "Size", "Bits/weight", "Files", "Fit", "")
FIT_COLUMN = 4


def fit_level(verdict: FitVerdict) -> str:
    """green: fits on the GPU or fully in RAM; yellow: partial offload or tight; red: will not fit."""
    if verdict.verdict == "no":
        return "red"
    if verdict.verdict == "partial":
        return "yellow"
    e, m = verdict.estimate, verdict.machine
    if verdict.verdict == "cpu":
        return "yellow" if e.ram_bytes > TIGHT * m.free_ram else "green"
    return "yellow" if m.free_vram and e.vram_bytes > TIGHT * m.free_vram else "green"


class LibraryQuants(QWidget):
    download_requested = Signal(object)  # QuantOption

    def __init__(self) -> None:
        super().__init__()
        self.heading = QLabel("Select a repo to see its quants", objectName="sectionTitle")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(FIT_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.options: list[QuantOption] = []
        self.repo_id = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)

    def show_loading(self, repo_id: str) -> None:
        self.repo_id = repo_id
        self.heading.setText(f"{repo_id}: listing files…")
        self.table.setRowCount(0)
        self.options = []

    def show_error(self, repo_id: str, message: str) -> None:
        self.heading.setText(message)
        self.table.setRowCount(0)

    def show_options(self, repo_id: str, options: list[QuantOption]) -> None:
        self.repo_id, self.options = repo_id, options
        self.heading.setText(f"{repo_id}: {len(options)} GGUF quants" if options
                             else f"{repo_id} has no GGUF model files")
        self.table.setRowCount(len(options))
        for row, option in enumerate(options):
            parts = f"{len(option.files)} parts" if len(option.files) > 1 else "1 file"
            if option.mmproj:
                parts += " + mmproj"
            cells = (option.quant, size_text(option.size), f"{option.bpw:.2f}" if option.bpw else "–",
                     parts + ("  ⚠ " + "; ".join(option.notes) if option.notes else ""), "checking fit…")
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
            self.table.item(row, 0).setToolTip("\n".join(f.path for f in option.files))
            button = QPushButton("Download", toolTip=f"Download {option.quant} ({size_text(option.size)})")
            button.clicked.connect(lambda _=False, o=option: self.download_requested.emit(o))
            self.table.setCellWidget(row, len(COLUMNS) - 1, button)

    def set_fit(self, row: int, level: str, reason: str) -> None:
        item = QTableWidgetItem(f"●  {reason}")
        item.setForeground(QColor(FIT_COLOURS[level]))
        item.setData(Qt.ItemDataRole.UserRole, level)
        item.setToolTip(reason)
        self.table.setItem(row, FIT_COLUMN, item)

    def fit_of(self, row: int) -> tuple[str, str]:
        """(level, reason) shown on a row; level is None until the check is done."""
        item = self.table.item(row, FIT_COLUMN)
        return item.data(Qt.ItemDataRole.UserRole), item.text().removeprefix("●  ")

    def download_button(self, quant: str) -> QPushButton:
        row = next(i for i, o in enumerate(self.options) if o.quant == quant)
        return self.table.cellWidget(row, len(COLUMNS) - 1)
