"""Every page is usable at 1280×720 and 1920×1080: visiting it does not widen or heighten
the window, and no visible label is cut without a tooltip that shows the whole text."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from models.demo.draft_pair import write_pair
from tests.support.layout_checks import cut_combos, cut_labels
from ui.shell.app import create_window
from ui.shell.context import AppContext


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, demo_ladder):
    """A models folder with content, so pages show real rows, labels and choices."""
    folder = tmp_path_factory.mktemp("fit-models")
    for path in demo_ladder.values():
        (folder / path.name).symlink_to(path)
    write_pair(folder, "tiny", 0.005)
    return folder


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_page_fits_the_screen(qtbot, models_dir, size):
    ctx = AppContext(Settings(models_dir=str(models_dir)))
    ctx.sampler.stop()
    window = create_window(ctx)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    problems = []
    for title in list(window.pages):
        window.show_page(title)
        for _ in range(5):
            QApplication.processEvents()
        qtbot.wait(50)
        if window.width() > size[0] or window.height() > size[1]:
            problems.append(f"{title}: the window grew to {window.width()}×{window.height()}")
        hint = window.minimumSizeHint()
        if hint.width() > size[0] or hint.height() > size[1]:
            problems.append(f"{title}: needs at least {hint.width()}×{hint.height()}")
        problems += [f"{title}: cut label {c}" for c in cut_labels(window.pages[title])]
        problems += [f"{title}: cut {c}" for c in cut_combos(window.pages[title])]
    window.close()
    ctx.shutdown()
    assert not problems, "\n".join(problems)
