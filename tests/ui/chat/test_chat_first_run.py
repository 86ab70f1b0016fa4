"""Chat's ways in for a new user: from an empty home, "Build demo models
(offline)" then a message reaches a streamed reply in at most 3 clicks; a file
chosen in the dialog loads at once, and the dialog starts in the models folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QFileDialog

from app.paths import demo_models_dir
from app.settings import Settings
from ui.shell.app import create_window
from ui.shell.context import AppContext

WAIT_MS = 120_000


@pytest.fixture
def window(qtbot, tmp_path):
    models = tmp_path / "my-models"
    models.mkdir()
    ctx = AppContext(Settings(n_ctx=256, n_threads=2, models_dir=str(models)))
    win = create_window(ctx)
    win.show()
    qtbot.waitExposed(win)
    page = win.pages["Chat"]
    qtbot.waitUntil(lambda: page.is_ready, timeout=WAIT_MS)
    yield win
    page.stop()
    page.cancel_load()
    qtbot.waitUntil(lambda: not page.is_generating and not page.is_loading, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.disk.pending == 0, timeout=10_000)
    win.close()
    QThreadPool.globalInstance().waitForDone(10_000)
    win.deleteLater()


def test_demo_models_to_a_streamed_reply_in_three_clicks(qtbot, window):
    page = window.pages["Chat"]
    panel = page.messages_view.first_run
    assert not list(demo_models_dir().glob("*.gguf"))  # an empty home
    assert panel.isVisible() and not page.messages_view.empty_label.isVisible()
    assert not page.send_button.isEnabled()
    page.ways_in.demo_build.quants = ("Q4_K_M",)  # one quant keeps the test quick; the button is the same
    page.sampling_form.max_tokens.setValue(12)  # the demo model never stops by itself
    clicks = 0

    def click(button) -> None:
        nonlocal clicks
        assert button.isVisible() and button.isEnabled()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        clicks += 1

    with qtbot.waitSignal(page.ctx.model_loaded, timeout=WAIT_MS) as loaded:
        click(panel.demo_button)
        assert not panel.demo_button.isEnabled()  # building on a worker; the GUI stays live
    assert loaded.args[0].path.parent == demo_models_dir()
    qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=WAIT_MS)
    assert not panel.isVisible()  # the ways in are gone once a model is loaded
    assert page.messages_view.empty_label.isVisible() and "Load a model" not in page.messages_view.empty_label.text()

    streamed: list[str] = []
    page.generation.token.connect(lambda text, _n: streamed.append(text))
    page.input_box.setPlainText("Hello")  # typing is not a click
    with qtbot.waitSignal(page.ctx.generation_finished, timeout=WAIT_MS):
        click(page.send_button)
    qtbot.waitUntil(lambda: not page.is_generating, timeout=WAIT_MS)
    assert clicks <= 3
    assert len(streamed) > 1  # streamed token by token, not one block
    assert page.messages_view.last_message().role == "assistant"
    assert page.messages_view.last_message().text() == "".join(streamed)


def test_library_hears_the_demo_build_and_get_a_model_opens_it(qtbot, window):
    page, library = window.pages["Chat"], window.pages["Library"]
    page.messages_view.first_run.library_button.click()
    assert window.nav.currentRow() == list(window.pages).index("Library")
    window.show_page("Chat")
    page.ways_in.demo_build.quants = ("Q2_K",)
    with qtbot.waitSignal(page.ctx.demo_models_built, timeout=WAIT_MS):
        page.messages_view.first_run.demo_button.click()
    qtbot.waitUntil(lambda: any(e.path.parent == demo_models_dir() for e in library.local.entries), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.ctx.loaded is not None, timeout=WAIT_MS)  # Chat loads what it built
    assert "Q2_K" in page.ctx.loaded.path.name


def test_a_file_chosen_in_the_dialog_loads_at_once(qtbot, window, demo_model, monkeypatch):
    page = window.pages["Chat"]
    asked: list[str] = []

    def fake_dialog(_parent, _title, start, _filter):
        asked.append(start)
        return str(demo_model), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=WAIT_MS) as loaded:
        page.messages_view.first_run.open_button.click()
    assert loaded.args[0].path == Path(demo_model)
    assert asked == [page.ctx.settings.models_dir]  # an existing folder: nothing pre-filled in the name box
    qtbot.waitUntil(lambda: not page.is_loading, timeout=WAIT_MS)
    assert page.model_picker.load_button.isEnabled()  # Load stays, for a reload with changed options


def test_the_dialog_never_starts_in_a_missing_folder(qtbot, window, tmp_path):
    picker = window.pages["Chat"].model_picker
    picker.models_dir = str(tmp_path / "not-yet" / "models")
    assert picker.dialog_start_dir() == str(tmp_path)


def test_a_model_already_in_the_folder_is_one_click_away(qtbot, window, demo_model):
    page = window.pages["Chat"]
    panel = page.messages_view.first_run
    assert not panel.load_button.isVisible()  # an empty models folder: nothing to offer
    page.model_picker.set_models([demo_model])
    assert panel.load_button.isVisible() and panel.load_button.text() == f"Load {demo_model.name}"
    with qtbot.waitSignal(page.ctx.model_loaded, timeout=WAIT_MS) as loaded:
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert loaded.args[0].path == demo_model


def test_a_long_file_name_on_the_load_button_is_shortened_in_the_middle(window):
    panel = window.pages["Chat"].messages_view.first_run
    name = "a-" * 40 + "model-Q4_K_M.gguf"
    panel.offer_load(name)
    assert panel.load_button.text().endswith("Q4_K_M.gguf") and "…" in panel.load_button.text()
    assert len(panel.load_button.text()) <= len("Load ") + 48
    assert name in panel.load_button.toolTip()
