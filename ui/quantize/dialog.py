"""The "Make quants…" dialog: which K-quant types to make from a full-precision
model, an optional importance matrix (llama-imatrix's .gguf or .dat, as
``workbench quantize --imatrix``, or made here from any text), an optional
recipe (per-tensor types) and the output folder. Types whose file
already exists there are marked and skipped. OK checks the choice first; the
imatrix is read on a worker, so a bad file is refused with its own message
before anything runs."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import RecipeError
from app.quantize.job import TARGETS
from app.quantize.library_targets import QuantizeRequest, output_for
from app.quantize.recipes import Recipe
from models.demo.factory import QUANT_LADDER
from models.library.scan import LibraryEntry
from ui.common.browse_row import with_browse
from ui.common.transfer_text import error_text, size_text
from ui.quantize.imatrix_dialog import ImatrixDialog
from ui.quantize.recipe_picker import RecipePicker
from ui.shell.workers import GeneratorWorker, start_worker

DEFAULT_TARGETS = QUANT_LADDER  # Q8_0 … Q2_K: the ladder the Compare page compares
IMATRIX_FILTER = "Importance matrix (*.gguf *.dat);;All files (*)"
_COLUMNS = 2
_OWNERS = {"lmstudio": "The source belongs to LM Studio", "ollama": "The source belongs to Ollama",
           "huggingface": "The Hugging Face cache holds only what the Hub serves"}


class QuantizeDialog(QDialog):
    """Public hooks (tests): ``boxes`` (type -> QCheckBox), ``out_dir_edit``,
    ``imatrix_edit``, ``folder_note``, ``ok_button``, ``error``; ``request()``."""

    def __init__(self, entry: LibraryEntry, out_dir: Path, redirected: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self._checker: GeneratorWorker | None = None
        self.setWindowTitle("Make quants")
        info = entry.info
        detail = f"{info.file_type_name} · {size_text(info.file_size)}" if info else ""
        if info and info.parameter_count:
            detail += f" · {info.parameter_count / 1e6:,.1f} M parameters"
        about = QLabel(f"<b>{html.escape(entry.display_name)}</b><br>{detail}", wordWrap=True)

        self.boxes: dict[str, QCheckBox] = {}
        types = QGroupBox("Quant types")
        grid = QGridLayout(types)
        for i, target in enumerate(TARGETS):
            box = QCheckBox(target)
            self.boxes[target] = box
            grid.addWidget(box, i // _COLUMNS, i % _COLUMNS)  # M and S variants of a level side by side

        self.imatrix_edit = QLineEdit(placeholderText="optional: from llama-imatrix (.gguf or .dat)")
        self.imatrix_edit.setToolTip("Weighs each weight by how much it mattered on sample text; "
                                     "helps most at Q3 and below")
        self.make_imatrix_button = QPushButton("Make from text…")
        self.make_imatrix_button.setToolTip("Compute one with llama-imatrix from this model and any text you choose")
        self.make_imatrix_button.clicked.connect(self._make_imatrix)
        self.imatrix_dialog: ImatrixDialog | None = None
        self.recipe_picker = RecipePicker()
        self.recipe_picker.changed.connect(lambda: self._mark_existing())
        self.out_dir_edit = QLineEdit(str(out_dir))
        self.out_dir_edit.textChanged.connect(lambda _t: self._mark_existing())
        self.folder_note = QLabel(f"{_OWNERS.get(entry.source, entry.source)}, so the quants go to the models folder."
                             if redirected else "", wordWrap=True, objectName="statsLine")
        self.folder_note.setVisible(redirected)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #ea4335;")
        self.error.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Make quants")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(types)
        layout.addWidget(QLabel("Importance matrix"))
        imatrix_row = with_browse(self.imatrix_edit, self._pick_imatrix)
        imatrix_row.addWidget(self.make_imatrix_button)
        layout.addLayout(imatrix_row)
        layout.addWidget(QLabel("Recipe (keep some tensors at higher types)"))
        layout.addWidget(self.recipe_picker)
        layout.addWidget(QLabel("Output folder"))
        layout.addLayout(with_browse(self.out_dir_edit, self._pick_folder))
        layout.addWidget(self.folder_note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._mark_existing(defaults=True)
        self.setMinimumWidth(460)

    def out_dir(self) -> Path:
        return Path(self.out_dir_edit.text().strip()).expanduser()

    def targets(self) -> tuple[str, ...]:
        return tuple(t for t, box in self.boxes.items() if box.isEnabled() and box.isChecked())

    def imatrix(self) -> Path | None:
        text = self.imatrix_edit.text().strip()
        return Path(text).expanduser() if text else None

    def recipe(self) -> Recipe | None:
        try:
            return self.recipe_picker.recipe()
        except RecipeError:
            return None  # _check names the problem

    def request(self) -> QuantizeRequest:
        return QuantizeRequest(self.entry, self.targets(), self.out_dir(), self.imatrix(), self.recipe())

    def _mark_existing(self, defaults: bool = False) -> None:
        """A type whose output is already in the folder is shown as such and skipped (a stat per type)."""
        folder = self.out_dir() if self.out_dir_edit.text().strip() else None
        recipe = self.recipe()
        name = recipe.name if recipe else None
        for target, box in self.boxes.items():
            existing = folder is not None and output_for(self.entry, folder, target, name).is_file()
            box.setEnabled(not existing)
            box.setText(f"{target}  (exists)" if existing else target)
            box.setToolTip(f"Already made: {output_for(self.entry, folder, target, name)}" if existing else "")
            if defaults:
                box.setChecked(target in DEFAULT_TARGETS)

    def _pick_imatrix(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Importance matrix", str(self.entry.path.parent), IMATRIX_FILTER)
        if path:
            self.imatrix_edit.setText(path)

    def _make_imatrix(self) -> None:
        out = self.entry.path.with_name(self.entry.path.stem + ".imatrix.gguf")
        if self.entry.read_only or self.entry.source == "huggingface":
            out = self.out_dir() / (self.entry.path.stem + ".imatrix.gguf")
        self.imatrix_dialog = ImatrixDialog(self.entry.path, out, parent=self)
        dialog = self.imatrix_dialog
        dialog.accepted.connect(lambda: self.imatrix_edit.setText(str(dialog.result)) if dialog.result else None)
        dialog.open()

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.out_dir_edit.text())
        if path:
            self.out_dir_edit.setText(path)

    def _show_error(self, text: str) -> None:
        self.error.setStyleSheet("color: #ea4335;")
        self.error.setText(text)
        self.error.show()
        self.ok_button.setEnabled(True)

    def _check(self) -> None:
        if not self.out_dir_edit.text().strip():
            return self._show_error("Choose an output folder.")
        if not self.targets():
            return self._show_error("Choose at least one quant type that is not made yet.")
        try:
            recipe = self.recipe_picker.recipe()
            for target in self.targets() if recipe else ():
                recipe.metadata(target)  # applies to the type and fits in the file's metadata
        except RecipeError as exc:
            return self._show_error(error_text(exc))
        imatrix = self.imatrix()
        if imatrix is None:
            return self.accept()
        self.ok_button.setEnabled(False)
        self.error.setStyleSheet("")
        self.error.setText(f"Reading {imatrix.name}…")
        self.error.show()

        def work(_cancel):
            from app.quantize.imatrix_file import load_imatrix

            load_imatrix(imatrix)
            yield imatrix

        # Cancelled while reading: the answer comes too late to start anything.
        self._checker = start_worker(work, on_yield=lambda _p: self.accept() if self.isVisible() else None,
                                     on_error=lambda e, _tb: self._show_error(error_text(e)))
