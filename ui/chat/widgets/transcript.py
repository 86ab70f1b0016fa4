"""The scrolling list of messages. It follows new text while the user is at
the bottom and stays put when they have scrolled up to read."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.chat.conversation import ChatMessage
from ui.chat.first_run import ChatFirstRun
from ui.chat.widgets.images import attach_thumbnails
from ui.chat.widgets.message import ChatMessageWidget

_FOLLOW_SLACK_PX = 24  # "at the bottom" even if a few pixels short

_STYLE = """
QWidget#transcript { background: palette(base); }
QFrame#userMessage { background: palette(alternate-base); border: 1px solid palette(midlight); border-radius: 10px; }
QFrame#assistantMessage { background: transparent; }
QLabel#messageRole { font-weight: 600; }
QLabel#transcriptEmpty { color: palette(placeholder-text); font-size: 14px; }
"""


class ChatTranscript(QScrollArea):
    edit_submitted = Signal(int, str)  # index of the edited user message, its new text

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        container = QWidget(objectName="transcript")
        container.setStyleSheet(_STYLE)
        self._layout = QVBoxLayout(container)
        self._layout.setContentsMargins(16, 12, 16, 12)
        self._layout.setSpacing(10)
        self.empty_label = QLabel(
            "Type a message below.\nCtrl+Return sends, Escape stops.",
            objectName="transcriptEmpty",
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        self.first_run = ChatFirstRun()  # the empty state while no model is loaded
        self._layout.addWidget(self.first_run, 1)
        self._layout.addWidget(self.empty_label, 1)
        self._model_loaded = False
        self._layout.addStretch(0)
        self.setWidget(container)
        self._widgets: list[ChatMessageWidget] = []
        self._update_empty()
        self._follow = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._remember_position)
        bar.rangeChanged.connect(self._follow_growth)

    def message_widgets(self) -> list[ChatMessageWidget]:
        return list(self._widgets)

    def last_message(self) -> ChatMessageWidget | None:
        return self._widgets[-1] if self._widgets else None

    def set_messages(self, messages: list[ChatMessage]) -> None:
        self.truncate(0)
        for message in messages:
            self.add_message(message)
        self.scroll_to_bottom()

    def add_message(self, message: ChatMessage) -> ChatMessageWidget:
        widget = ChatMessageWidget(message.role, message.content, message.stats)
        attach_thumbnails(widget, message.images)
        widget.edit_submitted.connect(lambda text, w=widget: self.edit_submitted.emit(self._widgets.index(w), text))
        self._layout.insertWidget(self._layout.count() - 1, widget)
        self._widgets.append(widget)
        self._update_empty()
        self.scroll_to_bottom()
        return widget

    def truncate(self, count: int) -> None:
        """Keep only the first ``count`` messages."""
        while len(self._widgets) > count:
            widget = self._widgets.pop()
            widget.hide()
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self._update_empty()

    def set_editing_enabled(self, enabled: bool) -> None:
        for widget in self._widgets:
            widget.set_actions_enabled(enabled)

    def scroll_to_bottom(self) -> None:
        self._follow = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_model_loaded(self, loaded: bool) -> None:
        """No model: the ways in; a model: the short "type below" hint (until a message arrives)."""
        self._model_loaded = loaded
        self._update_empty()

    def _update_empty(self) -> None:
        self.first_run.setVisible(not self._widgets and not self._model_loaded)
        self.empty_label.setVisible(not self._widgets and self._model_loaded)

    def _remember_position(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - _FOLLOW_SLACK_PX

    def _follow_growth(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)
