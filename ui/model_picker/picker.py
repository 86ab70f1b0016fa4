"""The chat page's model bar: which GGUF file, a Browse… dialog, and Load.

A file chosen in the dialog is announced with ``file_chosen`` so the page loads
it at once; Load stays for loading the chosen file again with changed options."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget


class ModelPicker(QWidget):
    load_clicked = Signal()
    file_chosen = Signal(str)  # a path picked in the file dialog: load it now

    def __init__(self, models_dir: str = "") -> None:
        super().__init__()
        self.models_dir = models_dir
        self._busy = False
        self.model_combo = QComboBox()
        self.model_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.model_combo.setMinimumContentsLength(16)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setPlaceholderText("Choose a model file…")
        self.model_combo.setToolTip("GGUF model: recent files and those in your models folder")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.open_file)
        self.load_button = QPushButton("Load")
        self.load_button.setDefault(False)
        self.load_button.setToolTip("Load the chosen model (again) with the runtime, device and options on the right")
        self.browse_button.setToolTip("Choose a GGUF file; it loads at once")
        self.load_button.clicked.connect(self.load_clicked)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Model"))
        layout.addWidget(self.model_combo, 1)
        layout.addWidget(self.browse_button)
        layout.addWidget(self.load_button)
        self.model_combo.currentIndexChanged.connect(self._update_load_button)
        self._update_load_button()

    def set_models(self, paths: list[Path]) -> None:
        """Offer ``paths``; keeps the current choice if it is still offered."""
        current = self.current_path()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for path in paths:
            self._add(path)
        self.model_combo.blockSignals(False)
        if current is not None:
            self.select_path(current)
        elif self.model_combo.count():
            self.model_combo.setCurrentIndex(0)
        self._update_load_button()

    def select_path(self, path: str | Path) -> None:
        """Select ``path``, adding it to the list if it is not there yet."""
        path = Path(path)
        index = self.model_combo.findData(str(path))
        if index < 0:
            self._add(path)
            index = self.model_combo.count() - 1
        self.model_combo.setCurrentIndex(index)

    def current_path(self) -> Path | None:
        data = self.model_combo.currentData()
        return Path(data) if data else None

    def set_busy(self, busy: bool) -> None:
        """While a model loads or a reply streams, the choice is fixed."""
        self.model_combo.setEnabled(not busy)
        self.browse_button.setEnabled(not busy)
        self._busy = busy
        self._update_load_button()

    def _add(self, path: Path) -> None:
        self.model_combo.addItem(path.name, str(path))
        self.model_combo.setItemData(self.model_combo.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)

    def _update_load_button(self) -> None:
        self.load_button.setEnabled(self.current_path() is not None and not self._busy)

    def dialog_start_dir(self) -> str:
        """The folder the file dialog opens in: the current model's, else the models folder.
        Always an existing folder, so Qt never puts its last part in the file-name box."""
        current = self.current_path()
        start = current.parent if current is not None else Path(self.models_dir or Path.home()).expanduser()
        while not start.is_dir() and start != start.parent:
            start = start.parent
        return str(start) if start.is_dir() else str(Path.home())

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a model", self.dialog_start_dir(),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.select_path(path)
            self.file_chosen.emit(path)
