"""A model's description (any runtime's ``describe_model`` dict): facts as
a form, named tensors (inputs, outputs, states ...) as small tables."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.tensors.model_facts import fact_text

MAX_LIST_ITEMS = 10  # dict facts (operator counts ...) shown before "…"


def shape_text(shape: Any) -> str:
    if not isinstance(shape, list | tuple):
        return "" if shape is None else str(shape)
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def is_tensor_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(t, dict) and "name" in t for t in value)


class TensorTable(QTableWidget):
    """Name, dtype and shape of each tensor."""

    def __init__(self, tensors: list[dict[str, Any]]) -> None:
        super().__init__(len(tensors), 3)
        self.setHorizontalHeaderLabels(["Name", "Type", "Shape"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        for row, tensor in enumerate(tensors):
            dtype = tensor.get("dtype", tensor.get("kind", ""))
            cells = (tensor.get("name", "?"), dtype, shape_text(tensor.get("shape")))
            for column, text in enumerate(cells):
                self.setItem(row, column, QTableWidgetItem(str(text)))
        height = self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(len(tensors))) + 4
        self.setFixedHeight(min(height, 200))


class ModelInfoView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.tables: dict[str, TensorTable] = {}
        self.facts: dict[str, str] = {}
        self.clear()

    def clear(self) -> None:
        while self.layout_.count():
            item = self.layout_.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.tables, self.facts = {}, {}

    def set_description(self, description: dict[str, Any]) -> None:
        self.clear()
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.setContentsMargins(0, 0, 0, 0)
        for key, value in description.items():
            if is_tensor_list(value) or value in ("", None, [], {}):
                continue
            label = key.removesuffix("_bytes").replace("_", " ")
            self.facts[label] = fact_text(key, value, MAX_LIST_ITEMS)
            text = QLabel(self.facts[label], wordWrap=True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, text)
        self.layout_.addWidget(form_widget)
        for key, value in description.items():
            if is_tensor_list(value):
                title = QLabel(key.replace("_", " ").capitalize())
                font = title.font()
                font.setBold(True)
                title.setFont(font)
                self.layout_.addWidget(title)
                self.tables[key] = TensorTable(value)
                self.layout_.addWidget(self.tables[key])
        self.layout_.addStretch(1)
