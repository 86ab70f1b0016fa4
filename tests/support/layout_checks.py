"""Checks that a page fits a screen: the window does not grow, no text is cut without a tooltip."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

_TAGS = re.compile(r"<[^>]+>")


def plain_text(label: QLabel) -> str:
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText or (label.textFormat() == Qt.TextFormat.AutoText
                                                         and "<" in text and ">" in text):
        text = _TAGS.sub("", text.replace("<br>", "\n")).replace("&nbsp;", " ").replace("&amp;", "&")
    return text


def cut_labels(root: QWidget) -> list[str]:
    """Visible single-line labels whose text is wider than the label and that carry no tooltip."""
    cut = []
    for label in root.findChildren(QLabel):
        if not label.isVisibleTo(root) or label.wordWrap() or label.toolTip() or not label.text():
            continue
        if label.pixmap() is not None and not label.pixmap().isNull():
            continue
        widest = max((label.fontMetrics().horizontalAdvance(line) for line in plain_text(label).splitlines()),
                     default=0)
        if widest > label.contentsRect().width() + 1:
            cut.append(f"{label.objectName() or type(label.parent()).__name__}: {plain_text(label)[:60]!r} "
                       f"({widest} px in {label.contentsRect().width()} px)")
    return cut


def cut_combos(root: QWidget) -> list[str]:
    """Visible combo boxes whose shown text does not fit and whose tooltip does not carry it."""
    cut = []
    for combo in root.findChildren(QComboBox):
        text = combo.currentText()
        if not combo.isVisibleTo(root) or not text or text in combo.toolTip():
            continue
        room = combo.width() - 30  # the arrow and the frame
        if combo.fontMetrics().horizontalAdvance(text) > room:
            cut.append(f"combo {text[:60]!r}")
    return cut
