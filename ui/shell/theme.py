"""Light and dark themes: follow the OS unless the user overrides it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ui.shell.resources import stylesheet

_SCHEMES = {"system": Qt.ColorScheme.Unknown, "light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}

_DARK = {
    QPalette.ColorRole.Window: "#202124",
    QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#26272a",
    QPalette.ColorRole.Text: "#e8eaed",
    QPalette.ColorRole.Button: "#2d2e31",
    QPalette.ColorRole.ButtonText: "#e8eaed",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2d2e31",
    QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.Light: "#3c3d40",
    QPalette.ColorRole.Midlight: "#333437",
    QPalette.ColorRole.Mid: "#6b6f75",
    QPalette.ColorRole.Dark: "#141517",
    QPalette.ColorRole.Shadow: "#000000",
}
_DARK_DISABLED = ("#6f7378", (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText))


def _dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    colour, roles = _DARK_DISABLED
    for role in roles:
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


def apply_theme(app: QApplication, theme: str) -> None:
    """``theme`` is "system", "light" or "dark" (Settings.theme)."""
    app.setStyle("Fusion")  # Fusion follows the colour scheme on every OS
    scheme = _SCHEMES.get(theme, Qt.ColorScheme.Unknown)
    app.styleHints().setColorScheme(scheme)
    # Many platforms (X11 without a desktop theme plugin, offscreen) ignore the
    # request above, so an explicit choice also sets the palette itself.
    if scheme == Qt.ColorScheme.Dark:
        app.setPalette(_dark_palette())
    elif scheme == Qt.ColorScheme.Light:
        app.setPalette(app.style().standardPalette())
    else:
        app.setPalette(QPalette())  # back to the platform's own palette
    app.setStyleSheet(stylesheet("base"))


def is_dark(app: QApplication) -> bool:
    return app.palette().window().color().lightness() < 128
