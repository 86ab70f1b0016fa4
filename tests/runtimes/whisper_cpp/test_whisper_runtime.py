"""The whisper.cpp runtime end to end with the synthetic model, through its worker process.

The demo model decodes one segment, "synthetic demo output" at 0-2 s, per 30 s
window (models/demo_whisper), so a 65 s clip gives three segments, produced
one window apart: enough to see them stream.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from models.demo.whisper import write_whisper_model
from runtimes.base import CancelToken
from runtimes.errors import NotSupported
from runtimes.events import Done, Error, Segment
from runtimes.registry import get_runtime
from runtimes.requests import Audio, TranscribeRequest
from runtimes.whisper_cpp.build_info import build_info
from runtimes.whisper_cpp.options import WhisperLoadOptions

WINDOW_S = 30.0


def espeak(text: str) -> tuple[np.ndarray, int]:
    assert shutil.which("espeak-ng"), "espeak-ng is missing: scripts/setup.sh test installs it"
    wav = subprocess.run(["espeak-ng", "--stdout", text], capture_output=True, check=True).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return samples, rate


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return write_whisper_model(tmp_path_factory.mktemp("whisper") / "ggml-demo.bin")


@pytest.fixture(scope="module")
def speech_file(tmp_path_factory) -> Path:
    """65 s of stereo 44.1 kHz MP3: espeak-ng speech at the start of each 30 s window."""
    speech, rate = espeak("Testing the whisper runtime of the workbench.")
    clip = np.zeros(int(65 * rate), np.float32)
    for start in (0.5, 30.5, 60.5):
        at = int(start * rate)
        clip[at : at + speech.size] = speech[: clip.size - at]
    path = tmp_path_factory.mktemp("audio") / "speech.mp3"
    soundfile.write(path, np.stack([clip, 0.5 * clip], axis=1), rate, format="MP3")
    return path


@pytest.fixture(scope="module")
def session(model):
    session = get_runtime("whisper.cpp").load(model, WhisperLoadOptions(n_threads=1))
    yield session
    session.close()


def run(session, request, cancel=None):
    """Events with the time each arrived."""
    t0 = time.perf_counter()
    return [(time.perf_counter() - t0, e) for e in session.run(request, cancel)]


def test_transcribes_a_clip_with_segments_streamed_per_window(session, speech_file):
    timed = run(session, TranscribeRequest(Audio(path=str(speech_file))))
    segments = [(t, e) for t, e in timed if isinstance(e, Segment)]
    done_at, done = timed[-1]
    assert isinstance(done, Done), timed
    assert [e.text for _, e in segments] == ["synthetic demo output"] * 3
    assert [e.start_s for _, e in segments] == pytest.approx([0.0, WINDOW_S, 2 * WINDOW_S])
    assert [e.end_s for _, e in segments] == pytest.approx([2.0, WINDOW_S + 2, 2 * WINDOW_S + 2])
    result = done.result
    # Streamed: whisper.cpp handed over the first segment with two windows still to decode, and
    # each segment reached this process a window's work apart. Batched at the end, they would
    # arrive microseconds apart in one pipe message. (The first window is not comparable with
    # the others: it also detects the language and warms up, so gaps are checked, not shares.)
    window = 0.005  # far below one window of the demo model (encoder over 1500 positions)
    assert result["transcribe_s"] - result["first_segment_s"] > 2 * window
    (first_at, _), (second_at, _), (third_at, _) = segments
    assert second_at - first_at > window and third_at - second_at > window and done_at >= third_at
    assert result["language"] == "en"
    assert result["audio_s"] == pytest.approx(65.0, abs=0.1)  # MP3 at 44.1 kHz stereo, now 16 kHz mono
    assert result["rtf"] == pytest.approx(result["audio_s"] / result["transcribe_s"])
    assert result["load_s"] > 0 and result["peak_rss_bytes"] > 50 * 2**20
    assert result["first_segment_s"] < result["transcribe_s"]
    assert done.stats.peak_rss_bytes == result["peak_rss_bytes"]


def test_language_translate_prompt_and_threads_reach_whisper(session):
    speech, rate = espeak("Hallo, wie geht es dir?")
    audio = Audio(samples=speech.astype(np.float32).tobytes(), sample_rate=rate)
    request = TranscribeRequest(audio, language="de", translate=True, initial_prompt="Workbench, whisper.cpp",
                                n_threads=2)
    events = [e for _, e in run(session, request)]
    done = events[-1]
    assert isinstance(done, Done), events
    assert done.result["language"] == "de"  # given, so not detected (the demo model would say "en")
    assert done.result["translate"] is True
    assert done.result["n_threads"] == 2
    assert [e.text for e in events if isinstance(e, Segment)] == ["synthetic demo output"]


def test_unknown_language_is_a_clear_error_and_the_session_survives(session):
    audio = Audio(samples=np.zeros(16000, np.float32).tobytes())
    events = [e for _, e in run(session, TranscribeRequest(audio, language="klingon"))]
    assert isinstance(events[-1], Error)
    assert "unknown language 'klingon'" in events[-1].message
    assert isinstance([e for _, e in run(session, TranscribeRequest(audio))][-1], Done)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"this is a text file, not audio\n" * 40, "not a readable audio file"),
])
def test_bad_audio_files_are_clear_errors(session, tmp_path, content, message):
    path = tmp_path / "input.wav"
    path.write_bytes(content)
    events = [e for _, e in run(session, TranscribeRequest(Audio(path=str(path))))]
    assert len(events) == 1 and isinstance(events[0], Error)
    assert message in events[0].message and str(path) in events[0].message


def test_odd_rate_stereo_audio_is_converted(session, tmp_path):
    path = tmp_path / "odd.wav"
    rate = 11025
    soundfile.write(path, np.random.default_rng(1).uniform(-0.3, 0.3, (rate * 4, 2)), rate, subtype="PCM_U8")
    done = [e for _, e in run(session, TranscribeRequest(Audio(path=str(path))))][-1]
    assert isinstance(done, Done), done
    assert done.result["audio_s"] == pytest.approx(4.0, abs=0.01)


def test_cancel_stops_between_windows(session):
    audio = Audio(samples=np.zeros(16000 * 300, np.float32).tobytes())  # ten windows
    cancel = CancelToken()
    events = []
    for event in session.run(TranscribeRequest(audio), cancel):
        events.append(event)
        if isinstance(event, Segment):
            cancel.cancel()
    done = events[-1]
    assert isinstance(done, Done) and done.result["cancelled"] is True
    assert done.stats.stop_reason == "cancelled"
    assert 1 <= sum(isinstance(e, Segment) for e in events) < 10


def test_devices_and_availability_describe_this_build(model):
    runtime = get_runtime("whisper.cpp")
    assert runtime.availability().ok
    assert f"pywhispercpp {build_info().version}" in runtime.availability().reason
    devices = {d.id: d for d in runtime.devices()}
    assert devices["cpu"].available
    if build_info().gpu_backends:
        assert devices["gpu"].available
    else:
        assert not devices["gpu"].available and "CPU-only" in devices["gpu"].reason
        with pytest.raises(NotSupported, match="cannot use the GPU"):
            runtime.load(model, WhisperLoadOptions(device="gpu"))


def test_load_options_become_whisper_params(model):
    from runtimes.whisper_cpp.engine import DecodeSettings, WhisperEngine

    engine = WhisperEngine(model, WhisperLoadOptions(beam_size=4, temperature_fallback=False))
    try:
        params = engine.params(DecodeSettings("de", True, "Ada Lovelace", 3))
        assert params.beam_search["beam_size"] == 4
        assert params.temperature_inc == 0.0
        assert (params.language, params.translate, params.initial_prompt, params.n_threads) == (
            "de", True, "Ada Lovelace", 3)
        engine.close()
        engine = WhisperEngine(model, WhisperLoadOptions())
        greedy = engine.params(DecodeSettings())
        # whisper.cpp detects the language for "" and "auto" alike; the binding stores "auto" as ""
        assert greedy.language in ("", "auto") and greedy.temperature_inc > 0 and greedy.greedy["best_of"] > 0
    finally:
        engine.close()
    with pytest.raises(ValueError, match="unknown whisper.cpp device"):
        WhisperLoadOptions(device="tpu")


def test_a_quantized_model_transcribes_in_process(tmp_path):
    from models.demo.whisper import DemoWhisperSpec

    path = write_whisper_model(tmp_path / "ggml-demo-q5_1.bin", DemoWhisperSpec(weight_type="Q5_1"))
    with get_runtime("whisper.cpp").open_session(path, WhisperLoadOptions(n_threads=1)) as local:
        assert local.info["description"].endswith("(Q5_1)")
        events = list(local.run(TranscribeRequest(Audio(samples=np.zeros(32000, np.float32).tobytes()))))
    assert [e.text for e in events if isinstance(e, Segment)] == ["synthetic demo output"]
    assert isinstance(events[-1], Done) and events[-1].result["audio_s"] == pytest.approx(2.0)
