"""Silero VAD on ONNX Runtime: real speech from espeak-ng, silence, noise,
segment bounds, the streaming API and the worker session."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from runtimes.events import Done, Error, Speech
from runtimes.onnx.options import OnnxLoadOptions
from runtimes.onnx.vad.detector import SpeechStarted, VadStream, silero_vad_path
from runtimes.onnx.vad.segmenter import VadSegmenter, VadSettings
from runtimes.registry import get_runtime
from runtimes.requests import Audio, VadRequest

PHRASE = "Voice activity detection finds speech in audio"
PAD_S = 1.0  # known silence before and after the speech
TOLERANCE_S = 0.100


def espeak(text: str) -> tuple[np.ndarray, int]:
    assert shutil.which("espeak-ng"), "espeak-ng is missing: scripts/setup.sh test installs it"
    wav = subprocess.run(["espeak-ng", "-v", "en", "--stdout", text], capture_output=True, check=True).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return samples, rate


@pytest.fixture(scope="module")
def speech_clip() -> dict:
    """The phrase padded with PAD_S of digital silence, and where the speech truly is."""
    speech, rate = espeak(PHRASE)
    voiced = np.flatnonzero(np.abs(speech) > 1e-3)  # espeak's silence is exact zeros
    silence = np.zeros(int(PAD_S * rate), np.float32)
    return {
        "samples": np.concatenate([silence, speech, silence]),
        "rate": rate,
        "start_s": PAD_S + voiced[0] / rate,
        "end_s": PAD_S + voiced[-1] / rate,
    }


@pytest.fixture(scope="module")
def vad_session():
    session = get_runtime("onnxruntime").load(silero_vad_path(), OnnxLoadOptions(n_threads=1))
    yield session
    session.close()


def speech_events(events: list) -> list[Speech]:
    return [e for e in events if isinstance(e, Speech)]


def test_silero_model_ships_in_the_package_and_needs_no_torch():
    import sys

    path = silero_vad_path()
    assert path.name == "silero_vad.onnx" and path.stat().st_size > 1_000_000
    assert "torch" not in sys.modules
    info = get_runtime("onnxruntime").describe_model(path)
    assert info["kind"] == "silero-vad"
    assert [i["name"] for i in info["inputs"]] == ["input", "state", "sr"]


def test_worker_session_finds_the_spoken_phrase_within_100_ms(vad_session, speech_clip, tmp_path):
    wav = tmp_path / "speech.wav"  # espeak's 22.05 kHz: the session resamples to 16 kHz
    soundfile.write(wav, speech_clip["samples"], speech_clip["rate"])
    events = list(vad_session.run(VadRequest(Audio(path=str(wav)))))
    done = events[-1]
    assert isinstance(done, Done), done
    segments = speech_events(events)
    assert segments, "no speech found"
    assert done.result["segments"] == [(s.start_s, s.end_s, s.probability) for s in segments]
    assert abs(segments[0].start_s - speech_clip["start_s"]) <= TOLERANCE_S
    assert abs(segments[-1].end_s - speech_clip["end_s"]) <= TOLERANCE_S
    assert all(s.probability > 0.5 for s in segments)
    assert done.result["audio_s"] == pytest.approx(len(speech_clip["samples"]) / speech_clip["rate"], abs=0.01)


@pytest.mark.parametrize("kind", ["silence", "white noise"])
def test_no_speech_in_silence_or_noise(vad_session, kind):
    rng = np.random.default_rng(0)
    samples = np.zeros(16000 * 3, np.float32) if kind == "silence" else rng.normal(0, 0.2, 16000 * 3)
    audio = Audio(samples=samples.astype(np.float32).tobytes(), sample_rate=16000)
    events = list(vad_session.run(VadRequest(audio)))
    assert isinstance(events[-1], Done), events[-1]
    assert speech_events(events) == [] and events[-1].result["segments"] == []


def test_stream_fed_in_10_ms_chunks_at_48_khz(speech_clip):
    from runtimes.audio_decode import resample

    audio = resample(speech_clip["samples"], speech_clip["rate"], 48000)
    stream = VadStream(sample_rate=48000)
    events, speaking_seen = [], False
    for offset in range(0, len(audio), 480):
        events += stream.feed(audio[offset : offset + 480])
        speaking_seen |= stream.speaking
    events += stream.flush()
    assert speaking_seen and not stream.speaking
    assert stream.time_s == pytest.approx(len(audio) / 48000, abs=0.04)
    segments = speech_events(events)
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    assert len(starts) == len(segments) >= 1
    for started, segment in zip(starts, segments, strict=True):
        assert events.index(started) < events.index(segment) and started.start_s == segment.start_s
    assert abs(segments[0].start_s - speech_clip["start_s"]) <= TOLERANCE_S
    assert abs(segments[-1].end_s - speech_clip["end_s"]) <= TOLERANCE_S


def test_stream_takes_int16_bytes_and_resets(speech_clip):
    from runtimes.audio_decode import resample

    pcm = (resample(speech_clip["samples"], speech_clip["rate"], 16000) * 32768).clip(-32768, 32767).astype(np.int16)
    stream = VadStream()
    first = speech_events(stream.feed(pcm) + stream.flush())
    stream.reset()
    assert stream.time_s == 0 and not stream.speaking
    again = speech_events(stream.feed(pcm.astype(np.float32) / 32768) + stream.flush())
    assert first and [(s.start_s, s.end_s) for s in first] == [(s.start_s, s.end_s) for s in again]
    silent = VadStream()
    assert silent.feed(np.zeros(16000, np.float32).tobytes()) == [] and silent.flush() == []


def test_threshold_one_finds_nothing_in_speech(vad_session, speech_clip):
    audio = Audio(samples=speech_clip["samples"].tobytes(), sample_rate=speech_clip["rate"])
    assert speech_events(list(vad_session.run(VadRequest(audio, threshold=0.999999)))) == []


def segments_for(probabilities: list[float], **settings) -> list:
    segmenter = VadSegmenter(VadSettings(**settings), window=100, rate=1000)  # 100 ms windows
    events = [e for p in probabilities for e in segmenter.add(p)]
    return events + segmenter.finish()


def test_segmenter_rules():
    # 300 ms of speech, then silence: a segment from 0.0 s to where the probability fell.
    assert speech_events(segments_for([0.9, 0.9, 0.9, 0.1, 0.1, 0.1], min_speech_ms=250, hangover_ms=100,
                                      pad_ms=0)) == [Speech(0.0, 0.3, pytest.approx(0.9 * 3 / 4 + 0.1 / 4))]
    # Shorter than min_speech_ms: dropped, and never announced.
    assert segments_for([0.1, 0.9, 0.9, 0.1, 0.1, 0.1], min_speech_ms=250, hangover_ms=100) == []
    # A dip shorter than the hang-over keeps one segment; a longer one splits it.
    probs = [0.9] * 3 + [0.1] * 2 + [0.9] * 3 + [0.1] * 4
    one = speech_events(segments_for(probs, min_speech_ms=200, hangover_ms=300, pad_ms=0))
    two = speech_events(segments_for(probs, min_speech_ms=200, hangover_ms=200, pad_ms=0))
    assert [(s.start_s, s.end_s) for s in one] == [(0.0, 0.8)]
    assert [(s.start_s, s.end_s) for s in two] == [(0.0, 0.3), (0.5, 0.8)]
    # Padding moves starts earlier but never into the previous segment.
    padded = speech_events(segments_for(probs, min_speech_ms=200, hangover_ms=200, pad_ms=500))
    assert [(s.start_s, s.end_s) for s in padded] == [(0.0, 0.3), (0.3, 0.8)]
    # Speech running to the end of the audio is closed there.
    assert [(s.start_s, s.end_s) for s in speech_events(segments_for([0.1, 0.9, 0.9, 0.9], pad_ms=0,
                                                                     min_speech_ms=100))] == [(0.1, 0.4)]


def test_bad_vad_input_is_a_clear_error(vad_session, tmp_path):
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are not samples")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    cases = [
        (Audio(path=str(not_audio)), "not a readable audio file"),
        (Audio(path=str(empty)), "the audio file is empty"),
        (Audio(samples=b"\x00\x00\x80"), "multiple of 4 bytes"),
        (Audio(samples=b""), "the audio has no samples"),
    ]
    for audio, message in cases:
        error = list(vad_session.run(VadRequest(audio)))[-1]
        assert isinstance(error, Error) and message in error.message, (audio, error)
    error = list(vad_session.run(VadRequest(Audio(samples=b"\x00" * 4096), threshold=1.5)))[-1]
    assert isinstance(error, Error) and "threshold must be between 0 and 1" in error.message


def test_vad_request_on_another_model_is_refused(tmp_path):
    from models.demo.onnx import build_demo_onnx

    (_, mlp), _ = build_demo_onnx(tmp_path, None)
    session = get_runtime("onnxruntime").open_session(mlp, OnnxLoadOptions())
    error = list(session.run(VadRequest(Audio(samples=b"\x00" * 4096))))[-1]
    assert isinstance(error, Error) and "workbench-mlp.onnx is not a Silero VAD model" in error.message


def test_missing_package_names_the_install_command(monkeypatch):
    import importlib.util

    from runtimes.errors import RuntimeUnavailable

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeUnavailable, match="pip install --no-deps 'silero-vad"):
        silero_vad_path()


def test_path_is_a_real_file():
    assert isinstance(silero_vad_path(), Path) and silero_vad_path().is_file()
