"""The four models of a voice session and their memory.

STT, LLM and TTS each load through the registry into their own worker
process (``runtime.load``), so a crash in one is a typed error, not the end of
the app, and each shows its own RSS. The Silero VAD runs in this process (see
vad_stage); its memory is the RSS it added when it was opened.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.voice.stages import ChatModel, SpeechToText, Voice
from app.voice.timeline import StageClock
from models.errors import WorkbenchError
from runtimes.base import CancelToken, LoadOptions, Session
from runtimes.memory import process_rss
from runtimes.registry import get_runtime

STAGES = ("vad", "stt", "llm", "tts")
STAGE_NAMES = {"vad": "voice activity detection", "stt": "speech to text", "llm": "the language model",
               "tts": "text to speech"}


@dataclass(frozen=True)
class ModelChoice:
    runtime: str
    path: Path
    options: LoadOptions | None = None
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or Path(self.path).name


class VoiceModels:
    def __init__(self) -> None:
        self.clock = StageClock()
        self.choices: dict[str, ModelChoice] = {}
        self.sessions: dict[str, Session] = {}
        self.vad_model: Any = None
        self.vad_rss = 0
        self.stt: SpeechToText | None = None
        self.llm: ChatModel | None = None
        self.tts: Voice | None = None
        self._lock = threading.Lock()

    def missing(self) -> list[str]:
        loaded = {"vad": self.vad_model is not None, "stt": self.stt is not None, "llm": self.llm is not None,
                  "tts": self.tts is not None}
        return [s for s in STAGES if not loaded[s]]

    def load(self, stage: str, choice: ModelChoice, cancel: CancelToken | None = None) -> float:
        """Load (or replace) one stage's model; returns the seconds it took."""
        if stage not in STAGES:
            raise ValueError(f"unknown voice stage {stage!r}; stages: {', '.join(STAGES)}")
        t0 = time.perf_counter()
        self.unload(stage)
        if stage == "vad":
            from runtimes.onnx.vad.model import SileroModel

            before = process_rss()
            model = SileroModel.open(Path(choice.path))
            with self._lock:
                self.vad_model, self.vad_rss = model, max(0, process_rss() - before)
        else:
            session = get_runtime(choice.runtime).load(Path(choice.path), choice.options, cancel)
            with self._lock:
                self.sessions[stage] = session
                self._wrap(stage, session, choice)
        self.choices[stage] = choice
        return time.perf_counter() - t0

    def use_session(self, stage: str, session: Session, choice: ModelChoice) -> None:
        """Install a session made elsewhere (the desktop's OS voice, which must live
        on the GUI thread); ``reload`` cannot recreate it, so it is not kept as a choice."""
        self.unload(stage)
        with self._lock:
            self.sessions[stage] = session
            self._wrap(stage, session, choice)
        self.choices.pop(stage, None)

    def _wrap(self, stage: str, session: Session, choice: ModelChoice) -> None:
        extra = getattr(choice.options, "extra", None) or {}
        if stage == "stt":
            self.stt = SpeechToText(session, self.clock, language=extra.get("language", "auto"))
        elif stage == "llm":
            old = self.llm
            self.llm = ChatModel(session, self.clock)
            if old is not None:
                self.llm.sampling = old.sampling
        else:
            self.tts = Voice(session, self.clock, voice=getattr(choice.options, "voice", ""))

    def reload(self, stage: str) -> float:
        """Load the same model again (after its worker died)."""
        if stage not in self.choices:
            raise WorkbenchError(f"the {STAGE_NAMES[stage]} model cannot be reloaded here; pick it again")
        return self.load(stage, self.choices[stage])

    def unload(self, stage: str) -> None:
        with self._lock:
            if stage == "vad":
                self.vad_model, self.vad_rss = None, 0
                return
            session = self.sessions.pop(stage, None)
            setattr(self, stage, None)
        if session is not None:
            session.close()

    def memory(self, stage: str) -> int | None:
        """Resident memory of the stage's worker (the VAD: what it added here)."""
        if stage == "vad":
            return self.vad_rss if self.vad_model is not None else None
        session = self.sessions.get(stage)
        if session is None:
            return None
        if hasattr(session, "memory"):
            return session.memory()[0]
        return session.stats.peak_rss_bytes or None

    def close(self) -> None:
        for stage in STAGES:
            self.unload(stage)
