"""A QChartView that follows the application's light/dark palette itself,
so pages holding charts need no theme plumbing."""

from __future__ import annotations

from PySide6.QtCharts import QChartView
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from ui.shell.theme import is_dark


class ThemedChartView(QChartView):
    def apply_theme(self, dark: bool) -> None:
        raise NotImplementedError

    def follow_palette(self) -> None:
        self.apply_theme(is_dark(QApplication.instance()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.follow_palette()
        super().changeEvent(event)
