"""The token box stores through the keyring on a worker and never shows the token."""

from __future__ import annotations

import keyring
import pytest

from tests.models.hub.test_hub_token import SECRET, MemoryKeyring
from ui.common.hf_token_box import HfTokenBox


@pytest.fixture
def memory_keyring(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_save_and_remove(qtbot, memory_keyring):
    box = HfTokenBox()
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: box.save_button.isEnabled())
    assert "No token set" in box.status_label.text()
    box.field.setText(SECRET)
    box.save_button.click()
    qtbot.waitUntil(lambda: "OS keyring" in box.status_label.text())
    assert memory_keyring.items == {("workbench", "huggingface-token"): SECRET}
    assert box.field.text() == "" and SECRET not in box.status_label.text()
    qtbot.waitUntil(lambda: box.clear_button.isEnabled())
    box.clear_button.click()
    qtbot.waitUntil(lambda: "No token set" in box.status_label.text())
    assert memory_keyring.items == {}


def test_a_refused_token_says_why(qtbot, memory_keyring):
    box = HfTokenBox()
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: box.save_button.isEnabled())
    box.field.setText("hf_two words")
    box.save_button.click()
    qtbot.waitUntil(lambda: box.status_label.text().startswith("Not saved"))
    assert "spaces" in box.status_label.text() and memory_keyring.items == {}
