"""The selftest's voice checks: Silero VAD on ONNX Runtime, whisper.cpp and
espeak-ng, each through its worker process, on audio and models generated
here (no downloads): they prove a bundle carries each engine's native
libraries and data.

The VAD needs something it takes for speech: a pure sine is not (Silero
answers ~0 for it), so the "tone" is a voiced one: a pitch-varying harmonic
series shaped by vowel formants, in syllables of 1/3 s, between stretches of
digital silence. Silero hears speech in its first second or so; the check
asks for at least one segment, all of them inside the voiced stretch.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
SILENCE_S = 1.0  # before and after the voiced stretch
VOICED_S = 1.5
SYLLABLES_PER_S = 3.0
# F1, F2, F3 (Hz) of five vowels (Peterson & Barney averages), one per syllable in turn.
VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (570, 840, 2410))
TOLERANCE_S = 0.3  # segments may be padded and have a hang-over beyond the voiced stretch


def voiced_tone(seconds: float, f0: float = 120.0, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A vowel-like buzz: harmonics of a gliding pitch weighted by formant peaks, syllable by syllable."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 * (1 + 0.15 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    vowel = (t * SYLLABLES_PER_S).astype(int) % len(VOWELS)
    formants = np.array(VOWELS)[vowel]  # (n, 3): each sample's formant frequencies
    out = np.zeros_like(t)
    for k in range(1, 40):
        harmonic = k * pitch
        gain = (1 / np.sqrt(1 + ((harmonic[:, None] - formants) / (60 + 0.05 * formants)) ** 2)).sum(axis=1)
        out += gain / k * np.sin(k * phase)
    envelope = np.clip(1.5 * np.sin(np.pi * (t * SYLLABLES_PER_S % 1)), 0, 1)  # syllables with short gaps
    out *= envelope
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def vad_clip() -> tuple[np.ndarray, float, float]:
    """Silence, the voiced tone, silence; and where the voiced stretch starts and ends (s)."""
    silence = np.zeros(int(SILENCE_S * SAMPLE_RATE), np.float32)
    return np.concatenate([silence, voiced_tone(VOICED_S), silence]), SILENCE_S, SILENCE_S + VOICED_S


def _events(session, request) -> tuple[list, object]:
    """All events of one request and its Done; the first Error raises."""
    from runtimes.events import Done, Error

    events = []
    for event in session.run(request):
        if isinstance(event, Error):
            raise RuntimeError(event.message)
        events.append(event)
    if not events or not isinstance(events[-1], Done):
        raise RuntimeError(f"the request ended without a result ({[type(e).__name__ for e in events[-3:]]})")
    return events, events[-1]


def check_vad() -> str:
    from runtimes.events import Speech
    from runtimes.onnx.options import OnnxLoadOptions
    from runtimes.onnx.vad.detector import silero_vad_path
    from runtimes.registry import get_runtime
    from runtimes.requests import Audio, VadRequest

    samples, start_s, end_s = vad_clip()
    started = time.perf_counter()
    session = get_runtime("onnxruntime").load(silero_vad_path(), OnnxLoadOptions(n_threads=1))
    try:
        loaded_s = time.perf_counter() - started
        events, done = _events(session, VadRequest(Audio(samples=samples.tobytes(), sample_rate=SAMPLE_RATE)))
    finally:
        session.close()
    segments = [e for e in events if isinstance(e, Speech)]
    spans = ", ".join(f"{s.start_s:.2f}-{s.end_s:.2f} s" for s in segments)
    if not segments:
        raise RuntimeError(f"no speech found in the voiced tone at {start_s:.1f}-{end_s:.1f} s")
    if any(s.start_s < start_s - TOLERANCE_S or s.end_s > end_s + TOLERANCE_S for s in segments):
        raise RuntimeError(f"speech found outside the voiced tone ({start_s:.1f}-{end_s:.1f} s): {spans}")
    return (f"{len(segments)} segment(s) at {spans} in {done.result['audio_s']:.1f} s of tone, "
            f"load {loaded_s:.1f} s, run {done.result['elapsed_s'] * 1000:.0f} ms")


def check_whisper(folder: Path) -> str:
    """The synthetic demo whisper model transcribes the tone; it always answers its scripted text.
    The tone goes in as a 44.1 kHz stereo FLAC file, so the worker also decodes (libsndfile) and
    resamples (soxr) it."""
    import soundfile

    from models.demo.whisper import write_whisper_model
    from runtimes.events import Segment
    from runtimes.registry import get_runtime
    from runtimes.requests import Audio, TranscribeRequest
    from runtimes.whisper_cpp.options import WhisperLoadOptions

    model = write_whisper_model(folder / "ggml-selftest-demo.bin")
    tone = np.repeat(voiced_tone(VOICED_S, rate=44100)[:, None], 2, axis=1)
    audio = folder / "selftest-tone.flac"
    soundfile.write(audio, tone, 44100)
    started = time.perf_counter()
    session = get_runtime("whisper.cpp").load(model, WhisperLoadOptions(n_threads=1))
    try:
        events, done = _events(session, TranscribeRequest(Audio(path=str(audio))))
    finally:
        session.close()
    texts = [e.text for e in events if isinstance(e, Segment)]
    if not texts:
        raise RuntimeError("the demo whisper model returned no segment")
    if abs(done.result["audio_s"] - VOICED_S) > 0.05:
        raise RuntimeError(f"{audio.name} decoded to {done.result['audio_s']:.2f} s, not {VOICED_S} s")
    return (f"{len(texts)} segment(s) {texts[0]!r} from {done.result['audio_s']:.1f} s of 44.1 kHz FLAC "
            f"in {time.perf_counter() - started:.1f} s (demo model)")


def check_espeak() -> str:
    """espeak-ng speaks a sentence: its library and voice data are where the runtime looks."""
    from runtimes.events import AudioChunk
    from runtimes.registry import get_runtime
    from runtimes.requests import SynthesisRequest
    from runtimes.tts.espeak.runtime import default_model
    from runtimes.tts.options import TtsLoadOptions

    data = default_model()
    started = time.perf_counter()
    session = get_runtime("espeak-ng").load(data, TtsLoadOptions())
    try:
        events, _ = _events(session, SynthesisRequest("Workbench self test."))
    finally:
        session.close()
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    audio_s = sum(len(c.samples) // 4 / c.sample_rate for c in chunks)
    if audio_s < 0.3:
        raise RuntimeError(f"espeak-ng produced {audio_s:.2f} s of audio for a sentence")
    return f"{audio_s:.1f} s of speech in {time.perf_counter() - started:.1f} s (data: {data})"
