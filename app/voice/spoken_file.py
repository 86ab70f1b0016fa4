"""Speech files made with espeak-ng: inputs for benchmarks, demos and tests of
the voice pipeline, with the true speech bounds known."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 16000


def sound_bounds(audio: np.ndarray, rate: int = RATE, frame_s: float = 0.01,
                 floor: float = 0.01) -> tuple[float, float]:
    """Seconds from the first to the end of the last 10 ms frame whose RMS exceeds ``floor``."""
    n = int(frame_s * rate)
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    loud = np.flatnonzero(np.sqrt(np.mean(frames**2, axis=1)) > floor)
    if not len(loud):
        return 0.0, 0.0
    return loud[0] * frame_s, (loud[-1] + 1) * frame_s


def espeak_speech(text: str, voice: str = "en-us") -> np.ndarray:
    """``text`` spoken by espeak-ng (in this process), 16 kHz float32, trimmed to the sound."""
    from runtimes.audio_decode import resample
    from runtimes.events import AudioChunk
    from runtimes.requests import SynthesisRequest
    from runtimes.tts.espeak.runtime import EspeakRuntime, default_model
    from runtimes.tts.options import TtsLoadOptions

    with EspeakRuntime().open_session(default_model(), TtsLoadOptions(voice=voice)) as session:
        chunks = [e for e in session.run(SynthesisRequest(text)) if isinstance(e, AudioChunk)]
    audio = np.frombuffer(b"".join(c.samples for c in chunks), dtype=np.float32)
    audio = resample(audio, chunks[0].sample_rate, RATE)
    start, end = sound_bounds(audio)
    return audio[int(start * RATE):int(end * RATE)]


def write_wav(path: Path, audio: np.ndarray, rate: int = RATE) -> Path:
    """16-bit mono WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return Path(path)


def spoken_wav(path: Path, text: str, lead_s: float = 1.0, tail_s: float = 1.0) -> tuple[Path, float, float]:
    """A WAV of ``text`` with silence around it, and where the speech starts and ends (seconds)."""
    speech = espeak_speech(text)
    audio = np.concatenate([np.zeros(int(lead_s * RATE), np.float32), speech,
                            np.zeros(int(tail_s * RATE), np.float32)])
    return write_wav(Path(path), audio), lead_s, lead_s + len(speech) / RATE
