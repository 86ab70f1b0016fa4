"""Audio for the VAD: a request's Audio as float32 mono samples at 16 kHz.

Files are decoded with soundfile (libsndfile: WAV, FLAC, OGG, MP3) and
resampled with soxr; samples given as bytes are float32 mono at the stated
rate. Anything else is a clear AudioInputError, never a crash.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.errors import WorkbenchError
from runtimes.requests import Audio


class AudioInputError(WorkbenchError):
    pass


def to_mono_float32(samples: np.ndarray) -> np.ndarray:
    """(n,) or (n, channels) of any int/float dtype -> (n,) float32 in [-1, 1]."""
    samples = np.asarray(samples)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    elif samples.ndim != 1:
        raise AudioInputError(f"audio must be (samples,) or (samples, channels), got shape {samples.shape}")
    if samples.dtype.kind in "iu":
        info = np.iinfo(samples.dtype)
        scale = float(max(abs(info.min), info.max))
        offset = 0.0 if info.min < 0 else (info.max + 1) / 2  # unsigned PCM is centred on half its range
        return ((samples.astype(np.float64) - offset) / scale).astype(np.float32)
    if samples.dtype.kind != "f":
        raise AudioInputError(f"audio samples must be numbers, got {samples.dtype}")
    return samples.astype(np.float32, copy=False)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples
    if rate <= 0:
        raise AudioInputError(f"invalid sample rate {rate}")
    try:
        import soxr
    except ImportError as exc:
        raise AudioInputError(f"resampling {rate} Hz audio needs soxr ({exc}); pip install soxr") from exc
    return soxr.resample(samples, rate, target).astype(np.float32, copy=False)


def read_audio_file(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise AudioInputError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise AudioInputError(f"{path}: the audio file is empty")
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioInputError(f"{path}: not a readable audio file ({exc})") from exc
    return samples, rate


def load_audio(audio: Audio, target_rate: int) -> np.ndarray:
    """The request's audio as float32 mono at ``target_rate``; empty audio is an error."""
    if audio.path is not None:
        samples, rate = read_audio_file(Path(audio.path))
        where = audio.path
    else:
        if len(audio.samples) % 4:
            raise AudioInputError("audio samples must be float32 bytes (a multiple of 4 bytes long)")
        samples, rate, where = np.frombuffer(audio.samples, dtype=np.float32), audio.sample_rate, "audio samples"
    mono = to_mono_float32(samples)
    if mono.size == 0:
        raise AudioInputError(f"{where}: the audio has no samples")
    return resample(mono, rate, target_rate)
