"""A one-line label that never widens its window: text that does not fit is
cut with "…" (at the end or in the middle) and the whole text is its tooltip.

``text()`` gives the whole text; what is painted is the elided form.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_CHARS = 6  # the narrowest it gets: a few characters and "…"


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None, *,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight, tip: str = "", objectName: str = "") -> None:
        super().__init__(parent)
        if objectName:
            self.setObjectName(objectName)
        self._full = ""
        self._tip = tip  # the label's own explanation, shown above the whole text
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text
        self._refresh()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What is painted now (elided when narrow)."""
        return super().text()

    def set_own_tooltip(self, tip: str) -> None:
        self._tip = tip
        self._refresh()

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4, hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(min(self.sizeHint().width(), self.fontMetrics().averageCharWidth() * MIN_CHARS), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._refresh()

    def _refresh(self) -> None:
        width = max(self.contentsRect().width(), 0)
        shown = self.fontMetrics().elidedText(self._full, self._mode, width) if width else self._full
        super().setText(shown)
        cut = shown != self._full
        parts = [p for p in (self._tip, self._full if cut or not self._tip else "") if p]
        self.setToolTip("\n".join(parts))
