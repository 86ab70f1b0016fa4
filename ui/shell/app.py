"""Start the desktop app."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ui.common.wheel_guard import install_wheel_guard
from ui.shell.bundled_startup import open_bundled_model
from ui.shell.context import AppContext
from ui.shell.main_window import MainWindow
from ui.shell.resources import icon
from ui.shell.theme import apply_theme


def create_window(ctx: AppContext | None = None) -> MainWindow:
    """Build the window on the existing QApplication (tests use this)."""
    ctx = ctx or AppContext()
    apply_theme(QApplication.instance(), ctx.settings.theme)
    install_wheel_guard(QApplication.instance())
    return MainWindow(ctx)


def _report_first_window_and_quit(app: QApplication) -> None:
    """Startup probe for benchmarks/cold_start.py, which subtracts the time it
    started this process: the first event-loop turn after the window is shown."""
    print(f"first-window-at {time.time():.6f}", flush=True)
    app.quit()


def run_app(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("Workbench")
    app.setWindowIcon(icon("app"))
    window = create_window()
    window.show()
    open_bundled_model(window)  # installers that carry a model start straight into chat
    if os.environ.get("WORKBENCH_STARTUP_PROBE"):
        QTimer.singleShot(0, lambda: _report_first_window_and_quit(app))
    return app.exec()
