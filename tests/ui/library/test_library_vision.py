"""The Library page's local list marks vision models and their projectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.hub.client import HubClient
from tests.support.library_vision_files import build_vision_library, plain_text_model  # noqa: F401 (fixture)
from tests.support.vision_fixtures import demo_vlm  # noqa: F401 (fixture)
from ui.library.local import COLUMNS, VISION_COLUMN
from ui.library.page import LibraryPage

WAIT_MS = 30_000


@pytest.fixture
def page(qtbot, ctx, tmp_path, demo_vlm, plain_text_model):  # noqa: F811
    home = tmp_path / "home"
    build_vision_library(Path(ctx.settings.models_dir), home / ".lmstudio" / "models", demo_vlm, plain_text_model)
    widget = LibraryPage(ctx, hub=HubClient(endpoint="http://127.0.0.1:9", token=None),  # never called here
                         cache_dir=tmp_path / "hf-cache", home=home)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.local.status.text() != "Scanning…", timeout=WAIT_MS)
    yield widget
    widget.shutdown()


def rows(page) -> dict[str, tuple[str, str, str]]:
    """Model name -> (group heading, Vision text, Vision tooltip)."""
    tree, found = page.local.tree, {}
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            item = group.child(j)
            found[item.text(0)] = (group.text(0), item.text(VISION_COLUMN), item.toolTip(VISION_COLUMN))
    return found


def test_the_vision_marker_is_on_paired_models_only(page):
    assert COLUMNS[VISION_COLUMN] == "Vision"
    marked = {name for name, (_, vision, _) in rows(page).items() if vision == "vision"}
    assert marked == {"workbench-vlm-tiny-F32.gguf", "gemma-3-4b-it-Q4_K_M.gguf", "gemma-3-4b-it-Q8_0.gguf"}
    _, _, tip = rows(page)["workbench-vlm-tiny-F32.gguf"]
    assert "loads with mmproj-workbench-vlm-tiny-F32.gguf" in tip
    assert rows(page)["workbench-tiny-F32.gguf"][1:] == ("", "")  # same folder and width, another model's projector
    assert rows(page)["other-vlm-Q4_K_M.gguf"][1] == ""  # its projector is 512 wide


def test_projectors_say_whom_they_serve_and_sit_under_their_model(page):
    found = rows(page)
    heading, vision, _ = found["mmproj-workbench-vlm-tiny-F32.gguf"]
    assert vision == "projector for workbench-vlm-tiny-F32.gguf"
    assert heading == found["workbench-vlm-tiny-F32.gguf"][0]
    heading, vision, tip = found["mmproj-F16.gguf"]
    assert vision == "projector for 2 models" and tip.endswith("gemma-3-4b-it-Q4_K_M.gguf\ngemma-3-4b-it-Q8_0.gguf")
    assert heading == found["gemma-3-4b-it-Q8_0.gguf"][0]
    heading, vision, tip = found["mmproj-other-vlm-F16.gguf"]
    assert vision == "projector (no matching model)" and heading.endswith("vision projector")
    assert "512-wide" in tip and "256" in tip


def test_a_projector_cannot_be_opened_as_a_chat_model(qtbot, page):
    by_name = {e.display_name: e for e in page.local.entries}
    page.local.select(by_name["mmproj-F16.gguf"])
    assert page.local.selected() == by_name["mmproj-F16.gguf"]
    assert not page.local.open_button.isEnabled()
    page.local.select(by_name["gemma-3-4b-it-Q4_K_M.gguf"])
    assert page.local.open_button.isEnabled()
    assert page.local.status.text() == "5 local models, 4 vision projectors"
    assert page.tabs.tabText(1) == "Local models (5)"
