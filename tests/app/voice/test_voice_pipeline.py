"""The voice pipeline with real Silero VAD, the demo LLM and espeak-ng in their
workers. STT here is a scripted stand-in (these tests are about the pipeline;
test_voice_whisper.py runs the synthetic whisper model end to end)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.voice.events import (
    AssistantSpeaking,
    BargeIn,
    ModelReloaded,
    NothingHeard,
    PartialTranscript,
    ReplyToken,
    TurnFinished,
    UserSaid,
    VoiceProblem,
)
from app.voice.models.choice import llm_choice, tts_choice, vad_choice
from app.voice.models.loaded import VoiceModels
from app.voice.pipeline import PipelineSettings, VoicePipeline
from app.voice.sinks import PlaybackSink, WavFileSink
from app.voice.sources import FileSource, PushSource
from app.voice.stages import SpeechToText
from app.voice.vad_stage import VadSettings
from models.errors import VoiceNotDownloaded, WorkbenchError
from runtimes.requests import Sampling
from tests.support.voice_helpers import RATE, ScriptedTranscriber, espeak_speech, read_wav, spoken_wav, write_wav

pytestmark = pytest.mark.timeout(240)
# One thread per model: on a small shared machine, llama.cpp's spinning threads
# fight over the cores and a reply can take 20x longer.
ONE_THREAD = 1


@pytest.fixture(scope="module")
def models(demo_model):
    loaded = VoiceModels()
    loaded.load("vad", vad_choice())
    loaded.load("llm", llm_choice(demo_model, n_ctx=1024, n_threads=ONE_THREAD))
    loaded.load("tts", tts_choice("espeak"))
    loaded.llm.sampling = Sampling(max_tokens=40, temperature=0.7, seed=7)
    transcriber = ScriptedTranscriber(lambda samples: f"I said {len(samples) // RATE} seconds of words")
    loaded.stt = SpeechToText(transcriber, loaded.clock)
    loaded.transcriber = transcriber
    yield loaded
    loaded.close()


def run_file(models, path: Path, out: Path, **settings) -> list:
    pipeline = VoicePipeline(models, PipelineSettings(**settings))
    return list(pipeline.run(FileSource(path), WavFileSink(out)))


def of(kind, events):
    return [e for e in events if isinstance(e, kind)]


def test_a_spoken_file_becomes_a_transcribed_turn_and_a_spoken_reply(models, tmp_path):
    wav, start, end = spoken_wav(tmp_path / "in.wav", "Hello there. What is the weather like today?")
    events = run_file(models, wav, tmp_path / "reply.wav")
    assert not of(VoiceProblem, events), of(VoiceProblem, events)
    (finished,) = of(TurnFinished, events)
    assert finished.user_text.startswith("I said") and finished.reply_text
    timeline = finished.timeline
    # The VAD's cut, seen through the pipeline: within 100 ms of where the speech is.
    assert abs(timeline.speech_start_s - start) <= 0.1
    assert abs(timeline.speech_end_s - end) <= 0.1
    assert len(models.transcriber.requests[-1]) / RATE == pytest.approx(end - start, abs=0.2)
    marks = [timeline.speech_end, timeline.transcript, timeline.first_token, timeline.first_audio]
    assert all(m is not None for m in marks) and marks == sorted(marks)
    assert set(timeline.stage_s) >= {"vad", "stt", "llm", "tts", "overhead", "wall"}
    audio, rate = read_wav(tmp_path / "reply.wav")
    assert rate == 22050 and len(audio) > rate // 2 and np.abs(audio).max() > 0.05


def test_silence_only_is_reported_and_the_next_run_works(models, tmp_path):
    silence = write_wav(tmp_path / "silence.wav", np.zeros(3 * RATE, np.float32))
    events = run_file(models, silence, tmp_path / "none.wav")
    (nothing,) = of(NothingHeard, events)
    assert "no speech" in nothing.reason and not of(TurnFinished, events)
    wav, _, _ = spoken_wav(tmp_path / "in.wav", "Are you there?")
    assert of(TurnFinished, run_file(models, wav, tmp_path / "reply.wav"))


def test_long_speech_is_cut_at_the_utterance_limit(models, tmp_path):
    speech = espeak_speech("This is a long stretch of speech that goes on without any real pause at all, "
                           "on and on, for a good many seconds.")
    assert len(speech) / RATE > 5
    wav = write_wav(tmp_path / "long.wav", np.concatenate([np.zeros(RATE // 2, np.float32), speech]))
    vad = VadSettings(max_utterance_s=2.0, hangover_ms=1000)
    events = run_file(models, wav, tmp_path / "reply.wav", vad=vad)
    turns = of(TurnFinished, events)
    assert len(turns) >= 2
    assert all(t.timeline.speech_end_s - t.timeline.speech_start_s <= 2.1 for t in turns)


def test_max_turns_stops_after_the_first_reply(models, tmp_path):
    first = espeak_speech("First question.")
    gap = np.zeros(RATE, np.float32)
    wav = write_wav(tmp_path / "two.wav", np.concatenate([gap, first, gap, first, gap]))
    assert len(of(TurnFinished, run_file(models, wav, tmp_path / "a.wav"))) == 2
    assert len(of(TurnFinished, run_file(models, wav, tmp_path / "b.wav", max_turns=1))) == 1


def test_missing_models_and_voices_are_clear_errors(models, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))  # no downloaded voices here
    with pytest.raises(VoiceNotDownloaded, match="voice not downloaded: Kokoro-82M"):
        tts_choice("kokoro", models_folder=tmp_path)
    empty = VoiceModels()
    with pytest.raises(WorkbenchError, match="load a model for VAD, STT, LLM, TTS first"):
        next(VoicePipeline(empty).run(PushSource(RATE), PlaybackSink()))


def test_a_microphone_that_disappears_ends_the_run_with_a_message(models):
    source = PushSource(RATE)
    source.push(np.zeros(RATE // 2, np.float32))
    source.fail("the input device 'USB mic' disappeared")
    events = list(VoicePipeline(models).run(source, PlaybackSink(RATE)))
    (problem,) = of(VoiceProblem, events)
    assert problem.fatal and problem.stage == "input" and "USB mic" in problem.message


def test_an_llm_killed_mid_reply_is_reported_and_reloaded(models, tmp_path):
    wav, _, _ = spoken_wav(tmp_path / "in.wav", "Tell me a story please.")
    models.llm.sampling = Sampling(max_tokens=400, temperature=0.7, seed=3)
    old_pid = models.sessions["llm"].pid
    events = []
    try:
        for event in VoicePipeline(models).run(FileSource(wav), WavFileSink(tmp_path / "r.wav")):
            events.append(event)
            if isinstance(event, ReplyToken) and len(of(ReplyToken, events)) == 3:
                os.kill(old_pid, signal.SIGKILL)
    finally:
        models.llm.sampling = Sampling(max_tokens=40, temperature=0.7, seed=7)
    problems = of(VoiceProblem, events)
    assert problems and problems[0].stage == "llm" and "mid-reply" in problems[0].message
    assert of(ModelReloaded, events)[0].stage == "llm"
    assert models.sessions["llm"].pid != old_pid
    # Recovered without a restart: the next turn gets a reply from the new worker.
    again = run_file(models, wav, tmp_path / "again.wav")
    assert not of(VoiceProblem, again) and of(TurnFinished, again)[0].reply_text


def test_barge_in_stops_playback_and_takes_the_new_utterance(models):
    models.llm.sampling = Sampling(max_tokens=120, temperature=0.7, seed=5)
    source, sink = PushSource(RATE), PlaybackSink(RATE)
    speech = espeak_speech("Hello, can you hear me?")
    assistant_speaking, stop = threading.Event(), threading.Event()
    frame = RATE // 50  # 20 ms, fed and played in real time

    def feed(audio: np.ndarray) -> None:
        for i in range(0, len(audio), frame):
            source.push(audio[i:i + frame])
            time.sleep(0.02)

    def user() -> None:
        silence = np.zeros(RATE // 2, np.float32)
        feed(silence)
        feed(speech)
        while not assistant_speaking.is_set() and not stop.is_set():
            feed(np.zeros(frame, np.float32))
        feed(np.zeros(RATE // 5, np.float32))
        feed(speech)  # talking over the assistant
        feed(silence)
        feed(silence)
        source.end()

    def speaker() -> None:
        while not stop.is_set():
            sink.pull(frame)
            time.sleep(0.02)

    threads = [threading.Thread(target=user), threading.Thread(target=speaker)]
    for thread in threads:
        thread.start()
    events = []
    try:
        for event in VoicePipeline(models).run(source, sink):
            events.append(event)
            if isinstance(event, AssistantSpeaking):
                assistant_speaking.set()
            if isinstance(event, BargeIn):
                queued_after_stop = sink.queued_s
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        models.llm.sampling = Sampling(max_tokens=40, temperature=0.7, seed=7)
    (barge,) = of(BargeIn, events)
    order = [type(e).__name__ for e in events if isinstance(e, AssistantSpeaking | BargeIn | TurnFinished)]
    assert order.index("BargeIn") > order.index("AssistantSpeaking")
    assert barge.turn == 1 and barge.dropped_audio_s > 0 and sink.stops == 1
    assert queued_after_stop == 0  # playback stopped: nothing left to hear from turn 1
    finished = {t.turn: t for t in of(TurnFinished, events)}
    # Turn 1 was cut while being written (interrupted) or while its audio played after the
    # last token; which one depends on timing, so only its completion is asserted.
    assert set(finished) == {1, 2}
    assert [s.turn for s in of(UserSaid, events)] == [1, 2]  # the new utterance was taken
    assert finished[2].reply_text


def test_partial_transcripts_arrive_while_the_user_is_still_talking(models):
    source = PushSource(RATE, tick_s=0.01)
    speech = espeak_speech("This is a fairly long sentence, spoken slowly, so that partial text can show up.")
    assert len(speech) / RATE > 3

    def user() -> None:
        frame = RATE // 50
        for audio in (np.zeros(RATE // 2, np.float32), speech, np.zeros(RATE, np.float32)):
            for i in range(0, len(audio), frame):
                source.push(audio[i:i + frame])
                time.sleep(0.02)
        source.end()

    feeder = threading.Thread(target=user)
    feeder.start()
    settings = PipelineSettings(partial_every_s=0.7)
    events = list(VoicePipeline(models, settings).run(source, PlaybackSink(RATE)))
    feeder.join()
    kinds = [type(e).__name__ for e in events]
    partials = of(PartialTranscript, events)
    assert len(partials) >= 2, kinds
    assert kinds.index("PartialTranscript") < kinds.index("UserSaid")
    # Each partial covers more of the utterance than the one before.
    lengths = [int(p.text.split()[2]) for p in partials]
    assert lengths == sorted(lengths)
