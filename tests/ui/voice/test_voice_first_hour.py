"""Voice page for a new user: Listen says why it cannot listen (no microphone) and an
error is shown once; the suggested whisper.cpp models are offered with their size,
downloaded (verified) from the page and then used."""

from __future__ import annotations

import shutil

import pytest

from app.voice.models.download import download_whisper
from models.download.jobs import JobDone
from models.errors import WorkbenchError
from models.hub.client import HubClient
from models.whisper.catalog import SUGGESTED, catalog_entry
from tests.support.fake_hub import FakeHub, FakeRepo
from ui.voice.page import VoicePage


@pytest.fixture(scope="module")
def whisper_model(tmp_path_factory):
    from models.demo.whisper import write_whisper_model

    return write_whisper_model(tmp_path_factory.mktemp("whisper") / "whisper-demo.bin")


@pytest.fixture
def page(qtbot, ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    ctx.settings.models_dir = str(tmp_path / "models")
    page = VoicePage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not page.busy, timeout=60000)
    yield page
    page.shutdown()


def test_listen_is_off_with_the_reason_and_stays_off_after_a_run(page):
    listen = page.controls.listen_button
    assert page.controls.input_id is None  # offscreen: no audio device
    assert not listen.isEnabled() and "No microphone found" in listen.toolTip()
    page.controls.set_running(True)
    page.controls.set_running(False)  # a file run ended: still nothing to listen with
    assert not listen.isEnabled()


def test_one_error_is_shown_once(page):
    page._show_error("Could not open the microphone", "Could not open the microphone")
    assert page.banner.message == "Could not open the microphone"
    assert page.banner.details_button.isHidden()  # details that only repeat the message are not offered
    page._show_error("could not open the microphone.")  # the same failure reported again by the run
    assert page.banner.message == "Could not open the microphone"
    page._show_error("No microphone found: connect one")  # the device note already says so
    assert page.banner.message == "Could not open the microphone"
    page._show_error("The reply failed")
    assert page.banner.message == "The reply failed"


def test_suggested_whisper_models_download_from_the_page_and_load(qtbot, page, monkeypatch, whisper_model):
    combo = page.panel.combos["stt"]
    titles = [combo.itemText(i) for i in range(combo.count())]
    for name in SUGGESTED:
        size = f"{catalog_entry(name).approx_bytes / 2**20:.0f} MiB"
        assert f"{name} ({size}) — not downloaded" in titles
    combo.setCurrentIndex(combo.findData("whisper:base.en"))
    button = page.panel.stt_download_button
    assert button.isVisibleTo(page) and button.text() == "Download whisper base.en"
    with pytest.raises(WorkbenchError, match="not downloaded yet"):
        page.panel.choices()

    target = page.ctx.settings.models_dir + "/whisper/ggml-base.en.bin"

    def fake_download(name, cancel=None):
        assert name == "base.en"
        from pathlib import Path

        Path(target).parent.mkdir(parents=True)
        shutil.copy(whisper_model, target)
        yield JobDone((Path(target),))

    monkeypatch.setattr("app.voice.models.download.download_whisper", fake_download)
    button.click()
    qtbot.waitUntil(lambda: "whisper base.en (" in combo.currentText(), timeout=30000)
    assert not button.isVisibleTo(page)
    assert combo.currentData() == "whisper:base.en"  # still the chosen one, now on disk


def test_download_whisper_verifies_the_published_sha1(tmp_path):
    hub = FakeHub()
    hub.add(FakeRepo("ggerganov/whisper.cpp", {"ggml-tiny.en.bin": b"not the real tiny.en",
                                                "ggml-base.en-q5_1.bin": b"a q5_1 file"}))
    hub.start()
    try:
        client = HubClient(endpoint=hub.url)
        with pytest.raises(WorkbenchError, match="failed verification"):
            list(download_whisper("tiny.en", client=client, cache_dir=tmp_path))
        events = list(download_whisper("base.en-q5_1", client=client, cache_dir=tmp_path))  # no SHA-1 listed
    finally:
        hub.stop()
    assert not list(tmp_path.rglob("ggml-tiny.en.bin"))  # the bad file is gone
    assert isinstance(events[-1], JobDone) and events[-1].paths[0].read_bytes() == b"a q5_1 file"
