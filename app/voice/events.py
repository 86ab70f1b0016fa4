"""What the voice pipeline reports, in order, to whoever drives it (the Voice
page, the CLI, tests). Plain dataclasses; ``turn`` numbers start at 1."""

from __future__ import annotations

from dataclasses import dataclass

from app.voice.timeline import TurnTimeline


@dataclass(frozen=True)
class InputLevel:
    """About 20 times a second: microphone RMS, speech probability, speaking or not."""

    level: float
    probability: float
    speaking: bool


@dataclass(frozen=True)
class UserSpeaking:
    turn: int
    start_s: float


@dataclass(frozen=True)
class PartialTranscript:
    turn: int
    text: str


@dataclass(frozen=True)
class UserSaid:
    turn: int
    text: str
    language: str


@dataclass(frozen=True)
class NothingHeard:
    """Speech without words, or an input with no speech at all."""

    turn: int
    reason: str


@dataclass(frozen=True)
class ReplyToken:
    turn: int
    text: str


@dataclass(frozen=True)
class ReplySpoken:
    """A piece of the reply went to TTS (sentence streaming)."""

    turn: int
    text: str


@dataclass(frozen=True)
class AssistantSpeaking:
    """The first audio of the reply reached the sink."""

    turn: int


@dataclass(frozen=True)
class BargeIn:
    """The user spoke over the reply: generation stopped, queued audio dropped."""

    turn: int
    dropped_audio_s: float


@dataclass(frozen=True)
class TurnFinished:
    turn: int
    user_text: str
    reply_text: str
    interrupted: bool
    timeline: TurnTimeline


@dataclass(frozen=True)
class VoiceProblem:
    """Something failed; the pipeline goes on (``fatal`` when the input itself ended)."""

    message: str
    stage: str  # "input", "vad", "stt", "llm", "tts"
    fatal: bool = False


@dataclass(frozen=True)
class ModelReloaded:
    stage: str
    seconds: float


VoiceEvent = (InputLevel | UserSpeaking | PartialTranscript | UserSaid | NothingHeard | ReplyToken | ReplySpoken
              | AssistantSpeaking | BargeIn | TurnFinished | VoiceProblem | ModelReloaded)
