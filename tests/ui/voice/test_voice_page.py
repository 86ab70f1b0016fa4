"""The Voice page offscreen: real models (Silero VAD, synthetic whisper, demo
LLM, espeak-ng) drive a file turn; the transcript, the latency strip and the
memory of each stage show; bad choices and missing devices read clearly."""

from __future__ import annotations

import re

import pytest

from app.voice.models.choice import llm_choice, stt_choice, tts_choice, vad_choice
from runtimes.requests import Sampling
from tests.support.voice_helpers import spoken_wav
from ui.voice.page import VoicePage

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def whisper_model(tmp_path_factory):
    from models.demo.whisper import write_whisper_model

    return write_whisper_model(tmp_path_factory.mktemp("whisper") / "whisper-demo.bin")


@pytest.fixture
def page(qtbot, ctx):
    page = VoicePage(ctx)
    qtbot.addWidget(page)
    page.show()  # devices and models are looked up on first show
    qtbot.waitUntil(lambda: not page.busy, timeout=60000)
    yield page
    page.shutdown()


def load(qtbot, page, whisper_model, demo_model) -> None:
    choices = {"vad": vad_choice(), "stt": stt_choice(whisper_model, n_threads=1),
               "llm": llm_choice(demo_model, 1024, n_threads=1),
               "tts": tts_choice("espeak")}
    with qtbot.waitSignal(page.models_loaded, timeout=120000):
        page.load_models(choices)
    page.models.llm.sampling = Sampling(max_tokens=40, temperature=0.7, seed=2)


def test_a_file_turn_fills_the_transcript_and_the_latency_strip(qtbot, page, tmp_path, whisper_model, demo_model):
    load(qtbot, page, whisper_model, demo_model)
    page._update_memory()
    for stage in ("stt", "llm", "tts"):
        assert re.search(r"\d+ MiB worker", page.panel.memory[stage].text()), page.panel.memory[stage].text()
    assert "(in-app)" in page.panel.memory["vad"].text()

    wav, _, _ = spoken_wav(tmp_path / "question.wav", "Hello there. How is the weather today?")
    assert page.strip.text().startswith("Latency — no turn yet")
    with qtbot.waitSignal(page.run_finished, timeout=120000):
        with qtbot.waitSignal(page.turn_finished, timeout=120000) as turn:
            page.run_file(wav)
    finished = turn.args[0]
    assert not page.banner.message, page.banner.message
    strip = page.strip.text()
    assert "Turn 1 latency" in strip
    for label in ("speech → text", "→ first token", "→ first audio"):
        assert re.search(re.escape(label) + r" <b>\d+ ms</b>", strip), strip
    assert re.search(r"overhead \d+\.\d ms", strip)
    text = page.transcript.plain_text()
    assert f"You {finished.user_text}" in text and "Assistant" in text
    # No speaker offscreen: the reply went to a WAV file, and the page says where.
    assert page.run.reply_path is not None and page.run.reply_path.stat().st_size > 1000
    assert str(page.run.reply_path) in page.panel.status.text()
    # A second run goes on with the conversation: turn 2, the first one kept in the history.
    with qtbot.waitSignal(page.run_finished, timeout=120000):
        page.run_file(wav)
    assert "Turn 2 latency" in page.strip.text() and "Earlier turns" in page.strip.text()
    assert page.transcript.plain_text().count("You ") == 2
    assert len(page.conversation.turns) == 2


def test_running_without_models_and_without_a_microphone_say_why(qtbot, page, tmp_path):
    wav, _, _ = spoken_wav(tmp_path / "q.wav", "Hi.")
    page.run_file(wav)
    assert "Load the models first (VAD, STT, LLM, TTS not loaded)" in page.banner.message
    # Offscreen there is no audio device at all.
    assert "No microphone found" in page.controls.input_combo.currentText()
    assert not page.controls.listen_button.isEnabled()
    assert "No microphone found" in page.controls.device_note.text()


def test_a_voice_that_is_not_downloaded_offers_a_download(qtbot, page, monkeypatch, tmp_path, whisper_model,
                                                          demo_model):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    page.discover()
    qtbot.waitUntil(lambda: not page.busy, timeout=60000)
    page.panel.select("stt", whisper_model)
    page.panel.select("llm", demo_model)
    combo = page.panel.combos["tts"]
    combo.setCurrentIndex(combo.findData("kokoro"))
    assert not page.panel.download_button.isHidden()
    page.load_models()
    assert page.banner.message.startswith("voice not downloaded: Kokoro-82M")


def test_a_bad_file_is_refused_and_the_page_stays_usable(qtbot, page, tmp_path, whisper_model, demo_model):
    load(qtbot, page, whisper_model, demo_model)
    (tmp_path / "notes.wav").write_text("not audio")
    page.run_file(tmp_path / "notes.wav")
    assert "not a readable audio file" in page.banner.message
    assert not page.run.running
    wav, _, _ = spoken_wav(tmp_path / "q.wav", "Are you there?")
    with qtbot.waitSignal(page.turn_finished, timeout=120000):
        page.run_file(wav)
