"""Test helpers for the voice pipeline: real speech from espeak-ng with known
bounds (app.voice.spoken_file), and an in-process session standing in for
whisper where a test is not about STT (tests only)."""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from app.voice.spoken_file import RATE, espeak_speech, sound_bounds, spoken_wav, write_wav
from runtimes.base import CancelToken, Session, SessionStats
from runtimes.events import Done, Event, Segment

__all__ = ["RATE", "ScriptedTranscriber", "espeak_speech", "read_wav", "sound_bounds", "spoken_wav", "write_wav"]


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.astype(np.float32) / 32768, w.getframerate()


class ScriptedTranscriber(Session):
    """Stands in for whisper in pipeline tests that are not about STT: answers
    each request with ``answer(samples)`` as one Segment."""

    def __init__(self, answer: Callable[[np.ndarray], str]) -> None:
        self.answer = answer
        self.stats = SessionStats()
        self.info: dict[str, Any] = {}
        self.requests: list[np.ndarray] = []

    def run(self, request: Any, cancel: CancelToken | None = None) -> Iterator[Event]:
        samples = np.frombuffer(request.audio.samples, dtype=np.float32)
        self.requests.append(samples)
        text = self.answer(samples)
        if text:
            yield Segment(text, 0.0, len(samples) / RATE)
        yield Done(result={"language": "en", "audio_s": len(samples) / RATE, "rtf": 0.0})

    def close(self) -> None:
        pass
