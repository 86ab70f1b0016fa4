"""Audio files and sample buffers as float32 mono at one rate (16 kHz for speech models).

Lives in ``runtimes`` because runtimes decode ``Audio(path=...)`` requests in
their worker process and may not import ``app``; the app imports it from here
(``runtimes.audio_decode`` re-exports it).

* Decoding: soundfile (libsndfile >= 1.1, bundled in its wheels) reads WAV,
  FLAC, OGG/Vorbis/Opus and MP3 without ffmpeg.
* Resampling: soxr, because it is a proper band-limited resampler (no aliasing
  when 44.1/48 kHz speech goes down to 16 kHz), fast, and it resamples as a
  stream, so a long file is converted chunk by chunk (``iter_audio_chunks``)
  with the same result as converting it whole.
* Channels are averaged to mono; integer samples are scaled to [-1, 1].

Every failure is an :class:`AudioDecodeError` naming the file and the problem.

API::

    probe_audio(path) -> AudioInfo            # rate, channels, frames, duration, format
    load_audio_file(path, target_rate=16000) -> np.ndarray[float32]   # whole file
    iter_audio_chunks(path, chunk_s=1.0, target_rate=16000) -> Iterator[np.ndarray]
    audio_samples(audio: runtimes.requests.Audio, target_rate=16000) -> np.ndarray
    to_mono_float32(samples) -> np.ndarray     # (n,) or (n, channels), any dtype
    resample(samples, rate, target_rate=16000) -> np.ndarray
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runtimes.errors import AudioDecodeError
from runtimes.requests import Audio

SPEECH_RATE = 16000  # whisper's and Silero VAD's input rate
_READ_BLOCK_S = 30.0  # load_audio_file reads this much at a time, so stereo 48 kHz never sits whole in memory


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sample_rate: int
    channels: int
    frames: int
    format: str  # libsndfile's name, e.g. "WAV", "FLAC", "OGG", "MP3"
    subtype: str  # e.g. "PCM_16", "VORBIS", "MPEG_LAYER_III"

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise AudioDecodeError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(f"{path}: the audio file is empty (0 bytes)")


def _open(path: Path) -> Any:
    import soundfile

    _check_file(path)
    try:
        return soundfile.SoundFile(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        detail = getattr(exc, "error_string", None) or str(exc)
        if "does not exist" in detail:  # libsndfile's words when its MP3 decoder finds no frames
            detail = "no audio stream found in it"
        raise AudioDecodeError(f"{path}: not a readable audio file ({detail})") from exc


def probe_audio(path: str | Path) -> AudioInfo:
    """What the file holds, without decoding it; raises AudioDecodeError if it is not audio."""
    path = Path(path)
    with _open(path) as f:
        return AudioInfo(str(path), f.samplerate, f.channels, f.frames, f.format, f.subtype)


def to_mono_float32(samples: Any) -> np.ndarray:
    """(n,) or (n, channels) samples of any int/float dtype -> (n,) float32, channels averaged."""
    samples = np.asarray(samples)
    if samples.ndim == 2:
        samples = samples.mean(axis=1, dtype=np.float64) if samples.shape[1] > 1 else samples[:, 0]
    elif samples.ndim != 1:
        raise AudioDecodeError(f"audio must be (samples,) or (samples, channels), got shape {samples.shape}")
    if samples.dtype.kind in "iu":
        info = np.iinfo(samples.dtype)
        offset = 0.0 if info.min < 0 else (info.max + 1) / 2  # unsigned PCM is centred on half its range
        scale = float(info.max + 1) if info.min < 0 else (info.max + 1) / 2
        return ((samples.astype(np.float64) - offset) / scale).astype(np.float32)
    if samples.dtype.kind != "f":
        raise AudioDecodeError(f"audio samples must be numbers, got {samples.dtype}")
    return samples.astype(np.float32, copy=False)


def resample(samples: np.ndarray, rate: int, target_rate: int = SPEECH_RATE) -> np.ndarray:
    """Mono float32 ``samples`` at ``rate`` -> ``target_rate`` (soxr, high quality)."""
    if rate <= 0 or target_rate <= 0:
        raise AudioDecodeError(f"invalid sample rate {rate} Hz -> {target_rate} Hz")
    if rate == target_rate or samples.size == 0:
        return samples
    import soxr

    return soxr.resample(samples, rate, target_rate, quality="HQ").astype(np.float32, copy=False)


def iter_audio_chunks(path: str | Path, chunk_s: float = 1.0, target_rate: int = SPEECH_RATE) -> Iterator[np.ndarray]:
    """Decode ``path`` a chunk at a time: float32 mono arrays of about ``chunk_s``
    seconds at ``target_rate`` (the last one shorter). Memory stays at one chunk
    however long the file; the concatenated chunks equal ``load_audio_file``.

    Raises AudioDecodeError before the first chunk if the file is not audio or
    has no samples, and mid-stream if the file turns out to be corrupt.
    """
    import soundfile
    import soxr

    if chunk_s <= 0:
        raise ValueError("chunk_s must be > 0")
    path = Path(path)
    with _open(path) as f:
        if f.frames == 0:
            raise AudioDecodeError(f"{path}: the audio file has no samples")
        rate = f.samplerate
        stream = None
        if rate != target_rate:
            stream = soxr.ResampleStream(rate, target_rate, 1, dtype="float32", quality="HQ")
        block = max(1, int(round(chunk_s * rate)))
        produced = 0
        while True:
            try:
                data = f.read(block, dtype="float32", always_2d=True)
            except (soundfile.LibsndfileError, RuntimeError) as exc:
                raise AudioDecodeError(f"{path}: corrupt audio after {produced / target_rate:.1f} s ({exc})") from exc
            last = len(data) < block
            mono = to_mono_float32(data)
            out = mono if stream is None else stream.resample_chunk(mono, last=last)
            if out.size:
                produced += out.size
                yield out
            if last:
                break
        if produced == 0:
            raise AudioDecodeError(f"{path}: the audio file has no samples")


def load_audio_file(path: str | Path, target_rate: int = SPEECH_RATE) -> np.ndarray:
    """The whole file as one float32 mono array at ``target_rate``."""
    chunks = list(iter_audio_chunks(path, _READ_BLOCK_S, target_rate))
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def audio_samples(audio: Audio, target_rate: int = SPEECH_RATE) -> np.ndarray:
    """A request's :class:`Audio` (a file, or float32 mono bytes at ``audio.sample_rate``)
    as float32 mono at ``target_rate``; empty audio is an AudioDecodeError."""
    if audio.path is not None:
        return load_audio_file(audio.path, target_rate)
    if len(audio.samples) % 4:
        raise AudioDecodeError("audio samples must be float32 bytes (a multiple of 4 bytes long)")
    samples = np.frombuffer(audio.samples, dtype=np.float32)
    if samples.size == 0:
        raise AudioDecodeError("the audio has no samples")
    if not np.isfinite(samples).all():
        raise AudioDecodeError("the audio samples contain NaN or infinity")
    return resample(samples, audio.sample_rate, target_rate)
