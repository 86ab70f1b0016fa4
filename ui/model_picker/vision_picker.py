"""The vision part of the load options: which mmproj goes with the model
(paired automatically by default, none, or a file chosen by hand) and the
prompt format around images. The pairing for the chosen model is worked out
on a worker thread and shown before loading, mismatches included."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from runtimes.base import LoadOptions
from runtimes.llama_cpp.vision.handlers import AUTO, HANDLERS
from ui.shell.workers import GeneratorWorker, start_worker

AUTO_LABEL = "Auto (paired file)"


def describe(model: Path, mmproj: str | None, handler: str) -> str:
    """What loading ``model`` with these choices will do, in words (a worker job's result)."""
    from models.errors import WorkbenchError
    from models.gguf.validate import validate_gguf
    from runtimes.llama_cpp.vision.setup import plan_vision

    try:
        plan = plan_vision(model, validate_gguf(model), mmproj, handler)
    except WorkbenchError as exc:
        return f"⚠ {exc}"
    if plan.mmproj is not None:
        return f"→ {plan.mmproj.path.name} ({plan.pairing}), {plan.handler} prompt format."
    if plan.warning:
        return f"⚠ {plan.warning}."
    return "No mmproj next to this model: text only." if mmproj == AUTO else "Text only."


class VisionPicker(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.mmproj_combo = QComboBox()
        self.mmproj_combo.addItem(AUTO_LABEL, AUTO)
        self.mmproj_combo.addItem("None (text only)", None)
        self.mmproj_combo.setToolTip("The vision projector (mmproj GGUF) loaded with the model")
        self.browse_button = QToolButton(text="…", toolTip="Choose an mmproj file by hand")
        self.browse_button.clicked.connect(self._browse)
        self.handler_combo = QComboBox()
        self.handler_combo.addItem("Auto (from metadata)", AUTO)
        for name, spec in HANDLERS.items():
            self.handler_combo.addItem(name, name)
            index = self.handler_combo.count() - 1
            self.handler_combo.setItemData(index, spec.description, Qt.ItemDataRole.ToolTipRole)
        self.handler_combo.setToolTip("How images are laid out in the prompt (llama-cpp-python chat handler)")
        self.note = QLabel("", objectName="statsLine", wordWrap=True)
        self._model: Path | None = None
        self._worker: GeneratorWorker | None = None
        self._pending = False

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.mmproj_combo, 1)
        row.addWidget(self.browse_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("mmproj", row)
        form.addRow("Images", self.handler_combo)
        form.addRow(self.note)
        self.mmproj_combo.currentIndexChanged.connect(self._refresh)
        self.handler_combo.currentIndexChanged.connect(self._refresh)

    def mmproj(self) -> str | None:
        return self.mmproj_combo.currentData()

    def handler(self) -> str:
        return self.handler_combo.currentData()

    def apply(self, options: LoadOptions | None) -> LoadOptions | None:
        """``options`` with these choices (runtimes without vision options are left as they are)."""
        if options is None or not hasattr(options, "mmproj"):
            return options
        return dataclasses.replace(options, mmproj=self.mmproj(), chat_handler=self.handler())

    def choose_file(self, path: str | Path) -> None:
        path = str(path)
        index = self.mmproj_combo.findData(path)
        if index < 0:
            self.mmproj_combo.addItem(Path(path).name, path)
            index = self.mmproj_combo.count() - 1
        self.mmproj_combo.setCurrentIndex(index)

    def set_model(self, model: Path | None) -> None:
        self._model = model
        self._refresh()

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def _refresh(self) -> None:
        if self._model is None:
            self.note.setText("")
            return
        if self._worker is not None:  # one check at a time; the newest choice is checked next
            self._pending = True
            return
        model, mmproj, handler = self._model, self.mmproj(), self.handler()
        self._worker = start_worker(lambda cancel: iter([describe(model, mmproj, handler)]),
                                    on_yield=self.note.setText, on_finish=self._on_finished)

    def _on_finished(self) -> None:
        self._worker = None
        if self._pending:
            self._pending = False
            self._refresh()

    def _browse(self) -> None:
        start = str(self._model.parent) if self._model else ""
        path, _ = QFileDialog.getOpenFileName(self, "Choose the mmproj", start, "GGUF (*.gguf);;All files (*)")
        if path:
            self.choose_file(path)
