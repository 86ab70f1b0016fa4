"""The whole chain with every real stage: espeak-ng speech with silence around
it -> Silero VAD -> synthetic whisper.cpp model -> demo LLM -> espeak-ng TTS ->
a reply WAV, through the ``workbench voice`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli.main import main
from tests.support.voice_helpers import RATE, read_wav, spoken_wav, write_wav

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def whisper_model(tmp_path_factory):
    from models.demo.whisper import write_whisper_model

    return write_whisper_model(tmp_path_factory.mktemp("whisper") / "whisper-demo.bin")


def voice(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["voice", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_spoken_wav_gets_a_spoken_reply(tmp_path, capsys, whisper_model, demo_model):
    wav, start, end = spoken_wav(tmp_path / "question.wav", "Hello there. Could you tell me a short story?")
    out_wav = tmp_path / "reply.wav"
    code, out, err = voice(capsys, "--stt", str(whisper_model), "--llm", str(demo_model), "--in", str(wav),
                           "--out", str(out_wav), "--max-tokens", "48", "--seed", "1", "--json", "-t", "1")
    assert code == 0, err
    report = json.loads(out)
    (turn,) = report["turns"]
    assert turn["heard"].strip() and turn["reply"].strip()
    assert abs(turn["speech"][0] - start) <= 0.1 and abs(turn["speech"][1] - end) <= 0.1
    latency = turn["latency_ms"]
    assert 0 <= latency["transcript"] <= latency["first_token"] <= latency["llm_done"]
    assert latency["first_audio"] is not None
    stages = turn["stage_ms"]
    assert stages["stt"] > 0 and stages["llm"] > 0 and stages["tts"] > 0 and stages["vad"] > 0
    assert stages["overhead"] == pytest.approx(stages["wall"] - stages["busy"], abs=0.2)
    audio, rate = read_wav(out_wav)
    assert rate == 22050 and len(audio) / rate > 0.5 and np.abs(audio).max() > 0.05
    assert report["reply_audio_s"] == pytest.approx(len(audio) / rate, abs=0.01)


def test_the_text_report_names_every_stage(tmp_path, capsys, whisper_model, demo_model):
    wav, _, _ = spoken_wav(tmp_path / "q.wav", "What time is it?")
    code, out, err = voice(capsys, "--stt", str(whisper_model), "--llm", str(demo_model), "--in", str(wav),
                           "--out", str(tmp_path / "r.wav"), "--max-tokens", "24", "-t", "1")
    assert code == 0, err
    for line in ("end of speech → transcript", "end of speech → first LLM token", "end of speech → first audio",
                 "| VAD |", "| STT |", "| LLM |", "| TTS |", "| Workbench overhead |"):
        assert line in out
    assert "wrote " in out and "loaded STT whisper-demo.bin (whisper.cpp)" in err


def test_silence_only_is_a_clear_failure(tmp_path, capsys, whisper_model, demo_model):
    silence = write_wav(tmp_path / "silence.wav", np.zeros(2 * RATE, np.float32))
    code, out, err = voice(capsys, "--stt", str(whisper_model), "--llm", str(demo_model), "--in", str(silence),
                           "--out", str(tmp_path / "r.wav"))
    assert code == 1
    assert "no speech in the input" in err and "silence.wav" in err
    assert not (tmp_path / "r.wav").exists()


def test_bad_inputs_fail_before_any_model_loads(tmp_path, capsys, whisper_model, demo_model, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # no downloaded voices here
    (tmp_path / "text.wav").write_text("hello")
    code, _, err = voice(capsys, "--stt", str(whisper_model), "--llm", str(demo_model), "--in",
                         str(tmp_path / "text.wav"), "--out", str(tmp_path / "r.wav"))
    assert code == 1 and "text.wav: not a readable audio file" in err and "loaded" not in err
    wav, _, _ = spoken_wav(tmp_path / "q.wav", "Hi.")
    code, _, err = voice(capsys, "--stt", str(whisper_model), "--llm", str(demo_model), "--in", str(wav),
                         "--out", str(tmp_path / "r.wav"), "--tts", "kokoro")
    assert code == 1 and "voice not downloaded: Kokoro-82M" in err and "loaded STT" not in err
    code, _, err = voice(capsys, "--stt", str(demo_model), "--llm", str(demo_model), "--in", str(wav),
                         "--out", str(tmp_path / "r.wav"))
    assert code == 1 and "not a speech-to-text model" in err
