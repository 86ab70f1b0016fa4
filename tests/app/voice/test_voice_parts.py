"""The voice pipeline's parts on their own: sentence splitting, stage-time
accounting, the bounded audio buffer, sinks and sources."""

from __future__ import annotations

import threading
import time
import tracemalloc
import wave

import numpy as np
import pytest

from app.errors import AudioDeviceError
from app.voice.sentences import SentenceSplitter, speakable
from app.voice.sinks import PlaybackSink, WavFileSink
from app.voice.sources import END_OF_UTTERANCE, FileSource, PushSource
from app.voice.timeline import StageClock, TurnTimeline, union_length
from app.voice.vad_stage import RecentAudio
from models.errors import WorkbenchError
from tests.support.voice_helpers import read_wav


def split_stream(tokens: list[str], **kwargs) -> list[str]:
    splitter = SentenceSplitter(**kwargs)
    out = []
    for token in tokens:
        out += splitter.feed(token)
    return out + splitter.flush()


def test_sentences_come_out_as_soon_as_they_end():
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there") == []
    assert splitter.feed(". How are") == ["Hello there."]
    assert splitter.feed(" you? Fine") == ["How are you?"]
    assert splitter.flush() == ["Fine"]


def test_numbers_and_lone_marks_do_not_end_sentences():
    assert split_stream(["It costs 1.5 euros", ". ", "...", " Ok"]) == ["It costs 1.5 euros.", "... Ok"]
    assert split_stream(["Pi is 3.14159 roughly"]) == ["Pi is 3.14159 roughly"]


def test_text_without_punctuation_is_cut_by_length_at_spaces():
    words = ("word " * 80).split(" ")
    pieces = split_stream([w + " " for w in words], soft_chars=40, hard_chars=80, first_soft_chars=20)
    assert len(pieces) > 4
    assert all(len(p) <= 80 for p in pieces)
    assert len(pieces[0]) <= 40  # the first piece is short: it decides when audio starts
    assert " ".join(pieces).split() == [w for w in words if w]


def test_long_clauses_are_cut_at_commas():
    text = "First a rather long clause that keeps going, then another one, and the end."
    assert split_stream([text[i:i + 3] for i in range(0, len(text), 3)], soft_chars=30, first_soft_chars=30)[0] \
        == "First a rather long clause that keeps going,"


def test_speakable_drops_markup_and_empty_pieces():
    assert speakable("**Bold** and `code`") == "Bold and code"
    assert speakable(" ... --- ") == ""


def test_union_length_counts_overlaps_once():
    assert union_length([(0, 2), (1, 3), (5, 6)], 0, 10) == pytest.approx(4)
    assert union_length([(0, 2), (1, 3)], 1.5, 2.5) == pytest.approx(1)
    assert union_length([], 0, 1) == 0


def test_overhead_is_wall_time_outside_every_stage_call():
    clock = StageClock()
    t0 = time.perf_counter()
    with clock.stage("llm"):
        time.sleep(0.05)
    time.sleep(0.03)  # Workbench's own work
    # Two stages at once (TTS speaking while the LLM writes) count once.
    def llm_meanwhile() -> None:
        with clock.stage("llm"):
            time.sleep(0.02)

    overlap = threading.Thread(target=llm_meanwhile)
    with clock.stage("tts"):
        overlap.start()
        time.sleep(0.02)
    overlap.join()
    timeline = TurnTimeline(1, started=t0, speech_end=t0)
    timeline.finished = time.perf_counter()
    timeline.account(clock)
    assert timeline.stage_s["llm"] == pytest.approx(0.07, abs=0.012)
    assert timeline.stage_s["tts"] == pytest.approx(0.02, abs=0.008)
    assert timeline.overhead_ms == pytest.approx(30, abs=12)


def test_timed_iteration_counts_only_time_inside_next():
    clock = StageClock()

    def slow():
        for i in range(3):
            time.sleep(0.02)
            yield i

    t0 = time.perf_counter()
    for _ in clock.timed("llm", slow()):
        time.sleep(0.02)  # the consumer's time is not the stage's
    spent = clock.between(t0, time.perf_counter())
    assert spent["llm"] == pytest.approx(0.06, abs=0.015)


def test_recent_audio_keeps_a_bounded_window_addressable_by_time():
    recent = RecentAudio(keep_s=1.0)
    for i in range(50):  # 5 s of 0.1 s chunks, each filled with its index
        recent.append(np.full(1600, i, dtype=np.float32))
    assert recent.kept_samples <= 16000 + 1600
    assert recent.slice(4.0, 4.2).tolist() == [40.0] * 1600 + [41.0] * 1600
    assert recent.slice(0.0, 1.0).size == 0  # long gone


def test_playback_sink_plays_in_order_and_stop_drops_the_rest():
    sink = PlaybackSink(sample_rate=16000)
    sink.write(np.ones(16000, np.float32), 16000)
    sink.write(np.full(8000, 2, np.float32), 16000)
    assert sink.playing and sink.queued_s == pytest.approx(1.5)
    assert sink.pull(12000).tolist() == [1.0] * 12000
    assert sink.stop() == pytest.approx(0.75)
    assert not sink.playing and sink.pull(100).size == 0


def test_playback_sink_resamples_to_the_device_rate():
    sink = PlaybackSink(sample_rate=48000)
    sink.write(np.zeros(22050, np.float32), 22050)
    sink.write(np.zeros(22050, np.float32), 22050)
    assert sink.queued_s == pytest.approx(2.0, abs=0.05)  # the stream resampler holds a few ms back


def test_wav_sink_writes_a_wav_at_the_first_chunks_rate(tmp_path):
    sink = WavFileSink(tmp_path / "out.wav")
    sink.write(np.full(22050, 0.5, np.float32), 22050)
    sink.finish()
    audio, rate = read_wav(tmp_path / "out.wav")
    assert rate == 22050 and len(audio) == 22050
    assert audio.mean() == pytest.approx(0.5, abs=0.001)


def test_push_source_resamples_marks_and_reports_a_lost_device():
    source = PushSource(sample_rate=48000)
    source.push(np.zeros(4800, dtype=np.int16))
    source.end_utterance()
    source.push(np.zeros(4800, dtype=np.int16).tobytes())
    source.fail("the microphone was unplugged")
    frames = source.frames()
    got = []
    with pytest.raises(AudioDeviceError, match="unplugged"):
        for frame in frames:
            got.append(frame)
    assert [f for f in got if isinstance(f, str)] == [END_OF_UTTERANCE]
    samples = sum(len(f) for f in got if isinstance(f, np.ndarray))
    assert 2800 <= samples <= 3200  # 2 x 0.1 s at 16 kHz, minus what the stream resampler holds back


def test_push_source_drops_the_oldest_audio_when_the_pipeline_falls_behind():
    source = PushSource(sample_rate=16000, max_queue_s=1.0)
    for _ in range(30):
        source.push(np.zeros(1600, dtype=np.float32))
    assert source.dropped_s == pytest.approx(2.0, abs=0.11)
    source.end()
    assert sum(len(f) for f in source.frames() if f is not None) <= 16000


def test_push_source_yields_ticks_when_quiet():
    source = PushSource(sample_rate=16000, tick_s=0.01)
    frames = source.frames()
    assert next(frames) is None


def test_file_source_rejects_what_is_not_audio(tmp_path):
    (tmp_path / "notes.wav").write_text("not audio at all")
    with pytest.raises(WorkbenchError, match="notes.wav"):
        FileSource(tmp_path / "notes.wav")
    with pytest.raises(WorkbenchError, match="no such audio file"):
        FileSource(tmp_path / "missing.wav")


def write_long_silence(path, hours: float, rate: int = 8000) -> int:
    """A WAV written a minute at a time (never whole in memory), with a tone every 10 min."""
    frames = int(hours * 3600 * rate)
    minute = rate * 60
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        for start in range(0, frames, minute):
            block = np.zeros(min(minute, frames - start), dtype="<i2")
            if (start // minute) % 10 == 0:
                block[: rate // 2] = 3000
            w.writeframes(block.tobytes())
    return frames


@pytest.mark.timeout(300)
def test_a_two_hour_file_is_streamed_in_small_chunks_with_bounded_memory(tmp_path):
    path = tmp_path / "two-hours.wav"
    frames = write_long_silence(path, hours=2.0)
    source = FileSource(path, chunk_s=0.5)
    assert source.duration_s == pytest.approx(7200)
    tracemalloc.start()
    try:
        largest, total = 0, 0
        for chunk in source.frames():
            largest = max(largest, len(chunk))
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == pytest.approx(frames * 2, rel=1e-3)  # all of it, at 16 kHz
    assert largest <= 16000  # never more than ~0.5 s at a time
    # The whole file at 16 kHz float32 would be 460 MB; streaming stays tiny.
    assert peak < 16 * 2**20, f"peak traced memory {peak / 2**20:.1f} MiB"
