"""One turn's reply, on its own thread: STT on the utterance, the LLM with the
conversation so far, and TTS sentence by sentence as tokens arrive.

A second thread speaks: the LLM reader hands each finished sentence to it and
reads on, so the first sentence is heard while the rest is still being
written. ``cancel()`` (barge-in) stops the LLM and TTS between tokens/chunks.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from app.errors import StageFailed
from app.voice.conversation import VoiceConversation
from app.voice.events import (
    AssistantSpeaking,
    ModelReloaded,
    NothingHeard,
    ReplySpoken,
    ReplyToken,
    TurnFinished,
    UserSaid,
    VoiceProblem,
)
from app.voice.models.loaded import VoiceModels
from app.voice.sentences import SentenceSplitter, speakable
from app.voice.timeline import TurnTimeline
from app.voice.vad_stage import Utterance
from runtimes.base import CancelToken

STAGE_OF = {"speech to text": "stt", "the language model": "llm", "text to speech": "tts"}


class ReplyTask(threading.Thread):
    def __init__(self, models: VoiceModels, conversation: VoiceConversation, utterance: Utterance,
                 timeline: TurnTimeline, sink, sink_lock: threading.Lock, post: Callable[[object], None]) -> None:
        super().__init__(name=f"voice-reply-{timeline.turn}", daemon=True)
        self.models = models
        self.conversation = conversation
        self.utterance = utterance
        self.timeline = timeline
        self.sink = sink
        self.sink_lock = sink_lock
        self.post = post
        self.token = CancelToken()
        self.user_text = ""
        self.reply_parts: list[str] = []

    @property
    def turn(self) -> int:
        return self.timeline.turn

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def run(self) -> None:
        try:
            self._reply()
        except StageFailed as exc:
            self.post(VoiceProblem(str(exc), STAGE_OF.get(exc.stage, "llm")))
            if exc.crashed:
                self._reload(STAGE_OF.get(exc.stage, "llm"))
        finally:
            if self.user_text:
                self.conversation.add(self.user_text, "".join(self.reply_parts), self.cancelled)
            self.timeline.finished = time.perf_counter()
            self.timeline.account(self.models.clock)
            self.post(TurnFinished(self.turn, self.user_text, "".join(self.reply_parts).strip(), self.cancelled,
                                   self.timeline))

    def _reply(self) -> None:
        heard = self.models.stt.transcribe(self.utterance.audio, self.token)
        self.timeline.transcript = time.perf_counter()
        if not heard.text.strip():
            self.post(NothingHeard(self.turn, "heard speech but could not make out any words"))
            return
        self.user_text = heard.text
        self.post(UserSaid(self.turn, heard.text, heard.language))
        if self.cancelled:
            return
        speaker = _Speaker(self)
        speaker.start()
        splitter = SentenceSplitter()
        try:
            for text in self.models.llm.stream(self.conversation.messages_for(heard.text), self.token):
                if self.timeline.first_token is None:
                    self.timeline.first_token = time.perf_counter()
                self.reply_parts.append(text)
                self.post(ReplyToken(self.turn, text))
                for piece in splitter.feed(text):
                    speaker.say(piece)
                if self.cancelled:
                    break
            self.timeline.llm_done = time.perf_counter()
            if not self.cancelled:
                for piece in splitter.flush():
                    speaker.say(piece)
        finally:
            speaker.close()
            speaker.join()
        self.timeline.tts_done = speaker.last_audio
        if speaker.failure is not None:
            raise speaker.failure

    def _reload(self, stage: str) -> None:
        try:
            seconds = self.models.reload(stage)
        except Exception as exc:  # the reload itself failed: say so, the user can pick another model
            self.post(VoiceProblem(f"could not reload {stage.upper()} model: {exc}", stage))
        else:
            self.post(ModelReloaded(stage, seconds))


class _Speaker(threading.Thread):
    """Speaks the pieces it is given, in order, into the sink."""

    _DONE = object()

    def __init__(self, task: ReplyTask) -> None:
        super().__init__(name=f"voice-tts-{task.turn}", daemon=True)
        self.task = task
        self._queue: queue.Queue = queue.Queue()
        self.last_audio: float | None = None
        self.failure: StageFailed | None = None

    def say(self, piece: str) -> None:
        self._queue.put(piece)

    def close(self) -> None:
        self._queue.put(self._DONE)

    def run(self) -> None:
        task = self.task
        while (piece := self._queue.get()) is not self._DONE:
            text = speakable(piece)
            if not text or task.cancelled or self.failure is not None:
                continue
            task.post(ReplySpoken(task.turn, text))
            try:
                for samples, rate in task.models.tts.speak(text, task.token):
                    # Checked under the lock barge-in holds while it stops the sink,
                    # so no chunk slips in after the stop.
                    with task.sink_lock:
                        if task.cancelled:
                            break
                        if samples.size:  # an engine that plays by itself (the OS voice) sends none
                            task.sink.write(samples, rate)
                    self.last_audio = time.perf_counter()
                    if task.timeline.first_audio is None:
                        task.timeline.first_audio = self.last_audio
                        task.post(AssistantSpeaking(task.turn))
            except StageFailed as exc:
                self.failure = exc
