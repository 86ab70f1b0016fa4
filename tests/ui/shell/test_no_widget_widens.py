"""No widget may widen the window: at 1280×720, expanding the speculative
panel's "(why?)" list on Chat and filling the Voice latency line with long text
leave the window as wide as it was (long text wraps or elides, with a tooltip)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from app.voice.timeline import TurnTimeline
from models.demo.draft_pair import write_pair
from tests.support.layout_checks import cut_combos, cut_labels
from ui.shell.app import create_window
from ui.shell.context import AppContext

LONG = "AVeryLongModelFileNameThatNoColumnCanHold" * 4 + "_Q4_K_M.gguf"  # no break opportunity


@pytest.fixture
def window(qtbot, tmp_path, demo_ladder):
    folder = tmp_path / "models"
    folder.mkdir()
    for path in demo_ladder.values():
        (folder / path.name).symlink_to(path)
    (folder / LONG).symlink_to(demo_ladder["F32"])  # a draft candidate with a long name and a long reason
    _draft, target = write_pair(folder, "tiny", 0.005)
    ctx = AppContext(Settings(models_dir=str(folder)))
    ctx.pair_target = target
    ctx.sampler.stop()
    win = create_window(ctx)
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    ctx.shutdown()


def settle(qtbot) -> None:
    for _ in range(5):
        QApplication.processEvents()
    qtbot.wait(50)


def test_expanding_why_in_chats_speculative_panel_keeps_the_window(qtbot, window):
    page = window.pages["Chat"]
    qtbot.waitUntil(lambda: page.is_ready, timeout=60_000)
    page.model_picker.select_path(page.ctx.pair_target)
    chooser = page.spec_panel.chooser
    qtbot.waitUntil(lambda: chooser.choices is not None, timeout=60_000)
    assert chooser.missing_button.isVisible() and chooser.choices.excluded
    chooser.missing_button.click()
    settle(qtbot)
    assert chooser.missing_label.isVisible()
    viewport = page.side_panel.viewport()
    for widget in (chooser.missing_label, chooser.missing_button, chooser.mode_combo):
        right = widget.mapTo(viewport, widget.rect().topRight()).x()
        assert right <= viewport.width(), f"{type(widget).__name__} runs {right - viewport.width()} px past the panel"
    assert LONG in chooser.missing_label.toolTip()  # what a narrow panel cuts stays readable
    assert window.width() <= 1280, f"the window grew to {window.width()} px"
    assert window.minimumSizeHint().width() <= 1280
    assert not cut_labels(page), cut_labels(page)
    assert not cut_combos(page), cut_combos(page)


def test_a_long_latency_line_on_voice_keeps_the_window(qtbot, window):
    window.show_page("Voice")
    page = window.pages["Voice"]
    settle(qtbot)
    timeline = TurnTimeline(turn=12345, started=0.0, speech_end=0.1, vad_delay_s=123.4, transcript=1.0,
                            first_token=2.0, llm_done=9.0, first_audio=3.0, finished=9.5,
                            stage_s={"wall": 123456.78})
    for _ in range(6):
        page.strip.show_turn(timeline)
    page.strip.overhead.setText("overhead " + "9" * 60 + " ms · turn 123456.78 s")
    settle(qtbot)
    assert window.width() <= 1280, f"the window grew to {window.width()} px"
    assert window.minimumSizeHint().width() <= 1280
    assert not cut_labels(page), cut_labels(page)


def test_the_arenas_speculative_combo_is_labelled_and_compares_file_column_elides(qtbot, window):
    from PySide6.QtCore import Qt

    from ui.compare.arena.panel import ArenaPanel
    from ui.compare.table import COLUMNS, CompareTable

    arena = window.findChild(ArenaPanel)
    assert arena.speculative_label.text() == "Speculative:"
    assert arena.speculative_label.buddy() is arena.speculative.mode_combo
    table = window.findChild(CompareTable)
    long_path = f"/models/{LONG}"
    table.set_records([{"file": long_path, "quant": "Q4_K_M", "size_bytes": 123_456_789, "ppl": 12.345,
                        "ppl_err": 0.123, "kld_mean": 0.01234, "kld_median": 0.00567, "kld_p99": 0.1234,
                        "same_top_pct": 98.76, "rms_dp_pct": 1.234, "pp_tps": 1234.5, "tg_tps": 123.4,
                        "peak_rss_bytes": 234_567_890}])
    window.show_page("Compare")
    settle(qtbot)
    assert table.textElideMode() == Qt.TextElideMode.ElideMiddle
    index = table.model().index(0, len(COLUMNS) - 1)
    assert table.model().data(index, Qt.ItemDataRole.ToolTipRole) == long_path
    assert table.columnViewportPosition(len(COLUMNS) - 1) + table.columnWidth(len(COLUMNS) - 1) \
        <= table.viewport().width() + 1  # the File column ends inside the table: elided, not cut
    assert window.width() <= 1280


def test_the_system_prompt_box_is_short(window):
    box = window.pages["Chat"].system_prompt_box
    assert box.height() <= box.fontMetrics().lineSpacing() * 4 + 12
