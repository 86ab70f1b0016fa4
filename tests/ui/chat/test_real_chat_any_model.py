"""The Chat page with a real base model (Gemma 3 270M: no chat template):
the built-in template it gets is named, a template chosen by name is used and
saved as the model's preset, and completion mode sends the raw transcript.

Prompt token counts are compared with llama.cpp's own llama-tokenize.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from app.chat.conversation import COMPLETION
from app.settings import Settings, load_settings
from runtimes.llama_cpp.native_build import find_tool
from runtimes.llama_cpp.templates import apply_builtin
from ui.shell.app import create_window
from ui.shell.context import AppContext

LOAD_MS = 60_000
REPLY_MS = 60_000


def llama_tokenize_count(model: Path, text: str) -> int:
    tool = find_tool("llama-tokenize")
    if tool is None:
        pytest.skip("llama-tokenize is not built (python -m runtimes.llama_cpp.native_build)")
    out = subprocess.run([str(tool), "-m", str(model), "-p", text, "--ids", "--log-disable"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return len(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture
def page(qtbot, gemma_model):
    ctx = AppContext(Settings(n_ctx=512, n_threads=2, models_dir=str(gemma_model.parent)))
    win = create_window(ctx)
    win.show()
    chat = win.pages["Chat"]
    qtbot.waitUntil(lambda: chat.is_ready, timeout=LOAD_MS)
    with qtbot.waitSignal(ctx.model_loaded, timeout=LOAD_MS):
        chat.load_model(gemma_model)
    qtbot.waitUntil(lambda: not chat.is_loading and chat.send_button.isEnabled(), timeout=LOAD_MS)
    chat.sampling_form.max_tokens.setValue(4)
    chat.sampling_form.temperature.setValue(0.0)
    yield chat
    chat.stop()
    qtbot.waitUntil(lambda: not chat.is_generating, timeout=REPLY_MS)
    qtbot.waitUntil(lambda: chat.disk.pending == 0, timeout=10_000)
    win.close()
    QThreadPool.globalInstance().waitForDone(10_000)
    win.deleteLater()


def send(qtbot, page, text: str):
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=REPLY_MS) as finished:
        page.send(text)
    qtbot.waitUntil(lambda: not page.is_generating, timeout=REPLY_MS)
    return finished.args[0]


def test_a_base_model_chats_with_the_builtin_template_it_is_given(qtbot, page, gemma_model):
    assert page.prompt_format.value() == ""
    assert "llama.cpp's 'gemma'" in page.prompt_format.combo.currentText()
    assert "no chat template" in page.prompt_format.note_label.text()
    assert "chat template: llama.cpp's 'gemma'" in page.model_status.text()
    stats = send(qtbot, page, "Hi")
    assert stats is not None and stats.n_gen > 0 and not page.error_banner.isVisible()
    assert page.messages_view.last_message().role == "assistant"
    rendered = apply_builtin("gemma", [{"role": "user", "content": "Hi"}])
    assert stats.n_prompt == llama_tokenize_count(gemma_model, rendered)


def test_a_template_chosen_by_name_is_used_and_saved_as_the_models_preset(qtbot, page, gemma_model):
    assert page.prompt_format.choose("chatml")
    stats = send(qtbot, page, "Hi")
    rendered = apply_builtin("chatml", [{"role": "user", "content": "Hi"}])
    assert stats.n_prompt == llama_tokenize_count(gemma_model, rendered)
    page.ctx.flush_settings()
    assert load_settings().prompt_formats[str(gemma_model)] == "chatml"

    page.ctx.models.unload()
    page.ctx.model_unloaded.emit()
    assert not page.prompt_format.isEnabled()
    page.ctx.settings.prompt_formats[str(gemma_model)] = "not-a-template"
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=LOAD_MS):
        page.load_model(gemma_model)
    banner = page.error_banner.message
    assert "'not-a-template'" in banner and "chatml" in banner and "gemma" in banner
    assert page.prompt_format.value() == ""  # the model's default stands in


def test_completion_mode_sends_the_transcript_as_it_is(qtbot, page, gemma_model):
    assert page.prompt_format.choose(COMPLETION)
    first = send(qtbot, page, "The capital of France is")
    assert first.n_prompt == llama_tokenize_count(gemma_model, "The capital of France is")
    reply = page.conversation.messages[-1].content
    assert reply and first.n_gen > 0
    second = send(qtbot, page, " and the capital of Italy is")
    continued = "The capital of France is" + reply + " and the capital of Italy is"
    assert second.n_prompt == llama_tokenize_count(gemma_model, continued)
