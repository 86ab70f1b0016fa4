"""One runtime on the Runtimes page: availability, capabilities, devices."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ui.runtimes.report import RuntimeRow, format_memory

DEVICE_COLUMNS = ("ID", "Kind", "Description", "Memory", "Free")

# Badge colours read on both light and dark palettes.
_BADGE = {
    True: ("Available", "color: #1e8449; background: rgba(39, 174, 96, 0.15); border: 1px solid #27ae60;"),
    False: ("Unavailable", "color: #c0392b; background: rgba(192, 57, 43, 0.12); border: 1px solid #c0392b;"),
}

_LIMITED_STYLE = "color: #9a6700; background: rgba(212, 167, 44, 0.15); border: 1px solid #d4a72c;"


def make_card(frame: QFrame, object_name: str) -> QVBoxLayout:
    """Turn ``frame`` into a bordered panel (the Runtimes page stacks these)."""
    frame.setObjectName(object_name)
    frame.setStyleSheet(f"QFrame#{object_name} {{ border: 1px solid palette(mid); border-radius: 8px; }}")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 12, 14, 12)
    return layout


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size: 15px; font-weight: 600;")
    return label


def muted(label: QLabel) -> QLabel:
    """Secondary text: the palette's placeholder colour stays readable in both themes."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def badge(text: str, style: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(f"QLabel {{ {style} border-radius: 9px; padding: 1px 9px; font-weight: 600; }}")
    return label


class RuntimeCard(QFrame):
    def __init__(self, row: RuntimeRow) -> None:
        super().__init__()
        self.row = row
        layout = make_card(self, "runtimeCard")

        header = QHBoxLayout()
        header.addWidget(heading(row.name))
        status, style = _BADGE[row.available]
        if row.available and row.limited:
            status, style = row.limited, _LIMITED_STYLE
        self.status_label = badge(status, style)
        header.addWidget(self.status_label)
        header.addStretch(1)
        layout.addLayout(header)

        self.reason_label = QLabel(row.reason or ("Ready." if row.available else "No reason given."))
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.reason_label)

        self.capabilities_label = QLabel(f"<b>Capabilities:</b> {', '.join(row.capabilities) or 'none'}")
        layout.addWidget(self.capabilities_label)

        if row.devices:
            layout.addWidget(QLabel("<b>Devices</b>"))
            self.device_table = self._device_table()
            layout.addWidget(self.device_table)
        else:
            self.device_table = None
            layout.addWidget(muted(QLabel("No devices reported." if row.available else "No devices: not available.")))

    def _device_table(self) -> QTableWidget:
        table = QTableWidget(len(self.row.devices), len(DEVICE_COLUMNS))
        table.setHorizontalHeaderLabels(DEVICE_COLUMNS)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for r, device in enumerate(self.row.devices):
            # A device the runtime knows but cannot use here (not installed, wrong OS) says why.
            description = device.description
            if not device.available:
                description += f" — unavailable: {device.reason}"
            cells = (
                device.id,
                device.kind,
                description,
                format_memory(device.memory_total),
                format_memory(device.memory_free),
            )
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()
        # Tall enough for every row: the page scrolls, not the table.
        height = header.sizeHint().height() + sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(height + 2 * table.frameWidth())
        return table

    def device_cells(self) -> list[list[str]]:
        """The table's text, row by row (what a user reads)."""
        table = self.device_table
        if table is None:
            return []
        return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
