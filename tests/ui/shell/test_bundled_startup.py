"""An installer that carries a model starts straight into chat with it."""

from __future__ import annotations

import json

from PySide6.QtCore import QThreadPool

from app.settings import Settings
from ui.shell.app import create_window
from ui.shell.bundled_startup import open_bundled_model
from ui.shell.context import AppContext

LOAD_MS = 30_000


def test_bundled_model_is_loaded_with_its_preset(qtbot, tmp_path, monkeypatch, demo_model):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / demo_model.name).write_bytes(demo_model.read_bytes())
    preset = {"model": demo_model.name, "system_prompt": "Answer in one word.", "sampling": {"max_tokens": 7},
              "chat_template": "zephyr"}
    (bundle / "preset.json").write_text(json.dumps(preset))
    monkeypatch.setenv("WORKBENCH_BUNDLE_DIR", str(bundle))

    win = create_window(AppContext(Settings(n_ctx=256, n_threads=2, models_dir=str(tmp_path / "none"))))
    win.show_page("Settings")
    win.show()
    page = win.pages["Chat"]
    with qtbot.waitSignal(win.ctx.model_loaded, timeout=LOAD_MS) as loaded:
        assert open_bundled_model(win).path == bundle / demo_model.name
    try:
        assert loaded.args[0].path == bundle / demo_model.name
        assert win.stack.currentWidget() is page
        assert page.system_prompt_box.toPlainText() == "Answer in one word."
        assert page.sampling_form.sampling().max_tokens == 7
        assert page.prompt_format.value() == "zephyr"  # the preset's llama.cpp template is selected
    finally:
        qtbot.waitUntil(lambda: not page.is_loading, timeout=LOAD_MS)
        win.close()
        QThreadPool.globalInstance().waitForDone(10_000)
        win.deleteLater()


def test_no_bundle_leaves_the_window_alone(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_BUNDLE_DIR", raising=False)
    win = create_window(AppContext(Settings(models_dir=str(tmp_path))))
    win.show_page("Settings")
    try:
        assert open_bundled_model(win) is None
        assert win.stack.currentWidget() is win.pages["Settings"]
    finally:
        win.close()
        QThreadPool.globalInstance().waitForDone(10_000)
        win.deleteLater()


def test_broken_bundle_shows_a_message(qtbot, tmp_path, monkeypatch):
    (tmp_path / "preset.json").write_text('{"model": "gone.gguf"}')
    monkeypatch.setenv("WORKBENCH_BUNDLE_DIR", str(tmp_path))
    win = create_window(AppContext(Settings(models_dir=str(tmp_path))))
    try:
        assert open_bundled_model(win) is None
        assert "Bundled model not loaded" in win.statusBar().currentMessage()
    finally:
        win.close()
        QThreadPool.globalInstance().waitForDone(10_000)
        win.deleteLater()
