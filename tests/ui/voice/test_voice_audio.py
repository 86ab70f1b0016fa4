"""Audio I/O and the OS voice offscreen: no devices reads clearly, a microphone
that fails mid-run ends the run with a message while the models stay loaded,
and the OS voice adapter speaks, times first audio and stops on barge-in
(through Qt's mock text-to-speech engine)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.errors import AudioDeviceError
from app.voice.sources import PushSource
from runtimes.base import CancelToken
from runtimes.events import AudioChunk, Done
from runtimes.requests import SynthesisRequest
from ui.voice.audio_io import MicrophoneCapture, SpeakerPlayback, input_devices, microphone_permission
from ui.voice.controls import level_percent

pytestmark = pytest.mark.timeout(120)


def test_without_devices_opening_them_says_so(qtbot):
    if input_devices():
        pytest.skip("this machine has a microphone")
    with pytest.raises(AudioDeviceError, match="no microphone found"):
        MicrophoneCapture(lambda frames: None).start()
    with pytest.raises(AudioDeviceError, match="no speaker or headphones found"):
        SpeakerPlayback().start()


def test_permission_answer_arrives(qtbot):
    answers = []
    microphone_permission(lambda granted, message: answers.append((granted, message)))
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    granted, message = answers[0]
    assert granted or "permission refused" in message


def test_level_meter_scale():
    assert level_percent(0.0) == 0
    assert level_percent(1.0) == 100
    assert level_percent(10 ** (-30 / 20)) == 50  # -30 dBFS is half way
    assert level_percent(1e-6) == 0


def test_os_voice_speaks_times_first_audio_and_stops_on_cancel(qtbot):
    from ui.voice.os_voice import OsVoiceSession, os_voice_engines

    if "mock" not in os_voice_engines(include_test=True):
        pytest.skip("Qt's mock text-to-speech engine is not installed")
    session = OsVoiceSession("mock")
    results: dict[str, list] = {}

    def speak(name: str, cancel_after: float | None) -> None:
        cancel, events, t0 = CancelToken(), [], time.perf_counter()
        for event in session.run(SynthesisRequest("Hello there, this is the system voice speaking."), cancel):
            events.append((time.perf_counter() - t0, event))
            if isinstance(event, AudioChunk) and cancel_after is not None:
                time.sleep(cancel_after)
                cancel.cancel()
        results[name] = events

    for name, cancel_after in (("whole", None), ("barge-in", 0.05)):
        worker = threading.Thread(target=speak, args=(name, cancel_after))
        worker.start()
        qtbot.waitUntil(lambda w=worker: not w.is_alive(), timeout=30000)
    whole, cut = results["whole"], results["barge-in"]
    assert isinstance(whole[0][1], AudioChunk) and whole[0][1].samples == b""
    assert isinstance(whole[-1][1], Done) and whole[-1][1].stats.stop_reason == "eos"
    assert isinstance(cut[-1][1], Done) and cut[-1][1].stats.stop_reason == "cancelled"
    assert cut[-1][0] < whole[-1][0] / 2  # stopped well before the end
    session.close()


def test_a_microphone_lost_mid_run_ends_it_and_the_page_recovers(qtbot, ctx, tmp_path, demo_model):
    from app.voice.models.choice import llm_choice, stt_choice, tts_choice, vad_choice
    from app.voice.pipeline import VoicePipeline
    from models.demo.whisper import write_whisper_model
    from tests.support.voice_helpers import spoken_wav
    from ui.voice.page import VoicePage

    page = VoicePage(ctx)
    qtbot.addWidget(page)
    try:
        whisper = write_whisper_model(tmp_path / "whisper-demo.bin")
        with qtbot.waitSignal(page.models_loaded, timeout=120000):
            page.load_models({"vad": vad_choice(), "stt": stt_choice(whisper, n_threads=1),
                              "llm": llm_choice(demo_model, 1024, n_threads=1),
                              "tts": tts_choice("espeak")})
        # A live run as Listen starts it, with frames pushed as the microphone would.
        page.run.source = PushSource(48000)
        page.run.source.push(np.zeros(4800, np.int16))
        page.run._start(VoicePipeline(page.models), page.run.source, page.run._make_sink(None))
        with qtbot.waitSignal(page.run_finished, timeout=30000):
            page.run.capture.failed.emit("the microphone 'USB mic' was disconnected; pick another input device")
        assert "USB mic" in page.banner.message and not page.controls.listen_button.isChecked()
        assert not page.models.missing()  # the models stay loaded
        wav, _, _ = spoken_wav(tmp_path / "q.wav", "Still there?")
        with qtbot.waitSignal(page.turn_finished, timeout=120000):
            page.run_file(wav)
    finally:
        page.shutdown()
