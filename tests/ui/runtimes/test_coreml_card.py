"""The Runtimes page's Core ML card off macOS: available (inspection and
conversion work), with every compute unit marked unavailable and why."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("coremltools", reason="coremltools is a project dependency; run scripts/setup.sh")

from runtimes.coreml.platform_support import COMPUTE_UNITS, prediction_support  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from ui.runtimes.card import RuntimeCard  # noqa: E402
from ui.runtimes.report import describe_runtime  # noqa: E402


@pytest.mark.skipif(sys.platform == "darwin", reason="checks the card off macOS")
def test_card_shows_each_compute_unit_unavailable_with_the_reason(qtbot):
    reason = prediction_support().reason
    card = RuntimeCard(describe_runtime(get_runtime("coreml")))
    qtbot.addWidget(card)
    # Available for inspection, but its main job (predict) cannot run: the badge says so.
    assert card.status_label.text() == "Inspect only (predict needs macOS)"
    assert card.reason_label.text() == reason
    rows = card.device_cells()
    assert [row[0] for row in rows] == list(COMPUTE_UNITS)
    assert all(row[2].endswith(f" — unavailable: {reason}") for row in rows)


def test_a_voice_engine_without_a_downloaded_voice_says_no_voice_yet(qtbot):
    row = describe_runtime(get_runtime("kokoro"))  # the test's WORKBENCH_HOME has no voices
    card = RuntimeCard(row)
    qtbot.addWidget(card)
    assert row.available and card.status_label.text() == "No voice yet"
