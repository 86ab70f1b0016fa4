"""The arena's speculative option: every variant speculates, its columns say how it went."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.compare.arena.panel import ArenaPanel

WAIT_MS = 120_000


@pytest.fixture
def panel(qtbot, ctx, demo_ladder, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    files = [demo_ladder["F32"], demo_ladder["Q4_K_M"]]
    panel = ArenaPanel(lambda: (files, files[0]))
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.speculative.choices is not None, timeout=WAIT_MS)
    yield panel
    panel.cancel()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)


def test_prompt_lookup_in_every_column(qtbot, panel, demo_ladder):
    # The other quant shares the tokenizer and is smaller, so it is offered as a draft too.
    assert panel.speculative.mode_combo.findData(str(demo_ladder["Q4_K_M"])) >= 0
    panel.speculative.select_lookup()
    panel.prompt_edit.setText("The river at Hollen")
    panel.max_tokens.setValue(12)
    panel.run()
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    assert len(panel.columns) == 2
    # F32 verifies a batch exactly as it decodes one token: it speculates. A quantized file may not
    # (llama.cpp's batch kernels round differently): then its column says speculation is off, and why.
    columns = {Path(path).name: column.stats.text() for path, column in panel.columns.items()}
    assert "prompt lookup, K≤8: accepted" in columns[demo_ladder["F32"].name]
    quantized = columns[demo_ladder["Q4_K_M"].name]
    assert "prompt lookup, K≤8: accepted" in quantized or "would drift from plain decoding" in quantized
