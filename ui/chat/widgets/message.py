"""One message in the transcript: who said it, the text (Markdown once
complete), Copy / Copy code / Edit actions and, for replies, the stats line.

Streaming is kept cheap: tokens are buffered and appended as plain text at
most every ``STREAM_FLUSH_MS``; Markdown is rendered once, when the reply is
done. Nothing here re-renders the whole conversation.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.chat.widgets.code_blocks import code_blocks
from ui.chat.widgets.markdown import render_markdown
from ui.chat.widgets.stats_line import stats_text
from ui.shell.resources import icon

STREAM_FLUSH_MS = 50  # at most 20 repaints a second while a reply streams
_ROLE_NAMES = {"user": "You", "assistant": "Assistant"}


def _is_submit(event: QKeyEvent) -> bool:
    return event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and bool(
        event.modifiers() & Qt.KeyboardModifier.ControlModifier
    )


class MessageBody(QTextBrowser):
    """Read-only text that is exactly as tall as its content (the transcript scrolls, not the message)."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenExternalLinks(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def _fit_height(self, *_: Any) -> None:
        margins = self.contentsMargins()
        height = int(self.document().size().height() + 0.5) + margins.top() + margins.bottom()
        if height != self.height():
            self.setFixedHeight(max(height, 1))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height())


class StatsLine(QLabel):
    """The stats line, broken between its " · " parts when too narrow.

    Not QLabel's word wrap: that makes every layout pass of the transcript
    ask each message for its height-for-width, which costs milliseconds per
    message while a reply streams. This label re-breaks only when resized.
    """

    SEPARATOR = " · "

    def __init__(self) -> None:
        super().__init__(objectName="statsLine")
        self._line = ""
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(1)

    def set_line(self, line: str) -> None:
        self._line = line
        self.setToolTip(line)
        self._rebreak()

    def line(self) -> str:
        return self._line

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._rebreak()

    def _rebreak(self) -> None:
        metrics, width = self.fontMetrics(), max(self.width(), 1)
        lines: list[str] = []
        for part in self._line.split(self.SEPARATOR) if self._line else []:
            joined = f"{lines[-1]}{self.SEPARATOR}{part}" if lines else part
            if lines and metrics.horizontalAdvance(joined) <= width:
                lines[-1] = joined
            elif lines:
                lines.append(part)
            else:
                lines = [part]
        text = "\n".join(lines)
        if text != self.text():
            self.setText(text)


class EditBox(QPlainTextEdit):
    """Inline editor for a user message; Ctrl+Return submits it (and not the main input)."""

    submitted = Signal()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and _is_submit(event):
            event.accept()  # keep the page's Ctrl+Return shortcut from firing
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if _is_submit(event):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ChatMessageWidget(QFrame):
    edit_submitted = Signal(str)  # the new text of an edited user message

    def __init__(self, role: str, content: str = "", stats: dict[str, Any] | None = None) -> None:
        super().__init__(objectName="userMessage" if role == "user" else "assistantMessage")
        self.role = role
        self._text = content
        self._pending: list[str] = []
        self._streaming = False

        self.role_label = QLabel(_ROLE_NAMES.get(role, role.title()), objectName="messageRole")
        self.copy_button = self._tool_button("Copy", "Copy this message as Markdown")
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.clicked.connect(self.copy_text)
        self.copy_code_button = self._tool_button("Copy code", "Copy the code blocks in this message")
        self.copy_code_button.clicked.connect(self._copy_code_clicked)
        self.edit_button = self._tool_button("Edit", "Edit this message and send it again")
        self.edit_button.clicked.connect(self.start_editing)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.role_label)
        header.addStretch(1)
        for button in (self.copy_code_button, self.copy_button, self.edit_button):
            header.addWidget(button)

        self.body = MessageBody()
        self.editor = self._build_editor()
        self.stats_label = StatsLine()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.body)
        layout.addWidget(self.editor)
        layout.addWidget(self.stats_label)
        # Only now: showing a widget before it has a parent would open it as a window.
        self.edit_button.setVisible(role == "user")

        self._flush_timer = QTimer(self, singleShot=True, interval=STREAM_FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self.set_content(content, stats)

    # -- content ---------------------------------------------------------

    def text(self) -> str:
        """The message's Markdown source (what has streamed so far, while streaming)."""
        return self._text

    def stats_text(self) -> str:
        return self.stats_label.line()

    def set_content(self, content: str, stats: dict[str, Any] | None = None, note: str = "") -> None:
        self._text = content
        if self.role == "user":
            self.body.setPlainText(content)  # shown as typed, not as Markdown
        else:
            render_markdown(self.body.document(), content, self.palette())
        self._set_stats(stats, note)
        self._update_actions()

    def begin_stream(self) -> None:
        self._streaming = True
        self._text = ""
        self.body.clear()
        self.stats_label.set_line("Generating…")
        self.stats_label.show()
        self._update_actions()

    def append_stream(self, text: str) -> None:
        """Called per token: O(1) here, the document is touched by the flush timer."""
        self._text += text
        self._pending.append(text)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def end_stream(self, stats: dict[str, Any] | None, note: str = "") -> None:
        """Render the finished reply as Markdown once; ``note`` explains a reply cut short."""
        self._flush_timer.stop()
        self._pending.clear()
        self._streaming = False
        self.set_content(self._text, stats, note)

    def _flush(self) -> None:
        if not self._pending:
            return
        chunk = "".join(self._pending)
        self._pending.clear()
        cursor = QTextCursor(self.body.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(chunk)

    def _set_stats(self, stats: dict[str, Any] | None, note: str) -> None:
        parts = [stats_text(stats)] if stats else []
        if note:
            parts.append(note)
        self.stats_label.set_line(StatsLine.SEPARATOR.join(parts))
        self.stats_label.setVisible(bool(parts))

    # -- actions ---------------------------------------------------------

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self._text)
        self._flash(self.copy_button, "Copied")

    def copy_code(self, index: int | None = None) -> None:
        """Copy code block ``index``, or all blocks (blank-line separated) when None."""
        blocks = code_blocks(self._text)
        chosen = blocks if index is None else [blocks[index]]
        QGuiApplication.clipboard().setText("\n\n".join(b.code for b in chosen))
        self._flash(self.copy_code_button, "Copied")

    def _copy_code_clicked(self) -> None:
        blocks = code_blocks(self._text)
        if len(blocks) == 1:
            self.copy_code(0)
            return
        menu = QMenu(self)
        for i, block in enumerate(blocks):
            menu.addAction(f"Block {i + 1}: {block.label}", lambda i=i: self.copy_code(i))
        menu.addSeparator()
        menu.addAction("All code blocks", self.copy_code)
        menu.popup(self.copy_code_button.mapToGlobal(self.copy_code_button.rect().bottomLeft()))

    def start_editing(self) -> None:
        self.editor_box.setPlainText(self._text)
        self.body.hide()
        self.editor.show()
        self.editor_box.setFocus()

    def cancel_editing(self) -> None:
        self.editor.hide()
        self.body.show()

    def _submit_edit(self) -> None:
        text = self.editor_box.toPlainText()
        if not text.strip():
            return
        self.cancel_editing()
        self.edit_submitted.emit(text)

    def set_actions_enabled(self, enabled: bool) -> None:
        """Edit is offered only while no reply is streaming."""
        self.edit_button.setEnabled(enabled)
        self.editor_send.setEnabled(enabled)

    def _update_actions(self) -> None:
        has_text = bool(self._text) and not self._streaming
        self.copy_button.setVisible(has_text)
        self.copy_code_button.setVisible(has_text and bool(code_blocks(self._text)))

    # -- building --------------------------------------------------------

    def _build_editor(self) -> QWidget:
        editor = QWidget()
        self.editor_box = EditBox()
        self.editor_box.setMaximumHeight(140)
        self.editor_box.submitted.connect(self._submit_edit)
        self.editor_send = QPushButton("Save && resend")
        self.editor_send.setToolTip("Replace this message, drop everything after it and ask again (Ctrl+Return)")
        self.editor_send.clicked.connect(self._submit_edit)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.cancel_editing)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.editor_send)
        layout = QVBoxLayout(editor)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor_box)
        layout.addLayout(buttons)
        editor.hide()
        return editor

    def _tool_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(text=text, toolTip=tip, autoRaise=True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    def _flash(self, button: QToolButton, text: str) -> None:
        original = button.text()
        if original == text:
            return
        button.setText(text)
        QTimer.singleShot(1200, button, lambda: button.setText(original))
