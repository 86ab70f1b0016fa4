"""Test helpers for the voice pipeline: real speech from espeak-ng with known
bounds, and small in-process sessions standing in for a model (tests only)."""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.events import Done, Event, Segment
from runtimes.requests import SynthesisRequest

RATE = 16000


def espeak_speech(text: str, voice: str = "en-us") -> np.ndarray:
    """``text`` spoken by espeak-ng, 16 kHz float32, trimmed to where the sound is."""
    from app.audio_decode import resample
    from runtimes.events import AudioChunk
    from runtimes.tts.espeak_runtime import EspeakRuntime, default_model
    from runtimes.tts.options import TtsLoadOptions

    session = EspeakRuntime().open_session(default_model(), TtsLoadOptions(voice=voice))
    try:
        chunks = [e for e in session.run(SynthesisRequest(text)) if isinstance(e, AudioChunk)]
    finally:
        session.close()
    audio = np.frombuffer(b"".join(c.samples for c in chunks), dtype=np.float32)
    audio = resample(audio, chunks[0].sample_rate, RATE)
    start, end = sound_bounds(audio)
    return audio[int(start * RATE):int(end * RATE)]


def sound_bounds(audio: np.ndarray, frame_s: float = 0.01, floor: float = 0.01) -> tuple[float, float]:
    """First and last 10 ms frame whose RMS exceeds ``floor`` (seconds)."""
    n = int(frame_s * RATE)
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    loud = np.flatnonzero(np.sqrt(np.mean(frames**2, axis=1)) > floor)
    return loud[0] * frame_s, (loud[-1] + 1) * frame_s


def write_wav(path: Path, audio: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def spoken_wav(path: Path, text: str, lead_s: float = 1.0, tail_s: float = 1.0) -> tuple[Path, float, float]:
    """A WAV of ``text`` with silence around it, and the true speech bounds in seconds."""
    speech = espeak_speech(text)
    silence_a, silence_b = np.zeros(int(lead_s * RATE), np.float32), np.zeros(int(tail_s * RATE), np.float32)
    write_wav(path, np.concatenate([silence_a, speech, silence_b]))
    return path, lead_s, lead_s + len(speech) / RATE


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
