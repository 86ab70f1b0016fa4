"""Settings page: edits are saved, survive a restart, and the theme applies at once."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from app.settings import Settings, load_settings, save_settings, settings_path
from ui.settings.page import SettingsPage
from ui.shell.app import create_window
from ui.shell.context import AppContext
from ui.shell.theme import apply_theme, is_dark


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch, qapp):
    for name in ("MODELS_DIR", "THEME", "N_CTX", "N_GPU_LAYERS", "N_THREADS"):
        monkeypatch.delenv(f"WORKBENCH_{name}", raising=False)
    yield
    apply_theme(qapp, "system")  # later tests start from the platform palette


def open_window(qtbot):
    window = create_window(AppContext())
    qtbot.addWidget(window)
    window.show()
    window.show_page("Settings")
    return window, window.pages["Settings"]


def close_window(window) -> None:
    window.close()  # MainWindow.closeEvent shuts the context down


def stored() -> dict:
    return json.loads(settings_path().read_text(encoding="utf-8"))


def test_shows_the_stored_settings(qtbot):
    save_settings(Settings(models_dir="/srv/gguf", theme="dark", n_ctx=2048, n_gpu_layers=-1, n_threads=3))
    window, page = open_window(qtbot)
    assert page.models_dir_edit.text() == "/srv/gguf"
    assert page.theme_combo.currentText() == "Dark"
    assert page.n_ctx_spin.value() == 2048
    assert page.n_gpu_layers_spin.text() == "All layers"
    assert page.n_threads_spin.value() == 3
    close_window(window)


def test_zero_reads_as_auto(qtbot):
    save_settings(Settings(n_ctx=0, n_threads=0, n_gpu_layers=0))
    window, page = open_window(qtbot)
    assert page.n_ctx_spin.text() == "Auto (model's own)"
    assert page.n_threads_spin.text() == "Auto (physical cores)"
    assert page.n_gpu_layers_spin.text() == "0"
    close_window(window)


def test_edits_are_saved_to_the_settings_file(qtbot):
    window, page = open_window(qtbot)
    page.n_ctx_spin.setValue(8192)
    page.n_threads_spin.setValue(4)
    page.n_gpu_layers_spin.setValue(-1)
    qtbot.waitUntil(lambda: settings_path().exists() and stored().get("n_ctx") == 8192, timeout=5000)
    assert stored()["n_threads"] == 4
    assert stored()["n_gpu_layers"] == -1
    assert window.ctx.settings.n_ctx == 8192  # other pages see the new value at once
    close_window(window)


def test_typed_models_folder_is_saved(qtbot, tmp_path):
    window, page = open_window(qtbot)
    page.models_dir_edit.clear()
    qtbot.keyClicks(page.models_dir_edit, str(tmp_path / "typed"))
    page.save_now()
    page.ctx.flush_settings()
    assert stored()["models_dir"] == str(tmp_path / "typed")
    close_window(window)


def test_settings_survive_a_restart(qtbot, tmp_path, monkeypatch):
    chosen = tmp_path / "my-models"
    chosen.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(chosen))

    window, page = open_window(qtbot)
    qtbot.mouseClick(page.browse_button, Qt.MouseButton.LeftButton)
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("dark"))
    page.n_ctx_spin.setValue(16384)
    close_window(window)  # closing flushes the pending save
    assert not page.has_unsaved_changes

    apply_theme(QApplication.instance(), "light")  # forget the running app's state
    assert load_settings().theme == "dark"
    window, page = open_window(qtbot)
    assert window.ctx.settings.models_dir == str(chosen)
    assert page.models_dir_edit.text() == str(chosen)
    assert page.theme_combo.currentData() == "dark"
    assert page.n_ctx_spin.value() == 16384
    assert is_dark(QApplication.instance())  # the restarted window applies the saved theme
    close_window(window)


def test_theme_switch_changes_the_palette(qtbot):
    app = QApplication.instance()
    window, page = open_window(qtbot)
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("dark"))
    assert is_dark(app)
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("light"))
    assert not is_dark(app)
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("dark"))
    assert is_dark(app)
    page.save_now()
    page.ctx.flush_settings()
    assert stored()["theme"] == "dark"
    close_window(window)


def test_telemetry_section_says_nothing_is_sent(qtbot):
    page = SettingsPage(AppContext())
    qtbot.addWidget(page)
    assert "sends nothing anywhere" in page.telemetry_label.text()
    page.ctx.shutdown()


def test_env_override_is_marked_and_not_saved(qtbot, monkeypatch):
    save_settings(Settings(theme="light", n_ctx=2048))
    monkeypatch.setenv("WORKBENCH_THEME", "dark")
    window, page = open_window(qtbot)
    assert "WORKBENCH_THEME" in page.theme_combo.toolTip()
    page.n_ctx_spin.setValue(4096)
    page.save_now()
    page.ctx.flush_settings()
    assert stored()["theme"] == "light"
    assert stored()["n_ctx"] == 4096
    close_window(window)


def test_a_change_is_confirmed_and_reaches_the_other_pages_at_once(qtbot, tmp_path, demo_model):
    import shutil

    folder = tmp_path / "other-models"
    folder.mkdir()
    shutil.copy(demo_model, folder / "moved-in.gguf")
    window, page = open_window(qtbot)
    chat, library = window.pages["Chat"], window.pages["Library"]
    chat.load_options.threads_spin.setValue(7)  # set by hand in Chat: a new default does not override it
    page.n_ctx_spin.setValue(3072)
    page.n_threads_spin.setValue(5)
    page.models_dir_edit.setText(str(folder))
    page.models_dir_edit.textEdited.emit(str(folder))
    with qtbot.waitSignal(window.ctx.models_dir_changed, timeout=5000) as changed:
        pass  # the save follows the edits after a short pause
    assert changed.args == [str(folder)]
    text = page.confirmation.text()
    assert text.startswith("Saved ") and "models folder" in text and "context size" in text
    assert chat.load_options.ctx_spin.value() == 3072
    assert chat.load_options.threads_spin.value() == 7
    qtbot.waitUntil(lambda: any(e.path.name == "moved-in.gguf" for e in library.local.entries), timeout=10_000)
    qtbot.waitUntil(lambda: any(chat.model_picker.model_combo.itemText(i) == "moved-in.gguf"
                                for i in range(chat.model_picker.model_combo.count())), timeout=10_000)
    close_window(window)
