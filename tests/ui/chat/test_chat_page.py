"""The Chat page driven like a user would, against the demo model.

Generations are kept short (a few tokens, n_ctx 256, 2 threads): the demo
model never emits EOS, so every reply runs to max tokens unless stopped.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.chat.store import ConversationStore
from app.settings import Settings, load_settings
from ui.shell.app import create_window
from ui.shell.context import AppContext

LOAD_MS = 30_000
REPLY_MS = 30_000


@pytest.fixture
def window(qtbot, demo_model):
    ctx = AppContext(Settings(n_ctx=256, n_threads=2, models_dir=str(demo_model.parent)))
    win = create_window(ctx)
    win.show()
    win.activateWindow()  # page shortcuts need the window active and focus inside the page
    qtbot.waitActive(win)
    page = win.pages["Chat"]
    qtbot.waitUntil(lambda: page.is_ready, timeout=LOAD_MS)
    yield win
    page.stop()
    page.cancel_load()
    qtbot.waitUntil(lambda: not page.is_generating and not page.is_loading, timeout=REPLY_MS)
    qtbot.waitUntil(lambda: page.disk.pending == 0, timeout=10_000)
    win.close()  # closeEvent: ctx.shutdown() stops the sampler and the model worker
    QThreadPool.globalInstance().waitForDone(10_000)
    win.deleteLater()


def chat_page(win):
    return win.pages["Chat"]


def load(qtbot, page, path: Path) -> None:
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS):
        page.load_model(path)
    qtbot.waitUntil(lambda: not page.is_loading and page.send_button.isEnabled(), timeout=LOAD_MS)


def short_replies(page, max_tokens: int, seed: int = 1) -> None:
    page.sampling_form.max_tokens.setValue(max_tokens)
    page.sampling_form.seed.setValue(seed)


def send(qtbot, page, text: str):
    """Send ``text`` with the Send button; returns the Done stats."""
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.input_box.setPlainText(text)
        qtbot.mouseClick(page.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_generating, timeout=REPLY_MS)
    return finished.args[0]


def streamed_tokens(page) -> list[str]:
    tokens: list[str] = []
    page.generation.token.connect(lambda text, _n: tokens.append(text))
    return tokens


def test_load_with_the_button_send_with_ctrl_return_and_see_the_reply_stream(qtbot, window, demo_model):
    page = chat_page(window)
    page.model_picker.select_path(demo_model)
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS) as loaded:
        qtbot.mouseClick(page.model_picker.load_button, Qt.MouseButton.LeftButton)
        assert page.load_progress.isVisible()  # the busy bar shows while loading
    assert loaded.args[0].path == demo_model
    assert loaded.args[0].options.n_ctx == 256 and loaded.args[0].options.n_threads == 2
    qtbot.waitUntil(lambda: not page.is_loading)
    assert not page.load_progress.isVisible()
    assert demo_model.name in window.model_label.text()  # the status bar heard it

    # The recent-models list is saved (off the GUI thread, by the context).
    assert page.ctx.settings.recent_models[0] == str(demo_model)
    page.ctx.flush_settings()
    assert load_settings().recent_models[0] == str(demo_model)

    short_replies(page, max_tokens=8)
    tokens = streamed_tokens(page)
    counted = []
    page.ctx.token_streamed.connect(counted.append)
    page.input_box.setFocus()
    page.input_box.setPlainText("Say something")
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        qtbot.keyClick(page.input_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    stats = finished.args[0]
    qtbot.waitUntil(lambda: not page.is_generating)

    assert page.input_box.toPlainText() == ""
    assert stats.n_gen == 8 and stats.stop_reason == "length"
    assert sum(counted) == 8  # one token_streamed per token, none dropped
    reply = page.messages_view.last_message()
    assert reply.role == "assistant"
    assert reply.text() == "".join(tokens) == page.conversation.messages[-1].content
    assert reply.body.toPlainText().strip()  # rendered, not just stored
    assert [m.role for m in page.conversation.messages] == ["user", "assistant"]
    line = page.last_stats_text()
    assert line.startswith("TTFT ") and " t/s " in line
    assert f"({stats.n_prompt} tok)" in line and "(8 tok)" in line and "stop: max tokens" in line
    assert page.conversation.title == "Say something"


def test_stop_keeps_the_partial_reply_and_regenerate_replaces_it(qtbot, window, demo_model):
    page = chat_page(window)
    page.load_options.ctx_spin.setValue(1024)  # room for a reply far longer than the stop point
    load(qtbot, page, demo_model)
    short_replies(page, max_tokens=0)  # until the context is full
    tokens = streamed_tokens(page)
    seen_streaming = []

    def press_escape_at_the_third_token(_text, _n):
        if len(tokens) == 3:
            seen_streaming.append(page.is_generating and page.stop_button.isEnabled())
            seen_streaming.append(not page.send_button.isEnabled())
            qtbot.keyClick(page.input_box, Qt.Key.Key_Escape)

    page.generation.token.connect(press_escape_at_the_third_token)
    page.input_box.setPlainText("Tell me a long story")
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.send()
    assert seen_streaming == [True, True]
    stopped = finished.args[0]
    qtbot.waitUntil(lambda: not page.is_generating)
    assert stopped.stop_reason == "cancelled"
    assert 3 <= stopped.n_gen < 500
    partial = page.conversation.messages[-1]
    assert partial.role == "assistant" and partial.content == "".join(tokens) != ""
    assert page.messages_view.last_message().text() == partial.content
    assert "stop: cancelled" in page.last_stats_text()

    short_replies(page, max_tokens=5, seed=2)
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        qtbot.mouseClick(page.regenerate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_generating)
    assert finished.args[0].n_gen == 5
    assert [m.role for m in page.conversation.messages] == ["user", "assistant"]
    assert len(page.messages_view.message_widgets()) == 2
    assert "(5 tok)" in page.last_stats_text() and "stop: max tokens" in page.last_stats_text()


def test_edit_and_resend_drops_everything_after_the_edited_message(qtbot, window, demo_model):
    page = chat_page(window)
    load(qtbot, page, demo_model)
    short_replies(page, max_tokens=4)
    send(qtbot, page, "first")
    send(qtbot, page, "second")
    assert len(page.messages_view.message_widgets()) == 4

    first = page.messages_view.message_widgets()[0]
    assert first.edit_button.isVisible() and first.edit_button.isEnabled()
    first.start_editing()
    assert first.editor.isVisible()
    first.editor_box.setPlainText("first, edited")
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS):
        qtbot.mouseClick(first.editor_send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_generating)
    assert [(m.role, m.content) for m in page.conversation.messages][0] == ("user", "first, edited")
    assert [m.role for m in page.conversation.messages] == ["user", "assistant"]
    widgets = page.messages_view.message_widgets()
    assert [w.role for w in widgets] == ["user", "assistant"]
    assert widgets[0].text() == "first, edited" and not widgets[0].editor.isVisible()
    assert "(4 tok)" in page.last_stats_text()

    # Ctrl+Return in the inline editor submits the edit, not the (empty) main input.
    widgets[0].start_editing()
    widgets[0].editor_box.setPlainText("edited twice")
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS):
        qtbot.keyClick(widgets[0].editor_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not page.is_generating)
    assert [(m.role, m.content) for m in page.conversation.messages][0] == ("user", "edited twice")
    assert len(page.conversation.messages) == 2


def test_conversations_persist_and_can_be_reopened_renamed_and_deleted(qtbot, window, demo_model):
    page = chat_page(window)
    load(qtbot, page, demo_model)
    short_replies(page, max_tokens=4, seed=9)
    page.system_prompt_box.setPlainText("Answer in riddles.")
    send(qtbot, page, "Where is the key?")
    chat = page.conversation
    qtbot.waitUntil(lambda: page.disk.pending == 0)

    stored = ConversationStore().load(chat.id)  # a fresh store reads what the page wrote
    assert stored.system_prompt == "Answer in riddles."
    assert stored.sampling.max_tokens == 4 and stored.sampling.seed == 9
    assert [(m.role, m.content) for m in stored.messages] == [(m.role, m.content) for m in chat.messages]
    assert stored.messages[1].stats["n_gen"] == 4
    qtbot.waitUntil(lambda: page.conversation_list.ids() == [chat.id])
    assert page.conversation_list.titles() == ["Where is the key?"]
    stats_line = page.last_stats_text()

    qtbot.keyClick(page.input_box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # new chat
    assert page.conversation.id != chat.id and page.messages_view.message_widgets() == []
    page.system_prompt_box.setPlainText("")

    item = page.conversation_list.item_for(chat.id)
    qtbot.mouseClick(
        page.conversation_list.list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=page.conversation_list.list.visualItemRect(item).center(),
    )
    qtbot.waitUntil(lambda: page.conversation.id == chat.id)
    assert [w.text() for w in page.messages_view.message_widgets()] == [m.content for m in chat.messages]
    assert page.last_stats_text() == stats_line
    assert page.system_prompt_box.toPlainText() == "Answer in riddles."
    assert page.sampling_form.max_tokens.value() == 4

    page.conversation_list.item_for(chat.id).setText("Riddles")  # what an in-place edit does
    qtbot.waitUntil(lambda: [s.title for s in ConversationStore().list()] == ["Riddles"])
    assert page.conversation.title == "Riddles"
    qtbot.waitUntil(lambda: page.conversation_list.titles() == ["Riddles"])

    asked = []
    page.conversation_list.confirm_delete = lambda _parent, title: asked.append(title) or True
    page.conversation_list.list.setCurrentItem(page.conversation_list.item_for(chat.id))
    qtbot.mouseClick(page.conversation_list.delete_button, Qt.MouseButton.LeftButton)
    assert asked == ["Riddles"]
    qtbot.waitUntil(lambda: ConversationStore().list() == [])
    qtbot.waitUntil(lambda: page.conversation_list.ids() == [])
    assert page.conversation.id != chat.id and page.messages_view.message_widgets() == []


def test_a_killed_worker_shows_the_error_banner_and_reload_brings_the_chat_back(qtbot, window, demo_model):
    page = chat_page(window)
    page.load_options.ctx_spin.setValue(1024)
    load(qtbot, page, demo_model)
    short_replies(page, max_tokens=0)
    tokens = streamed_tokens(page)
    failed, unloaded = [], []
    page.ctx.model_failed.connect(failed.append)
    page.ctx.model_unloaded.connect(lambda: unloaded.append(True))

    def kill_the_worker_at_the_third_token(_text, _n):
        if len(tokens) == 3:
            os.kill(page.ctx.loaded.pid, signal.SIGKILL)

    page.generation.token.connect(kill_the_worker_at_the_third_token)
    page.input_box.setPlainText("Keep talking")
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.send()
    assert finished.args[0] is None
    qtbot.waitUntil(lambda: not page.is_generating)

    banner = page.error_banner
    assert banner.isVisible()
    assert "stopped unexpectedly" in banner.message and "out of memory" in banner.message
    assert "Traceback" not in banner.message
    assert banner.reload_button.isVisible()
    assert banner.details_button.isVisible() and not banner.details_box.isVisible()
    qtbot.mouseClick(banner.details_button, Qt.MouseButton.LeftButton)
    assert banner.details_box.isVisible() and "WorkerCrashed" in banner.details_box.toPlainText()
    assert failed == [banner.message] and unloaded == [True]
    assert page.ctx.loaded is None and not page.send_button.isEnabled()
    assert window.model_label.text() == "No model loaded"
    assert page.messages_view.last_message().text() == "".join(tokens)  # the partial reply stays
    assert "interrupted" in page.last_stats_text()

    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(banner.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.regenerate_button.isEnabled(), timeout=LOAD_MS)
    assert not banner.isVisible()
    assert page.ctx.loaded.options.n_ctx == 1024  # same options as before

    short_replies(page, max_tokens=4)
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        qtbot.mouseClick(page.regenerate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_generating)
    assert finished.args[0].n_gen == 4
    assert [m.role for m in page.conversation.messages] == ["user", "assistant"]
    assert "(4 tok)" in page.last_stats_text()


def test_a_worker_killed_while_idle_fails_the_next_send_with_the_crash_message_and_reload(qtbot, window, demo_model):
    page = chat_page(window)
    load(qtbot, page, demo_model)
    short_replies(page, max_tokens=2)
    os.kill(page.ctx.loaded.pid, signal.SIGKILL)
    # Sent at once, before the event loop runs: the watcher's news is still queued.
    page.input_box.setPlainText("Are you there?")
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.send()
    assert finished.args[0] is None
    qtbot.waitUntil(lambda: not page.is_generating)
    banner = page.error_banner
    assert "stopped unexpectedly" in banner.message and "Reload" in banner.message
    assert "Broken pipe" not in banner.message and "Traceback" not in banner.message
    assert banner.reload_button.isVisible()
    assert page.ctx.loaded is None and window.model_label.text() == "No model loaded"
    assert [m.role for m in page.conversation.messages] == ["user"]  # the message stays, to regenerate

    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(banner.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.regenerate_button.isEnabled(), timeout=LOAD_MS)
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.regenerate()
    assert finished.args[0].n_gen == 2


def test_a_worker_that_dies_while_idle_is_noticed_without_a_send(qtbot, window, demo_model):
    page = chat_page(window)
    load(qtbot, page, demo_model)
    failed = []
    page.ctx.model_failed.connect(failed.append)
    assert demo_model.name in window.model_label.text()
    os.kill(page.ctx.loaded.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: page.error_banner.isVisible(), timeout=10_000)
    banner = page.error_banner
    assert "stopped unexpectedly" in banner.message and "out of memory" in banner.message
    assert banner.reload_button.isVisible() and "Traceback" not in banner.message
    assert failed == [banner.message]
    assert page.ctx.loaded is None and not page.send_button.isEnabled()
    assert window.model_label.text() == "No model loaded"  # the status bar no longer says loaded
    assert "worker died" in page.model_status.text()
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(banner.reload_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


def test_a_prompt_too_long_for_the_context_is_explained_and_the_model_stays_loaded(qtbot, window, demo_model):
    page = chat_page(window)
    load(qtbot, page, demo_model)  # n_ctx 256
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.send("hello world " * 300)
    qtbot.waitUntil(lambda: not page.is_generating)
    assert finished.args[0] is None
    banner = page.error_banner
    assert banner.isVisible() and "no longer fits in the model's context" in banner.message
    assert not banner.reload_button.isVisible()  # nothing died: no reload needed
    assert page.ctx.loaded is not None and page.send_button.isEnabled()
    assert [m.role for m in page.conversation.messages] == ["user"]  # the empty reply is dropped
    assert [w.role for w in page.messages_view.message_widgets()] == ["user"]


def test_opening_a_model_while_a_reply_streams_stops_it_then_loads(qtbot, window, demo_model, demo_ladder):
    page = chat_page(window)
    page.load_options.ctx_spin.setValue(1024)
    load(qtbot, page, demo_model)
    short_replies(page, max_tokens=0)
    tokens = streamed_tokens(page)
    other = demo_ladder["Q3_K_M"]

    def drop_another_model_at_the_third_token(_text, _n):
        if len(tokens) == 3:
            page.ctx.open_model_requested.emit(str(other))

    page.generation.token.connect(drop_another_model_at_the_third_token)
    events = []
    page.ctx.generation_finished.connect(lambda stats: events.append(("finished", stats.stop_reason)))
    page.ctx.model_loaded.connect(lambda loaded: events.append(("loaded", loaded.path)))
    page.send("go on")
    qtbot.waitUntil(lambda: len(events) == 2 and not page.is_loading, timeout=LOAD_MS)
    assert events == [("finished", "cancelled"), ("loaded", other)]  # stopped first, then loaded
    assert page.conversation.messages[-1].stats["stop_reason"] == "cancelled"


def test_dropping_a_gguf_on_the_window_selects_and_loads_it(qtbot, window, demo_ladder):
    page = chat_page(window)
    window.show_page("Monitor")
    dropped = demo_ladder["Q2_K"]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    # Qt delivers a drop only to a widget that accepted the drag entering it.
    enter = QDragEnterEvent(
        QPoint(300, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(300, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS) as loaded:
        QApplication.sendEvent(window, event)
    assert event.isAccepted()
    assert loaded.args[0].path == dropped
    assert page.model_picker.current_path() == dropped
    assert window.stack.currentWidget() is page


def test_loading_can_be_cancelled(qtbot, window, demo_model):
    page = chat_page(window)
    page.load_model(demo_model)
    assert page.is_loading and page.load_progress.isVisible()
    qtbot.mouseClick(page.load_progress.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.is_loading, timeout=LOAD_MS)
    assert page.ctx.loaded is None
    assert "cancelled" in page.model_status.text()
    assert not page.error_banner.isVisible()  # cancelling is not an error
    assert not page.load_progress.isVisible()
    load(qtbot, page, demo_model)  # and the page still loads normally afterwards


def test_a_broken_model_file_gives_a_readable_error_and_the_page_stays_usable(qtbot, window, demo_model, tmp_path):
    page = chat_page(window)
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file at all" * 64)
    failed = []
    page.ctx.model_failed.connect(failed.append)
    page.load_model(broken)
    qtbot.waitUntil(lambda: not page.is_loading, timeout=LOAD_MS)
    banner = page.error_banner
    assert banner.isVisible() and banner.message.startswith("broken.gguf cannot be loaded:")
    assert "Traceback" not in banner.message and failed == [banner.message]
    assert "Traceback" in banner.details_box.toPlainText()  # kept for Details
    assert banner.reload_button.isVisible()
    assert page.ctx.loaded is None and not page.send_button.isEnabled()
    load(qtbot, page, demo_model)
    assert not banner.isVisible()
