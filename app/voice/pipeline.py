"""The voice pipeline: audio source -> VAD -> (per utterance) STT -> LLM -> TTS -> sink.

``VoicePipeline.run(source, sink, cancel)`` is a generator of VoiceEvents, so
the UI runs it with ui.shell.workers.start_worker and the CLI simply iterates it.
The loop reads frames and runs the VAD; each finished utterance starts a
ReplyTask thread. Speech that starts while a reply is being made or played
is barge-in: the reply is cancelled, queued audio is dropped, and the new
utterance becomes the next turn.

File input runs faster than real time, so by default the loop waits for a
reply before reading on (``wait_for_reply``); live input never waits.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.deferred_gc import DeferredGc
from app.errors import AudioDeviceError, StageFailed
from app.voice.conversation import VoiceConversation
from app.voice.events import (
    BargeIn,
    InputLevel,
    NothingHeard,
    PartialTranscript,
    UserSpeaking,
    VoiceEvent,
    VoiceProblem,
)
from app.voice.models.loaded import VoiceModels
from app.voice.reply import ReplyTask
from app.voice.sources import END_OF_UTTERANCE
from app.voice.timeline import TurnTimeline
from app.voice.vad_stage import SpeechBegan, Utterance, VadSettings, VadStage
from models.errors import WorkbenchError
from runtimes.base import CancelToken

LEVEL_EVERY_S = 0.05
KEEP_INTERVALS_S = 600.0  # stage intervals older than this belong to finished turns


@dataclass
class PipelineSettings:
    vad: VadSettings = field(default_factory=VadSettings)
    partial_every_s: float = 0.0  # > 0: transcribe the utterance so far this often while the user talks
    wait_for_reply: bool | None = None  # None: wait for file input, not for live input
    barge_in: bool = True
    max_turns: int | None = None  # stop listening after this many turns (the CLI's one-turn run)
    # Headless runs hold Python's cyclic GC back while a turn is in flight and collect between turns,
    # so no collection pause lands between two stage calls (the desktop app collects on its GUI thread).
    defer_gc: bool = True


class VoicePipeline:
    def __init__(self, models: VoiceModels, settings: PipelineSettings | None = None,
                 conversation: VoiceConversation | None = None) -> None:
        self.models = models
        self.settings = settings or PipelineSettings()
        self.conversation = conversation or VoiceConversation()
        self.turns = 0
        self._events: queue.SimpleQueue = queue.SimpleQueue()  # C-level: cheap per streamed token
        self._sink_lock = threading.Lock()
        self._partial: threading.Thread | None = None
        self._gc: DeferredGc | None = None

    def run(self, source, sink, cancel: CancelToken | None = None) -> Iterator[VoiceEvent]:
        missing = self.models.missing()
        if missing:
            raise WorkbenchError(f"load a model for {', '.join(m.upper() for m in missing)} first")
        cancel = cancel or CancelToken()
        live = bool(getattr(source, "realtime", True))
        wait = (not live) if self.settings.wait_for_reply is None else self.settings.wait_for_reply
        self._gc = DeferredGc() if self.settings.defer_gc and gc.isenabled() else None
        try:
            yield from self._run(source, sink, cancel, live, wait)
        finally:
            if self._gc:
                self._gc.restore()
                self._gc = None

    def _run(self, source, sink, cancel: CancelToken, live: bool, wait: bool) -> Iterator[VoiceEvent]:
        vad = VadStage(self.models.vad_model, self.settings.vad, self.models.clock)
        state = _RunState(time.perf_counter())
        try:
            for frame in source.frames():
                yield from self._drain()
                if cancel.cancelled:
                    break
                if frame is None:
                    if self._gc and not vad.speaking and not (state.reply and state.reply.is_alive()):
                        self._gc.collect_if_due()  # idle listening: nothing is waiting on us
                    continue
                if state.turn_started is None:
                    state.turn_started = time.perf_counter()
                found = vad.flush() if isinstance(frame, str) and frame == END_OF_UTTERANCE else vad.feed(frame)
                yield from self._handle(found, vad, sink, state, live)
                if self.settings.max_turns is not None and state.turns_started >= self.settings.max_turns:
                    break
                self._maybe_partial(vad, state)
                if state.reply is not None and wait:
                    yield from self._wait(state.reply, cancel)
                now = time.perf_counter()
                if live and now - state.level_at >= LEVEL_EVERY_S:
                    state.level_at = now
                    yield InputLevel(vad.level, vad.probability, vad.speaking)
            if not cancel.cancelled and not self._enough(state):
                yield from self._handle(vad.flush(), vad, sink, state, live)
        except AudioDeviceError as exc:
            yield VoiceProblem(str(exc), "input", fatal=True)
        except WorkbenchError as exc:  # e.g. the file turned out corrupt mid-stream
            yield VoiceProblem(str(exc), "input", fatal=True)
        except GeneratorExit:  # the consumer stopped listening: so does the reply
            if state.reply is not None:
                state.reply.cancel()
            raise
        finally:
            if state.reply is not None and cancel.cancelled:
                state.reply.cancel()
        if state.reply is not None:
            yield from self._wait(state.reply, cancel)
        yield from self._drain()
        sink.finish()
        if not state.heard_speech and not cancel.cancelled:
            yield NothingHeard(self.turns, "no speech in the input: only silence or noise was heard "
                                            f"(VAD threshold {self.settings.vad.threshold})")

    def _enough(self, state: _RunState) -> bool:
        return self.settings.max_turns is not None and state.turns_started >= self.settings.max_turns

    def _handle(self, found: list, vad: VadStage, sink, state: _RunState, live: bool) -> Iterator[VoiceEvent]:
        for event in found:
            if isinstance(event, SpeechBegan):
                state.heard_speech = True
                yield UserSpeaking(self.turns + 1, event.start_s)
                if self.settings.barge_in:
                    yield from self._barge_in(state.reply, sink)
            elif isinstance(event, Utterance) and not self._enough(state):
                state.heard_speech = True
                state.turns_started += 1
                yield from self._start_reply(event, sink, state, live)

    def _barge_in(self, reply: ReplyTask | None, sink) -> Iterator[VoiceEvent]:
        busy = reply is not None and reply.is_alive() and not reply.cancelled
        if not busy and not sink.playing:
            return
        with self._sink_lock:
            if reply is not None:
                reply.cancel()
            dropped = sink.stop()
        yield BargeIn(reply.turn if reply is not None else self.turns, dropped)

    def _start_reply(self, utterance: Utterance, sink, state: _RunState, live: bool) -> Iterator[VoiceEvent]:
        if state.reply is not None and state.reply.is_alive():
            state.reply.cancel()  # a new utterance supersedes a reply still in the making
            yield from self._wait(state.reply, None)
        self.turns += 1
        decided = time.perf_counter()
        self.models.clock.forget_before(decided - KEEP_INTERVALS_S)  # hours of listening stay small
        timeline = TurnTimeline(self.turns, started=decided if live else (state.turn_started or decided),
                                speech_start_s=utterance.start_s, speech_end_s=utterance.end_s, speech_end=decided)
        timeline.vad_delay_s = utterance.decided_after_s
        state.turn_started = None
        state.partial_at = 0.0
        state.reply = ReplyTask(self.models, self.conversation, utterance, timeline, sink, self._sink_lock,
                                self._events.put)
        state.reply.start()

    def _maybe_partial(self, vad: VadStage, state: _RunState) -> None:
        every = self.settings.partial_every_s
        if every <= 0 or not vad.speaking:
            return
        heard = len(vad.partial_audio()) / 16000
        if heard - state.partial_at < every or (self._partial is not None and self._partial.is_alive()):
            return
        state.partial_at = heard
        audio, turn = vad.partial_audio(), self.turns + 1
        self._partial = threading.Thread(target=self._transcribe_partial, args=(audio, turn), daemon=True,
                                         name="voice-partial")
        self._partial.start()

    def _transcribe_partial(self, audio, turn: int) -> None:
        try:
            heard = self.models.stt.transcribe(audio)
        except StageFailed:
            return  # the final transcript will report a real failure
        if heard.text:
            self._events.put(PartialTranscript(turn, heard.text))

    def _wait(self, reply: ReplyTask, cancel: CancelToken | None) -> Iterator[VoiceEvent]:
        while reply.is_alive():
            if cancel is not None and cancel.cancelled:
                reply.cancel()
            reply.join(timeout=0.02)
            yield from self._drain()
        yield from self._drain()
        if self._gc:
            self._gc.collect_if_due()  # between turns

    def _drain(self) -> Iterator[VoiceEvent]:
        while True:
            try:
                yield self._events.get_nowait()
            except queue.Empty:
                return


@dataclass
class _RunState:
    level_at: float
    turn_started: float | None = None
    reply: ReplyTask | None = None
    heard_speech: bool = False
    partial_at: float = 0.0
    turns_started: int = 0
