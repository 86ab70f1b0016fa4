"""The Chat page's widgets on their own: streamed and Markdown messages, code blocks, the stats
line and the delete confirmation (no window, no model)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextDocument

from ui.chat.widgets.code_blocks import code_blocks
from ui.chat.widgets.message import ChatMessageWidget
from ui.chat.widgets.stats_line import stats_text


def test_streaming_is_buffered_and_markdown_is_rendered_once_done(qtbot):
    widget = ChatMessageWidget("assistant")
    qtbot.addWidget(widget)
    widget.begin_stream()
    for _ in range(1000):
        widget.append_stream("**a** ")
    # 1000 tokens and not one document update yet: the flush timer does those.
    assert widget.body.toPlainText() == ""
    qtbot.waitUntil(lambda: widget.body.toPlainText().startswith("**a** **a**"), timeout=2000)
    assert widget.text() == "**a** " * 1000
    widget.end_stream({"n_gen": 1000, "stop_reason": "eos"})
    assert widget.body.toPlainText().startswith("a a a")  # Markdown now, not raw asterisks
    assert "stop: end of text" in widget.stats_text()


def test_copy_code_copies_the_fenced_blocks(qtbot):
    markdown = "Try:\n\n```python\nprint('hi')\n```\n\nor\n\n~~~sh\necho hi\n~~~\n"
    widget = ChatMessageWidget("assistant", markdown, {"n_gen": 3, "stop_reason": "eos"})
    qtbot.addWidget(widget)
    widget.show()
    assert widget.copy_code_button.isVisible()
    widget.copy_code(1)
    assert QGuiApplication.clipboard().text() == "echo hi"
    widget.copy_code()
    assert QGuiApplication.clipboard().text() == "print('hi')\n\necho hi"
    widget.copy_text()
    assert QGuiApplication.clipboard().text() == markdown
    code_format = widget.body.document().find("print('hi')").blockFormat()
    assert code_format.background().style() != Qt.BrushStyle.NoBrush  # code blocks are tinted
    plain = ChatMessageWidget("assistant", "no code here")
    qtbot.addWidget(plain)
    plain.show()
    assert not plain.copy_code_button.isVisible()


def test_code_blocks_follow_fence_rules():
    text = "a\n```py title\nx = 1\n\n````\n``` inline ``` text\n~~~~\n~~~\nrest"
    # A longer fence closes a shorter one; backticks in the info string make
    # an inline span, not a fence; a shorter fence does not close a longer
    # one; an unclosed fence runs to the end.
    blocks = code_blocks(text)
    assert [(b.language, b.code) for b in blocks] == [("py", "x = 1\n"), ("", "~~~\nrest")]
    assert blocks[0].label == "py (2 lines)"


def test_stats_line_reads_like_lm_studio():
    line = stats_text(
        {"ttft_s": 0.1234, "prompt_tps": 812.04, "n_prompt": 31, "gen_tps": 55.55, "n_gen": 16, "stop_reason": "eos"}
    )
    assert line == "TTFT 123 ms · prompt 812.0 t/s (31 tok) · gen 55.5 t/s (16 tok) · stop: end of text"


def test_user_messages_show_as_typed_and_replies_as_markdown(qtbot):
    user = ChatMessageWidget("user", "**bold** text")
    reply = ChatMessageWidget("assistant", "**bold** text")
    for widget in (user, reply):
        qtbot.addWidget(widget)
    assert user.body.toPlainText() == "**bold** text"
    assert reply.body.toPlainText() == "bold text"
    assert reply.body.document().toMarkdown(QTextDocument.MarkdownFeature.MarkdownDialectGitHub).strip() == (
        "**bold** text"
    )


def test_delete_confirmation_dialog_asks_and_honours_the_answer(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from ui.chat.widgets import conversation_list as module

    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *args, **kwargs: asked.append(args) or QMessageBox.StandardButton.Yes
    )
    assert module.ask_before_deleting(None, "A chat") is True
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Cancel)
    assert module.ask_before_deleting(None, "A chat") is False
    assert asked
