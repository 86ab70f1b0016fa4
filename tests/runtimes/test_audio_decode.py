"""Audio decoding: formats, downmixing, resampling, chunked streaming, bad files."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile

from runtimes.audio_decode import audio_samples, iter_audio_chunks, load_audio_file, probe_audio, to_mono_float32
from runtimes.errors import AudioDecodeError
from runtimes.requests import Audio


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(samples: np.ndarray, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])


def band_level(samples: np.ndarray, low: float, high: float, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    return float(spectrum[(freqs >= low) & (freqs <= high)].max())


def test_stereo_44k_is_downmixed_and_resampled_to_16k(tmp_path):
    left, right = tone(440, 2.0, 44100, 0.8), tone(1000, 2.0, 44100, 0.4)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, np.stack([left, right], axis=1), 44100, subtype="PCM_16")

    info = probe_audio(path)
    assert (info.sample_rate, info.channels, info.format) == (44100, 2, "WAV")
    mono = load_audio_file(path)
    assert mono.dtype == np.float32
    assert abs(mono.size - 32000) <= 1
    # both channels survive at half their amplitude (mean of the channels)
    middle = mono[4000:-4000]
    assert band_level(middle, 430, 450) == pytest.approx(2 * band_level(middle, 990, 1010), rel=0.05)
    assert np.abs(middle).max() == pytest.approx(0.6, abs=0.03)  # (0.8 + 0.4) / 2 at the peaks' best overlap


def test_resampler_removes_tones_above_the_new_nyquist(tmp_path):
    """A proper resampler filters 10 kHz out; naive decimation would fold it to 6 kHz."""
    path = tmp_path / "high.wav"
    signal = tone(1000, 1.0, 48000, 0.3) + tone(10000, 1.0, 48000, 0.3)
    soundfile.write(path, signal, 48000, subtype="FLOAT")
    mono = load_audio_file(path)
    assert peak_hz(mono) == pytest.approx(1000, abs=5)
    assert band_level(mono, 5900, 6100) < band_level(mono, 990, 1010) / 1000


@pytest.mark.parametrize(("fmt", "subtype", "ext"), [
    ("WAV", "PCM_16", "wav"), ("FLAC", "PCM_24", "flac"), ("OGG", "VORBIS", "ogg"), ("MP3", "MPEG_LAYER_III", "mp3"),
])
def test_each_container_decodes_to_the_same_tone(tmp_path, fmt, subtype, ext):
    path = tmp_path / f"tone.{ext}"
    soundfile.write(path, tone(523.25, 1.5, 22050), 22050, format=fmt, subtype=subtype)
    mono = load_audio_file(path)
    assert probe_audio(path).format == fmt
    # MP3 adds encoder delay/padding; the others are exact in length
    assert abs(mono.size - 24000) <= (2000 if ext == "mp3" else 1)
    assert peak_hz(mono[2000:-2000]) == pytest.approx(523.25, abs=5)


def test_chunks_stream_and_add_up_to_the_whole_file(tmp_path):
    path = tmp_path / "long.flac"
    rate = 44100
    soundfile.write(path, np.random.default_rng(0).uniform(-0.5, 0.5, (rate * 7, 2)), rate, subtype="PCM_16")
    chunks = iter_audio_chunks(path, chunk_s=0.5)
    first = next(chunks)
    assert 7000 <= first.size <= 9000  # about half a second at 16 kHz, not the whole file
    rest = list(chunks)
    whole = load_audio_file(path)
    assert np.array_equal(np.concatenate([first, *rest]), whole)
    assert abs(whole.size - 7 * 16000) <= 1


def test_integer_and_unsigned_samples_are_scaled_to_unit_range():
    assert to_mono_float32(np.array([-32768, 0, 16384], dtype=np.int16)).tolist() == [-1.0, 0.0, 0.5]
    assert to_mono_float32(np.array([0, 128, 255], dtype=np.uint8)).tolist() == pytest.approx([-1.0, 0.0, 0.9921875])


def test_sample_buffers_are_resampled_from_their_rate():
    eight_k = tone(300, 1.0, 8000)
    out = audio_samples(Audio(samples=eight_k.tobytes(), sample_rate=8000))
    assert abs(out.size - 16000) <= 1
    assert peak_hz(out) == pytest.approx(300, abs=5)


def test_bad_files_get_clear_errors(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("these are not samples\n" * 50)
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(os.urandom(20000))
    silent = tmp_path / "zero.wav"
    soundfile.write(silent, np.zeros(0, dtype=np.float32), 16000)

    with pytest.raises(AudioDecodeError, match="no such audio file"):
        load_audio_file(tmp_path / "missing.wav")
    with pytest.raises(AudioDecodeError, match="empty"):
        load_audio_file(empty)
    with pytest.raises(AudioDecodeError, match="not a readable audio file"):
        probe_audio(text)
    with pytest.raises(AudioDecodeError, match="not a readable audio file"):
        load_audio_file(noise)
    with pytest.raises(AudioDecodeError, match="no samples"):
        load_audio_file(silent)


def test_bad_sample_buffers_get_clear_errors():
    with pytest.raises(AudioDecodeError, match="multiple of 4"):
        audio_samples(Audio(samples=b"\x00\x01\x02"))
    with pytest.raises(AudioDecodeError, match="no samples"):
        audio_samples(Audio(samples=b""))
    with pytest.raises(AudioDecodeError, match="NaN"):
        audio_samples(Audio(samples=np.array([0.0, np.nan], dtype=np.float32).tobytes()))
    with pytest.raises(AudioDecodeError, match="invalid sample rate"):
        audio_samples(Audio(samples=np.zeros(10, dtype=np.float32).tobytes(), sample_rate=0))
