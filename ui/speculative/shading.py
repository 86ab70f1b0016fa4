"""Shade the accepted draft tokens of replies (as LM Studio does), toggleable.

While a reply streams, the message body holds the raw text, so span offsets
apply directly; newly flushed text is first made unshaded (inserted text
inherits the format of the character before it), then its spans are
painted. Once the reply is rendered as Markdown, spans are re-mapped onto
the rendered text (app.speculative.spans). Shading is a character background, so
turning it off paints the same ranges transparent and code blocks keep
their block background.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor

from app.speculative.spans import Span, add_span, map_spans, utf16_offsets
from ui.chat.widgets.message import ChatMessageWidget

STREAM_PAINT_MS = 120  # a little slower than the message's own 50 ms flush


def shade_color(widget: ChatMessageWidget) -> QColor:
    color = QColor(widget.palette().highlight().color())
    color.setAlpha(70)
    return color


class _Record:
    def __init__(self, source: str, spans: list[Span], streaming: bool) -> None:
        self.source = source
        self.spans = spans
        self.streaming = streaming
        self.painted_upto = 0  # streaming: text before this is already formatted


class DraftShading(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = True
        self._records: dict[ChatMessageWidget, _Record] = {}
        self._current: ChatMessageWidget | None = None
        self._pos = 0
        self._timer = QTimer(self, interval=STREAM_PAINT_MS)
        self._timer.timeout.connect(self._paint_current)

    def spans_of(self, widget: ChatMessageWidget) -> list[Span]:
        record = self._records.get(widget)
        return list(record.spans) if record else []

    # -- streaming -------------------------------------------------------

    def begin(self, widget: ChatMessageWidget) -> None:
        self._current, self._pos = widget, 0
        self._track(widget, _Record("", [], streaming=True))
        self._timer.start()

    def token(self, text: str, drafted: bool) -> None:
        record = self._records.get(self._current) if self._current is not None else None
        if record is None:
            return
        if drafted:
            add_span(record.spans, self._pos, self._pos + len(text))
        self._pos += len(text)
        record.source += text

    def end(self) -> list[Span]:
        """The finished reply's spans; painted again once it is rendered."""
        self._timer.stop()
        widget, self._current = self._current, None
        record = self._records.get(widget) if widget is not None else None
        if record is None:
            return []
        record.streaming = False
        QTimer.singleShot(0, self, lambda: self._paint(widget))  # after the page renders the Markdown
        return list(record.spans)

    # -- finished messages -------------------------------------------------

    def attach(self, widget: ChatMessageWidget, spans: list[Span]) -> None:
        """Shade a message shown from a saved conversation."""
        if widget in self._records or not spans:
            return
        self._track(widget, _Record(widget.text(), [tuple(s) for s in spans], streaming=False))
        self._paint(widget)

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        for widget, record in list(self._records.items()):
            record.painted_upto = 0
            self._paint(widget)

    # -- painting ----------------------------------------------------------

    def _track(self, widget: ChatMessageWidget, record: _Record) -> None:
        self._records[widget] = record
        widget.destroyed.connect(lambda *_: self._records.pop(widget, None))

    def _paint_current(self) -> None:
        if self._current is not None:
            self._paint(self._current)

    def _paint(self, widget: ChatMessageWidget) -> None:
        record = self._records.get(widget)
        if record is None:
            return
        document = widget.body.document()
        shown = document.toPlainText()
        units = utf16_offsets(shown)

        def at(offset: int) -> int:
            return units[offset] if units is not None else offset

        cursor = QTextCursor(document)
        clear = QTextCharFormat()
        clear.setBackground(QColor(0, 0, 0, 0))
        start = record.painted_upto if record.streaming else 0
        if record.streaming and start < len(shown):
            cursor.setPosition(at(start))
            cursor.setPosition(at(len(shown)), QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(clear)
        shade = QTextCharFormat()
        shade.setBackground(shade_color(widget) if self.enabled else QColor(0, 0, 0, 0))
        for s, e in map_spans(record.source, shown, record.spans):
            if e <= start:
                continue
            cursor.setPosition(at(max(s, start)))
            cursor.setPosition(at(e), QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(shade)
        record.painted_upto = len(shown) if record.streaming else 0
