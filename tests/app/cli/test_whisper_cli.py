"""workbench transcribe (text, --srt, --vtt, --json) and workbench bench on a whisper model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile

from app.chat.transcript_format import clock
from app.cli.main import main
from models.demo.whisper import write_whisper_model


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return write_whisper_model(tmp_path_factory.mktemp("whisper") / "ggml-demo.bin")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """35 s at 48 kHz: two whisper windows, so two segments."""
    path = tmp_path_factory.mktemp("audio") / "clip.flac"
    rate = 48000
    soundfile.write(path, np.random.default_rng(0).uniform(-0.2, 0.2, rate * 35), rate, subtype="PCM_16")
    return path


def transcribe(capsys, *argv) -> tuple[int, str, str]:
    code = main(["transcribe", *map(str, argv), "-t", "1"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_clock_formats():
    assert clock(3723.4567) == "01:02:03.457"
    assert clock(0.5, ",") == "00:00:00,500"


def test_plain_text_lines(capsys, model, clip):
    code, out, err = transcribe(capsys, clip, "--model", model)
    assert code == 0, err
    assert out.splitlines() == [
        "[00:00:00.000 --> 00:00:02.000]  synthetic demo output",
        "[00:00:30.000 --> 00:00:32.000]  synthetic demo output",
    ]
    assert re.search(r"language en \| 35\.0 s audio in [\d.]+ s \| RTF [\d.]+x real time", err)


def test_srt(capsys, model, clip):
    code, out, _ = transcribe(capsys, clip, "--model", model, "--srt")
    assert code == 0
    assert out == (
        "1\n00:00:00,000 --> 00:00:02,000\nsynthetic demo output\n\n"
        "2\n00:00:30,000 --> 00:00:32,000\nsynthetic demo output\n\n"
    )


def test_vtt(capsys, model, clip):
    code, out, _ = transcribe(capsys, clip, "--model", model, "--vtt", "--language", "en")
    assert code == 0
    assert out == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.000\nsynthetic demo output\n\n"
        "00:00:30.000 --> 00:00:32.000\nsynthetic demo output\n\n"
    )


def test_json(capsys, model, clip):
    code, out, _ = transcribe(capsys, clip, "--model", model, "--json", "--translate", "--prompt", "Names: Ada")
    assert code == 0
    doc = json.loads(out)
    assert doc["language"] == "en"
    assert doc["text"] == "synthetic demo output synthetic demo output"
    assert doc["segments"][1] == {"start": 30.0, "end": 32.0, "text": "synthetic demo output"}
    assert (doc["audio_rate"], doc["audio_channels"], doc["audio_format"]) == (48000, 1, "FLAC")
    metrics = doc["metrics"]
    assert metrics["audio_s"] == pytest.approx(35.0) and metrics["translate"] is True
    assert metrics["rtf"] > 0 and metrics["load_s"] > 0 and metrics["peak_rss_bytes"] > 0


def test_bad_inputs_fail_with_one_line(capsys, model, tmp_path):
    text = tmp_path / "speech.mp3"
    text.write_text("not audio")
    code, out, err = transcribe(capsys, text, "--model", model)
    assert code == 1 and out == ""
    expected = f"workbench: error: {text}: not a readable audio file (no audio stream found in it)"
    assert err.strip().splitlines()[-1] == expected

    empty_model = tmp_path / "ggml-empty.bin"
    empty_model.write_bytes(b"")
    code, _, err = transcribe(capsys, tmp_path / "missing.wav", "--model", empty_model)
    assert code == 1 and "no such audio file" in err

    wav = tmp_path / "ok.wav"
    soundfile.write(wav, np.zeros(16000, np.float32), 16000)
    code, _, err = transcribe(capsys, wav, "--model", empty_model)
    assert code == 1 and "the model file is empty" in err

    truncated = tmp_path / "ggml-cut.bin"
    truncated.write_bytes(model.read_bytes()[:100_000])
    code, _, err = transcribe(capsys, wav, "--model", truncated)
    assert code == 1 and "not a valid whisper.cpp model: the file is truncated" in err


def test_bench_reports_real_time_factor(capsys, model):
    code = main(["bench", str(model), "-r", "2", "-o", "json", "-t", "1"])
    out = capsys.readouterr().out
    assert code == 0
    (record,) = json.loads(out)
    assert record["audio"] in ("espeak-ng speech", "generated signal")
    assert record["reps"] == 2 and len(record["samples_s"]) == 2
    assert record["rtf"] == pytest.approx(np.mean([record["audio_s"] / s for s in record["samples_s"]]))
    assert record["rtf"] > 0 and record["load_s"] > 0 and record["peak_rss_mib"] > 10
    assert record["n_threads"] == 1 and record["device"] == "cpu"


def test_bench_on_a_given_file_prints_a_table(capsys, model, clip):
    code = main(["bench", str(model), "-r", "1", "--audio", str(clip), "-t", "1"])
    out = capsys.readouterr().out
    assert code == 0
    header, rule, row = out.strip().splitlines()
    assert header.split(" | ")[0] == "| model_type" and "rtf" in header
    assert "clip.flac" in row and "| 35 |" in row
