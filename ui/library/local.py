"""Local models, grouped by base model: the app's folders and the HF cache
(deletable) plus LM Studio and Ollama imports (read-only). Models with a
vision projector (mmproj) next to them are marked "vision"; the projector sits
under its model and cannot be opened as a chat model. An F32/F16/BF16 model
offers "Make quants…". It only asks; the Library page scans, deletes and
quantizes off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.quantize.library_targets import why_not_quantizable
from models.library.scan import LibraryEntry, name_stem
from ui.common.transfer_text import size_text

_ENTRY_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Model", "Vision", "Quant", "Size", "Parameters", "Context", "Source")
VISION_COLUMN = 1


def ask_before_deleting(parent: QWidget, entry: LibraryEntry) -> bool:
    answer = QMessageBox.question(
        parent, "Delete model",
        f"Delete “{entry.display_name}” ({entry.path})? The file is removed from disk.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def group_by_base(entries: list[LibraryEntry]) -> dict[str, list[LibraryEntry]]:
    """Base-model heading -> its files; unreadable files get their own heading,
    and a projector goes under the model it serves (after the models)."""
    groups: dict[str, list[LibraryEntry]] = {}
    heading_of: dict[Path, str] = {}
    for e in sorted(entries, key=lambda e: (e.is_projector, e.display_name.lower())):
        if e.info is None:
            heading = "Unreadable files"
        elif e.is_projector:
            heading = heading_of.get(e.serves[0]) if e.serves else None
            heading = heading or f"{name_stem(e.display_name)}  ·  vision projector"
        else:
            heading = f"{name_stem(e.display_name)}  ·  {e.info.architecture}, {e.info.n_layers or '?'} layers"
        heading_of[e.path] = heading
        groups.setdefault(heading, []).append(e)
    return groups


def vision_cell(entry: LibraryEntry, names: dict[Path, str]) -> tuple[str, str]:
    """(text, tooltip) of the Vision column; ``names`` maps paths to display names."""
    if entry.projector is not None:
        return "vision", (f"Sees images: loads with {entry.projector.name} ({entry.vision_note})\n"
                          f"{entry.projector}")
    if not entry.is_projector:
        return "", ""
    if not entry.serves:
        return "projector (no matching model)", f"Vision projector (mmproj), not paired: {entry.vision_note}"
    served = [names.get(p, p.name) for p in entry.serves]
    text = f"projector for {served[0]}" if len(served) == 1 else f"projector for {len(served)} models"
    return text, "Vision projector (mmproj) for:\n" + "\n".join(served)


class LibraryLocal(QWidget):
    open_requested = Signal(str)  # path
    delete_requested = Signal(object)  # LibraryEntry, after the user confirmed
    rescan_requested = Signal()
    quantize_requested = Signal(object)  # LibraryEntry: a full-precision model to make K-quants of

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[LibraryEntry] = []
        self.quantizing = False  # one quantize job at a time
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)  # the names get the spare width, not Source
        self.status = QLabel("Scanning…", objectName="statsLine", wordWrap=True)
        self.open_button = QPushButton("Open in Chat")
        self.delete_button = QPushButton("Delete…")
        self.rescan_button = QPushButton("Rescan")
        self.quantize_button = QPushButton("Make quants…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.rescan_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.quantize_button)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.open_button.clicked.connect(self._open)
        self.delete_button.clicked.connect(self._delete)
        self.rescan_button.clicked.connect(self.rescan_requested)
        self.quantize_button.clicked.connect(self._quantize)
        self.tree.itemDoubleClicked.connect(lambda *_: self._open())
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def show_entries(self, entries: list[LibraryEntry]) -> None:
        selected = self.selected()
        self.entries = entries
        self.tree.clear()
        names = {e.path: e.display_name for e in entries}
        for heading, members in group_by_base(entries).items():
            parent = QTreeWidgetItem([heading])
            font = parent.font(0)
            font.setBold(True)
            parent.setFont(0, font)
            self.tree.addTopLevelItem(parent)
            parent.setFirstColumnSpanned(True)  # only takes effect once the item is in the tree
            for e in members:
                parent.addChild(self._item(e, names))
            parent.setExpanded(True)
        models = sum(not e.is_projector for e in entries)
        projectors = len(entries) - models
        text = f"{models} local model{'' if models == 1 else 's'}"
        if projectors:
            text += f", {projectors} vision projector{'' if projectors == 1 else 's'}"
        self.status.setText(text if entries else "No local models yet")
        for col in range(1, len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        kept = next((e for e in entries if selected is not None and e.path == selected.path), None)
        if kept is not None:  # a rescan (after a download, quantize or delete) keeps the selection
            self.select(kept)
        self._update_buttons()

    def select(self, entry: LibraryEntry) -> None:
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                if group.child(j).data(0, _ENTRY_ROLE) == entry:
                    self.tree.setCurrentItem(group.child(j))

    def selected(self) -> LibraryEntry | None:
        item = self.tree.currentItem()
        return item.data(0, _ENTRY_ROLE) if item is not None else None

    def _item(self, e: LibraryEntry, names: dict[Path, str]) -> QTreeWidgetItem:
        i = e.info
        source = e.source + (" (read-only)" if e.read_only else "")
        vision, vision_tip = vision_cell(e, names)
        cells = [e.display_name, vision, (i.file_type_name or "?") if i else "?",
                 size_text(i.file_size) if i else "?",
                 f"{i.parameter_count / 1e6:,.1f} M" if i and i.parameter_count else "?",
                 f"{i.context_length:,}" if i and i.context_length else "—" if e.is_projector else "?", source]
        item = QTreeWidgetItem(cells)
        item.setData(0, _ENTRY_ROLE, e)
        item.setToolTip(0, str(e.path) + (f"\n{e.problem}" if e.problem else ""))
        item.setToolTip(VISION_COLUMN, vision_tip)
        return item

    def _open(self) -> None:
        entry = self.selected()
        if entry is not None and entry.info is not None and not entry.is_projector:
            self.open_requested.emit(str(entry.path))

    def set_quantizing(self, busy: bool) -> None:
        self.quantizing = busy
        self._update_buttons()

    def _quantize(self) -> None:
        entry = self.selected()
        if why_not_quantizable(entry) is None and not self.quantizing:
            self.quantize_requested.emit(entry)

    def _delete(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        if entry.read_only:
            QMessageBox.information(self, "Read-only import",
                                    f"{entry.display_name} belongs to {entry.source}; remove it there.")
            return
        if ask_before_deleting(self, entry):
            self.delete_requested.emit(entry)

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.open_button.setEnabled(entry is not None and entry.info is not None and not entry.is_projector)
        self.open_button.setToolTip("A projector is loaded with its model: open the model" if entry is not None
                                    and entry.is_projector else "")
        self.delete_button.setEnabled(entry is not None and not entry.read_only)
        why_not = why_not_quantizable(entry)
        self.quantize_button.setEnabled(why_not is None and not self.quantizing)
        self.quantize_button.setToolTip("Quants are being made: wait or cancel" if why_not is None and self.quantizing
                                        else why_not or "Make K-quants (Q8_0 … Q2_K) of this model to compare")
