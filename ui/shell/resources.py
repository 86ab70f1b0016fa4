"""Icons and styles from the ``assets`` package via importlib.resources, so
they resolve the same from a source checkout, a wheel or a frozen bundle."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtGui import QIcon, QPixmap


@cache
def _svg_bytes(name: str) -> bytes:
    return files("assets.icons").joinpath(f"{name}.svg").read_bytes()


def icon(name: str) -> QIcon:
    pixmap = QPixmap()
    pixmap.loadFromData(_svg_bytes(name), "SVG")
    return QIcon(pixmap)


def stylesheet(name: str = "base") -> str:
    return files("assets.styles").joinpath(f"{name}.qss").read_text(encoding="utf-8")
