"""Runtimes page: every registered runtime, its devices, and the llama.cpp build.

The query runs in a worker (it may load native libraries); the page starts it
the first time it is shown and again on Refresh.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.build_flavour import read_flavour
from ui.rpc.rpc_host_panel import RpcHostPanel
from ui.runtimes.build_panel import LlamaBuildPanel
from ui.runtimes.card import RuntimeCard, muted
from ui.runtimes.gpu_help import GpuBuildHelp
from ui.runtimes.report import RuntimeReport, gather_report
from ui.shell.context import AppContext
from ui.shell.workers import GeneratorWorker, start_worker


class RuntimesPage(QWidget):
    title = "Runtimes"
    icon = "runtimes"
    refreshed = Signal()  # after a query finished and the page shows its result

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.report: RuntimeReport | None = None
        self.cards: dict[str, RuntimeCard] = {}
        self.build_panel: LlamaBuildPanel | None = None
        self.gpu_help: GpuBuildHelp | None = None
        self._worker: GeneratorWorker | None = None
        self.rpc_panel = RpcHostPanel()  # lives across refreshes: a running server must not be dropped

        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        header.addWidget(QLabel("Runtimes", objectName="pageTitle"))
        header.addStretch(1)
        self.status_label = muted(QLabel(""))
        header.addWidget(self.status_label)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        header.addWidget(self.refresh_button)
        layout.addLayout(header)

        self.error_label = QLabel(objectName="errorBanner")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.content = QWidget()
        self.content_layout = QVBoxLayout(self.content)
        self.content_layout.setContentsMargins(0, 0, 8, 0)
        self.content_layout.setSpacing(12)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.content)
        layout.addWidget(scroll, 1)

    @property
    def busy(self) -> bool:
        """True while a query runs (the screenshot helper waits on it)."""
        return self._worker is not None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.report is None and not self.busy:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        if self.busy:
            return
        self.refresh_button.setEnabled(False)
        self.status_label.setText("Querying runtimes…")
        self.error_label.hide()
        self._worker = start_worker(
            gather_report, on_yield=self._show_report, on_error=self._show_error, on_finish=self._finished
        )

    @Slot(object)
    def _show_report(self, report: RuntimeReport) -> None:
        self.report = report
        self._clear_content()
        self.cards = {row.name: RuntimeCard(row) for row in report.runtimes}
        for card in self.cards.values():
            self.content_layout.addWidget(card)
        self.build_panel = LlamaBuildPanel(report.llama_build, report.llama_build_error)
        self.gpu_help = GpuBuildHelp(report.llama_build)
        self.content_layout.addWidget(self.build_panel)
        self.content_layout.addWidget(self.gpu_help)
        self.content_layout.addWidget(self.rpc_panel)
        self.content_layout.addStretch(1)
        available = sum(row.available for row in report.runtimes)
        flavour = read_flavour().describe()  # "source install" or e.g. "cuda bundle (linux-deb, …)"
        self.status_label.setText(f"{flavour} · {available} of {len(report.runtimes)} runtimes available")

    @Slot(object, str)
    def _show_error(self, exc: Exception, _traceback: str) -> None:
        self.error_label.setText(f"Could not query the runtimes: {exc}")
        self.error_label.show()
        self.status_label.setText("")

    @Slot()
    def _finished(self) -> None:
        self._worker = None
        self.refresh_button.setEnabled(True)
        self.refreshed.emit()

    def _clear_content(self) -> None:
        while self.content_layout.count():
            item = self.content_layout.takeAt(0)
            if item.widget() and item.widget() is not self.rpc_panel:
                item.widget().deleteLater()
