"""Audio files -> float32 mono samples at 16 kHz, for the app's pipelines.

The decoder itself is :mod:`runtimes.audio_decode`: runtimes decode audio
requests in their worker process and may not import ``app``, so the one
implementation sits in the lower layer and the app uses it through this name.
See that module for the behaviour of each function.
"""

from runtimes.audio_decode import (
    SPEECH_RATE,
    AudioDecodeError,
    AudioInfo,
    audio_samples,
    iter_audio_chunks,
    load_audio_file,
    probe_audio,
    resample,
    to_mono_float32,
)

__all__ = [
    "SPEECH_RATE",
    "AudioDecodeError",
    "AudioInfo",
    "audio_samples",
    "iter_audio_chunks",
    "load_audio_file",
    "probe_audio",
    "resample",
    "to_mono_float32",
]
