"""Real-time factor of a whisper model, measured inside its worker process.

One untimed warmup transcription, then ``reps`` timed ones of the same audio
(whisper_full end to end: mel, encoder, decoder, as whisper-cli's "total
time"). RTF is audio seconds per wall second: 10 means ten times faster than
real time. The default audio is speech from espeak-ng when it is installed,
otherwise a generated voice-like signal; records say which.
"""

from __future__ import annotations

import io
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runtimes.audio_decode import SPEECH_RATE, audio_samples, probe_audio
from runtimes.base import CancelToken
from runtimes.events import Done, Event, Metrics
from runtimes.memory import own_peak_rss, process_vram
from runtimes.requests import Audio
from runtimes.whisper_cpp.engine import DecodeSettings, WhisperEngine

BENCH_TEXT = (
    "The workbench measures how fast a speech model turns audio into text. "
    "A real time factor of ten means that one minute of speech takes six seconds. "
    "This paragraph is long enough to give the decoder several sentences to transcribe."
)


@dataclass
class WhisperBenchRequest:
    audio: Audio
    audio_label: str  # shown in the records: a file name, "espeak-ng speech" or "generated signal"
    reps: int = 5
    warmup: bool = True
    language: str = "en"


def bench_audio(path: Path | None) -> tuple[Audio, str]:
    """The audio a bench transcribes: ``path`` if given (checked here, decoded in the worker)."""
    if path is not None:
        probe_audio(path)  # a clear AudioDecodeError now rather than from the worker
        return Audio(path=str(Path(path).resolve())), Path(path).name
    speech = espeak_speech(BENCH_TEXT)
    if speech is not None:
        return speech, "espeak-ng speech"
    return Audio(samples=voice_like_signal().tobytes(), sample_rate=SPEECH_RATE), "generated signal"


def espeak_speech(text: str) -> Audio | None:
    """``text`` spoken by the espeak-ng command, or None without it."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    import soundfile

    try:
        wav = subprocess.run([exe, "--stdout", text], capture_output=True, check=True, timeout=60).stdout
        samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    except (subprocess.SubprocessError, OSError, RuntimeError):
        return None
    return Audio(samples=np.ascontiguousarray(samples, dtype=np.float32).tobytes(), sample_rate=rate)


def voice_like_signal(seconds: float = 12.0, rate: int = SPEECH_RATE, seed: int = 0) -> np.ndarray:
    """Harmonics of a wandering 90-220 Hz pitch, gated into 4 Hz syllables, plus a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = 150 + 60 * np.sin(2 * np.pi * 0.3 * t) + 10 * np.sin(2 * np.pi * 5 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    syllables = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 2 * np.pi)), 0, None) ** 2
    pauses = (np.sin(2 * np.pi * 0.25 * t) > -0.7).astype(float)  # a short silence every 4 s
    signal = 0.3 * voice * syllables * pauses + 0.01 * rng.standard_normal(t.size)
    return signal.astype(np.float32)


def run_bench(engine: WhisperEngine, model: Path, n_threads: int, load_s: float, request: WhisperBenchRequest,
              cancel: CancelToken | None) -> Iterator[Event]:
    samples = audio_samples(request.audio, SPEECH_RATE)
    audio_s = samples.size / SPEECH_RATE
    settings = DecodeSettings(request.language if engine.multilingual else "en", False, "", n_threads)
    if request.warmup:
        engine.full(samples, engine.params(settings), None, None)
    times: list[float] = []
    for rep in range(request.reps):
        if cancel is not None and cancel.cancelled:
            break
        params = engine.params(settings)
        t0 = time.perf_counter()
        code = engine.full(samples, params, None, None)
        times.append(time.perf_counter() - t0)
        if code != 0:
            raise RuntimeError(f"whisper_full returned {code}")
        yield Metrics({"done": rep + 1, "total": request.reps})
    n_segments = len(engine.segments())
    yield Done(result=[_record(engine, model, n_threads, load_s, request, audio_s, times, n_segments)] if times else [])


def _record(engine: WhisperEngine, model: Path, n_threads: int, load_s: float, request: WhisperBenchRequest,
            audio_s: float, times: list[float], n_segments: int) -> dict[str, Any]:
    from runtimes.whisper_cpp.build_info import build_info

    rtfs = [audio_s / t for t in times]
    return {
        "backend": f"whisper.cpp (pywhispercpp {build_info().version})",
        "model_filename": str(model),
        "model_type": engine.model_type,
        "device": engine.options.device,
        "n_threads": n_threads,
        "beam_size": engine.options.beam_size,
        "audio": request.audio_label,
        "audio_s": audio_s,
        "language": engine.detected_language(),
        "n_segments": n_segments,
        "reps": len(times),
        "load_s": load_s,
        "avg_s": statistics.fmean(times),
        "stddev_s": statistics.stdev(times) if len(times) > 1 else 0.0,
        "rtf": statistics.fmean(rtfs),
        "rtf_stddev": statistics.stdev(rtfs) if len(rtfs) > 1 else 0.0,
        "peak_rss_mib": own_peak_rss() / 2**20,
        "vram_bytes": process_vram(),
        "samples_s": times,
    }
