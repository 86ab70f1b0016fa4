"""The shell: page navigation, status bar, shortcuts, drag and drop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget, QWidget

from ui.common.full_text_tips import add_full_text_tips
from ui.shell.context import AppContext
from ui.shell.pages import page_classes
from ui.shell.resources import icon


def dropped_gguf(event: QDragEnterEvent | QDropEvent) -> str | None:
    for url in event.mimeData().urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf"):
            return url.toLocalFile()
    return None


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("Workbench")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.resize(1200, 800)

        self.nav = QListWidget(objectName="nav")
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for page_class in page_classes():
            page = page_class(ctx)
            self.pages[page_class.title] = page
            self.stack.addWidget(page)
            QListWidgetItem(icon(page_class.icon), page_class.title, self.nav)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)

        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)

        self._build_status_bar()
        self._build_shortcuts()
        add_full_text_tips(self)
        self._fit_screen()

    def _fit_screen(self) -> None:
        """Open no larger than the screen's free area (a 1280×720 laptop included)."""
        screen = self.screen()
        if screen is not None:
            free = screen.availableGeometry()
            self.resize(min(self.width(), free.width()), min(self.height(), free.height()))

    def _build_status_bar(self) -> None:
        self.model_label = QLabel("No model loaded")
        self.device_label = QLabel("")
        self.memory_label = QLabel("")
        bar = self.statusBar()
        bar.addWidget(self.model_label, 1)
        bar.addPermanentWidget(self.device_label)
        bar.addPermanentWidget(self.memory_label)
        self.ctx.model_loaded.connect(self._on_model_loaded)
        self.ctx.model_unloaded.connect(self._on_model_unloaded)
        self.ctx.metrics_sampled.connect(self._on_metrics)

    def _build_shortcuts(self) -> None:
        for index in range(min(self.nav.count(), 10)):  # Ctrl+1 … Ctrl+9, then Ctrl+0 for the tenth
            shortcut = QShortcut(QKeySequence(f"Ctrl+{(index + 1) % 10}"), self)
            shortcut.activated.connect(lambda i=index: self.nav.setCurrentRow(i))

    def show_page(self, title: str) -> None:
        self.nav.setCurrentRow(list(self.pages).index(title))

    @Slot(object)
    def _on_model_loaded(self, loaded) -> None:
        self.model_label.setText(f"Model: {loaded.path.name}")
        self.device_label.setText(f"{loaded.runtime} · {loaded.device}")

    @Slot()
    def _on_model_unloaded(self) -> None:
        self.model_label.setText("No model loaded")
        self.device_label.setText("")
        self.memory_label.setText("")

    @Slot(object)
    def _on_metrics(self, sample) -> None:
        if self.ctx.loaded is None or sample.worker_rss is None:
            return
        text = f"Worker RSS {sample.worker_rss / 2**20:.0f} MiB"
        if sample.vram is not None:
            text += f" · VRAM {sample.vram / 2**20:.0f} MiB"
        self.memory_label.setText(text)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_gguf(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_gguf(event)
        if path:
            event.acceptProposedAction()
            self.show_page("Chat")
            self.ctx.open_model_requested.emit(str(Path(path)))

    def closeEvent(self, event) -> None:
        # Pages stop their work first (a streaming reply) so the model's
        # worker is not closed under them.
        for page in self.pages.values():
            if hasattr(page, "shutdown"):
                page.shutdown()
        self.ctx.shutdown()
        super().closeEvent(event)
