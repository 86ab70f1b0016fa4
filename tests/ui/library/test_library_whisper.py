"""The Library's Speech models tab against a fake Hub on 127.0.0.1: whisper.cpp's catalog
with sizes, a download verified by the Hub's SHA-256 and whisper.cpp's SHA-1 that then
shows as on disk, and a SHA-1 mismatch that shows the error and leaves no file."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from models.hub.client import HubClient
from models.whisper.catalog import CATALOG, SUGGESTED, catalog_entry
from tests.support.fake_hub import FakeHub, FakeRepo
from ui.library.page import LibraryPage

WAIT_MS = 30_000
TINY = b"a stand-in for ggml-tiny.en.bin"
BASE = b"a stand-in for ggml-base.en.bin"


@pytest.fixture
def whisper_hub():
    hub = FakeHub()
    hub.add(FakeRepo("ggerganov/whisper.cpp", {"ggml-tiny.en.bin": TINY, "ggml-base.en.bin": BASE}))
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture
def page(qtbot, ctx, whisper_hub, tmp_path, monkeypatch):
    # whisper.cpp's published SHA-1 for tiny.en is that of the stand-in; base.en keeps the real one
    real = catalog_entry
    monkeypatch.setattr("app.voice.models.download.catalog_entry", lambda name: replace(
        real(name), sha1=hashlib.sha1(TINY).hexdigest()) if real(name).name == "tiny.en" else real(name))
    ctx.settings.models_dir = str(tmp_path / "models")
    widget = LibraryPage(ctx, hub=HubClient(endpoint=whisper_hub.url, token=None), cache_dir=tmp_path / "hf",
                         home=tmp_path / "home")
    qtbot.addWidget(widget)
    speech = widget.speech
    qtbot.waitUntil(lambda: speech.table.item(0, 3).text() != "…", timeout=WAIT_MS)
    yield widget
    widget.shutdown()


def row_of(speech, name):
    return next(r for r in range(speech.table.rowCount()) if speech.table.item(r, 0).text().split()[0] == name)


def test_catalog_lists_every_file_with_size_suggested_first(page):
    speech = page.speech
    assert "Speech models" in [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert speech.table.rowCount() == len(CATALOG)
    names = [speech.table.item(r, 0).text().split()[0] for r in range(speech.table.rowCount())]
    assert names[:len(SUGGESTED)] == list(SUGGESTED)
    row = row_of(speech, "base.en")
    assert speech.table.item(row, 1).text() == f"{catalog_entry('base.en').approx_bytes / 2**20:.0f} MiB"
    assert speech.table.item(row, 3).text() == "—" and speech.download_button("base.en").isEnabled()


def test_download_is_verified_and_then_on_disk(qtbot, page, tmp_path):
    speech = page.speech
    speech.download_button("tiny.en").click()
    assert speech.busy and not speech.download_button("base.en").isEnabled()
    qtbot.waitUntil(lambda: "tiny.en" in speech.paths, timeout=WAIT_MS)
    assert not speech.busy
    assert "verified" in speech.status.text() and "SHA-1" in speech.status.text()
    assert speech.table.item(row_of(speech, "tiny.en"), 3).text() == "on disk"
    assert not speech.download_button("tiny.en").isEnabled()
    assert speech.paths["tiny.en"].read_bytes() == TINY
    assert speech.download_button("base.en").isEnabled()


def test_sha1_mismatch_shows_the_error_and_leaves_no_file(qtbot, page, tmp_path):
    speech = page.speech
    speech.download_button("base.en").click()
    qtbot.waitUntil(lambda: not speech.busy, timeout=WAIT_MS)
    assert "not downloaded" in speech.status.text() and "failed verification" in speech.status.text()
    assert not list((tmp_path / "hf").rglob("ggml-base.en.bin"))
    qtbot.wait(200)  # the refresh after the failure
    assert speech.table.item(row_of(speech, "base.en"), 3).text() == "—"
    assert "base.en" not in speech.paths and speech.download_button("base.en").isEnabled()


def test_cancel_stops_the_download_with_progress_shown(qtbot, page, monkeypatch):
    import time

    from models.download.jobs import JobProgress

    def slow_download(name, cancel, client, cache_dir):
        done = 0
        while not cancel.cancelled:
            done = min(done + 1, 9)
            yield JobProgress(0, 1, None, done, 10)
            time.sleep(0.02)

    monkeypatch.setattr("app.voice.models.download.download_whisper", slow_download)
    speech = page.speech
    page.tabs.setCurrentWidget(speech)
    speech.download_button("small.en-q5_1").click()
    qtbot.waitUntil(lambda: speech.progress.value() >= 50, timeout=WAIT_MS)
    assert speech.cancel_button.isVisibleTo(page) and speech.progress.isVisibleTo(page)
    speech.cancel_button.click()
    qtbot.waitUntil(lambda: not speech.busy, timeout=WAIT_MS)
    assert "cancelled" in speech.status.text()
    assert not speech.cancel_button.isVisibleTo(page) and speech.download_button("small.en-q5_1").isEnabled()
