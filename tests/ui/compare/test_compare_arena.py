"""Arena tab (offscreen): outputs of demo variants stream into columns,
divergence from the reference is shaded, prompt sets switch, cancel works."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtGui import QTextCursor

from ui.compare.arena.panel import ArenaPanel

WAIT_MS = 120_000


@pytest.fixture
def files(demo_ladder, tmp_path):
    twin = tmp_path / "twin-F32.gguf"
    shutil.copy(demo_ladder["F32"], twin)
    return [demo_ladder["F32"], twin, demo_ladder["Q2_K"]]


@pytest.fixture
def panel(qtbot, ctx, files):
    chosen = {"files": files, "reference": files[0]}
    panel = ArenaPanel(lambda: (chosen["files"], chosen["reference"]))
    panel.chosen = chosen
    qtbot.addWidget(panel)
    panel.resize(1200, 600)
    panel.show()
    yield panel
    panel.cancel()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)


def background_at(column, position: int):
    cursor = QTextCursor(column.output.document())
    cursor.setPosition(position + 1)  # the format of the character before the cursor
    return cursor.charFormat().background().color().alpha()


def test_outputs_stream_into_columns_and_divergence_is_shaded(qtbot, panel, files):
    batches = []
    assert not panel.run_button.isEnabled()  # no prompt yet
    panel.prompt_edit.setText("The river at Hollen")
    panel.max_tokens.setValue(200)
    assert panel.run_button.isEnabled()
    panel.run()
    panel._worker.signals.yielded.connect(batches.append)
    assert panel.is_running() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)

    assert len([b for b in batches if b[0] == "events"]) >= 2  # streamed in pieces, not at the end
    assert list(panel.columns) == [str(f) for f in files]
    ref, twin, low = (panel.columns[str(f)] for f in files)
    for column in (ref, twin, low):
        assert column.output.toPlainText()  # every column filled
        assert "TTFT" in column.stats.text() and "gen" in column.stats.text() and "peak" in column.stats.text()
        assert "bpw" in column.facts.text()
    assert ref.output.toPlainText() == twin.output.toPlainText()
    assert twin.shaded_from() is None and twin.verdict.text() == "Same as the reference"
    start = low.shaded_from()
    assert start is not None and "Differs from the reference" in low.verdict.text()
    text = low.output.toPlainText()
    assert text[:start] == ref.output.toPlainText()[:start]  # identical up to the shaded part
    assert background_at(low, start) > 0 and (start == 0 or background_at(low, start - 1) == 0)
    assert background_at(low, len(text) - 1) > 0  # shaded through to the end
    assert panel.state.text().startswith("Done")


def test_prompt_set_switches_the_columns(qtbot, panel, tmp_path):
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps(["Salt is", "The night train"]))
    panel.load_prompt_set(prompts)
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    assert panel.prompts() == ["Salt is", "The night train"] and panel.prompt_box.count() == 2
    panel.max_tokens.setValue(12)
    panel.run()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    first = {m: c.output.toPlainText() for m, c in panel.columns.items()}
    panel.prompt_box.setCurrentIndex(1)
    second = {m: c.output.toPlainText() for m, c in panel.columns.items()}
    assert all(first.values()) and all(second.values()) and first != second
    for model in panel.columns:
        assert second[model] == panel.board.output(model, 1).text

    panel.prompt_edit.setText("One prompt again")
    panel.prompt_edit.textEdited.emit("One prompt again")
    assert panel.prompts() == ["One prompt again"]


def test_cancel_stops_the_arena(qtbot, panel):
    panel.prompt_edit.setText("Tell a long story")
    panel.max_tokens.setValue(8000)
    panel.run()
    qtbot.waitUntil(lambda: any(c.output.toPlainText() for c in panel.columns.values()), timeout=WAIT_MS)
    panel.cancel()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    assert panel.state.text() == "Cancelled" and not panel.cancel_button.isEnabled()
    assert all(len(o.token_ids) < 1900 for o in panel.board.outputs.values())


def test_incompatible_files_are_refused_with_the_reason(qtbot, panel, tmp_path):
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"GGUF but not really")
    panel.chosen["files"] = [panel.chosen["reference"], not_a_model]
    panel.refresh()
    panel.prompt_edit.setText("Hi")
    panel.run()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    assert "broken.gguf" in panel.error_banner.message and "Traceback" not in panel.error_banner.message
    assert panel.state.text() == "Not run" and not panel.columns
