"""Start the desktop app."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from ui.context import AppContext
from ui.main_window import MainWindow
from ui.resources import icon
from ui.theme import apply_theme


def create_window(ctx: AppContext | None = None) -> MainWindow:
    """Build the window on the existing QApplication (tests use this)."""
    ctx = ctx or AppContext()
    apply_theme(QApplication.instance(), ctx.settings.theme)
    return MainWindow(ctx)


def run_app(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("Workbench")
    app.setWindowIcon(icon("app"))
    window = create_window()
    window.show()
    return app.exec()
