"""Light and dark themes: follow the OS unless the user overrides it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui.resources import stylesheet

_SCHEMES = {"system": Qt.ColorScheme.Unknown, "light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}


def apply_theme(app: QApplication, theme: str) -> None:
    """``theme`` is "system", "light" or "dark" (Settings.theme)."""
    app.setStyle("Fusion")  # Fusion follows the colour scheme on every OS
    app.styleHints().setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    app.setStyleSheet(stylesheet("base"))


def is_dark(app: QApplication) -> bool:
    return app.palette().window().color().lightness() < 128
