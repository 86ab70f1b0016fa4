"""Splitting a recording on speech before transcription: bounds within
100 ms, pieces no longer than whisper's window, and a long file streamed
with bounded memory."""

from __future__ import annotations

import tracemalloc
import wave

import numpy as np
import pytest

from app.voice.vad_split import speech_pieces
from tests.support.voice_helpers import RATE, espeak_speech, write_wav

pytestmark = pytest.mark.timeout(300)


def test_each_stretch_of_speech_is_one_piece_cut_within_100_ms(tmp_path):
    phrases = [espeak_speech(t) for t in ("Good morning everyone.", "The meeting starts at ten.", "Thank you.")]
    gap = np.zeros(2 * RATE, np.float32)
    parts, truth, t = [gap], [], len(gap) / RATE
    for speech in phrases:
        truth.append((t, t + len(speech) / RATE))
        parts += [speech, gap]
        t += (len(speech) + len(gap)) / RATE
    path = write_wav(tmp_path / "meeting.wav", np.concatenate(parts))
    pieces = list(speech_pieces(path))
    assert len(pieces) == 3
    for piece, (start, end) in zip(pieces, truth, strict=True):
        assert abs(piece.start_s - start) <= 0.1 and abs(piece.end_s - end) <= 0.1
        assert len(piece.audio) / RATE == pytest.approx(piece.end_s - piece.start_s, abs=0.01)


def test_long_speech_is_split_at_the_window_length(tmp_path):
    speech = np.concatenate([espeak_speech("Numbers one two three four five six seven eight nine ten, "
                                           "and then eleven twelve thirteen fourteen.")] * 3)
    path = write_wav(tmp_path / "talk.wav", np.concatenate([np.zeros(RATE, np.float32), speech]))
    pieces = list(speech_pieces(path, hangover_ms=2000, max_piece_s=3.0))
    assert len(pieces) >= 3
    assert all(p.end_s - p.start_s <= 3.0 + 1e-6 for p in pieces)
    assert all(a.end_s <= b.start_s + 1e-6 for a, b in zip(pieces, pieces[1:], strict=False))


def test_a_long_recording_is_streamed_with_bounded_memory(tmp_path):
    """10 minutes, written a minute at a time, with speech at known minutes."""
    speech = (espeak_speech("Here is something said at this minute.") * 32767).astype("<i2")
    path = tmp_path / "long.wav"
    spoken_at = (2, 5, 8)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for minute in range(10):
            block = np.zeros(60 * RATE, dtype="<i2")
            if minute in spoken_at:
                block[10 * RATE:10 * RATE + len(speech)] = speech
            w.writeframes(block.tobytes())
    tracemalloc.start()
    try:
        pieces = list(speech_pieces(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [round(p.start_s) for p in pieces] == [m * 60 + 10 for m in spoken_at]
    # The whole file as float32 would be 38 MB; the stream keeps about half a minute.
    assert peak < 12 * 2**20, f"peak traced memory {peak / 2**20:.1f} MiB"


def test_transcribe_vad_skips_silence_and_keeps_file_times(tmp_path, capsys):
    import json

    from app.cli.main import main
    from models.demo.whisper import write_whisper_model

    model = write_whisper_model(tmp_path / "whisper-demo.bin")
    speech = espeak_speech("Here is the first thing.")
    silence = np.zeros(40 * RATE, np.float32)  # longer than whisper's 30 s window
    path = write_wav(tmp_path / "sparse.wav", np.concatenate([silence, speech, silence, speech, silence[:RATE]]))
    first, second = 40.0, 80.0 + len(speech) / RATE
    assert main(["transcribe", str(path), "-m", str(model), "--vad", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    metrics = doc["metrics"]
    assert metrics["vad_pieces"] == 2
    assert metrics["audio_s"] == pytest.approx(len(speech) * 2 / RATE + 81, abs=0.01)
    assert metrics["speech_s"] == pytest.approx(2 * len(speech) / RATE, abs=0.3)
    assert doc["segments"], doc
    for segment in doc["segments"]:  # every segment lies in one of the two stretches of speech, in file time
        assert any(start - 0.1 <= segment["start"] <= start + len(speech) / RATE + 0.1
                   for start in (first, second)), segment
    assert {round(s["start"]) >= 80 for s in doc["segments"]} == {False, True}
