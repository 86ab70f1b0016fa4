"""Speculative decoding in the Chat page: choosing a draft, shading, speedup."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QTextCursor

from app.settings import Settings
from app.speculative import baseline as spec_baseline
from models.demo.draft_pair import write_pair
from ui.shell.app import create_window
from ui.shell.context import AppContext

WAIT_MS = 30_000


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_pair(tmp_path_factory.mktemp("pair"), "tiny", 0.0)


@pytest.fixture
def page(qtbot, pair, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # only the pair's folder is scanned
    spec_baseline.forget_all()
    ctx = AppContext(Settings(n_ctx=256, n_threads=1, models_dir=str(pair[0].parent)))
    win = create_window(ctx)
    win.show()
    page = win.pages["Chat"]
    qtbot.waitUntil(lambda: page.is_ready, timeout=WAIT_MS)
    page.model_picker.select_path(pair[1])
    qtbot.waitUntil(lambda: page.spec_panel.chooser.choices is not None, timeout=WAIT_MS)
    yield page
    page.stop()
    qtbot.waitUntil(lambda: not page.is_generating and not page.is_loading, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.disk.pending == 0, timeout=10_000)
    win.close()
    QThreadPool.globalInstance().waitForDone(10_000)
    win.deleteLater()


def load(qtbot, page) -> None:
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=WAIT_MS):
        page.load_model()
    qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=WAIT_MS)


def reply(qtbot, page, text: str) -> None:
    page.sampling_form.max_tokens.setValue(40)
    page.sampling_form.temperature.setValue(0.0)
    with qtbot.waitSignal(page.generation.ended, timeout=WAIT_MS):
        page.send(text)


def background_alpha(widget, position: int) -> int:
    cursor = QTextCursor(widget.body.document())
    cursor.setPosition(position + 1)  # the format of the character before the cursor
    return cursor.charFormat().background().color().alpha()


def test_draft_choice_shading_and_speedup(qtbot, page, pair):
    draft, target = pair
    chooser = page.spec_panel.chooser
    assert chooser.select_draft(draft), "the matching draft is offered"
    assert "not offered" in chooser.missing_button.text()
    assert "it is the target model" in chooser.missing_label.text()

    # A plain reply first gives the baseline.
    chooser.mode_combo.setCurrentIndex(chooser.mode_combo.findData("off"))
    load(qtbot, page)
    reply(qtbot, page, "Hello")
    assert "accepted" not in page.last_stats_text()
    assert spec_baseline.plain_baseline(target, 0) is not None

    chooser.select_draft(draft)
    load(qtbot, page)
    assert page.ctx.loaded.options.speculative.draft_model == str(draft)
    reply(qtbot, page, "Hello again")
    stats_line = page.last_stats_text()
    assert "draft workbench-pair-tiny-draft.gguf" in stats_line and "accepted" in stats_line
    assert "× vs plain" in stats_line
    assert page.spec_panel.live_label.text().startswith("Accepted ")

    widget = page.messages_view.last_message()
    stored = page.conversation.messages[-1].stats["speculative"]
    assert stored["accepted"] > 0 and stored["draft_spans"]
    qtbot.waitUntil(lambda: background_alpha(widget, stored["draft_spans"][0][0]) > 0, timeout=5_000)
    page.spec_panel.shade_box.setChecked(False)
    assert background_alpha(widget, stored["draft_spans"][0][0]) == 0
    page.spec_panel.shade_box.setChecked(True)
    assert background_alpha(widget, stored["draft_spans"][0][0]) > 0


def test_lookup_mode_is_always_offered(qtbot, page):
    chooser = page.spec_panel.chooser
    chooser.select_lookup()
    options = page.spec_panel.apply(page.load_options.options(), page.load_options.runtime_name())
    assert options.speculative.mode == "lookup" and options.speculative.draft_model is None
    chooser.mode_combo.setCurrentIndex(chooser.mode_combo.findData("off"))
    options = page.spec_panel.apply(page.load_options.options(), page.load_options.runtime_name())
    assert options.speculative is None
