"""What to compare: the files (2–8), which is the reference, the text, and
the chunk size and count. Holds no I/O: the reference default ("largest") and
the text are resolved by the job on a worker thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.compare.job import CompareRequest

MIN_FILES, MAX_FILES = 2, 8
LARGEST = "Largest file (default)"
BUNDLED_TEXT = "Bundled sample text"


class CompareSetup(QWidget):
    changed = Signal()
    siblings_requested = Signal()
    refused = Signal(str)  # a readable reason, e.g. too many files

    def __init__(self) -> None:
        super().__init__()
        self.files: list[Path] = []
        self.text_file: Path | None = None
        self.file_list = QListWidget()
        self.file_list.setMaximumHeight(110)
        self.add_button = QPushButton("Add files…")
        self.add_button.clicked.connect(self._ask_files)
        self.siblings_button = QPushButton("Add siblings")
        self.siblings_button.setToolTip("Add GGUF files from the same folder with the same architecture and vocabulary")
        self.siblings_button.clicked.connect(self.siblings_requested)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_selected)
        self.reference_box = QComboBox()
        self.text_box = QComboBox()
        self.text_box.addItem(BUNDLED_TEXT)
        self.text_box.addItem("Choose a file…")
        self.text_box.activated.connect(self._text_chosen)
        self.ctx_spin = QSpinBox(minimum=8, maximum=32768, singleStep=128, value=512, suffix=" tokens")
        self.chunks_spin = QSpinBox(minimum=0, maximum=10000, value=0)
        self.chunks_spin.setSpecialValueText("all")
        self.chunks_spin.setToolTip("At most this many chunks of the text (fewer: faster, noisier)")
        self.kv_edit = QLineEdit(placeholderText="f16 only, or e.g. f16,q8_0,q4_0,q8_0/f16")
        self.kv_edit.setToolTip("KV-cache types to compare (K/V when they differ): every file runs at each; "
                                "the reference stays the reference file with an f16 cache")
        self.depth_spin = QSpinBox(minimum=0, maximum=131072, singleStep=512, value=0, suffix=" tokens")
        self.depth_spin.setToolTip("Measure pp/tg with this many tokens already in the KV cache (llama-bench -d)")

        buttons = QVBoxLayout()
        for button in (self.add_button, self.siblings_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        files_row = QHBoxLayout()
        files_row.addWidget(self.file_list, 1)
        files_row.addLayout(buttons)
        form = QFormLayout()
        form.addRow("Reference", self.reference_box)
        form.addRow("Text", self.text_box)
        form.addRow("Context", self.ctx_spin)
        form.addRow("Chunks", self.chunks_spin)
        form.addRow("KV types", self.kv_edit)
        form.addRow("Speed at depth", self.depth_spin)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(files_row, 3)
        layout.addLayout(form, 2)
        self._refresh()

    # --- files ---------------------------------------------------------------------

    def add_files(self, paths: list[Path]) -> None:
        new = [Path(p) for p in paths if Path(p) not in self.files]
        room = MAX_FILES - len(self.files)
        if len(new) > room:
            self.refused.emit(f"At most {MAX_FILES} files can be compared; {len(new) - room} not added.")
            new = new[:room]
        self.files.extend(new)
        self._refresh()

    def _ask_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add GGUF variants", "", "GGUF models (*.gguf)")
        self.add_files([Path(p) for p in paths])

    def _remove_selected(self) -> None:
        rows = sorted((i.row() for i in self.file_list.selectedIndexes()), reverse=True)
        for row in rows:
            del self.files[row]
        self._refresh()

    def _refresh(self) -> None:
        self.file_list.clear()
        self.file_list.addItems([p.name for p in self.files])
        for row, path in enumerate(self.files):
            self.file_list.item(row).setToolTip(str(path))
        current = self.reference_box.currentData()
        self.reference_box.clear()
        self.reference_box.addItem(LARGEST, None)
        for path in self.files:
            self.reference_box.addItem(path.name, path)
        index = self.reference_box.findData(current) if current in self.files else 0
        self.reference_box.setCurrentIndex(max(index, 0))
        self.siblings_button.setEnabled(bool(self.files) and len(self.files) < MAX_FILES)
        self.remove_button.setEnabled(bool(self.files))
        self.changed.emit()

    # --- settings ------------------------------------------------------------------

    def _text_chosen(self, index: int) -> None:
        if index == 0:
            self.text_file = None
            return
        path, _ = QFileDialog.getOpenFileName(self, "Evaluation text", "", "Text (*.txt);;All files (*)")
        if path:
            self.text_file = Path(path)
            if self.text_box.count() > 2:
                self.text_box.removeItem(2)
            self.text_box.addItem(Path(path).name)
            self.text_box.setCurrentIndex(2)
        else:
            self.text_box.setCurrentIndex(0 if self.text_file is None else 2)

    def is_ready(self) -> bool:
        return MIN_FILES <= len(self.files) <= MAX_FILES

    def request(self) -> CompareRequest:
        return CompareRequest(
            list(self.files),
            self.reference_box.currentData(),
            self.text_file,
            self.ctx_spin.value(),
            self.chunks_spin.value() or None,
            kv_types=self.kv_edit.text().strip(),
            speed_depth=self.depth_spin.value(),
        )

    def set_reference(self, path: Path) -> None:
        self.reference_box.setCurrentIndex(self.reference_box.findData(Path(path)))
