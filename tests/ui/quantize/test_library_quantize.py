"""Library page: "Make quants…" on a local full-precision model (the tiny demo
F32), through the dialog, with progress, cancel, errors and the rescan."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from app.errors import ImatrixError
from app.quantize.imatrix_file import load_imatrix
from app.quantize.library_targets import QuantizeRequest, default_out_dir, output_for, why_not_quantizable
from models.gguf.info import read_gguf_info
from models.hub.client import HubClient
from models.library.scan import LibraryEntry
from ui.library.page import LibraryPage

WAIT_MS = 60_000
F32_NAME = "workbench-tiny-F32.gguf"


@pytest.fixture
def models(ctx, demo_ladder) -> Path:
    """The app's models folder with the tiny F32 and one quant of it (Q4_K_M) already made."""
    folder = Path(ctx.settings.models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_ladder["F32"], folder / F32_NAME)
    shutil.copy(demo_ladder["Q4_K_M"], folder / "workbench-tiny-Q4_K_M.gguf")
    return folder


@pytest.fixture
def page(qtbot, ctx, models, tmp_path, demo_ladder):
    lmstudio = tmp_path / "home" / ".lmstudio" / "models" / "someone" / "tiny"
    lmstudio.mkdir(parents=True)
    shutil.copy(demo_ladder["F32"], lmstudio / F32_NAME)
    widget = LibraryPage(ctx, hub=HubClient(endpoint="http://127.0.0.1:9", token=None),  # never called here
                         cache_dir=tmp_path / "hf-cache", home=tmp_path / "home")
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: len(widget.local.entries) == 3, timeout=WAIT_MS)
    yield widget
    widget.shutdown()
    worker = widget.quantizer.worker  # a plain attribute: still readable if a failed test's widgets are gone
    qtbot.waitUntil(lambda: worker is None or not worker.running, timeout=WAIT_MS)


def entry(page, name: str, source: str = "workbench") -> LibraryEntry:
    return next(e for e in page.local.entries if e.display_name == name and e.source == source)


def open_dialog(qtbot, page, source: str = "workbench"):
    page.local.select(entry(page, F32_NAME, source))
    assert page.local.quantize_button.isEnabled()
    page.local.quantize_button.click()
    dialog = page.quantizer.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def choose(dialog, targets: list[str]) -> None:
    for target, box in dialog.boxes.items():
        box.setChecked(target in targets)


def heading_of(page, name: str) -> str:
    tree = page.local.tree
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        if any(group.child(j).text(0) == name for j in range(group.childCount())):
            return group.text(0)
    raise AssertionError(f"{name} is not in the list")


def test_the_button_is_offered_for_full_precision_models_only(page):
    page.local.select(entry(page, "workbench-tiny-Q4_K_M.gguf"))
    assert not page.local.quantize_button.isEnabled()
    assert "already Q4_K_M" in page.local.quantize_button.toolTip()
    page.local.select(entry(page, F32_NAME))
    assert page.local.quantize_button.isEnabled()
    projector = dataclasses.replace(entry(page, F32_NAME), info=dataclasses.replace(
        entry(page, F32_NAME).info, architecture="clip"))
    assert why_not_quantizable(projector) == "A vision projector is not quantized on its own"


def test_dialog_defaults_and_marks_existing_outputs(qtbot, page, models):
    dialog = open_dialog(qtbot, page)
    assert dialog.out_dir() == models  # the source's own folder
    assert dialog.folder_note.isHidden()
    q4 = dialog.boxes["Q4_K_M"]
    assert not q4.isEnabled() and q4.text() == "Q4_K_M  (exists)"
    assert dialog.targets() == ("Q8_0", "Q6_K", "Q5_K_M", "Q3_K_M", "Q2_K")  # the ladder, less what exists
    choose(dialog, [])
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.error.text() == "Choose at least one quant type that is not made yet."
    assert page.quantizer.state == "idle"


def test_a_read_only_source_quantizes_into_the_models_folder(qtbot, page, models):
    dialog = open_dialog(qtbot, page, source="lmstudio")
    assert dialog.out_dir() == models
    assert not dialog.folder_note.isHidden()
    assert dialog.folder_note.text() == "The source belongs to LM Studio, so the quants go to the models folder."
    assert dialog.boxes["Q4_K_M"].text().endswith("(exists)")  # judged in the folder the quants go to
    hf = dataclasses.replace(entry(page, F32_NAME), source="huggingface", path=Path("/hf/snapshots/abc/x-F16.gguf"))
    assert default_out_dir(hf, models) == models
    ollama = dataclasses.replace(hf, source="ollama", read_only=True, display_name="qwen2.5:0.5b-instruct-fp16",
                                 path=Path("/o/blobs/sha256-" + "0" * 64))
    assert output_for(ollama, models, "Q2_K") == models / "qwen2.5-0.5b-instruct-fp16-Q2_K.gguf"


def test_making_two_quants_adds_them_next_to_the_source(qtbot, page, models):
    dialog = open_dialog(qtbot, page)
    choose(dialog, ["Q8_0", "Q2_K"])
    dialog.ok_button.click()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: page.quantizer.label.text().endswith(": 2 of 2: Q2_K…"), timeout=WAIT_MS)
    assert (page.quantizer.bar.value(), page.quantizer.bar.maximum()) == (1, 2)
    assert not page.quantizer.isHidden() and not page.quantizer.cancel_button.isHidden()
    qtbot.waitUntil(lambda: page.quantizer.state != "running", timeout=WAIT_MS)
    assert page.quantizer.state == "done", page.quantizer.label.text()
    made = [models / "workbench-tiny-Q8_0.gguf", models / "workbench-tiny-Q2_K.gguf"]
    assert page.quantizer.made_paths == made
    assert [read_gguf_info(p).file_type_name for p in made] == ["Q8_0", "Q2_K"]
    assert page.quantizer.label.text() == f"Made 2 quants of {F32_NAME} in {models}"
    assert not list(models.glob("*.part"))
    qtbot.waitUntil(lambda: len(page.local.entries) == 5, timeout=WAIT_MS)  # the rescan after the job
    assert heading_of(page, "workbench-tiny-Q2_K.gguf") == heading_of(page, F32_NAME)
    assert heading_of(page, "workbench-tiny-Q8_0.gguf") == heading_of(page, F32_NAME)
    assert page.local.selected().path == models / F32_NAME  # the rescan kept the selection
    assert page.local.quantize_button.isEnabled()


def test_cancel_after_the_first_progress_leaves_no_part_file(qtbot, page, models):
    dialog = open_dialog(qtbot, page)
    targets = ["Q8_0", "Q6_K", "Q5_K_M", "Q3_K_M", "Q2_K"]
    choose(dialog, targets)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "1 of 5: Q8_0" in page.quantizer.label.text(), timeout=WAIT_MS)
    assert not page.local.quantize_button.isEnabled()  # one job at a time
    # `made` comes once the job has finished and the buttons are set; the state changes a signal earlier.
    with qtbot.waitSignal(page.quantizer.made, timeout=WAIT_MS):
        page.quantizer.cancel_button.click()
    assert page.quantizer.state == "cancelled"
    assert page.quantizer.label.text().startswith("Cancelled after")
    assert not list(models.glob("*.part"))
    written = sorted(p.name for p in models.glob("workbench-tiny-Q*.gguf"))
    assert len(written) < len(targets) + 1  # the Q4_K_M that was there, plus fewer than all five
    assert not page.quantizer.dismiss_button.isHidden() and page.quantizer.cancel_button.isHidden()


def test_a_bad_imatrix_is_refused_with_its_message_before_anything_runs(qtbot, page, models, tmp_path):
    bad = tmp_path / "broken.dat"
    bad.write_bytes(b"\x02\x00\x00\x00garbage")
    with pytest.raises(ImatrixError) as expected:
        load_imatrix(bad)
    before = sorted(models.iterdir())
    dialog = open_dialog(qtbot, page)
    choose(dialog, ["Q2_K"])
    dialog.imatrix_edit.setText(str(bad))
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.error.text() == str(expected.value)
    assert dialog.isVisible() and page.quantizer.state == "idle"
    assert sorted(models.iterdir()) == before


def test_an_already_quantized_source_fails_with_one_sentence(qtbot, page, models):
    page.quantizer.start(QuantizeRequest(entry(page, "workbench-tiny-Q4_K_M.gguf"), ("Q2_K",), models))
    qtbot.waitUntil(lambda: page.quantizer.state != "running", timeout=WAIT_MS)
    assert page.quantizer.state == "failed"
    text = page.quantizer.label.text()
    assert text.startswith("Quantizing failed: workbench-tiny-Q4_K_M.gguf is Q4_K_M; quantize from F32, F16, BF16")
    assert "\n" not in text and "Traceback" not in text
    assert not (models / "workbench-tiny-Q2_K.gguf").exists()
