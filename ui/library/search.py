"""Hub search: text, author and sort in, a list of GGUF repos out. It only
asks; the Library page runs the search off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models.hub.files import HubModel

_REPO_ROLE = Qt.ItemDataRole.UserRole


class LibrarySearch(QWidget):
    search_requested = Signal(str, str, str)  # text, author, sort
    repo_selected = Signal(str)  # repo id

    def __init__(self) -> None:
        super().__init__()
        self.text_box = QLineEdit(placeholderText="Search GGUF models (e.g. qwen)")
        self.author_box = QLineEdit(placeholderText="Author (optional)")
        self.sort_box = QComboBox()
        for label, key in (("Most downloaded", "downloads"), ("Most liked", "likes"), ("Recently updated", "recent")):
            self.sort_box.addItem(label, key)
        self.search_button = QPushButton("Search")
        self.results = QListWidget()
        self.results.setSpacing(3)  # two-line items read as one block without it
        self.status = QLabel("", objectName="statsLine", wordWrap=True)

        row = QHBoxLayout()
        row.addWidget(self.author_box, 1)
        row.addWidget(self.sort_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.text_box, 1)
        top.addWidget(self.search_button)
        layout.addLayout(top)
        layout.addLayout(row)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)

        self.text_box.returnPressed.connect(self.request)
        self.author_box.returnPressed.connect(self.request)
        self.search_button.clicked.connect(self.request)
        self.results.currentItemChanged.connect(self._selected)

    def request(self) -> None:
        self.status.setText("Searching…")
        self.search_requested.emit(self.text_box.text().strip(), self.author_box.text().strip(),
                                   self.sort_box.currentData())

    def show_results(self, models: list[HubModel]) -> None:
        blocker = QSignalBlocker(self.results)  # a refill is not a selection by the user
        self.results.clear()
        for m in models:
            item = QListWidgetItem(f"{m.repo_id}\n↓ {m.downloads:,}   ♥ {m.likes:,}"
                                   + ("   (gated)" if m.gated else ""))
            item.setData(_REPO_ROLE, m.repo_id)
            self.results.addItem(item)
        self.results.setCurrentRow(-1)
        blocker.unblock()
        self.status.setText(f"{len(models)} repos" if models else "No GGUF repos match")

    def show_error(self, message: str) -> None:
        self.status.setText(message)

    def repo_ids(self) -> list[str]:
        return [self.results.item(i).data(_REPO_ROLE) for i in range(self.results.count())]

    def select(self, repo_id: str) -> None:
        """Select and list a repo, even when it is already the current row."""
        with QSignalBlocker(self.results):
            self.results.setCurrentRow(self.repo_ids().index(repo_id))
        self.repo_selected.emit(repo_id)

    def _selected(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.repo_selected.emit(item.data(_REPO_ROLE))
