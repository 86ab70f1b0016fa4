"""Quant lab in the Library's "Make quants…" dialog: an importance matrix made from the
user's text (progress, ETA, cancel, the same-text warning) and recipes (pick, save, apply)."""

from __future__ import annotations

import shutil
from pathlib import Path

import gguf
import pytest

from app.quantize.imatrix_file import load_imatrix
from app.quantize.recipe_store import find_recipe
from models.hub.client import HubClient
from runtimes.llama_cpp.native_build import find_tool
from ui.library.page import LibraryPage
from ui.quantize.imatrix_dialog import ImatrixDialog
from ui.quantize.recipe_picker import CUSTOM

WAIT_MS = 60_000
F32_NAME = "workbench-tiny-F32.gguf"


@pytest.fixture
def tools():
    if find_tool("llama-imatrix") is None or find_tool("llama-quantize") is None:
        pytest.skip("needs llama.cpp's llama-imatrix and llama-quantize (scripts/setup.sh builds them)")


@pytest.fixture
def page(qtbot, ctx, demo_ladder, tmp_path):
    folder = Path(ctx.settings.models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_ladder["F32"], folder / F32_NAME)
    widget = LibraryPage(ctx, hub=HubClient(endpoint="http://127.0.0.1:9", token=None),
                         cache_dir=tmp_path / "hf-cache", home=tmp_path / "home")
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: len(widget.local.entries) == 1, timeout=WAIT_MS)
    yield widget
    widget.shutdown()
    worker = widget.quantizer.worker
    qtbot.waitUntil(lambda: worker is None or not worker.running, timeout=WAIT_MS)


def open_dialog(page):
    page.local.select(page.local.entries[0])
    page.local.quantize_button.click()
    return page.quantizer.dialog


def test_imatrix_from_own_text_fills_the_field(qtbot, tools, page, tmp_path):
    dialog = open_dialog(page)
    dialog.make_imatrix_button.click()
    im = dialog.imatrix_dialog
    assert im.isVisible() and im.warning.isVisible()  # empty text: the bundled one Compare scores on
    text = tmp_path / "mine.txt"
    text.write_text("Quantization keeps what matters and drops the rest. " * 300)
    im.text_edit.setText(str(text))
    assert not im.warning.isVisible()
    im.ctx_spin.setValue(64)
    im.chunks_spin.setValue(3)
    statuses = []
    im.start_button.click()
    im.worker.signals.yielded.connect(lambda _e: statuses.append(im.status.text()))  # after the dialog's slot
    qtbot.waitUntil(lambda: not im.isVisible(), timeout=WAIT_MS)
    made = Path(dialog.imatrix_edit.text())
    assert made == im.result and load_imatrix(made).chunk_count == 3
    assert any("Chunk 3 of 3" in s for s in statuses) and any("left" in s for s in statuses)


def test_imatrix_cancel_keeps_nothing(qtbot, tools, page, tmp_path):
    out = tmp_path / "cancelled.imatrix.gguf"
    im = ImatrixDialog(page.local.entries[0].path, out)
    qtbot.addWidget(im)
    im.chunks_spin.setValue(40)
    im.ctx_spin.setValue(64)
    im.show()
    im.start_button.click()
    im.cancel_button.click()
    qtbot.waitUntil(lambda: im.start_button.isEnabled(), timeout=WAIT_MS)
    assert "Cancelled" in im.status.text() and im.result is None
    assert not list(tmp_path.glob("cancelled*"))


def test_recipe_is_saved_picked_and_applied(qtbot, tools, page):
    dialog = open_dialog(page)
    picker = dialog.recipe_picker
    picker.combo.setCurrentIndex(picker.combo.findText(CUSTOM))
    picker.rules_edit.setText("attn_v=q9")
    for target, box in dialog.boxes.items():
        box.setChecked(target == "Q4_K_S")
    dialog.ok_button.click()
    assert dialog.isVisible() and "q9" in dialog.error.text()  # refused before anything runs
    picker.rules_edit.setText("attn_v=q8_0, ffn_down=+1")
    picker.save("v8")
    assert find_recipe("v8").rules == (("attn_v", "q8_0"), ("ffn_down", "+1"))
    assert picker.combo.currentText() == "v8"
    dialog.ok_button.click()
    quantizer = page.quantizer
    qtbot.waitUntil(lambda: quantizer.state in ("done", "failed"), timeout=WAIT_MS)
    assert quantizer.state == "done", quantizer.label.text()
    (made,) = quantizer.made_paths
    assert made.name == "workbench-tiny-Q4_K_S-v8.gguf"
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(made).tensors}
    assert types["blk.0.attn_v.weight"] == "Q8_0" and types["blk.0.ffn_down.weight"] == "Q5_K"
